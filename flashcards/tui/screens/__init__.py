"""The app's screens, one per module: home, review, summary (and stats, when it exists)."""

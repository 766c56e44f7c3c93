"""The app's screens, one per module: home, review, summary, stats."""

"""Where the database lives, where the user's decks are, and where the bundled decks are.

Order of precedence for the database: ``--db PATH``, then ``FLASHCARDS_DB``, then the
user data dir (platformdirs). Tests set ``FLASHCARDS_DB`` so they never touch real data.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "flashcards"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file to use."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get("FLASHCARDS_DB")
    if from_env:
        return Path(from_env).expanduser()
    return default_db_path()


def default_db_path() -> Path:
    """The database in the user data dir, used when nothing else is asked for."""
    import platformdirs  # only needed for the default location

    return platformdirs.user_data_path(APP_NAME) / "flashcards.db"


def user_decks_dir() -> Path:
    """The user's own deck files: ``FLASHCARDS_DECKS``, else ``decks/`` in the user data dir.
    The first run copies the bundled decks here, so editing them never touches the package."""
    from_env = os.environ.get("FLASHCARDS_DECKS")
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / "decks"


def bundled_decks_dir() -> Path:
    """The decks shipped with the app: inside the installed wheel, or the source tree's decks/."""
    package_dir = Path(__file__).resolve().parent
    in_wheel = package_dir / "bundled_decks"
    return in_wheel if in_wheel.is_dir() else package_dir.parent / "decks"

"""Automatic backups: consistent copies made with SQLite's backup API.

A copy is made before every schema migration, once a day on first use, and before a
restore; the newest ``KEEP`` are kept in ``backups/`` next to the database.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import suppress
from pathlib import Path

from flashcards import clock

KEEP = 7
STALE_PARTIAL_SECONDS = 3600


def backup_dir(db_path: Path) -> Path:
    """Where the backups of a database live."""
    return db_path.parent / "backups"


def list_backups(db_path: Path) -> list[Path]:
    """The backups of a database, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{db_path.stem}-*.db"), reverse=True)


def make_backup(conn: sqlite3.Connection, db_path: Path, reason: str) -> Path:
    """Copy the open database to a new backup file, then keep only the newest ``KEEP``."""
    target = _copy(conn, db_path, reason)
    _prune(db_path)
    return target


def _copy(conn: sqlite3.Connection, db_path: Path, reason: str) -> Path:
    folder = backup_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{db_path.stem}-{stamp}-{reason}.db"
    number = 1
    while target.exists():  # same second (or a fixed clock): keep both
        number += 1
        target = folder / f"{db_path.stem}-{stamp}-{reason}-{number}.db"
    # Written under a name of its own and renamed when complete: a copy cut short (the
    # process killed, the disk full) is never listed, restored, or counted as the day's
    # backup, and two processes backing up at once never write the same file.
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _prune(db_path: Path) -> None:
    for old in list_backups(db_path)[KEEP:]:
        old.unlink(missing_ok=True)  # another process may be pruning too
    # Copies cut short by a killed process; an hour old, so none is still being written.
    cutoff = clock.now().timestamp() - STALE_PARTIAL_SECONDS
    for partial in backup_dir(db_path).glob(f".{db_path.stem}-*.partial"):
        with suppress(FileNotFoundError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()


def has_backup_today(db_path: Path) -> bool:
    """True when a backup was made on today's calendar date."""
    prefix = f"{db_path.stem}-{clock.now().strftime('%Y%m%d')}-"
    return any(path.name.startswith(prefix) for path in list_backups(db_path))


def restore(conn: sqlite3.Connection, db_path: Path, source: Path) -> Path:
    """Replace the open database's content with a backup; returns the backup of what it was."""
    saved = _copy(conn, db_path, "before-restore")
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        backup.backup(conn)
    finally:
        backup.close()
    _prune(db_path)  # only now: the backup being restored may be the oldest one
    return saved

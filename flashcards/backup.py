"""Automatic backups: consistent copies made with SQLite's backup API.

A copy is made before every schema migration, once a day on first use, and before a
restore. Each database has a folder of its own, ``backups/<file name>/`` next to it, so
two databases in one folder never see, prune or restore each other's copies. The newest
``KEEP`` copies are kept; a copy made before a restore is never pruned.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from contextlib import suppress
from pathlib import Path

from flashcards import clock

KEEP = 7
STALE_PARTIAL_SECONDS = 3600
BEFORE_RESTORE = "before-restore"
OUR_TABLES = {"cards", "decks", "reviews", "config"}


class BackupError(Exception):
    """A file that cannot be restored, said in one line."""


def backup_dir(db_path: Path) -> Path:
    """Where the backups of this one database live."""
    return db_path.parent / "backups" / db_path.name


def list_backups(db_path: Path) -> list[Path]:
    """The backups of a database, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{db_path.stem}-*.db"), reverse=True)


def make_backup(conn: sqlite3.Connection, db_path: Path, reason: str) -> Path:
    """Copy the open database to a new backup file, then prune the oldest."""
    target = _copy(conn, db_path, reason)
    _prune(db_path, keep=target)
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
            # A copy in rollback mode: reading it later leaves no -wal/-shm beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _prune(db_path: Path, keep: Path) -> None:
    """Delete all but the newest ``KEEP`` copies; never ``keep`` nor a before-restore copy."""
    prunable = [path for path in list_backups(db_path) if not is_before_restore(db_path, path)]
    for old in prunable[KEEP:]:
        if old != keep:  # with a clock set back, the copy just made may sort as old
            old.unlink(missing_ok=True)  # another process may be pruning too
    # Copies cut short by a killed process; an hour old, so none is still being written.
    cutoff = clock.now().timestamp() - STALE_PARTIAL_SECONDS
    for partial in backup_dir(db_path).glob(f".{db_path.stem}-*.partial"):
        with suppress(FileNotFoundError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()


def is_before_restore(db_path: Path, path: Path) -> bool:
    """True for the copy of what a database held before a restore."""
    after_stem = path.name[len(db_path.stem):]
    return re.fullmatch(rf"-\d{{8}}-\d{{6}}-{BEFORE_RESTORE}(-\d+)?\.db", after_stem) is not None


def has_backup_today(db_path: Path) -> bool:
    """True when a backup was made on today's calendar date."""
    prefix = f"{db_path.stem}-{clock.now().strftime('%Y%m%d')}-"
    return any(path.name.startswith(prefix) for path in list_backups(db_path))


def restore(conn: sqlite3.Connection, db_path: Path, source: Path) -> Path:
    """Replace the open database's content with a backup; returns the backup of what it was.

    ``source`` must be a flashcards database; it is only read (``immutable``: no lock,
    no -wal or -shm files left beside it).
    """
    backup = _open_backup(source)
    try:
        saved = _copy(conn, db_path, BEFORE_RESTORE)
        backup.backup(conn)
    finally:
        backup.close()
    _prune(db_path, keep=saved)  # only now: the backup being restored may be the oldest one
    return saved


def _open_backup(source: Path) -> sqlite3.Connection:
    uri = f"{source.resolve().as_uri()}?mode=ro&immutable=1"
    backup = sqlite3.connect(uri, uri=True)
    try:
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        backup.close()
        raise BackupError(f"{source}: not a flashcards database ({error})") from None
    if not OUR_TABLES <= tables:
        backup.close()
        raise BackupError(f"{source}: not a flashcards database")
    return backup

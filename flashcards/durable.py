"""Commits that do not wait for the disk, each made durable by a thread right after.

With ``PRAGMA synchronous = FULL`` a commit waits for an fsync of the write-ahead log: in a
review that is ~0.5 ms of every grade (more on a slow disk) before the next card can show.
With ``BackgroundSync`` the answer is still committed before the next card shows (another
process, or this one after a crash, sees it), and the fsync that makes it survive a power
cut runs on a thread at once, while the card is drawn: what was on screen for more than a
moment is as durable as with FULL.

The same thread runs the log's checkpoints, which SQLite otherwise runs inside whichever
commit lets the log pass ~1,000 pages: on a big database a ~90 ms stall every hundred
answers or so.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

# The log's size past which the thread copies it into the database (SQLite's own default
# is 1,000 pages of 4 KiB).
CHECKPOINT_BYTES = 4 << 20


class BackgroundSync:
    """A thread that fsyncs the write-ahead log of the database at ``path`` after each
    commit it is told of (``committed``), and checkpoints the log when it grows.

    The connection that commits must run with ``synchronous = NORMAL`` and
    ``wal_autocheckpoint = 0`` (``Store.sync_in_background`` sets both)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wal = f"{path}-wal"
        self._changed = threading.Condition()
        self._pending = False  # a commit not yet on disk
        self._busy = False  # the thread is syncing
        self._closing = False
        self._directory_synced = False
        self.error: OSError | None = None  # the last fsync that failed, for the next write
        self._thread = threading.Thread(target=self._run, name="background sync", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A commit just ended: have it made durable."""
        with self._changed:
            self._pending = True
            self._changed.notify_all()

    def wait(self) -> None:
        """Return once every commit told of so far is on disk."""
        with self._changed:
            while self._pending or self._busy:
                self._changed.wait()

    def close(self) -> None:
        """Make the last commits durable and end the thread."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()

    def _run(self) -> None:
        checkpointer: sqlite3.Connection | None = None
        try:
            while self._next():
                try:
                    if self._sync() > CHECKPOINT_BYTES:
                        checkpointer = checkpointer or sqlite3.connect(self._path)
                        # PASSIVE: copies what no reader needs, never waits for a lock.
                        checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except OSError as error:
                    self.error = error
                except sqlite3.Error:
                    pass  # a checkpoint is only tidying: the next commit's tries again
                finally:
                    with self._changed:
                        self._busy = False
                        self._changed.notify_all()
        finally:
            if checkpointer is not None:
                checkpointer.close()

    def _next(self) -> bool:
        """Wait for a commit to sync (True) or for the end (False)."""
        with self._changed:
            while not self._pending and not self._closing:
                self._changed.wait()
            if not self._pending:
                return False
            self._pending, self._busy = False, True
            return True

    def _sync(self) -> int:
        """fsync the log (and, the first time, its directory, which holds its name);
        returns its size."""
        try:
            size = fsync_file(self._wal)
        except FileNotFoundError:  # no log: every commit is in the database file already
            return 0
        if not self._directory_synced:
            fsync_file(os.path.dirname(os.path.abspath(self._wal)))
            self._directory_synced = True
        return size


def fsync_file(path: str) -> int:
    """fsync the file or directory at ``path``; returns its size."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        return os.fstat(descriptor).st_size
    finally:
        os.close(descriptor)

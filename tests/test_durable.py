"""Commits synced by a thread (the app's): committed before the write returns, on disk right
after, the log checkpointed off the commit's path, a failed fsync told at the next write."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flashcards import durable
from flashcards.store import Store, StoreError

DECK = """\
deck: 基础
cards:
  - id: one
    front: "List<String> 是什么？"
    back: 泛型列表
  - id: two
    front: a[0]
    back: "[bold]"
"""


@pytest.fixture
def synced(loaded: Store, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, list[str]]:
    """The test's store with background sync, and the files it fsyncs, as it does them."""
    done: list[str] = []
    real = durable.fsync_file

    def recorded(path: str) -> int:
        done.append(path)
        return real(path)

    monkeypatch.setattr(durable, "fsync_file", recorded)
    loaded.sync_in_background()
    return loaded, done


def first_card(store: Store) -> int:
    return store.query("SELECT id FROM cards ORDER BY id LIMIT 1")[0][0]


def logged(path: Path) -> int:
    """Answers in the log, as another connection sees them."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    finally:
        conn.close()


def test_an_answer_is_committed_when_it_returns_and_its_log_synced_right_after(synced):
    store, done = synced
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    store.answer(first_card(store), 4)
    assert logged(store.path) == 1  # committed: another connection sees it at once
    store._background.wait()
    assert done[0] == f"{store.path}-wal"
    assert done[1] == str(store.path.parent)  # the log's name, the first time


def test_close_waits_for_the_last_commit_to_be_on_disk(synced):
    store, done = synced
    store.answer(first_card(store), 4)
    store.close()
    assert f"{store.path}-wal" in done
    assert logged(store.path) == 1


def test_the_log_is_checkpointed_by_the_thread_not_in_a_commit(synced, monkeypatch):
    store, _ = synced
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    monkeypatch.setattr(durable, "CHECKPOINT_BYTES", 0)  # every commit's log is copied
    card = first_card(store)
    for quality in (4, 3, 5) * 20:
        store.answer(card, quality)
        store._background.wait()
    # Copied each time, the log starts again from its beginning: it never grows past a few
    # commits' pages (here ~60; 60 answers never copied take ~600).
    assert os.path.getsize(f"{store.path}-wal") < 150 * 4096


def test_a_failed_fsync_is_told_at_the_next_write_once(synced, monkeypatch):
    store, _ = synced

    def broken(path: str) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(durable, "fsync_file", broken)
    card = first_card(store)
    store.answer(card, 4)
    store._background.wait()
    with pytest.raises(StoreError, match=r"disk did not take the last change .*Input/output"):
        store.answer(card, 4)
    assert logged(store.path) == 1  # the refused write wrote nothing
    monkeypatch.setattr(durable, "fsync_file", lambda path: 0)
    store.answer(card, 4)  # told once: the next key is saved again
    assert logged(store.path) == 2


def test_an_answer_survives_the_process_killed_right_after_it(loaded):
    script = (
        "import os, signal, sys\n"
        "from flashcards.store import Store\n"
        "store = Store.open(sys.argv[1])\n"
        "store.sync_in_background()\n"
        "store.answer(store.query('SELECT min(id) FROM cards')[0][0], 5)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    path = loaded.path
    loaded.close()
    done = subprocess.run([sys.executable, "-c", script, str(path)], check=False,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -9, done.stderr
    assert logged(path) == 1


"""Databases of every earlier schema version open, migrate, and keep every review."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest

from flashcards import backup
from flashcards.schema import DAYS_FROM_LOG, SCHEMA_VERSION
from flashcards.session import Session
from flashcards.store import Store

DATA = Path(__file__).parent / "data"
# One fixture per earlier version, made by that version's code (see git history of store.py).
FIXTURES = sorted(DATA.glob("schema-v*.db"))


def test_there_is_a_fixture_for_every_earlier_version():
    versions = {int(path.stem.removeprefix("schema-v")) for path in FIXTURES}
    assert versions == set(range(1, SCHEMA_VERSION))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_an_old_database_migrates_and_keeps_everything(fixture, tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(fixture, db)
    old = sqlite3.connect(db)
    old_version = old.execute("PRAGMA user_version").fetchone()[0]
    reviews = old.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    cards = old.execute(
        "SELECT id, key, front, back, repetitions, interval, easiness, due, lapses FROM cards"
    ).fetchall()
    config = old.execute("SELECT * FROM config").fetchall()
    old.close()
    assert old_version < SCHEMA_VERSION and reviews

    store = Store.open(db)
    assert store.version == SCHEMA_VERSION
    review_columns = ", ".join(
        row[1] for row in sqlite3.connect(fixture).execute("PRAGMA table_info(reviews)")
    )
    assert store.query(f"SELECT {review_columns} FROM reviews ORDER BY id") == reviews
    assert store.query(
        "SELECT id, key, front, back, repetitions, interval, easiness, due, lapses FROM cards"
    ) == cards
    assert store.query("SELECT * FROM config") == config
    for card_id, *_ in cards:
        assert store.replay(card_id).card_row() == store.cached_row(card_id)
    assert sorted(store.query("SELECT * FROM review_days")) == sorted(store.query(DAYS_FROM_LOG))
    assert store.integrity_check() == []
    Session(store)  # the review queue works on it

    (saved,) = backup.list_backups(db)
    assert f"before-v{SCHEMA_VERSION}" in saved.name
    copy = sqlite3.connect(saved)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == old_version
    assert copy.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(reviews)


def test_an_upgrade_runs_inside_upgrading_with_its_backup_and_a_new_file_does_not(tmp_path):
    db = tmp_path / "old.db"
    shutil.copyfile(DATA / "schema-v7.db", db)
    seen = []

    @contextmanager
    def upgrading(version: int):
        seen.append(("from", version, len(backup.list_backups(db))))
        yield
        seen.append(("done", len(backup.list_backups(db))))

    Store.open(db, upgrading=upgrading).close()
    assert seen == [("from", 7, 0), ("done", 1)]  # the backup is made inside
    Store.open(db, upgrading=upgrading).close()  # up to date: nothing to show
    Store.open(tmp_path / "new.db", upgrading=upgrading).close()  # a new file is no upgrade
    assert len(seen) == 2

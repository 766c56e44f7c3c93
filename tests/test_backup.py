"""Automatic backups and restore; broken database files give one-line errors."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from flashcards import backup, clock, schema
from flashcards.cli import cli
from flashcards.store import Store
from flashcards.sync import import_files

DECK = "deck: 牌组\ncards:\n  - id: a\n    front: 问题\n    back: 答案\n"


def run(*args):
    return CliRunner().invoke(cli, list(args))


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_use_of_a_day_makes_one_backup(tmp_path, write_deck, monkeypatch):
    db = tmp_path / "test.db"
    run("import", str(write_deck(DECK)))
    assert backup.list_backups(db) == []  # an empty database is not worth a copy
    run("decks")
    run("decks")
    (daily,) = backup.list_backups(db)
    assert daily.name == "test-20260310-090000-daily.db"
    copy = sqlite3.connect(daily)
    assert copy.execute("SELECT front FROM cards").fetchall() == [("问题",)]
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-11T09:00:00+01:00")
    run("decks")
    assert len(backup.list_backups(db)) == 2


def test_a_backup_before_a_change_is_skipped_when_nothing_was_written_since_the_last(
        store, write_deck):
    import_files(store, [write_deck(DECK)])
    daily = store.daily_backup()
    assert store.backup_before("scheduler-fsrs") is None  # the daily copy holds the same
    store.answer(1, 4)
    made = store.backup_before("scheduler-fsrs")
    assert made is not None and made.name.endswith("before-scheduler-fsrs.db")
    other = Store.open(store.path)  # another process writes: a new copy again
    other.answer(1, 5)
    other.close()
    assert store.backup_before("max_interval-100") is not None
    assert len(backup.list_backups(store.path)) == 3 and daily in backup.list_backups(store.path)


def test_only_the_newest_seven_are_kept(store):
    import_files(store, [])
    made = [backup.make_backup(store.conn, store.path, f"r{i}") for i in range(10)]
    kept = backup.list_backups(store.path)
    assert len(kept) == backup.KEEP
    assert set(kept) == set(made[-backup.KEEP:])


def test_restore_lists_and_restores_and_keeps_what_it_replaced(tmp_path, write_deck):
    db = tmp_path / "test.db"
    path = write_deck(DECK)
    run("import", str(path))
    run("decks")  # the daily backup, with one card
    write_deck(DECK + "  - id: b\n    front: 第二题\n    back: 二\n")
    run("import", str(path))
    listing = run("restore").output
    assert " 1  test-20260310-090000-daily.db" in listing
    result = run("restore", "1")
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    assert store.query("SELECT count(*) FROM cards") == [(1,)]
    saved = next(p for p in backup.list_backups(db) if "before-restore" in p.name)
    assert sqlite3.connect(saved).execute("SELECT count(*) FROM cards").fetchone() == (2,)
    assert run("restore", "nope").exit_code == 1


@pytest.mark.parametrize("which", ["²", "١", "9" * 5000, "0"])
def test_a_backup_number_that_is_no_number_is_one_line(write_deck, which):
    """``str.isdigit`` holds for "²", which int() refuses, and int() refuses 5,000 digits
    (that name is then too long for a file: one line too)."""
    run("import", str(write_deck(DECK)))
    run("decks")  # the daily backup
    result = run("restore", which)
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_a_migration_is_preceded_by_a_backup(tmp_path):
    db = tmp_path / "old.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 0")  # pretend it predates the schema
    for table in ("card_search_terms", "card_search", "card_actions", "cram_answers", "reviews",
                  "config", "cards", "decks", "sources", "sync_files", "sync_pending",
                  "sync_undone", "review_days"):
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    Store.open(db).close()  # version 0 is a new file: nothing to back up
    assert backup.list_backups(db) == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty-header"])
def test_a_broken_database_is_a_one_line_error_and_is_not_touched(tmp_path, write_deck, damage):
    db = tmp_path / "test.db"
    deck = "deck: 牌组\ncards:\n" + "".join(
        f"  - id: c{i}\n    front: 问题 {i} {'长' * 200}\n    back: 答案\n" for i in range(300)
    )
    run("import", str(write_deck(deck)))
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(b"definitely not sqlite " * 500)
    elif damage == "truncated":
        db.write_bytes(data[: len(data) // 3])
    else:
        db.write_bytes(b"\0" * 100 + data[100:])
    before = digest(db)
    for args in (["decks"], ["check"], ["import", str(tmp_path / "decks")]):
        result = run(*args)
        assert result.exit_code != 0, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output
        assert "Traceback" not in result.output
    assert digest(db) == before


def test_a_missing_directory_is_a_one_line_error(tmp_path):
    result = run("--db", str(tmp_path / "nowhere" / "x.db"), "decks")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {tmp_path / 'nowhere' / 'x.db'}: directory {tmp_path / 'nowhere'} does not exist"
    )
    assert not (tmp_path / "nowhere").exists()


def test_copies_left_by_a_killed_backup_are_cleaned_up(store):
    import_files(store, [])
    folder = backup.backup_dir(store.path)
    folder.mkdir(parents=True)
    stale = folder / ".test-20260309-080000-daily.db.0123456789ab.partial"
    fresh = folder / ".test-20260310-085959-daily.db.ba9876543210.partial"
    for partial, moment in ((stale, "2026-03-10T07:59:00+01:00"), (fresh, "2026-03-10T08:59:00+01:00")):
        partial.write_bytes(b"half a copy")
        stamp = clock.parse_moment(moment).timestamp()
        os.utime(partial, (stamp, stamp))
    backup.make_backup(store.conn, store.path, "daily")
    assert not stale.exists() and fresh.exists()


def test_databases_sharing_a_name_prefix_never_share_backups(tmp_path, write_deck, monkeypatch):
    """Issue 16, item 1: `flashcards.db` beside `flashcards-test.db` (or `flashcards.sqlite`)."""
    deck = write_deck(DECK)
    ours, theirs, same_stem = (tmp_path / n for n in ("fc.db", "fc-test.db", "fc.sqlite"))
    for db in (ours, theirs, same_stem):
        run("--db", str(db), "import", str(deck))
    for day in range(1, 12):  # many days of backups of the other two databases
        monkeypatch.setenv("FLASHCARDS_NOW", f"2026-02-{day:02}T09:00:00+01:00")
        run("--db", str(theirs), "decks")
        run("--db", str(same_stem), "decks")
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-10T09:00:00+01:00")
    run("--db", str(ours), "decks")
    (daily,) = backup.list_backups(ours)
    assert daily.name == "fc-20260310-090000-daily.db"
    assert len(backup.list_backups(theirs)) == backup.KEEP
    assert len(backup.list_backups(same_stem)) == backup.KEEP
    listing = run("--db", str(ours), "restore").output.strip().splitlines()
    assert len(listing) == 1 and "fc-20260310-090000-daily.db" in listing[0]
    other = backup.list_backups(theirs)[0]
    assert run("--db", str(ours), "restore", other.name).exit_code == 1


def test_pruning_keeps_the_copy_just_made_and_every_before_restore_copy(store, monkeypatch):
    import_files(store, [])
    made = [backup.make_backup(store.conn, store.path, "daily") for _ in range(3)]
    saved = backup.restore(store.conn, store.path, made[0])
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-12T09:00:00+01:00")
    for _ in range(10):
        backup.make_backup(store.conn, store.path, "daily")
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-01T09:00:00+01:00")  # the clock set back
    oldest_by_name = backup.make_backup(store.conn, store.path, "daily")
    kept = backup.list_backups(store.path)
    assert saved in kept and oldest_by_name in kept
    assert len([p for p in kept if not backup.is_before_restore(store.path, p)]) == backup.KEEP + 1


def test_restoring_leaves_no_wal_or_shm_files_in_the_backup_folder(tmp_path, write_deck):
    run("import", str(write_deck(DECK)))
    run("decks")
    assert run("restore", "1").exit_code == 0
    folder = backup.backup_dir(tmp_path / "test.db")
    assert sorted(p.suffix for p in folder.iterdir()) == [".db", ".db"]


def test_restoring_a_named_file_checks_it_is_a_flashcards_database(tmp_path, write_deck):
    db = tmp_path / "test.db"
    run("import", str(write_deck(DECK)))
    before = digest(db)
    foreign = tmp_path / "notes.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (body TEXT)").connection.commit()
    result = run("restore", str(foreign))
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {foreign}: not a flashcards database"
    assert digest(db) == before
    copy = tmp_path / "copy.db"
    sqlite3.connect(db).backup(sqlite3.connect(copy))
    assert run("restore", str(copy)).exit_code == 0


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"),
                                     sqlite3.OperationalError("database or disk is full")])
def test_a_failing_daily_backup_is_reported_and_blocks_no_command(write_deck, monkeypatch,
                                                                  failure):
    """Issue 16, item 15: on a full disk, `decks` and `check` still work on a new day."""
    run("import", str(write_deck(DECK)))

    def full_disk(*args):
        raise failure

    monkeypatch.setattr(backup, "make_backup", full_disk)
    for args in (["decks"], ["check"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert f"warning: the daily backup failed: {failure}" in result.stderr


@pytest.mark.parametrize(("free", "hint"), [(0, True), (10 << 20, False)])
def test_a_database_that_cannot_be_opened_on_a_full_disk_says_so(write_deck, monkeypatch,
                                                                 free, hint):
    """SQLite says only "disk I/O error" when it cannot make its log files."""
    run("import", str(write_deck(DECK)))

    def no_room(conn, read_only):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(schema, "_configure", no_room)
    monkeypatch.setattr(schema.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(
        8 << 20, 8 << 20, free))
    result = run("decks")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1
    assert ("cannot open database: disk I/O error (the disk is full: 0 KB free)" in
            result.output) == hint


@pytest.mark.parametrize("kind", ["folder", "pipe", "device"])
def test_a_database_path_that_is_no_file_is_a_one_line_error(tmp_path, monkeypatch, kind):
    path = {"folder": tmp_path, "pipe": tmp_path / "pipe", "device": Path("/dev/zero")}[kind]
    if kind == "pipe":
        os.mkfifo(path)
    monkeypatch.setenv("FLASHCARDS_DB", str(path))
    result = run("stats")
    assert result.exit_code == 1
    assert result.output == f"error: {path}: not a database file (a folder, a device or a pipe)\n"

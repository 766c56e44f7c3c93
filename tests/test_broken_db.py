"""A database this user may not write: a read-only file, a read-only directory, or both.

(Garbage, truncated and zeroed files and a missing directory are in test_backup.py.)

Reading works: ``decks``, ``stats``, ``export``, ``check`` and listing backups open the
file read-only and create nothing beside it. Every write (an import, a setting, merged
reviews, a restore, and the review app before its first card) is refused with one line
naming the file and why, exit code 1, no traceback, and nothing changes: the file's
SHA-256 and the directory listing are the same afterwards.

Tests run as root here, and root ignores file permissions. So the commands run as root
without the capabilities that bypass them (``setpriv`` drops CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH), which makes permissions bite while the interpreter under /root stays
readable. A probe checks that they do bite, and the tests skip, saying why, only if not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pty_app import Terminal, app_env, marked_deck

from flashcards import backup
from flashcards.cli import cli
from flashcards.store import Store
from flashcards.sync import import_files

DECK = "只读牌组"
DROP = "-dac_override,-dac_read_search"


def _unprivileged_prefix() -> list[str] | None:
    """The command prefix that runs a program without the power to ignore permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, f"--bounding-set={DROP}", f"--inh-caps={DROP}"] if setpriv else None


@pytest.fixture(scope="module")
def unprivileged(tmp_path_factory) -> list[str]:
    """The prefix, once a probe has shown that a read-only file is read-only through it."""
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without setpriv: file permissions cannot be made to bite")
    probe = tmp_path_factory.mktemp("probe") / "read-only"
    probe.write_text("")
    probe.chmod(0o444)
    done = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
                          capture_output=True, text=True, check=False)
    if done.returncode == 0:
        pytest.skip("this process can write a read-only file (a capability?): "
                    "permissions cannot be made to bite")
    assert "PermissionError" in done.stderr, done.stderr  # the probe ran, and was refused
    return prefix


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in the folder (backups included) and its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.fixture
def answered_db(tmp_path: Path, write_deck) -> Path:
    """A database in a folder of its own: one deck, three answers, one backup."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "cards.db"
    store = Store.open(db)
    import_files(store, [write_deck(marked_deck(5, DECK))])
    backup.make_backup(store.conn, db, "daily")
    for card_id in (1, 2, 3):
        store.answer(card_id, 4)
    store.close()  # the last connection: the -wal and -shm files are gone
    assert sorted(p.name for p in folder.iterdir()) == ["backups", "cards.db"]
    return db


def make_read_only(db: Path, what: str) -> str:
    """Take away write permission; what the refusal must say."""
    if what in ("file", "both"):
        db.chmod(0o444)
    if what in ("directory", "both"):
        db.parent.chmod(0o555)
    return "the file is not writable" if what != "directory" else (
        f"the directory {db.parent} is not writable")


@pytest.fixture
def restore_permissions(answered_db: Path):
    yield
    answered_db.parent.chmod(0o755)
    for path in answered_db.parent.iterdir():
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def run(prefix: list[str], db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "flashcards", "--db", str(db), *args],
                          capture_output=True, text=True, env=app_env(), timeout=60, check=False)


@pytest.mark.parametrize("what", ["file", "directory", "both"])
def test_read_only_database_reads_work_and_writes_are_one_line_errors(
    unprivileged, answered_db, restore_permissions, write_deck, tmp_path, what
):
    db = answered_db
    reason = make_read_only(db, what)
    before = fingerprint(db.parent)
    changed = write_deck(marked_deck(6, DECK))  # a new card: the import has work to do
    merged = tmp_path / "merged.jsonl"
    merged.write_text(json.dumps({"review_id": "x1", "deck": DECK, "card_key": "c4",
                                  "reviewed_at": "2026-03-09T20:00:00+01:00", "quality": 5}))

    for args in (["import", str(changed)], ["config", "new_per_day", "5"],
                 ["import-reviews", str(merged)], ["restore", "1"]):
        done = run(unprivileged, db, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stdout == "", args
        assert done.stderr == f"error: {db}: cannot write to the database: {reason}\n", args

    done = run(unprivileged, db, "decks")
    assert done.returncode == 0 and DECK in done.stdout, done.stderr
    done = run(unprivileged, db, "stats", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["reviews_today"] == 3
    done = run(unprivileged, db, "export", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
    done = run(unprivileged, db, "check")
    assert (done.returncode, done.stdout) == (0, f"{db}: ok\n"), done.stderr
    done = run(unprivileged, db, "restore")
    assert done.returncode == 0 and "cards-20260310-090000-daily.db" in done.stdout, done.stderr
    done = run(unprivileged, db, "config")
    assert done.returncode == 0 and "new_per_day = 20" in done.stdout, done.stderr

    assert fingerprint(db.parent) == before  # no -wal, -shm or backup appeared either


@pytest.mark.parametrize("command", [("review",), ()])
def test_the_app_on_a_read_only_database_is_a_one_line_error(
    unprivileged, answered_db, restore_permissions, command
):
    db = answered_db
    reason = make_read_only(db, "file")
    before = fingerprint(db.parent)
    terminal = Terminal([*unprivileged, sys.executable, "-m", "flashcards", "--db", str(db),
                         *command], app_env())
    try:
        assert terminal.wait_exit() == 1
    finally:
        terminal.close()
    shown = terminal.text(everything=True).strip().splitlines()
    assert shown == [f"error: {db}: cannot write to the database: {reason}"]
    assert fingerprint(db.parent) == before


def test_a_new_database_in_a_read_only_directory_is_a_one_line_error(unprivileged, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    db = folder / "new.db"
    try:
        done = run(unprivileged, db, "decks")
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {db}: cannot create the database: the directory {folder} is not writable\n"
    )
    assert list(folder.iterdir()) == []


def test_changes_still_in_the_wal_of_a_read_only_database_are_read(
    unprivileged, answered_db, restore_permissions
):
    # A writer that died before its changes reached the database file leaves them in the
    # -wal file; a reader that skipped it (as an immutable open would) would show old data.
    db = answered_db
    code = (
        "import os, signal, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "conn.execute(\"UPDATE cards SET back = '新的答案'\")\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                          check=False)
    assert done.returncode == -signal.SIGKILL
    assert Path(f"{db}-wal").stat().st_size > 0
    for path in db.parent.glob("cards.db*"):
        path.chmod(0o444)
    db.parent.chmod(0o555)
    before = fingerprint(db.parent)
    done = run(unprivileged, db, "export", "--what", "cards", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert {json.loads(line)["back"] for line in done.stdout.splitlines()} == {"新的答案"}
    assert fingerprint(db.parent) == before
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # and nothing was lost
    assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (3,)
    conn.close()


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path):
    """Issue 16, item 5: a `notes` database is not converted into ours."""
    foreign = tmp_path / "notes.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    for args in (["decks"], ["stats"], ["import", str(tmp_path)], ["export"]):
        result = CliRunner().invoke(cli, ["--db", str(foreign), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.output.strip() == (
            f"error: {foreign}: not a flashcards database (it has tables: notes)")
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]

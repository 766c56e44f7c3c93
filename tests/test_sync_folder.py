"""Several machines, no server of ours: each appends to its own log in a shared folder,
and merges the others' (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards import clock
from flashcards.cli import cli
from flashcards.history import folder_status, import_reviews, merge_folder
from flashcards.schema import DAYS_FROM_LOG
from flashcards.store import Store, StoreError
from flashcards.sync import import_files

ROOT = Path(__file__).resolve().parent.parent
DECK = ("deck: 牌组 [bold]\ncards:\n"
        "  - {id: a, front: '什么是 <T>?', back: '[bold]x'}\n"
        "  - {id: b, front: '---', back: '2**64'}\n"
        "  - {id: c, front: 问 c, back: 答 c}\n")
START = clock.parse_moment("2026-03-01T09:00:00+01:00")


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def template(folder: Path) -> tuple[Path, Path]:
    """A database with the deck imported, and the shared sync folder, in ``folder``."""
    deck = folder / "decks" / "deck.yaml"
    deck.parent.mkdir(parents=True)
    deck.write_text(DECK, encoding="utf-8")
    store = Store.open(folder / "template.db")
    import_files(store, [deck])
    store.close()
    sync = folder / "sync"
    sync.mkdir()
    return folder / "template.db", sync


def machines(folder: Path, count: int) -> list[Store]:
    """``count`` databases holding the same deck, each syncing through ``folder/sync``."""
    db, sync = template(folder)
    stores = []
    for number in range(count):
        copy = folder / f"machine{number}.db"
        shutil.copyfile(db, copy)
        store = Store.open(copy)
        store.set_config("sync_dir", str(sync))
        stores.append(store)
    return stores


def ids(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT key, id FROM cards"))


def states(store: Store) -> list[tuple]:
    return store.query(
        "SELECT decks.name, cards.key, repetitions, interval, easiness, due, lapses, "
        "suspended, leech, buried_until FROM cards JOIN decks ON decks.id = cards.deck_id "
        "ORDER BY 1, 2")


def log(store: Store) -> list[tuple]:
    return store.query("SELECT id, quality, day, repeat, repetitions, interval, due "
                       "FROM reviews ORDER BY id")


def actions(store: Store) -> list[tuple]:
    return store.query("SELECT id, action, until, ts FROM card_actions ORDER BY id")


def lines(store: Store) -> list[dict]:
    path = store.journal_path()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def pair(tmp_path) -> list[Store]:
    stores = machines(tmp_path, 2)
    yield stores
    for store in stores:
        store.close()


# -- writing: every writer journals, in one place ---------------------------------------

def test_every_answer_and_undo_is_in_this_devices_log_before_it_counts(pair):
    mine, _ = pair
    card = ids(mine)
    first = mine.answer(card["a"], 4, at=at(0))
    second = mine.answer(card["b"], 1, at=at(1))
    mine.undo_answer(second.review_id)
    assert [(entry["type"], entry.get("review_id") or entry["undoes"]) for entry in lines(mine)] \
        == [("answer", first.review_id), ("answer", second.review_id),
            ("undo", second.review_id)]
    assert lines(mine)[0] == {
        "type": "answer", "review_id": first.review_id, "deck": "牌组 [bold]", "card_key": "a",
        "reviewed_at": "2026-03-01T09:00:00.000+01:00", "ts": 1772352000000, "quality": 4,
        "duration_ms": None}
    assert mine.journal_path().name == f"{mine.device_id()}.jsonl"


def test_imported_reviews_are_journaled_and_merged_ones_are_not(pair, tmp_path):
    mine, theirs = pair
    exported = tmp_path / "other.jsonl"
    exported.write_text(json.dumps({"review_id": "r1", "deck": "牌组 [bold]", "card_key": "c",
                                    "reviewed_at": "2026-03-01T10:00:00+01:00", "quality": 5})
                        + "\n", encoding="utf-8")
    import_reviews(mine, exported)
    assert [entry["review_id"] for entry in lines(mine)] == ["r1"]
    merge_folder(theirs)
    assert not theirs.journal_path().exists()  # what came from the folder is not written back
    assert log(theirs) == log(mine)


def test_an_answer_that_cannot_be_journaled_is_not_saved(pair):
    mine, _ = pair
    folder = mine.journal_path().parent
    folder.rename(folder.with_name("unmounted"))  # a drive gone, say
    with pytest.raises(StoreError, match="cannot write to the sync folder"):
        mine.answer(ids(mine)["a"], 4)
    assert log(mine) == [] and mine.card(ids(mine)["a"]).due is None


def test_setting_a_sync_folder_writes_the_log_so_far_into_it(tmp_path):
    db, sync = template(tmp_path)
    store = Store.open(db)
    done = store.answer(ids(store)["a"], 4, at=at(0))
    store.set_config("sync_dir", str(sync))
    assert [entry["review_id"] for entry in lines(store)] == [done.review_id]
    store.set_config("sync_dir", "")
    assert store.config()["sync_dir"] is None and store.journal_path() is None
    store.answer(ids(store)["b"], 4, at=at(1))  # not syncing: nothing written
    assert len(list(sync.iterdir())) == 1
    with pytest.raises(StoreError, match="is not a folder"):
        store.set_config("sync_dir", str(tmp_path / "missing"))


def test_config_sets_and_shows_the_sync_folder(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["config", "sync_dir", str(tmp_path)])
    assert result.exit_code == 0 and f"sync_dir = {tmp_path}" in result.output
    assert "sync_dir = (not set)" in runner.invoke(cli, ["config", "sync_dir", ""]).output
    result = runner.invoke(cli, ["config", "new_per_day", "2**64"])
    assert result.exit_code == 1
    assert result.output == "error: new_per_day must be a whole number from 0 to 100000\n"


# -- merging ------------------------------------------------------------------------------

def test_a_merge_adds_the_other_devices_answers_once_and_replays_their_cards(pair):
    mine, theirs = pair
    card = ids(mine)
    mine.answer(card["a"], 5, at=at(0))
    theirs.answer(card["a"], 4, at=at(30))
    theirs.answer(card["b"], 2, at=at(31))
    report = merge_folder(mine)
    assert (report.added, report.cards, report.problems) == (2, 2, [])
    again = merge_folder(mine)
    assert (again.added, again.cards) == (0, 0)
    merge_folder(theirs)
    assert states(mine) == states(theirs) and log(mine) == log(theirs)
    assert mine.card(card["a"]).repetitions == 2  # both answers, in time order


def test_an_undo_on_one_device_takes_the_answer_out_on_the_others(pair):
    mine, theirs = pair
    card = ids(mine)
    wrong = theirs.answer(card["a"], 0, at=at(0))
    merge_folder(mine)
    assert mine.card(card["a"]).due is not None
    theirs.undo_answer(wrong.review_id)
    report = merge_folder(mine)
    assert (report.undone, report.cards) == (1, 1)
    assert mine.card(card["a"]).due is None and log(mine) == []
    assert mine.query("SELECT * FROM review_days") == []  # nor in the figures per day
    # A copy of the log from before the undo brings nothing back.
    folder = theirs.journal_path().parent
    stale = folder / f"{theirs.device_id()}.sync-conflict-20260301-100000-ABCDEF7.jsonl"
    stale.write_text(theirs.journal_path().read_text().splitlines()[0] + "\n")
    assert merge_folder(mine).added == 0 and log(mine) == []


def test_card_actions_and_their_undos_travel_too(pair, tmp_path):
    mine, theirs = pair
    card = ids(theirs)
    theirs.answer(card["a"], 5, at=at(0))
    theirs.answer(card["b"], 5, at=at(0))
    (suspended,) = theirs.act([card["a"]], "suspend", at=at(1))
    theirs.act([card["b"]], "reschedule", date(2026, 4, 1), at=at(2))
    theirs.act([card["c"]], "bury", date(2026, 3, 2), at=at(3))
    (forgotten,) = theirs.act([card["b"]], "forget", at=at(4))
    theirs.undo_action(forgotten)
    assert [entry["type"] for entry in lines(theirs)] == [
        "answer", "answer", "action", "action", "action", "action", "undo"]
    assert lines(theirs)[3] == {
        "type": "action", "action_id": lines(theirs)[3]["action_id"], "deck": "牌组 [bold]",
        "card_key": "b", "acted_at": "2026-03-01T11:00:00.000+01:00", "ts": 1772359200000,
        "action": "reschedule", "until": "2026-04-01"}
    report = merge_folder(mine)
    assert (report.added, report.actions, report.undone) == (2, 3, 0)
    assert states(mine) == states(theirs)
    assert mine.card(card["a"]).suspended and mine.card(card["b"]).due == "2026-04-01"
    theirs.undo_action(suspended)
    assert merge_folder(mine).undone == 1 and not mine.card(card["a"]).suspended
    assert states(mine) == states(theirs)
    # A suspend of a card this machine does not know yet waits for the card.
    deck = tmp_path / "decks" / "deck.yaml"
    deck.write_text(DECK + "  - {id: d, front: 新卡, back: 新答}\n", encoding="utf-8")
    import_files(theirs, [deck])
    theirs.act([ids(theirs)["d"]], "suspend", at=at(5))
    assert merge_folder(mine).pending == 1
    import_files(mine, [deck])
    assert (merge_folder(mine).actions, states(mine)) == (1, states(theirs))


def test_conflict_copies_are_merged_and_nothing_is_lost(pair):
    mine, theirs = pair
    card = ids(mine)
    theirs.answer(card["a"], 4, at=at(0))
    theirs.answer(card["b"], 4, at=at(1))
    log_file = theirs.journal_path()
    first, second = log_file.read_text().splitlines()
    # Two versions of one log: Syncthing and Dropbox keep the loser beside the winner.
    extra = json.dumps({"type": "answer", "review_id": "from-the-copy", "deck": "牌组 [bold]",
                        "card_key": "c", "reviewed_at": "2026-03-01T12:00:00+01:00",
                        "ts": 1772362800000, "quality": 3, "duration_ms": 900})
    log_file.write_text(first + "\n")
    folder = log_file.parent
    stem = log_file.stem
    (folder / f"{stem}.sync-conflict-20260301-120000-ABCDEF7.jsonl").write_text(
        f"{first}\n{second}\n")
    (folder / f"{stem} (Jane's conflicted copy 2026-03-01).jsonl").write_text(
        f"{first}\n{extra}\n")
    report = merge_folder(mine)
    assert (report.added, report.problems) == (3, [])
    assert {row[0] for row in log(mine)} == {row[0] for row in log(theirs)} | {"from-the-copy"}
    (device,) = [status for status in folder_status(mine) if not status.this_device]
    assert device.device == theirs.device_id() and len(device.files) == 3
    assert (device.merged, device.lines) == (5, 5)


def test_a_torn_last_line_waits_and_a_bad_line_is_reported_with_its_file_and_line(pair):
    mine, theirs = pair
    card = ids(mine)
    theirs.answer(card["a"], 4, at=at(0))
    log_file = theirs.journal_path()
    whole = log_file.read_bytes()
    theirs.answer(card["b"], 4, at=at(1))
    second = log_file.read_bytes()[len(whole):]
    log_file.write_bytes(whole + second[:20])  # the sync tool has half the line so far
    report = merge_folder(mine)
    assert (report.added, report.problems) == (1, [])
    log_file.write_bytes(whole + second)
    assert merge_folder(mine).added == 1
    with log_file.open("ab") as file:
        file.write(b'{"type": "answer", oops\n')
        file.write(b'{"type": "suspend"}\n')
    theirs.answer(card["c"], 4, at=at(2))
    report = merge_folder(mine)
    assert report.added == 1
    assert report.problems == [
        (f"{log_file}:3: not valid JSON: Expecting property name enclosed in double quotes "
         "(column 20)"),
        f"{log_file}:4: not an answer, action or undo (type \"suspend\")"]
    assert merge_folder(mine).problems == []  # told once; the status keeps them
    (device,) = [status for status in folder_status(mine) if not status.this_device]
    assert device.unreadable == 2 and device.problems == report.problems
    assert (device.merged, device.lines) == (3, 5)
    assert device.last_answer == "2026-03-01T11:00:00.000+01:00"


def test_an_answer_to_an_unknown_card_waits_until_the_card_arrives(pair, tmp_path):
    mine, theirs = pair
    deck = tmp_path / "decks" / "deck.yaml"
    deck.write_text(DECK + "  - {id: d, front: 新卡, back: 新答}\n", encoding="utf-8")
    import_files(theirs, [deck])
    theirs.answer(ids(theirs)["d"], 5, at=at(0))
    report = merge_folder(mine)
    assert (report.added, report.pending) == (0, 1)
    assert merge_folder(mine).pending == 1
    import_files(mine, [deck])  # the deck file travelled
    report = merge_folder(mine)
    assert (report.added, report.pending) == (1, 0)
    assert states(mine) == states(theirs)


def test_sync_merges_and_status_shows_each_device(pair, tmp_path):
    mine, theirs = pair
    theirs.answer(ids(theirs)["a"], 4, at=at(0))
    mine.answer(ids(mine)["b"], 4, at=at(1))
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(mine.path), "sync"])
    assert result.exit_code == 0, result.output
    assert ("merged from your other devices: 1 answer, 0 card actions, 0 undone, "
            "1 card replayed") in result.output
    with theirs.journal_path().open("ab") as file:
        file.write(b"[1]\n")
    result = runner.invoke(cli, ["--db", str(mine.path), "sync"])
    assert result.exit_code == 1
    assert result.output == f"{theirs.journal_path()}:2: expected a JSON object, not a list\n"
    result = runner.invoke(cli, ["--db", str(mine.path), "sync", "--status"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert "(this device)" in rows[mine.device_id()] and "1 of 1" in rows[mine.device_id()]
    assert "1 of 2" in rows[theirs.device_id()]
    assert "2026-03-01T09:00:00.000+01:00" in rows[theirs.device_id()]
    assert f"{theirs.journal_path().name}:2:" in result.output


# -- convergence -------------------------------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(st.integers(0, 2),
              st.sampled_from(["answer", "answer", "answer", "suspend", "unsuspend", "bury",
                               "forget", "undo", "sync"]),
              st.sampled_from("abc"), st.integers(0, 5), st.integers(1, 40)),
    max_size=30,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(2, 3), operations=OPERATIONS)
def test_every_machine_ends_in_the_same_state_whatever_the_order_of_syncs(count, operations):
    """Offline answers, suspends, buries, forgets and undos on two or three machines, synced
    at random moments: once each has merged the others' logs, all states are equal."""
    with tempfile.TemporaryDirectory() as folder:
        stores = machines(Path(folder), count)
        try:
            done: list[list[tuple[str, str]]] = [[] for _ in stores]  # each one's undo stack
            hours = 0
            for machine, what, key, grade, later in operations:
                store, mine = stores[machine % count], done[machine % count]
                card = ids(store)[key]
                hours += later
                if what == "answer":
                    mine.append(("answer", store.answer(card, grade, at=at(hours)).review_id))
                elif what in ("suspend", "unsuspend", "forget"):
                    mine.append(("action", store.act([card], what, at=at(hours))[0]))
                elif what == "bury":
                    until = (at(hours) + timedelta(days=1)).date()
                    mine.append(("action", store.act([card], what, until, at=at(hours))[0]))
                elif what == "undo" and mine:
                    kind, entry = mine.pop()
                    (store.undo_answer if kind == "answer" else store.undo_action)(entry)
                elif what == "sync":
                    merge_folder(store)
            for store in stores:
                merge_folder(store)
            first = stores[0]
            for store in stores[1:]:
                assert states(store) == states(first)
                assert log(store) == log(first)
                assert actions(store) == actions(first)
            for store in stores:  # merged answers and undos kept in the figures per day
                assert sorted(store.query("SELECT * FROM review_days")) == sorted(
                    store.query(DAYS_FROM_LOG))
        finally:
            for store in stores:
                store.close()


# -- two real processes ---------------------------------------------------------------------

REVIEWER = """
import sys
from datetime import timedelta
from flashcards import clock
from flashcards.history import merge_folder
from flashcards.store import Store

db, offset = sys.argv[1], int(sys.argv[2])
store = Store.open(db)
start = clock.parse_moment("2026-03-01T09:00:00+01:00")
cards = [row[0] for row in store.query("SELECT id FROM cards ORDER BY id")]
for step in range(40):
    done = store.answer(cards[step % len(cards)], (step + offset) % 6,
                        at=start + timedelta(hours=7 * step + offset))
    if step % 7 == 3:
        store.undo_answer(done.review_id)
    if step % 11 == 5:
        (buried,) = store.act([cards[step % len(cards)]], "bury",
                              (start + timedelta(days=2 + step)).date(),
                              at=start + timedelta(hours=7 * step + offset, minutes=1))
        if offset:
            store.undo_action(buried)
    if step % 5 == 0:
        merge_folder(store)
"""


def test_two_processes_over_one_folder_end_with_equal_cards(tmp_path):
    stores = machines(tmp_path, 2)
    for store in stores:
        store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", REVIEWER, str(store.path), str(number)],
                             env=env, stderr=subprocess.PIPE)
            for number, store in enumerate(stores)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read().decode()
    exports = []
    for store in stores:
        command = [sys.executable, "-m", "flashcards", "--db", str(store.path)]
        synced = subprocess.run([*command, "sync"], env=env, capture_output=True, text=True,
                                check=False)
        assert synced.returncode == 0, synced.stderr
        exported = subprocess.run([*command, "export", "--what", "cards", "--format", "csv"],
                                  env=env, capture_output=True, check=True)
        exports.append(exported.stdout)
    assert exports[0] == exports[1]
    assert exports[0].count(b"\n") == 4  # a header and the three cards
    reviews = [Store.open(store.path).query("SELECT count(*) FROM reviews")[0][0]
               for store in stores]
    assert reviews[0] == reviews[1] == 2 * (40 - 6)

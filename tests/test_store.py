"""The store: import sync keeps history, the log and the card cache agree, migrations."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import flashcards
from flashcards import clock
from flashcards.decks import DeckError
from flashcards.scheduling import LEECH_LAPSES, MAX_DAILY_LIMIT, MAX_INTERVAL_DAYS
from flashcards.schema import SCHEMA_VERSION
from flashcards.session import Session
from flashcards.store import BULK_CACHE_KIB, Store, StoreError
from flashcards.sync import import_files

DECK = """\
deck: 大模型基础
cards:
  - id: kv-cache
    front: 什么是 KV Cache？
    back: 缓存已算过的 K 和 V。
  - front: softmax 的作用？
    back: 把 logits 变成概率分布。
  - front: 1 + 1 = ?
    back: "2"
"""


def counts(report):
    (deck,) = report.decks
    return deck.added, deck.updated, deck.unchanged, deck.retired


def card_ids(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT front, id FROM cards WHERE retired = 0"))


def test_import_adds_cards_then_reimport_changes_nothing(store, write_deck):
    path = write_deck(DECK)
    assert counts(import_files(store, [path])) == (3, 0, 0, 0)
    before = store.query("SELECT * FROM cards ORDER BY id")
    assert counts(import_files(store, [path])) == (0, 0, 3, 0)
    assert store.query("SELECT * FROM cards ORDER BY id") == before


def test_new_cards_are_stored_as_text_as_written(store, write_deck):
    """Their front and back reach SQL as UTF-8 bytes (to spare memory): stored as text."""
    deck = DECK + "  - front: 🙂 \\x00 [b]\n    back: \"\\u00e9\\n\"\n"
    import_files(store, [write_deck(deck)])
    rows = store.query("SELECT typeof(front), typeof(back), front, back FROM cards ORDER BY id")
    assert {row[:2] for row in rows} == {("text", "text")}
    assert [row[2:] for row in rows] == [
        ("什么是 KV Cache？", "缓存已算过的 K 和 V。"), ("softmax 的作用？", "把 logits 变成概率分布。"),
        ("1 + 1 = ?", "2"), ("🙂 \\x00 [b]", "é"),
    ]
    assert store.query("SELECT count(*) FROM cards WHERE front = ?", ("什么是 KV Cache？",)) == [(1,)]


def test_editing_the_back_keeps_the_card_and_its_history(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path])
    card_id = card_ids(store)["softmax 的作用？"]
    store.answer(card_id, 5)
    write_deck(DECK.replace("把 logits 变成概率分布。", "归一化为概率。"))
    assert counts(import_files(store, [path])) == (0, 1, 2, 0)
    card = store.card(card_id)
    assert card.back == "归一化为概率。"
    assert (card.repetitions, card.interval) == (1, 1)


def test_editing_the_front_of_a_card_with_an_id_keeps_it(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path])
    card_id = card_ids(store)["什么是 KV Cache？"]
    write_deck(DECK.replace("什么是 KV Cache？", "KV Cache 缓存的是什么？"))
    assert counts(import_files(store, [path])) == (0, 1, 2, 0)
    assert card_ids(store)["KV Cache 缓存的是什么？"] == card_id


def test_small_edit_of_an_id_less_front_keeps_the_history(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path])
    card_id = card_ids(store)["softmax 的作用？"]
    store.answer(card_id, 4)
    write_deck(DECK.replace("softmax 的作用？", "softmax 函数的作用是什么？"))
    assert counts(import_files(store, [path])) == (0, 1, 2, 0)
    assert card_ids(store)["softmax 函数的作用是什么？"] == card_id
    assert store.query("SELECT count(*) FROM reviews WHERE card_id = ?", (card_id,)) == [(1,)]


def test_a_rewritten_id_less_card_retires_the_old_one(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path])
    old_id = card_ids(store)["softmax 的作用？"]
    write_deck(DECK.replace("softmax 的作用？", "sigmoid 输出范围？").replace(
        "把 logits 变成概率分布。", "(0, 1)"))
    assert counts(import_files(store, [path])) == (1, 0, 2, 1)
    assert store.query("SELECT retired FROM cards WHERE id = ?", (old_id,)) == [(1,)]


def test_removed_cards_are_retired_and_come_back_with_their_history(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path])
    card_id = card_ids(store)["1 + 1 = ?"]
    store.answer(card_id, 5)
    write_deck(DECK.split("  - front: 1 + 1")[0])
    assert counts(import_files(store, [path])) == (0, 0, 2, 1)
    assert "1 + 1 = ?" not in card_ids(store)
    write_deck(DECK)
    assert counts(import_files(store, [path])) == (0, 1, 2, 0)
    assert card_ids(store)["1 + 1 = ?"] == card_id
    assert store.card(card_id).repetitions == 1


def test_dry_run_reports_without_writing(store, write_deck):
    path = write_deck(DECK)
    assert counts(import_files(store, [path], dry_run=True)) == (3, 0, 0, 0)
    assert store.is_empty()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_invalid_file_writes_nothing(tmp_path, write_deck):
    db = tmp_path / "test.db"
    good = write_deck(DECK)
    store = Store.open(db)
    import_files(store, [good])
    store.close()
    before = file_digest(db)
    write_deck(DECK.replace("大模型基础", "另一个"), "other.yaml")
    write_deck("deck: 坏的\ncards:\n  - front: x\n    bakc: y\n", "bad.yaml")
    store = Store.open(db)
    with pytest.raises(DeckError) as error:
        import_files(store, [good.parent])
    store.close()
    assert any("bad.yaml:4: card 1: unknown key 'bakc'" in line for line in error.value.errors)
    assert file_digest(db) == before


def test_undo_restores_the_state_before_the_answer(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    first = store.answer(card_id, 5, at=clock.parse_moment("2026-03-01T09:00:00+01:00"))
    before = store.card(card_id)
    second = store.answer(card_id, 3)
    assert store.card(card_id).repetitions == 2
    restored = store.undo_answer(second.review_id)
    assert restored == before
    assert store.query("SELECT id FROM reviews") == [(first.review_id,)]


def test_same_day_repeats_are_logged_but_do_not_move_the_state(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    first = store.answer(card_id, 2)
    again = store.answer(card_id, 5)
    assert (first.repeat, again.repeat) == (False, True)
    assert again.state == first.state
    assert store.card(card_id).due == "2026-03-11"


def test_undo_in_one_app_replays_answers_another_app_gave(store, write_deck):
    """Issue 16, item 8: the state after undo is always what the log's replay gives."""
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    other = Store.open(store.path)  # a second app on the same database
    mine = store.answer(card_id, 4)
    theirs = other.answer(card_id, 5)
    assert theirs.repeat  # the same day's second answer
    store.undo_answer(mine.review_id)
    card = store.card(card_id)
    assert store.query("SELECT id, repeat FROM reviews") == [(theirs.review_id, 0)]
    assert (card.repetitions, card.due) == (1, "2026-03-11")
    assert store.replay(card_id).card_row() == store.cached_row(card_id)
    other.close()


def test_cache_equals_replay_of_the_log(store, write_deck):
    import_files(store, [write_deck(DECK)])
    rng = random.Random(3)
    start = clock.parse_moment("2025-01-01T08:00:00+08:00")
    for card_id in card_ids(store).values():
        moment = start
        for _ in range(30):
            store.answer(card_id, rng.randint(0, 5), at=moment)
            moment += timedelta(hours=rng.choice((1, 5, 30, 200)))
        assert store.replay(card_id).card_row() == store.cached_row(card_id)


def test_eight_lapses_make_a_leech_and_undo_takes_it_back(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    moment = clock.parse_moment("2026-01-01T09:00:00+01:00")
    results = []
    for _ in range(LEECH_LAPSES):
        store.answer(card_id, 5, at=moment)
        results.append(store.answer(card_id, 1, at=moment + timedelta(days=1)))
        moment += timedelta(days=2)
    assert [r.became_leech for r in results] == [False] * (LEECH_LAPSES - 1) + [True]
    card = store.card(card_id)
    assert (card.lapses, card.leech, card.suspended) == (LEECH_LAPSES, True, True)
    card = store.undo_answer(results[-1].review_id)
    assert (card.lapses, card.leech, card.suspended) == (LEECH_LAPSES - 1, False, False)


def test_config_defaults_and_validation(store):
    assert store.config() == {"rollover_hour": 4, "new_per_day": 20, "reviews_per_day": 200,
                              "sync_dir": None, "scheduler": "sm2",
                              "desired_retention": 0.9, "max_interval": 36500, "fuzz": "off"}
    store.set_config("new_per_day", 5)
    assert store.config()["new_per_day"] == 5
    with pytest.raises(StoreError):
        store.set_config("rollover_hour", 24)
    with pytest.raises(StoreError):
        store.set_config("nope", 1)


def test_database_from_a_newer_version_is_refused_untouched(tmp_path):
    db = tmp_path / "future.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = file_digest(db)
    with pytest.raises(StoreError, match="newer than this flashcards"):
        Store.open(db)
    assert file_digest(db) == before


def test_not_a_database_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not sqlite" * 100)
    with pytest.raises(StoreError, match="bogus.db"):
        Store.open(bogus)


def test_a_fresh_database_is_migrated_to_the_current_version(store):
    assert store.version == SCHEMA_VERSION
    assert store.integrity_check() == []


def test_core_modules_never_import_textual():
    package = Path(flashcards.__file__).parent
    core = sorted(path.stem for path in package.glob("*.py") if path.stem != "__main__")
    assert {"store", "scheduling", "sync", "history", "report", "cli", "cloze", "yaml_safe"} <= set(core)
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module('flashcards.' + name)\n"
        "import flashcards\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_clock_moving_backwards_keeps_the_log_in_order(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    store.answer(card_id, 5, at=clock.parse_moment("2026-03-12T09:00:00+01:00"))
    late = store.answer(card_id, 2, at=clock.parse_moment("2026-03-10T09:00:00+01:00"))
    assert late.repeat  # the day of the last answer is not counted a second time
    card = store.card(card_id)
    assert card.due == "2026-03-13"  # never scheduled before the last answer's day
    assert store.replay(card_id).card_row() == store.cached_row(card_id)
    days = store.query("SELECT day FROM reviews ORDER BY ts")
    assert days == [("2026-03-12",), ("2026-03-12",)]


def test_flying_west_the_same_evening_is_still_one_day(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    store.answer(card_id, 5, at=clock.parse_moment("2026-03-10T20:00:00+08:00"))  # Shanghai
    # Eleven hours later the flight lands in New York at 19:00 the same calendar day.
    again = store.answer(card_id, 5, at=clock.parse_moment("2026-03-10T19:00:00-05:00"))
    assert again.repeat
    # The next morning there is a new day, and the card is due from it on.
    nxt = store.answer(card_id, 5, at=clock.parse_moment("2026-03-11T08:00:00-05:00"))
    assert not nxt.repeat and nxt.due == "2026-03-17"


def test_a_card_answered_perfectly_forever_stays_schedulable(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    moment = clock.parse_moment("2026-01-01T09:00:00+01:00")
    for _ in range(40):  # SM-2's interval passes the year 9999 after ~30 of these
        result = store.answer(card_id, 5, at=moment)
        moment += timedelta(days=1)
    assert result.state.interval == MAX_INTERVAL_DAYS
    assert result.due == "2126-01-16"  # the last answer (2026-02-09) plus a hundred years
    assert store.replay(card_id).card_row() == store.cached_row(card_id)


SMALL = "deck: small\ncards:\n  - {id: a, front: 问 a, back: 答 a}\n  - {id: b, front: 问 b, back: 答 b}\n"


def active_cards(store: Store) -> list[tuple[str, str]]:
    return store.query("SELECT decks.name, cards.key FROM cards JOIN decks ON decks.id = "
                       "deck_id WHERE retired = 0 ORDER BY 1, 2")


def test_a_deck_renamed_in_its_file_is_renamed_with_its_history(store, write_deck):
    """Issue 16, item 6: `deck: small` -> `deck: Small Talk` is a rename, not a second deck."""
    path = write_deck(SMALL)
    import_files(store, [path])
    answered = store.answer(card_ids(store)["问 a"], 4)
    write_deck(SMALL.replace("deck: small", "deck: Small Talk"))
    import_files(store, [path])
    assert store.deck_names() == ["Small Talk"]
    assert active_cards(store) == [("Small Talk", "a"), ("Small Talk", "b")]
    assert store.card(answered.card_id).deck == "Small Talk"
    assert store.query("SELECT card_id FROM reviews") == [(answered.card_id,)]


def test_a_deleted_deck_file_retires_its_cards_and_a_moved_one_keeps_them(store, write_deck):
    """Issue 16, item 6: deleting a deck file, then importing its directory."""
    keep = write_deck(SMALL, "small.yaml")
    gone = write_deck(SMALL.replace("small", "gone"), "gone.yaml")
    import_files(store, [keep.parent])
    answered = store.answer(card_ids(store)["问 a"], 4)
    gone.unlink()
    keep.rename(keep.with_name("moved.yaml"))
    report = import_files(store, [keep.parent])
    assert {deck.deck: deck.retired for deck in report.decks} == {"gone": 2, "small": 0}
    assert store.deck_names() == ["small"]
    assert active_cards(store) == [("small", "a"), ("small", "b")]
    assert store.query("SELECT card_id FROM reviews") == [(answered.card_id,)]
    gone.write_text(SMALL.replace("small", "gone"), encoding="utf-8")  # it comes back
    import_files(store, [gone])
    assert store.deck_names() == ["gone", "small"]
    assert len(active_cards(store)) == 4


def test_a_second_file_claiming_a_deck_name_is_an_error_naming_both(store, write_deck):
    """Issue 16, item 6: two files, separate runs, one `deck:` name."""
    first = write_deck(SMALL, "first.yaml")
    import_files(store, [first])
    answered = store.answer(card_ids(store)["问 a"], 4)
    second = write_deck(SMALL.replace("答 a", "另一个答案"), "second.yaml")
    before = store.query("SELECT * FROM cards")
    with pytest.raises(DeckError) as error:
        import_files(store, [second])
    assert error.value.errors == [
        f"{second}:1: deck 'small' is already defined in {first.resolve()}; rename one of them"]
    assert store.query("SELECT * FROM cards") == before
    assert store.card(answered.card_id).back == "答 a"


def test_deck_counts_leave_out_buried_cards_as_the_review_does(store, write_deck):
    """Issue 16, smaller things: "new" on the home screen and in `decks`."""
    import_files(store, [write_deck(SMALL)])
    store.act([card_ids(store)["问 a"]], "bury", store.today() + timedelta(days=1))
    (summary,) = store.deck_summaries(store.today())
    assert (summary["new"], summary["cards"]) == (1, 2)


def test_a_database_file_replaced_while_open_is_never_written_blind(store, write_deck, tmp_path):
    """Issue 16, item 11: writes to a replaced file would be lost; they are refused instead."""
    import_files(store, [write_deck(SMALL)])
    card_id = card_ids(store)["问 a"]
    other = tmp_path / "other.db"
    Store.open(other).close()
    before = other.read_bytes()
    other.replace(store.path)
    with pytest.raises(StoreError, match="replaced or removed while open"):
        store.answer(card_id, 4)
    assert store.path.read_bytes() == before
    store.path.unlink()
    with pytest.raises(StoreError, match="replaced or removed while open"):
        store.set_config("new_per_day", 5)


@pytest.mark.parametrize("key, value, low, high", [
    ("new_per_day", 99999999999999999999, 0, MAX_DAILY_LIMIT),
    ("new_per_day", MAX_DAILY_LIMIT + 1, 0, MAX_DAILY_LIMIT),
    ("reviews_per_day", 2**63, 0, MAX_DAILY_LIMIT),
    ("reviews_per_day", -1, 0, MAX_DAILY_LIMIT),
    ("rollover_hour", 24, 0, 23),
])
def test_a_setting_out_of_range_is_refused_and_not_stored(store, key, value, low, high):
    with pytest.raises(StoreError) as raised:
        store.set_config(key, value)
    assert str(raised.value) == f"{key} must be a whole number from {low} to {high}"
    assert store.query("SELECT * FROM config") == []
    store.set_config(key, high)
    assert store.config()[key] == high


def test_a_setting_stored_out_of_range_is_clamped_so_the_app_starts(store, write_deck):
    """An older version took any number (99999999999999999999 crashed every start in
    islice), and a hand edit may store anything."""
    import_files(store, [write_deck(DECK)])
    for key, value in (("new_per_day", "99999999999999999999"), ("reviews_per_day", "-5"),
                       ("rollover_hour", "9" * 5000), ("nonsense", "1"), ("scheduler", "lstm"),
                       ("desired_retention", "nan"), ("max_interval", "0"), ("fuzz", "maybe"),
                       ("fsrs_parameters", "[1, 2")):
        store.conn.execute("INSERT INTO config VALUES (?, ?)", (key, value))
    store.conn.commit()
    assert store.config() == {"rollover_hour": 4, "new_per_day": MAX_DAILY_LIMIT,
                              "reviews_per_day": 0, "sync_dir": None, "scheduler": "sm2",
                              "desired_retention": 0.9, "max_interval": 1, "fuzz": "off"}
    assert store.fsrs_parameters() is None
    session = Session(store)
    assert session.counts() == {"new": 3, "review": 0, "again": 0}


def test_the_bulk_cache_is_given_back_even_after_an_error(store):
    before = store.query("PRAGMA cache_size")
    with pytest.raises(RuntimeError), store.bulk_cache():
        assert store.query("PRAGMA cache_size") == [(BULK_CACHE_KIB,)]
        raise RuntimeError
    assert store.query("PRAGMA cache_size") == before


def log_and_cards(store: Store) -> tuple[list, list]:
    """The log (without its random ids) and the cards, as stored."""
    log = store.query("SELECT card_id, reviewed_at, ts, day, quality, repeat, repetitions, "
                      "interval, easiness, due FROM reviews ORDER BY ts, card_id")
    return log, store.query("SELECT * FROM cards ORDER BY id")


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_an_answer_on_the_log_read_at_the_reveal_is_the_answer_read_at_the_key(
        tmp_path, store, write_deck, scheduler):
    """``answer(replayed=...)`` (what the app does) against ``answer`` reading the log
    itself, over the same answers on two copies of one database."""
    import_files(store, [write_deck(DECK)])
    store.set_config("scheduler", scheduler)
    store.close()
    copies = []
    for name in ("read-ahead.db", "read-at-key.db"):
        copy = tmp_path / name
        copy.write_bytes(store.path.read_bytes())
        copies.append(Store.open(copy))
    rng = random.Random(5)
    start = clock.now()
    for step in range(60):
        at = start + timedelta(days=step // 3, hours=step % 3)
        card_id = rng.choice(sorted(card_ids(copies[0]).values()))
        quality = rng.randint(0, 5)
        copies[0].answer(card_id, quality, at=at, replayed=copies[0].replayed(card_id))
        copies[1].answer(card_id, quality, at=at)
    assert log_and_cards(copies[0]) == log_and_cards(copies[1])


def test_a_log_read_before_another_write_is_read_again(store, write_deck):
    """Written meanwhile, by another connection or by this one: the answer builds on the
    log as it is now, not as it was read."""
    import_files(store, [write_deck(DECK)])
    card_id = card_ids(store)["1 + 1 = ?"]
    start = clock.now()
    stale = store.replayed(card_id)
    other = Store.open(store.path)
    other.answer(card_id, 5, at=start)
    other.close()
    store.answer(card_id, 5, at=start + timedelta(days=1), replayed=stale)
    assert store.card(card_id).repetitions == 2
    stale = store.replayed(card_id)
    store.act([card_id], "forget", at=start + timedelta(days=2))
    store.answer(card_id, 5, at=start + timedelta(days=3), replayed=stale)
    assert store.card(card_id).repetitions == 1
    assert store.replay(card_id).card_row() == store.cached_row(card_id)

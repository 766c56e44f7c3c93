"""A new deck streamed in: its cards written by a thread while the rest of its file is read.

Whatever goes wrong on the way (a problem late in the file, text the fast path does not read,
a failed write, Ctrl-C), the database is left as it was and the problems come out as they do
for a deck read whole.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import threading

import pytest

from benchmarks.generate import card_yaml
from flashcards import decks, sync
from flashcards.decks import DeckError
from flashcards.search import find_cards
from flashcards.store import Store
from flashcards.sync import import_files

# More cards than two statements write (5,000 each): some are written before the file is
# all read.
BIG = 12_000
# Each generated entry is 9 lines; the first starts on line 3 (after `deck:` and `cards:`).
ENTRY_LINES = 9


def big_deck(cards: int = BIG, name: str = "big", last: str = "") -> str:
    """A deck of ``cards`` generated entries, then ``last`` (an entry of its own, if any)."""
    return f"deck: {name}\ncards:\n" + "".join(map(card_yaml, range(cards))) + last


def contents(store: Store) -> list:
    """Everything an import writes: cards, decks, sources, and the search index."""
    return [store.query(f"SELECT * FROM {table} ORDER BY 1")
            for table in ("cards", "decks", "sources", "card_search_terms")]


@pytest.fixture
def writes(monkeypatch) -> list[str]:
    """The name of the thread of each statement of new cards."""
    names: list[str] = []
    insert = sync._insert_cards

    def spy(store, rows):
        names.append(threading.current_thread().name)
        insert(store, rows)

    monkeypatch.setattr(sync, "_insert_cards", spy)
    return names


@pytest.fixture
def before(store: Store, write_deck) -> list:
    """The store holding a small deck already: what must be left as it is."""
    import_files(store, [write_deck("deck: small\ncards:\n  - {front: a, back: b}\n", "s.yaml")])
    return contents(store)


def test_a_new_deck_is_written_by_a_thread_as_the_same_rows_as_read_whole(
    store, write_deck, writes, tmp_path
) -> None:
    path = write_deck(big_deck())
    report = import_files(store, [path])
    assert report.decks[0].added == BIG
    assert set(writes) == {"import writer"} and len(writes) == 3  # 5,000, 5,000, 2,000
    whole = Store.open(tmp_path / "whole.db")
    sync.sync(whole, [decks.load_deck(path)])
    assert contents(store)[:2] == contents(whole)[:2]
    assert contents(store)[3] == contents(whole)[3]  # the search index too
    assert [row[0] for row in find_cards(store, f"第 {BIG - 1} 题")] == [BIG]
    whole.close()


def test_the_thread_leaves_no_trace(store, write_deck) -> None:
    interval, threads = sys.getswitchinterval(), threading.active_count()
    import_files(store, [write_deck(big_deck())])
    assert sys.getswitchinterval() == interval
    assert threading.active_count() == threads
    assert gc.isenabled()


def test_a_problem_late_in_a_streamed_deck_leaves_the_database_as_it_was(
    store, write_deck, before, writes
) -> None:
    path = write_deck(big_deck(last="  - front: no back\n"))
    with pytest.raises(DeckError) as error:
        import_files(store, [path])
    assert writes  # cards had been written before the problem was found
    line = 3 + BIG * ENTRY_LINES
    problem = "missing 'back' (or mark the card 'draft: true')"
    assert error.value.errors == [f"{path}:{line}: card {BIG + 1}: {problem}"]
    assert contents(store) == before


def test_every_file_s_problems_are_reported_when_a_streamed_one_has_some(
    store, write_deck, before
) -> None:
    late = write_deck(big_deck(last="  - front: no back\n"), "late.yaml")
    early = write_deck("deck: early\nnew_per_day: -1\ncards: []\n", "early.yaml")
    with pytest.raises(DeckError) as error:
        import_files(store, [late, early])
    assert [problem.split(": ")[0] for problem in error.value.errors] == [
        f"{late}:{3 + BIG * ENTRY_LINES}", f"{early}:2"]
    assert contents(store) == before


def test_text_the_fast_path_does_not_read_late_in_a_deck_is_read_again_whole(
    store, write_deck, writes
) -> None:
    # A number: the fast path cannot tell how it was written; the strict reader keeps "42".
    path = write_deck(big_deck(last="  - front: the answer\n    back: 42\n"))
    report = import_files(store, [path])
    assert report.decks[0].added == BIG + 1
    assert store.query("SELECT back FROM cards WHERE front = 'the answer'") == [("42",)]
    assert "import writer" in writes and "MainThread" in writes  # streamed, then read whole


def test_a_streamed_deck_s_bytes_are_told_as_its_cards_are_read(store, write_deck) -> None:
    path = write_deck(big_deck())
    other = write_deck("deck: small\ncards:\n  - front: a\n    back: b\n", "small.yaml")
    told: list[int] = []
    import_files(store, [path, other], on_read=told.append)
    assert all(count > 0 for count in told)
    assert sum(told) == path.stat().st_size + other.stat().st_size
    # The big deck's bytes (3.4 MB) come a piece at a time, as its cards are read and
    # handed to the writer: a progress bar never waits at its end while they are written.
    assert len(told) >= 4 and max(told) < path.stat().st_size / 2


def test_a_deck_read_again_whole_takes_back_what_its_streaming_told(
    store, write_deck
) -> None:
    path = write_deck(big_deck(last="  - front: the answer\n    back: 42\n"))
    told: list[int] = []
    import_files(store, [path], on_read=told.append)
    assert any(count < 0 for count in told)
    assert sum(told) == path.stat().st_size


def test_a_streamed_deck_counts_its_drafts(store, write_deck) -> None:
    report = import_files(store, [write_deck(big_deck(last="  - front: later\n    draft: true\n"))])
    assert report.decks[0].drafts == 1
    assert store.query("SELECT drafts FROM decks WHERE name = 'big'") == [(1,)]


def test_a_failed_write_in_the_thread_is_raised_and_undoes_everything(
    store, write_deck, before, monkeypatch
) -> None:
    insert, calls = sync._insert_cards, []

    def failing(store, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        insert(store, rows)

    monkeypatch.setattr(sync, "_insert_cards", failing)
    threads = threading.active_count()
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        import_files(store, [write_deck(big_deck())])
    assert contents(store) == before
    assert threading.active_count() == threads
    assert gc.isenabled()  # the deck, left half-read, was closed


def test_ctrl_c_while_a_deck_is_streamed_in_writes_nothing(
    store, write_deck, before, writes, monkeypatch
) -> None:
    entry = decks._fast_entry

    def interrupted(values, line, position):
        if position == BIG - 10:
            raise KeyboardInterrupt
        return entry(values, line, position)

    monkeypatch.setattr(decks, "_fast_entry", interrupted)
    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        import_files(store, [write_deck(big_deck())])
    assert writes
    assert contents(store) == before
    assert threading.active_count() == threads
    assert gc.isenabled()


def test_statements_hold_no_more_parameters_than_sqlite_takes(store, write_deck, writes) -> None:
    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)  # SQLite's default build
    report = import_files(store, [write_deck(big_deck())])
    assert report.decks[0].added == BIG
    assert len(writes) == 5  # 2,730 rows of 12 values at most

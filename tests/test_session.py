"""The review queue: order, daily limits, siblings, same-day repeats, undo."""

from __future__ import annotations

import pytest

from flashcards import clock
from flashcards.session import AGAIN, NEW, REVIEW, CardGone, Session
from flashcards.store import Store
from flashcards.sync import import_files

NOTES = """\
deck: 基础
cards:
  - id: a
    front: 正向 A
    back: 反向 A
    reverse: true
  - id: b
    cloze: "{{c1::KV Cache}} 缓存 {{c2::K 和 V}}"
  - id: c
    front: 问题 C
    back: 答案 C
  - id: d
    front: 问题 D
    back: 答案 D
"""


@pytest.fixture
def loaded(store, write_deck):
    import_files(store, [write_deck(NOTES)])
    return store


def key_of(session: Session) -> str:
    return session.current.key


def test_new_cards_in_deck_order_without_siblings(loaded):
    session = Session(loaded)
    assert [loaded.card(i).key for i, _ in session.queue] == ["a", "b::c1", "c", "d"]
    assert session.counts() == {NEW: 4, REVIEW: 0, AGAIN: 0}


def test_due_cards_come_first_most_overdue_first(loaded, monkeypatch):
    ids = {loaded.card(i).key: i for i, _ in Session(loaded).queue}
    loaded.answer(ids["d"], 5, at=clock.parse_moment("2026-03-01T09:00:00+01:00"))
    loaded.answer(ids["c"], 5, at=clock.parse_moment("2026-03-05T09:00:00+01:00"))
    session = Session(loaded)
    assert [(loaded.card(i).key, kind) for i, kind in session.queue[:2]] == [
        ("d", REVIEW), ("c", REVIEW)]


def test_global_and_deck_new_limits(loaded, write_deck):
    loaded.set_config("new_per_day", 3)
    assert Session(loaded).counts()[NEW] == 3
    import_files(loaded, [write_deck(NOTES.replace("deck: 基础", "deck: 基础\nnew_per_day: 1"))])
    session = Session(loaded)
    assert session.counts()[NEW] == 1
    session.answer(5)
    assert Session(loaded).counts()[NEW] == 0  # today's answer counts against the limit


def test_a_grade_below_4_comes_back_until_4_or_5(loaded):
    session = Session(loaded)
    first = session.current
    result = session.answer(3)
    assert not result.repeat
    assert session.queue[-1] == (first.id, AGAIN)
    for _ in range(3):
        session.answer(5)
    assert session.current.id == first.id and session.is_repeat()
    assert session.intervals() == {q: 1 for q in range(6)}
    repeat = session.answer(2)
    assert repeat.repeat and repeat.state == result.state
    assert session.current.id == first.id
    session.answer(4)
    assert session.current is None


def test_cards_left_to_repeat_survive_a_restart_the_same_day(loaded):
    session = Session(loaded)
    card = session.current
    session.answer(1)
    again = Session(loaded)
    assert (card.id, AGAIN) in again.queue
    assert again.counts()[NEW] == 3


def test_undo_puts_the_card_back_with_its_state(loaded):
    session = Session(loaded)
    card = session.current
    session.answer(5)
    assert session.current.id != card.id
    assert session.undo() == "answer"
    assert session.current == card
    assert loaded.card(card.id).due is None
    assert loaded.query("SELECT count(*) FROM reviews") == [(0,)]


def test_suspend_and_bury_hide_the_card_and_can_be_undone(loaded):
    session = Session(loaded)
    suspended = session.suspend()
    buried = session.bury()
    assert suspended.id not in [i for i, _ in Session(loaded).queue]
    assert buried.id not in [i for i, _ in Session(loaded).queue]
    assert session.undo() == "bury"
    assert session.undo() == "suspend"
    assert session.current.id == suspended.id
    assert len(Session(loaded).queue) == 4


def test_buried_cards_return_the_next_day(loaded, monkeypatch):
    buried = Session(loaded).bury()
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-11T09:00:00+01:00")
    assert buried.id in [i for i, _ in Session(loaded).queue]


def test_intervals_preview_each_grade(loaded):
    session = Session(loaded)
    assert session.intervals() == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


def test_summary(loaded):
    session = Session(loaded)
    session.answer(5)
    session.answer(2)
    session.answer(4)
    session.answer(5)
    session.answer(4)
    summary = session.summary()
    assert (summary.answers, summary.cards) == (5, 4)
    assert summary.accuracy == 0.75
    assert summary.grades[4] == 2
    assert summary.due_tomorrow == 4
    assert session.current is None


def test_deck_limits_keep_the_order_across_decks(store, write_deck):
    cards = "".join(f"  - {{id: c{n}, front: 问 {n}, back: 答 {n}}}\n" for n in range(3))
    import_files(store, [
        write_deck(f"deck: 甲\nreviews_per_day: 1\ncards:\n{cards}", "a.yaml"),
        write_deck(f"deck: 乙\nreviews_per_day: 9\ncards:\n{cards}", "b.yaml"),
    ])
    answered = {}
    for day, (name, n) in enumerate([("乙", 0), ("甲", 0), ("乙", 1), ("甲", 1), ("乙", 2)]):
        card = next(store.iter_cards("decks.name = ? AND cards.key = ?", (name, f"c{n}")))
        store.answer(card.id, 4, at=clock.parse_moment(f"2026-03-0{day + 1}T09:00:00+01:00"))
        answered[card.id] = (name, n)
    session = Session(store)
    reviews = [answered[card_id] for card_id, kind in session.queue if kind == REVIEW]
    # Most overdue first across decks; 甲 stops after its one review a day.
    assert reviews == [("乙", 0), ("甲", 0), ("乙", 1), ("乙", 2)]


def two_decks(store, write_deck, new_per_day=3):
    cards = "".join(f"  - {{id: c{n}, front: 问 {n}, back: 答 {n}}}\n" for n in range(5))
    import_files(store, [write_deck(f"deck: 甲\ncards:\n{cards}", "a.yaml"),
                         write_deck(f"deck: 乙\ncards:\n{cards}", "b.yaml")])
    store.set_config("new_per_day", new_per_day)


def answer_all(session: Session) -> int:
    answered = 0
    while session.current is not None:
        session.answer(5)
        answered += 1
    return answered


def test_the_global_limits_cap_the_whole_day_whatever_deck_is_reviewed(store, write_deck):
    """Issue 16, item 2: 'review all', then one deck, then another: 3 new cards in all."""
    two_decks(store, write_deck)
    assert answer_all(Session(store)) == 3
    assert Session(store, "甲").counts()[NEW] == 0
    assert Session(store, "乙").counts()[NEW] == 0
    store.set_config("new_per_day", 20)  # 17 left today: all five of 乙
    assert Session(store, "乙").counts()[NEW] == 5


def test_two_apps_on_one_database_share_the_days_limit(store, write_deck):
    """Issue 16, item 2: each app built a queue of 3 new cards; only 3 are answered."""
    two_decks(store, write_deck)
    other = Store.open(store.path)
    mine, theirs = Session(store), Session(other)
    assert mine.counts()[NEW] == theirs.counts()[NEW] == 3
    assert answer_all(mine) == 3
    with pytest.raises(CardGone):
        theirs.answer(4)
    assert theirs.current is None
    assert store.query("SELECT count(*) FROM reviews") == [(3,)]
    other.close()


def test_a_card_retired_by_another_process_is_skipped_not_answered(store, write_deck):
    """Issue 16, item 7: an import in another terminal retires the current card."""
    path = write_deck(NOTES)
    import_files(store, [path])
    session = Session(store)
    current = session.current
    other = Store.open(store.path)
    path.write_text(NOTES.replace("  - id: a\n    front: 正向 A\n    back: 反向 A\n"
                                  "    reverse: true\n", ""), encoding="utf-8")
    import_files(other, [path])
    with pytest.raises(CardGone):
        session.answer(5)
    assert store.query("SELECT count(*) FROM reviews") == [(0,)]
    assert session.current.id != current.id
    session.answer(5)  # the next card is answered as usual
    assert store.query("SELECT count(*) FROM reviews") == [(1,)]
    other.close()

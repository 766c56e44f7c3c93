"""Time, simulated sitting by sitting: DST changes, a time-zone change between sittings and a
clock that goes back. No day is counted twice or skipped, no card is scheduled before the
day of its last answer, and nothing crashes.

Each sitting sets FLASHCARDS_NOW to a local wall-clock time with the UTC offset the zone has
at that moment, builds a Session and answers its whole queue (cards graded below 4 come
back and get a 4), as a user would.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from flashcards.session import NEW, REVIEW, Session
from flashcards.stats import compute_stats
from flashcards.store import Store
from flashcards.sync import import_files

CARDS = 70
# One new card a day, so every simulated day has at least one answer.
DECK = "deck: 时间\nnew_per_day: 1\ncards:\n" + "".join(
    f"  - {{id: c{n}, front: 问题 {n}, back: 答案 {n}}}\n" for n in range(CARDS)
)
ROLLOVER = 4  # the default rollover hour
# Sitting times: before 4 am a sitting still counts for the evening before.
TIMES = (time(0, 30), time(3, 59), time(4, 0), time(23, 59))


@pytest.fixture
def loaded(store: Store, write_deck) -> Store:
    import_files(store, [write_deck(DECK)])
    # Thousands of answers: no fsync for each (durability is not what these tests are about).
    store.conn.execute("PRAGMA synchronous = OFF")
    return store


def wall_clock(day: date, at: time, zone: str, fold: int = 0) -> datetime:
    """The moment a sitting at local time ``at`` of study day ``day`` happens in ``zone``:
    after midnight and before the rollover, that is the next calendar date."""
    calendar = day + timedelta(days=1) if at.hour < ROLLOVER else day
    return datetime.combine(calendar, at, tzinfo=ZoneInfo(zone)).replace(fold=fold)


class Sitter:
    """Sits down at given moments and answers everything the session shows."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch, seed: int = 6) -> None:
        self.store = store
        self.monkeypatch = monkeypatch
        self.rng = random.Random(seed)
        self.expected_day: dict[str, date] = {}  # review id -> the study day it belongs to
        self.todays: list[date] = []

    def set_clock(self, moment: datetime) -> None:
        self.monkeypatch.setenv("FLASHCARDS_NOW", moment.isoformat())

    def sit(self, moment: datetime, expected: date | None = None) -> Session:
        """One sitting starting at ``moment``, a tenth of a second per answer."""
        self.set_clock(moment)
        session = Session(self.store)
        self.todays.append(session.today)
        if expected is not None:
            assert session.today == expected
        for card_id, kind in session.queue:
            card = self.store.card(card_id)
            if kind == NEW:
                assert card.due is None
            elif kind == REVIEW:  # a review is never shown before its day
                assert card.due <= session.today.isoformat()
        for number in range(1, 1000):
            if session.current is None:
                break
            self.set_clock(moment + timedelta(milliseconds=100 * number))
            quality = 4 if session.is_repeat() else self.rng.choice([1, 3, 4, 4, 5, 5])
            result = session.answer(quality)
            if expected is not None:
                self.expected_day[result.review_id] = expected
        assert session.current is None
        return session


def log(store: Store) -> list[tuple]:
    """(review id, card id, day, due, repeat, ts) of every review in log order."""
    return store.query("SELECT id, card_id, day, due, repeat, ts FROM reviews ORDER BY ts, id")


def check_log_is_consistent(store: Store) -> None:
    """Per card: time order and days that never go back, one first answer per day, every
    due after the day it was set, and the cached state equal to the replayed log."""
    last: dict[int, tuple[int, str]] = {}
    firsts: set[tuple[int, str]] = set()
    for _, card_id, day, due, repeat, ts in log(store):
        if card_id in last:
            assert ts > last[card_id][0] and day >= last[card_id][1]
        last[card_id] = (ts, day)
        assert due > day  # never scheduled for the day it was answered, or before
        if not repeat:
            assert (card_id, day) not in firsts  # no day counted twice for a card
            firsts.add((card_id, day))
        else:
            assert (card_id, day) in firsts  # a repeat follows that day's first answer
    for card_id, (_, day) in last.items():
        card = store.card(card_id)
        assert card.due > day
        assert store.replay(card_id).card_row() == store.cached_row(card_id)


def study_days(store: Store) -> list[date]:
    return [date.fromisoformat(row[0]) for row in store.query(
        "SELECT DISTINCT day FROM reviews ORDER BY day")]


def consecutive(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


# -- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
@pytest.mark.parametrize(
    "first_day",
    [
        date(2026, 2, 20),  # through spring forward: 8 Mar (New York), 29 Mar (Berlin)
        date(2026, 10, 1),  # through fall back: 25 Oct (Berlin), 1 Nov (New York)
    ],
)
def test_sixty_days_of_sittings_through_a_dst_change(loaded, monkeypatch, zone, first_day):
    sitter = Sitter(loaded, monkeypatch)
    days = consecutive(first_day, 60)
    for number, day in enumerate(days):
        sitter.sit(wall_clock(day, TIMES[number % len(TIMES)], zone), expected=day)

    rows = log(loaded)
    assert {row[0]: date.fromisoformat(row[2]) for row in rows} == sitter.expected_day
    assert study_days(loaded) == days  # each day once, none skipped
    check_log_is_consistent(loaded)
    figures = compute_stats(loaded, today=days[-1])
    totals = figures.totals
    assert (totals.streak, totals.longest_streak, totals.studied_today) == (60, 60, True)
    assert sum(day.reviews for day in figures.heatmap) == totals.reviews == len(rows)
    assert sum(day.reviews > 0 for day in figures.heatmap) == 60


@pytest.mark.parametrize(
    "zone, change",
    [
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
    ],
)
def test_sittings_in_the_missing_or_repeated_hour_of_a_dst_change(loaded, monkeypatch, zone,
                                                                  change):
    """02:30 does not exist on a spring-forward night and happens twice on a fall-back night;
    either way it is before the rollover, so it belongs to the evening before."""
    sitter = Sitter(loaded, monkeypatch)
    evening = change - timedelta(days=1)
    sitter.sit(wall_clock(evening, time(21, 0), zone), expected=evening)
    sitter.sit(wall_clock(evening, time(2, 30), zone, fold=0), expected=evening)
    sitter.sit(wall_clock(evening, time(2, 30), zone, fold=1), expected=evening)
    sitter.sit(wall_clock(change, time(4, 0), zone), expected=change)
    sitter.sit(wall_clock(change, time(23, 0), zone), expected=change)
    assert study_days(loaded) == [evening, change]
    check_log_is_consistent(loaded)
    assert compute_stats(loaded, today=change).totals.streak == 2


# -- a time-zone change between sittings ----------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_flying_west_the_same_date_is_still_the_same_day(loaded, monkeypatch):
    """23:00 in Shanghai, then 08:00 the same date in New York (two hours *earlier* in UTC),
    then 08:00 the next morning there."""
    sitter = Sitter(loaded, monkeypatch)
    shanghai = sitter.sit(at("2026-03-10T23:00:00+08:00"), expected=date(2026, 3, 10))
    answered = {answer.card_id for answer in shanghai.answers}
    landed = sitter.sit(at("2026-03-10T08:00:00-05:00"), expected=date(2026, 3, 10))
    # The same study day: the new card of the day is taken, nothing answered is due again.
    assert landed.queue == [] and landed.answers == []
    morning = sitter.sit(at("2026-03-11T08:00:00-05:00"), expected=date(2026, 3, 11))
    assert answered <= {answer.card_id for answer in morning.answers}  # due after 1 day
    assert study_days(loaded) == [date(2026, 3, 10), date(2026, 3, 11)]
    check_log_is_consistent(loaded)
    assert compute_stats(loaded, today=date(2026, 3, 10)).totals.streak == 1
    assert compute_stats(loaded, today=date(2026, 3, 11)).totals.streak == 2


def test_flying_east_overnight_is_the_next_day(loaded, monkeypatch):
    """20:00 in New York, then 15:00 the next date in Shanghai (only six hours later)."""
    sitter = Sitter(loaded, monkeypatch)
    sitter.sit(at("2026-03-10T20:00:00-05:00"), expected=date(2026, 3, 10))
    shanghai = sitter.sit(at("2026-03-11T15:00:00+08:00"), expected=date(2026, 3, 11))
    assert len(shanghai.answers) >= 2  # the new card of the day, and yesterday's card again
    # 02:00 the next night in Shanghai is still the evening of the 11th.
    late = sitter.sit(at("2026-03-12T02:00:00+08:00"), expected=date(2026, 3, 11))
    assert late.answers == []
    assert study_days(loaded) == [date(2026, 3, 10), date(2026, 3, 11)]
    check_log_is_consistent(loaded)


# -- the clock moving backwards -------------------------------------------------------------


def test_clock_back_by_hours_between_sittings_counts_nothing_twice(loaded, monkeypatch):
    sitter = Sitter(loaded, monkeypatch)
    evening = sitter.sit(at("2026-03-10T20:00:00+01:00"), expected=date(2026, 3, 10))
    before = compute_stats(loaded).totals
    morning = sitter.sit(at("2026-03-10T10:00:00+01:00"), expected=date(2026, 3, 10))
    assert morning.answers == []
    assert compute_stats(loaded).totals == before
    # An answer given with the clock ten hours back is a repeat of that day, after the others.
    card_id = evening.answers[0].card_id
    late = loaded.answer(card_id, 1)
    assert late.repeat and late.due == loaded.card(card_id).due
    check_log_is_consistent(loaded)


def test_clock_back_by_days_between_sittings(loaded, monkeypatch):
    sitter = Sitter(loaded, monkeypatch)
    days = consecutive(date(2026, 3, 10), 5)
    for day in days:
        sitter.sit(wall_clock(day, time(9, 0), "Europe/Berlin"), expected=day)
    # Back three days: the sitting builds, shows nothing already done that day, and the
    # reviews of the "future" days are neither lost nor counted for the day shown.
    back = days[1]
    sitter.sit(wall_clock(back, time(9, 0), "Europe/Berlin"), expected=back)
    figures = compute_stats(loaded, today=back)
    on_back_day = loaded.query("SELECT count(*) FROM reviews WHERE day = ?", (back.isoformat(),))
    assert figures.totals.reviews_today == on_back_day[0][0]
    until_back = loaded.query("SELECT count(*) FROM reviews WHERE day <= ?", (back.isoformat(),))
    assert sum(day.reviews for day in figures.heatmap) == until_back[0][0]
    assert figures.totals.streak == 2
    # Every card answered "in the future" keeps its day; one more answer now is a repeat.
    latest = loaded.query(
        "SELECT card_id, max(day) FROM reviews GROUP BY card_id HAVING max(day) = ?",
        (days[-1].isoformat(),),
    )
    for card_id, day in latest:
        due = loaded.card(card_id).due
        result = loaded.answer(card_id, 0)
        assert result.repeat and result.due == due > day
    check_log_is_consistent(loaded)
    # The clock comes right again: the next day is the sixth in a row.
    sitter.sit(wall_clock(days[-1] + timedelta(days=1), time(9, 0), "Europe/Berlin"))
    check_log_is_consistent(loaded)
    assert study_days(loaded) == consecutive(days[0], 6)
    assert compute_stats(loaded, today=days[-1] + timedelta(days=1)).totals.streak == 6


def test_clock_back_by_days_during_a_sitting(loaded, monkeypatch):
    """The sitting was built on the 12th; while it runs the clock jumps back to the 10th."""
    sitter = Sitter(loaded, monkeypatch)
    sitter.sit(at("2026-03-11T09:00:00+01:00"), expected=date(2026, 3, 11))
    sitter.set_clock(at("2026-03-12T09:00:00+01:00"))
    session = Session(loaded)
    assert session.today == date(2026, 3, 12)
    sitter.set_clock(at("2026-03-10T09:00:00+01:00"))
    while session.current is not None:
        session.answer(4 if session.is_repeat() else 2)
    check_log_is_consistent(loaded)
    # Cards answered on the 11th keep their order: their new answers count on the 11th.
    for answer in session.answers:
        days = [row[0] for row in loaded.query(
            "SELECT day FROM reviews WHERE card_id = ? ORDER BY ts", (answer.card_id,))]
        assert days == sorted(days) and days[-1] >= "2026-03-10"
    undone = session.undo()
    assert undone == "answer"
    check_log_is_consistent(loaded)
    assert Session(loaded).queue is not None  # builds again, on the 10th


def test_a_sitting_that_runs_past_the_rollover(store, write_deck, monkeypatch):
    """Started at 03:50, still going at 04:10: later answers count for the new day, a card
    buried then stays hidden for the whole new day, and "due tomorrow" means the day after it."""
    import_files(store, [write_deck("deck: d\ncards:\n" + "".join(
        f"  - {{front: q{n}, back: a{n}}}\n" for n in range(4)))])
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-11T03:50:00+01:00")
    session = Session(store)
    assert session.today == date(2026, 3, 10) and len(session.queue) == 4
    before = session.answer(5)
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-11T04:10:00+01:00")
    after = session.answer(5)
    days = dict(store.query("SELECT id, day FROM reviews"))
    assert days == {before.review_id: "2026-03-10", after.review_id: "2026-03-11"}
    buried = session.bury()
    assert [store.card(card_id).key for card_id, _ in Session(store).queue] == [
        store.card(before.card_id).key,  # due on the 11th
        *(store.card(card_id).key for card_id, _ in session.queue),  # the last new card
    ]
    assert buried.id not in [card_id for card_id, _ in Session(store).queue]
    assert session.summary().due_tomorrow == store.count_due(date(2026, 3, 12)) == 2
    check_log_is_consistent(store)

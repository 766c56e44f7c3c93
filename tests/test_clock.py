"""Study days: the rollover hour, DST, time-zone travel, FLASHCARDS_NOW."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flashcards import clock


def test_now_follows_flashcards_now():
    assert clock.now() == datetime(2026, 3, 10, 9, tzinfo=timezone(timedelta(hours=1)))


def test_bad_flashcards_now_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "tomorrow")
    with pytest.raises(clock.ClockError, match="FLASHCARDS_NOW"):
        clock.now()


def test_z_suffix_is_utc():
    assert clock.parse_moment("2026-01-01T00:00:00Z").utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "moment, day",
    [
        ("2026-03-10T03:59:00+08:00", date(2026, 3, 9)),  # late night counts for the evening
        ("2026-03-10T04:00:00+08:00", date(2026, 3, 10)),
        ("2026-03-10T23:59:00-05:00", date(2026, 3, 10)),
    ],
)
def test_rollover_hour(moment, day):
    assert clock.study_day(clock.parse_moment(moment)) == day


def test_rollover_hour_is_configurable():
    moment = clock.parse_moment("2026-03-10T05:00:00+00:00")
    assert clock.study_day(moment, rollover_hour=6) == date(2026, 3, 9)
    assert clock.study_day(moment, rollover_hour=0) == date(2026, 3, 10)


@pytest.mark.parametrize(
    "zone, start",
    [
        ("America/New_York", datetime(2026, 3, 6, tzinfo=UTC)),  # spring forward 8 Mar
        ("America/New_York", datetime(2026, 10, 30, tzinfo=UTC)),  # fall back 1 Nov
        ("Europe/Berlin", datetime(2026, 3, 27, tzinfo=UTC)),  # 29 Mar
        ("Europe/Berlin", datetime(2026, 10, 23, tzinfo=UTC)),  # 25 Oct
    ],
)
def test_dst_changes_never_skip_or_double_a_day(zone, start):
    days = [
        clock.study_day((start + timedelta(minutes=15 * i)).astimezone(ZoneInfo(zone)))
        for i in range(4 * 24 * 5)
    ]
    distinct = sorted(set(days))
    assert days == sorted(days)  # never goes back
    assert distinct == [distinct[0] + timedelta(days=n) for n in range(len(distinct))]
    # Every full day has the hours its wall clock shows (23, 24 or 25), none split in two.
    assert all(days.count(day) >= 23 * 4 for day in distinct[1:-1])


@pytest.mark.parametrize("text", [
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00",
    "9999-12-31T23:59:59", "1969-12-31T23:59:59+00:00", "1970-01-01T00:30:00+01:00",
    "2200-01-01T00:00:00Z",
])
def test_a_moment_outside_1970_to_2199_is_refused(monkeypatch, text):
    """Near year 1 or 9999 the study day and due days would run off the calendar
    (OverflowError); the range leaves a century of intervals on either side."""
    monkeypatch.setenv("FLASHCARDS_NOW", text)
    with pytest.raises(clock.ClockError) as raised:
        clock.today()
    assert str(raised.value) == f"FLASHCARDS_NOW must be a time from 1970 to 2199, not {text!r}"


def test_the_ends_of_the_range_are_usable(monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "2199-12-31T23:59:59.999+00:00")
    assert clock.today() == date(2199, 12, 31)
    assert clock.parse_moment("1970-01-01T00:00:00Z").timestamp() == 0

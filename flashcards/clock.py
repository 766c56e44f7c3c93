"""The one place that reads the current time and turns moments into study days.

A study day is the local calendar day shifted by a rollover hour (default 4 am), so a
session at 1 am still counts for the evening before. The day is computed from the wall
clock of the moment in its own UTC offset, which is why a DST change or a flight to
another time zone never skips or doubles a day: the wall clock only ever shows one date
for a given hour, whatever the offset.

``FLASHCARDS_NOW`` (ISO 8601 with offset) overrides "now" for tests and simulations.

Every moment that enters the app (``FLASHCARDS_NOW``, an imported review) lies from 1970 to
2199: near year 1 or 9999, the study-day and due-day arithmetic would run off the calendar.
"""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, date, datetime, timedelta

DEFAULT_ROLLOVER_HOUR = 4
# The moments the app accepts, from the epoch (log times are ms since then) to 2200: with a
# century of interval on top (scheduling.MAX_INTERVAL_DAYS) a due day stays far from 9999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # excluded


class ClockError(ValueError):
    """FLASHCARDS_NOW does not hold a usable ISO 8601 moment."""


def now() -> datetime:
    """The current moment, aware, in the local UTC offset (or FLASHCARDS_NOW)."""
    fixed = os.environ.get("FLASHCARDS_NOW")
    if fixed:
        return parse_moment(fixed, what="FLASHCARDS_NOW")
    return datetime.now().astimezone()


def parse_moment(text: str, what: str = "time") -> datetime:
    """An aware datetime from ISO 8601 text entering the app; a moment without an offset is
    local time. One outside ``EARLIEST``..``LATEST`` is a ``ClockError`` naming ``what``."""
    moment = _from_iso(text, what)
    # The wall-clock year first: making a moment near year 1 or 9999 aware overflows.
    if EARLIEST.year <= moment.year < LATEST.year:
        moment = moment if moment.tzinfo else moment.astimezone()
        if EARLIEST <= moment < LATEST:
            return moment
    raise ClockError(f"{what} must be a time from {EARLIEST.year} to {LATEST.year - 1}, "
                     f"not {text!r}")


def stored_moment(text: str) -> datetime:
    """A moment as the store keeps it (ISO 8601 with offset), not range-checked: it was
    checked when it entered, and an older database must still load."""
    moment = _from_iso(text, "stored time")
    return moment if moment.tzinfo else moment.astimezone()


def _from_iso(text: str, what: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(f"{what}: not an ISO 8601 time: {text!r}") from None


def study_day(moment: datetime, rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The study day a moment belongs to, from its own wall clock and the rollover hour
    (arithmetic on an aware datetime is on its wall clock: no conversion)."""
    return (moment - _hours(rollover_hour)).date()


@functools.cache
def _hours(hours: int) -> timedelta:
    """A timedelta of whole hours, made once (a replay asks it of every answer)."""
    return timedelta(hours=hours)


def today(rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The current study day."""
    return study_day(now(), rollover_hour)


def iso(moment: datetime) -> str:
    """A moment as ISO 8601 text with its UTC offset, to the millisecond."""
    return moment.isoformat(timespec="milliseconds")


def monotonic() -> float:
    """Seconds on a clock that never goes back, for measuring how long an answer took."""
    return time.monotonic()

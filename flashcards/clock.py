"""The one place that reads the current time and turns moments into study days.

A study day is the local calendar day shifted by a rollover hour (default 4 am), so a
session at 1 am still counts for the evening before. The day is computed from the wall
clock of the moment in its own UTC offset, which is why a DST change or a flight to
another time zone never skips or doubles a day: the wall clock only ever shows one date
for a given hour, whatever the offset.

``FLASHCARDS_NOW`` (ISO 8601 with offset) overrides "now" for tests and simulations.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta

DEFAULT_ROLLOVER_HOUR = 4


class ClockError(ValueError):
    """FLASHCARDS_NOW does not hold a usable ISO 8601 moment."""


def now() -> datetime:
    """The current moment, aware, in the local UTC offset (or FLASHCARDS_NOW)."""
    fixed = os.environ.get("FLASHCARDS_NOW")
    if fixed:
        return parse_moment(fixed, what="FLASHCARDS_NOW")
    return datetime.now().astimezone()


def parse_moment(text: str, what: str = "time") -> datetime:
    """An aware datetime from ISO 8601 text; a moment without an offset is local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(f"{what}: not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def study_day(moment: datetime, rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The study day a moment belongs to, from its own wall clock and the rollover hour."""
    return (moment.replace(tzinfo=None) - timedelta(hours=rollover_hour)).date()


def today(rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The current study day."""
    return study_day(now(), rollover_hour)


def iso(moment: datetime) -> str:
    """A moment as ISO 8601 text with its UTC offset, to the millisecond."""
    return moment.isoformat(timespec="milliseconds")


def monotonic() -> float:
    """Seconds on a clock that never goes back, for measuring how long an answer took."""
    return time.monotonic()

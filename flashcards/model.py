"""The records the layers hand each other: cards, answers, reports, figures. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flashcards.sm2 import SM2State


@dataclass(frozen=True, slots=True)
class Card:
    """A card as the session and the UI see it."""

    id: int
    deck: str
    key: str
    note_key: str
    kind: str
    front: str
    back: str
    tags: tuple[str, ...]
    source: str
    file: str | None
    line: int | None
    repetitions: int
    interval: int
    easiness: float
    due: str | None
    lapses: int
    suspended: bool
    leech: bool
    stability: float | None = None  # FSRS's memory state; None under SM-2
    difficulty: float | None = None

    @property
    def state(self) -> SM2State:
        """The card's SM-2 state."""
        return SM2State(self.repetitions, self.interval, self.easiness)


@dataclass(frozen=True)
class Search:
    """A compiled search query (see ``flashcards.search``): an SQL condition over ``cards``
    joined with ``decks`` and its named parameters (``:today`` among them, the study day it
    was compiled for)."""

    where: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one answer did."""

    review_id: str
    card_id: int
    quality: int
    repeat: bool
    state: SM2State
    due: str
    became_leech: bool


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """One answer of a study day, with what the queue needs to know about its card."""

    card_id: int
    deck: str
    note_key: str
    quality: int
    repeat: bool
    duration_ms: int | None
    was_new: bool


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of a card's log, as the browser lists it: an answer (``grade``), a cram
    answer, or a card action (``action``)."""

    day: str  # an answer's study day; the day an action was taken
    grade: int | None = None
    repeat: bool = False  # a later answer the same day: it moved nothing
    interval: int | None = None  # what an answer that moved the state left
    cram: bool = False
    action: str | None = None
    until: str | None = None  # the day of a bury or a reschedule


@dataclass
class DeckReport:
    """Deck-sync counts for one deck."""

    deck: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    drafts: int = 0


@dataclass
class SyncReport:
    """Deck-sync counts for every deck of one ``flashcards import``, and the problems of
    files left out (a sync of sources skips an invalid file rather than stopping)."""

    decks: list[DeckReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewImportReport:
    """What ``import-reviews`` did (or, with dry_run, would do)."""

    lines: int
    added: int
    present: int
    cards: int
    dry_run: bool


@dataclass
class FolderMerge:
    """What a merge of the sync folder did."""

    added: int = 0  # answers new here
    actions: int = 0  # card actions new here
    undone: int = 0  # answers and actions taken out by another device's undo
    pending: int = 0  # entries waiting for a card this machine does not have yet
    cards: int = 0  # cards replayed
    problems: list[str] = field(default_factory=list)  # FILE:LINE: problem, new this time


@dataclass
class DeviceStatus:
    """One device of the sync folder, as ``flashcards sync --status`` shows it."""

    device: str
    this_device: bool
    files: list[str] = field(default_factory=list)  # its log, and conflict copies of it
    last_answer: str | None = None
    merged: int = 0  # lines of its files merged here
    lines: int = 0  # complete lines in its files now
    unreadable: int = 0
    problems: list[str] = field(default_factory=list)  # the first few, FILE:LINE: problem


# -- progress figures (``flashcards.stats.compute_stats``) ----------------------------------
# Each record's ``as_json()`` is its part of ``flashcards stats --json``: the keys and their
# order are a published format, so they are spelled out rather than derived from the fields.


@dataclass(frozen=True, slots=True)
class CardCounts:
    """Cards by state, due today and tomorrow, answers today: of one deck or of all."""

    cards: int  # the cards not retired, so the other states add up to it
    states: dict[str, int]  # by state name, in the order of ``flashcards.stats.STATES``
    due: int
    due_tomorrow: int
    reviews_today: int

    def by_column(self) -> dict[str, int]:
        """Every count by its column name, in the order of the JSON: cards, the states,
        due, due_tomorrow, reviews_today (for tables that walk the columns by name)."""
        return {"cards": self.cards, **self.states, "due": self.due,
                "due_tomorrow": self.due_tomorrow, "reviews_today": self.reviews_today}


@dataclass(frozen=True, slots=True)
class DeckFigures(CardCounts):
    """One deck's counts and its 30-day retention (None without review answers)."""

    name: str
    retention_30d: float | None
    scheduler: str = "sm2"
    desired_retention: float | None = None  # FSRS's target; None under SM-2
    retrievability: float | None = None  # FSRS: average recall probability today

    def as_json(self) -> dict[str, Any]:
        """The deck as an entry of ``decks`` in ``stats --json``."""
        return {"name": self.name, **self.by_column(), "retention_30d": self.retention_30d,
                "scheduler": self.scheduler, "desired_retention": self.desired_retention,
                "retrievability": self.retrievability}


@dataclass(frozen=True, slots=True)
class Totals(CardCounts):
    """The counts of all decks, with the figures that belong to no single deck."""

    reviews: int  # every answer ever logged
    cram_answers: int  # every cram answer: counted apart, in no other figure
    cram_today: int
    seconds_today: float
    retention_7d: float | None
    retention_30d: float | None
    retention_365d: float | None
    streak: int
    longest_streak: int
    studied_today: bool

    def as_json(self) -> dict[str, Any]:
        """The ``totals`` of ``stats --json``."""
        return {
            **self.by_column(),
            "reviews": self.reviews,
            "cram_answers": self.cram_answers,
            "cram_today": self.cram_today,
            "seconds_today": self.seconds_today,
            "retention_7d": self.retention_7d,
            "retention_30d": self.retention_30d,
            "retention_365d": self.retention_365d,
            "streak": self.streak,
            "longest_streak": self.longest_streak,
            "studied_today": self.studied_today,
        }


@dataclass(frozen=True, slots=True)
class Retention:
    """The review answers of the last ``days`` study days, and the share graded correct."""

    days: int
    answers: int
    correct: int
    rate: float | None  # None without answers

    def as_json(self) -> dict[str, Any]:
        """One window of ``retention`` in ``stats --json``."""
        return {"days": self.days, "answers": self.answers, "correct": self.correct,
                "rate": self.rate}


@dataclass(frozen=True, slots=True)
class ForecastDay:
    """How many cards fall due on one day if nothing is reviewed before."""

    day: date
    due: int

    def as_json(self) -> dict[str, Any]:
        """One day of ``forecast`` in ``stats --json``."""
        return {"date": self.day.isoformat(), "due": self.due}


@dataclass(frozen=True, slots=True)
class HeatmapDay:
    """How many answers were logged on one study day."""

    day: date
    reviews: int

    def as_json(self) -> dict[str, Any]:
        """One day of ``heatmap`` in ``stats --json``."""
        return {"date": self.day.isoformat(), "reviews": self.reviews}


@dataclass(frozen=True, slots=True)
class StatsFigures:
    """Every figure of ``flashcards stats``, the app's stats screen and ``stats --json``."""

    today: date
    rollover_hour: int
    totals: Totals
    decks: tuple[DeckFigures, ...]  # by name
    retention: dict[str, Retention]  # by window ("7d", "30d", "365d"), shortest first
    forecast: tuple[ForecastDay, ...]  # today first
    heatmap: tuple[HeatmapDay, ...]  # oldest first, today last

    def as_json(self) -> dict[str, Any]:
        """The figures as ``flashcards stats --json`` prints them."""
        return {
            "today": self.today.isoformat(),
            "rollover_hour": self.rollover_hour,
            "totals": self.totals.as_json(),
            "decks": [deck.as_json() for deck in self.decks],
            "retention": {window: entry.as_json() for window, entry in self.retention.items()},
            "forecast": [day.as_json() for day in self.forecast],
            "heatmap": [day.as_json() for day in self.heatmap],
        }

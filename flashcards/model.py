"""The records the layers hand each other: cards, answers, import reports. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def state(self) -> SM2State:
        """The card's SM-2 state."""
        return SM2State(self.repetitions, self.interval, self.easiness)


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

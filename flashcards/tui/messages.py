"""The messages the app's workers post back to their screens, one small dataclass each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.message import Message

from flashcards.model import DayAnswer, StatsFigures

if TYPE_CHECKING:  # authoring loads PyYAML and the deck reader: not before the first card
    from flashcards.authoring import Added


@dataclass
class DecksLoaded(Message):
    """The home screen's worker read the decks and today's figures."""

    today: date
    decks: list[dict[str, Any]]
    answers: list[DayAnswer]
    left: dict[str, int]
    synced: list[str]  # decks whose files changed since the last look
    problems: list[str]  # deck files that did not sync, each with its file:line


@dataclass
class StatsLoaded(Message):
    """The stats screen's worker computed the figures."""

    figures: StatsFigures


@dataclass
class DeckReimported(Message):
    """The review's worker imported an edited deck file again, or found it broken."""

    path: str
    errors: list[str]  # what is wrong with the file, each with its file:line; empty: imported


@dataclass
class CardsFound(Message):
    """The browser's worker ran a search: the ids of the cards it found, in order."""

    query: str
    ids: list[int]
    today: date
    error: str | None  # the query did not parse: why, in one line
    keep: int | None  # the card the cursor stays on, if it is still found
    complete: bool = True  # False: only the first page; every id follows


@dataclass
class CardAddTried(Message):
    """The add form's worker wrote the card, or says why it could not."""

    added: Added | None
    problem: str  # one line (a deck file's own errors: one line each); empty when added

"""The review queue of one sitting: daily limits, SM-2's same-day repeats, undo. No UI.

Order, as SM-2 and Anki have it: cards due today (most overdue first), then new cards in
deck order up to the daily limits, then the cards answered below 4 in this sitting, again
and again until each gets a 4 or 5 (SM-2 step 7). Only the first answer of a study day
moves a card's state; ``Store.answer`` logs the others as repeats (``flashcards.scheduling``).

Limits: a deck's own ``new_per_day`` / ``reviews_per_day`` cap that deck; the global
settings cap the whole day across decks, whichever decks were reviewed. Answers already
given today count against both, in this sitting, an earlier one or another process.
Siblings (a card's reverse, other deletions of one cloze) are not shown on the same day.

Custom study (a sitting over the cards a search finds, ``search``): the matching cards that
are due, in the same order, answered as any review; the daily limits do not cap it (the user
asked for these cards), and its answers count against them as any other. With ``cram``:
every matching card that can be shown, new ones included, in deck order; each answer goes
to the cram log and moves nothing (as Anki's filtered decks with rescheduling off).

Another process may change the database during a sitting (an import retires the card, a
second app answers it or uses up the day's limit, a restore). Before each write the
sitting checks SQLite's ``data_version``; when it moved, the queue is built again, and a
current card that is no longer wanted is skipped with ``CardGone`` instead of written.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain, islice

from flashcards import clock
from flashcards.model import Answer, Card, Search
from flashcards.store import Replayed, Store, due_sql, showable_sql

MAX_ANSWER_SECONDS = 60  # a longer pause was a break, not thinking (Anki caps it too)
NEW, REVIEW, AGAIN = "new", "review", "again"


@dataclass
class Summary:
    """What a sitting did, for the end screen."""

    answers: int
    cards: int
    grades: Counter
    seconds: float
    accuracy: float | None  # share of first answers graded 3 or more
    due_tomorrow: int
    leeches: list[Card] = field(default_factory=list)


@dataclass
class _Room:
    """How many more new cards and reviews the day's limits allow: overall (``left``) and
    in each deck with limits of its own (``deck_left``, by kind and deck)."""

    left: dict[str, int]
    deck_left: dict[tuple[str, str], int]

    def in_deck(self, kind: str, deck: str) -> int:
        """How many more of ``kind`` one deck may still show."""
        return min(self.left[kind], self.deck_left.get((kind, deck), self.left[kind]))

    def take(self, kind: str, deck: str) -> None:
        """Count one more card of ``kind`` from ``deck``."""
        self.left[kind] -= 1
        if (kind, deck) in self.deck_left:
            self.deck_left[kind, deck] -= 1


class CardGone(LookupError):
    """The current card was changed by another process and is skipped, not answered."""


@dataclass
class _Snapshot:
    queue: list[tuple[int, str]]
    answers: list[Answer]


class Session:
    """One sitting of reviews over one deck or all of them, or over the cards of a search
    (custom study, ``cram`` or not)."""

    def __init__(self, store: Store, deck: str | None = None, search: Search | None = None,
                 cram: bool = False) -> None:
        self.store = store
        self.deck = deck
        self.search = search
        self.cram = cram
        self.today = store.today()
        self._data_version = store.data_version()
        self.queue: list[tuple[int, str]] = self._build_queue()
        self.answers: list[Answer] = []
        self.leeches: list[Card] = []
        # (what, card id, its log entry's id, the queue before)
        self._undo: list[tuple[str, int, str, _Snapshot]] = []
        self._started = clock.monotonic()
        self._shown_at = self._started
        self._current: Card | None = None
        self._replayed: Replayed | None = None  # the log read for the intervals, for answer

    # -- building the queue ----------------------------------------------------------

    def _build_queue(self) -> list[tuple[int, str]]:
        if self.search or self.cram:
            return self._custom_queue()
        deck_limits = self.store.deck_limits()
        decks = [self.deck] if self.deck else list(deck_limits)
        done_new, done_reviews, seen_notes, again = self._done_today()
        room = self._room(done_new, done_reviews, deck_limits)
        queue: list[tuple[int, str]] = []
        for kind, cards_of in ((REVIEW, self.store.due_cards), (NEW, self.store.new_cards)):
            # Each deck is read lazily and only as far as its own limit: a deck whose limit
            # is used up costs one empty query, not a scan of all its cards.
            per_deck = [_first_cards(cards_of(self.today, deck), room.in_deck(kind, deck),
                                     seen_notes) for deck in decks]
            if kind == REVIEW:  # due cards across decks: most overdue first
                ordered = heapq.merge(*per_deck, key=lambda card: (card.due, card.id))
            else:  # new cards: deck by deck, in file order
                ordered = chain.from_iterable(per_deck)
            taken = list(islice(ordered, max(room.left[kind], 0)))
            seen_notes.update((card.deck, card.note_key) for card in taken)
            queue += [(card.id, kind) for card in taken]
        return queue + [(card_id, AGAIN) for card_id in again]

    def _custom_queue(self) -> list[tuple[int, str]]:
        """The cards of a custom study: those of the search that are due (every one that
        can be shown, when cramming), then this sitting's cards to repeat."""
        wanted = showable_sql(":day") if self.cram else due_sql(":day")
        order = "cards.deck_id, cards.position, cards.id" if self.cram else "cards.due, cards.id"
        queue = [(card.id, NEW if card.due is None else REVIEW)
                 for card in self._searched(wanted, order)]
        if self.cram:
            return queue
        again = json.dumps(self._done_today()[3])
        return queue + [(card.id, AGAIN) for card in self._searched(
            "cards.id IN (SELECT value FROM json_each(:again))", "cards.id", again=again)]

    def _searched(self, where: str, order: str, **params: str) -> Iterator[Card]:
        """The cards of the custom study's search that also meet ``where``."""
        search = self.search or Search("1", {})
        return self.store.iter_cards(
            f"({search.where}) AND {where}",
            {**search.params, "day": self.today.isoformat(), **params}, order=order,
        )

    def _room(self, done_new: Counter, done_reviews: Counter,
              deck_limits: dict[str, tuple[int | None, int | None]]) -> _Room:
        """What the day's limits leave, after today's answers so far."""
        config = self.store.config()
        done = {NEW: done_new, REVIEW: done_reviews}
        return _Room(
            left={NEW: config["new_per_day"] - sum(done_new.values()),
                  REVIEW: config["reviews_per_day"] - sum(done_reviews.values())},
            deck_left={(kind, deck): limit - done[kind][deck]
                       for deck, limits in deck_limits.items()
                       for kind, limit in zip((NEW, REVIEW), limits) if limit is not None},
        )

    def _done_today(self) -> tuple[Counter, Counter, set[tuple[str, str]], list[int]]:
        """Today's answers so far, in every deck: new cards and reviews per deck, the notes
        seen, and this sitting's cards whose last answer was below 4 (to repeat)."""
        done_new: Counter = Counter()
        done_reviews: Counter = Counter()
        seen: set[tuple[str, str]] = set()
        last_quality: dict[int, int] = {}
        for row in self.store.reviews_on(self.today):
            seen.add((row.deck, row.note_key))
            if self.deck in (None, row.deck):
                last_quality[row.card_id] = row.quality
            if not row.repeat:
                (done_new if row.was_new else done_reviews)[row.deck] += 1
        showable = self.store.showable(self.today, list(last_quality))
        again = [c for c, q in last_quality.items() if q < 4 and c in showable]
        return done_new, done_reviews, seen, again

    # -- the current card ----------------------------------------------------------------

    @property
    def current(self) -> Card | None:
        """The card to show now, or None when the sitting is over."""
        if not self.queue:
            return None
        card_id = self.queue[0][0]
        if self._current is None or self._current.id != card_id:
            self._current = self.store.card(card_id)
        return self._current

    def upcoming(self) -> tuple[Card, str] | None:
        """The card most likely shown after the current one, and its kind: the next other
        card in the queue (what a good answer shows). The app renders it ahead; whatever
        does come next is shown right, this only makes it faster."""
        current = self.queue[0][0] if self.queue else None
        following = next(((card_id, kind) for card_id, kind in self.queue
                          if card_id != current), None)
        return None if following is None else (self.store.card(following[0]), following[1])

    @property
    def current_kind(self) -> str | None:
        """Whether the current card is new, a review, or again (answered below 4 today)."""
        return self.queue[0][1] if self.queue else None

    def counts(self) -> dict[str, int]:
        """Cards left in the sitting by kind: new, review, again."""
        left = Counter(kind for _, kind in self.queue)
        return {kind: left[kind] for kind in (NEW, REVIEW, AGAIN)}

    def is_repeat(self) -> bool:
        """True when the current card was already answered today (its state is settled)."""
        return self.current_kind == AGAIN

    def intervals(self) -> dict[int, int]:
        """For each grade, the interval in days it would give the current card (worked
        out on its replayed log, which ``answer`` then builds on)."""
        card = self.current
        if card is None or self.cram:  # a cram answer moves nothing
            return {}
        self._replayed = self.store.replayed(card.id)
        return self._replayed.progress.preview(self.store.today())

    # -- actions -------------------------------------------------------------------------

    def answer(self, quality: int) -> Answer:
        """Grade the current card; it is on disk when this returns."""
        card = self._require_wanted_card()
        seconds = min(clock.monotonic() - self._shown_at, MAX_ANSWER_SECONDS)
        snapshot = self._snapshot()
        replayed, self._replayed = self._replayed, None  # used once: the answer changes it
        result = self.store.answer(card.id, quality, duration_ms=round(seconds * 1000),
                                   cram=self.cram, replayed=replayed)
        self.answers.append(result)
        self.queue.pop(0)
        if result.became_leech:
            self.leeches.append(card)
        elif quality < 4:
            self.queue.append((card.id, AGAIN))
        self._undo.append(("answer", card.id, result.review_id, snapshot))
        self._shown_at = clock.monotonic()
        return result

    def suspend(self) -> Card:
        """Suspend the current card: out of every review until unsuspended."""
        card = self._require_wanted_card()
        snapshot = self._snapshot()
        # First: if it fails, nothing has changed.
        (action_id,) = self.store.act([card.id], "suspend")
        self._undo.append(("suspend", card.id, action_id, snapshot))
        self._drop(card.id)
        return card

    def bury(self) -> Card:
        """Hide the current card until tomorrow."""
        card = self._require_wanted_card()
        snapshot = self._snapshot()
        # The clock's day, not the sitting's: a sitting may run past the rollover hour.
        (action_id,) = self.store.act([card.id], "bury", self.store.today() + timedelta(days=1))
        self._undo.append(("bury", card.id, action_id, snapshot))
        self._drop(card.id)
        return card

    def undo(self) -> str | None:
        """Take back the last answer, suspend or bury of this sitting; says which."""
        if not self._undo:
            return None
        action, card_id, entry_id, snapshot = self._undo[-1]  # popped once the store agrees
        if action == "answer":
            self.store.undo_answer(entry_id)
            self.leeches = [c for c in self.leeches if c.id != card_id]
        else:
            self.store.undo_action(entry_id)
        self._undo.pop()
        self.queue, self.answers = snapshot.queue, snapshot.answers
        self._current = None
        self._shown_at = clock.monotonic()
        return action

    def can_undo(self) -> bool:
        """True when there is something to take back."""
        return bool(self._undo)

    def reload(self) -> None:
        """Check the queue against the database after a change from outside the sitting (the
        deck re-imported after an edit, another process): cards that can no longer be shown
        leave it, and so do new and review cards that were answered elsewhere or that the
        day's limits, counted over every answer given today, no longer leave room for (a
        custom study has no limits; a cram keeps every card that can be shown)."""
        self._current = None
        done_new, done_reviews, _, _ = self._done_today()
        room = self._room(done_new, done_reviews, self.store.deck_limits())
        facts = self.store.showable(self.today, [card_id for card_id, _ in self.queue])
        kept = []
        for card_id, kind in self.queue:
            if card_id not in facts:
                continue
            deck, due = facts[card_id]
            if kind != AGAIN and not self.cram:
                still = due is None if kind == NEW else due <= self.today.isoformat()
                if not still or (room.in_deck(kind, deck) <= 0 and not self.search):
                    continue
                room.take(kind, deck)
            kept.append((card_id, kind))
        self.queue = kept

    def _require_card(self) -> Card:
        card = self.current
        if card is None:
            raise LookupError("the review is over: no current card")
        return card

    def _require_wanted_card(self) -> Card:
        """The current card, after checking that no other process has made it unwanted.

        When the database changed under the sitting, the queue is checked again; if the
        current card left it, ``CardGone`` is raised (and the next card is current)."""
        card = self._require_card()
        version = self.store.data_version()
        if version == self._data_version:
            return card
        self._data_version = version
        self.reload()
        if self.current is None or self.current.id != card.id:
            self._shown_at = clock.monotonic()
            raise CardGone("skipped: another flashcards window answered or changed this "
                           "card, or used up the day's limit")
        return self.current

    def _drop(self, card_id: int) -> None:
        self.queue = [entry for entry in self.queue if entry[0] != card_id]
        self._shown_at = clock.monotonic()

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(list(self.queue), list(self.answers))

    # -- the end -------------------------------------------------------------------------

    def summary(self) -> Summary:
        """Figures of the sitting so far."""
        firsts = [a for a in self.answers if not a.repeat]
        tomorrow = self.store.today() + timedelta(days=1)  # as in bury: the clock's day
        return Summary(
            answers=len(self.answers),
            cards=len({a.card_id for a in self.answers}),
            grades=Counter(a.quality for a in self.answers),
            seconds=clock.monotonic() - self._started,
            accuracy=sum(a.quality >= 3 for a in firsts) / len(firsts) if firsts else None,
            due_tomorrow=self.store.count_due(tomorrow, self.deck),
            leeches=list(self.leeches),
        )


def _first_cards(cards: Iterator[Card], count: int,
                 seen_notes: set[tuple[str, str]]) -> Iterator[Card]:
    """Up to ``count`` cards of one deck, lazily, skipping siblings of notes already taken."""
    notes = set()
    for card in cards if count > 0 else ():
        if (card.deck, card.note_key) in seen_notes or card.note_key in notes:
            continue
        notes.add(card.note_key)
        yield card
        if len(notes) >= count:
            return

"""FSRS-6, as fsrs-rs-python computes it (we do not write FSRS ourselves). Pure: no database.

* **Grades to ratings**: SM-2's 0, 1 and 2 are Again, 3 Hard, 4 Good, 5 Easy (``RATING``),
  the mapping the FSRS authors use for SuperMemo's 0-5 grades.
* **Days** are whole study days between answers; a same-day answer has 0 days elapsed and
  goes through FSRS's short-term rule, as in Anki.
* **Intervals** are the library's, rounded to whole days, at least 1, at most the maximum
  interval; with fuzz on, spread as Anki spreads them, from a seed the caller derives from
  the card and the answer, so a replay is always identical.
* **Training items** for ``compute_parameters`` are built as Anki builds them: one per answer
  on a later day than the card's previous answer, holding the history up to it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache

import fsrs_rs_python as lib

# SM-2 grade (0..5) -> FSRS rating (1 Again, 2 Hard, 3 Good, 4 Easy).
RATING = (1, 1, 1, 2, 3, 4)
_OUTCOME = tuple(("again", "hard", "good", "easy")[rating - 1] for rating in RATING)
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(lib.DEFAULT_PARAMETERS)
DEFAULT_RETENTION = 0.9
RETENTION_RANGE = (0.7, 0.99)
# Anki's fuzz: an interval of d days may move by 1 day plus these shares of its parts.
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))


# An answer as the library reads it: (rating, days elapsed). The library copies reviews into
# each item, so one object per pair serves every item (a million answers make a few hundred).
_review = lru_cache(maxsize=None)(lib.FSRSReview)


class FitError(ValueError):
    """Parameters that are not a valid FSRS-6 parameter list, said in one line."""


# A card's FSRS memory state: ``stability`` (days until recall falls to 90%) and
# ``difficulty`` (1..10); the library's own object, so a step converts nothing.
Memory = lib.MemoryState


# A card's answers as the library reads them (``history_of``): the same under any parameters.
History = lib.FSRSItem


def history_of(answers: Iterable[tuple[int, int]]) -> History:
    """A card's answers, (grade, days elapsed since the answer before) in order, as the
    library reads them (``Model.memory``)."""
    return lib.FSRSItem([_review(RATING[grade], elapsed) for grade, elapsed in answers])


def check_parameters(parameters: Sequence[float]) -> tuple[float, ...]:
    """The parameters as a tuple of 21 floats; anything else is a ``FitError``."""
    values = tuple(float(value) for value in parameters)
    if len(values) != len(DEFAULT_PARAMETERS) or not all(map(math.isfinite, values)):
        raise FitError(f"FSRS-6 needs {len(DEFAULT_PARAMETERS)} finite parameters, "
                       f"not {len(values)}")
    return values


class Model:
    """FSRS with one set of parameters and a desired retention."""

    def __init__(self, parameters: Sequence[float] = DEFAULT_PARAMETERS,
                 desired_retention: float = DEFAULT_RETENTION,
                 max_interval: int = 36_500, fuzz: bool = False) -> None:
        self.parameters = check_parameters(parameters)
        self.desired_retention = desired_retention
        self.max_interval = max_interval
        self.fuzz = fuzz
        self._fsrs = lib.FSRS(list(self.parameters))
        decay = -self.parameters[20]
        self._decay, self._factor = decay, 0.9 ** (1 / decay) - 1

    def step(self, memory: Memory | None, grade: int, elapsed_days: int,
             seed: int = 0) -> tuple[Memory, int]:
        """The memory state after ``grade`` given ``elapsed_days`` after the previous answer
        (``memory`` None: the first answer), and the interval in whole days it schedules."""
        outcome = getattr(self._fsrs.next_states(memory, self.desired_retention, elapsed_days),
                          _OUTCOME[grade])
        interval = outcome.interval
        # In whole days: rounded, from 1 to the maximum interval, fuzzed as Anki does.
        if self.fuzz and interval >= 2.5:
            return outcome.memory, random.Random(seed).randint(
                *fuzz_range(interval, self.max_interval))
        return outcome.memory, min(max(round(interval), 1), self.max_interval)

    def memory(self, history: History, start: Memory | None = None) -> Memory:
        """The memory state after ``history`` (``history_of`` a card's answers) from
        ``start`` (None: a new card): what ``step`` on each answer gives, in one library
        call (the library's own loop, for a replay's speed)."""
        return self._fsrs.memory_state(history, start)

    def retrievability(self, stability: float, elapsed_days: float) -> float:
        """The probability of recall ``elapsed_days`` after the last answer of a card with
        this stability (FSRS-6's forgetting curve, with this model's decay)."""
        return (1 + self._factor * elapsed_days / stability) ** self._decay

    def evaluate(self, items: Sequence[lib.FSRSItem]) -> tuple[float, float]:
        """(log-loss, RMSE over bins) of these parameters' predictions on ``items``."""
        result = self._fsrs.evaluate(list(items))
        return result.log_loss, result.rmse_bins


def fuzz_range(interval: float, max_interval: int) -> tuple[int, int]:
    """The whole days an interval may be fuzzed to (Anki's ranges: ±1 day, plus 15% of the
    part from 2.5 to 7 days, 10% of the part to 20 days, 5% beyond)."""
    delta = 1.0 + sum(factor * max(min(interval, end) - start, 0.0)
                      for start, end, factor in _FUZZ_RANGES)
    interval = min(interval, max_interval)
    high = min(round(interval + delta), max_interval)
    return min(max(2, round(interval - delta)), high), high


def training_items(log: Iterable[tuple[int, int, int, int]]) -> list[tuple[int, lib.FSRSItem]]:
    """One card's training items, each with its time: ``log`` is the card's answers in
    time order as (card, time, study day number, grade), as the store reads them; one item
    per answer on a later day than the one before, holding every answer up to it with the
    days elapsed between them."""
    reviews: list[lib.FSRSReview] = []
    items = []
    last_day = None
    for _, ts, day, grade in log:
        elapsed = 0 if last_day is None else day - last_day
        reviews.append(_review(RATING[grade], elapsed))
        if elapsed > 0:
            items.append((ts, lib.FSRSItem(reviews)))
        last_day = day
    return items


class TrainingItems(list):
    """Items that ``training_items`` built, so each has a later-day answer (``fit`` need
    not look: a third of a second for a million)."""


def fit(items: Sequence[lib.FSRSItem]) -> tuple[float, ...]:
    """Parameters fitted to ``items``; any without a later-day answer are left out first
    (the library panics on one, with a BaseException that nothing else would catch)."""
    usable = items if isinstance(items, TrainingItems) else [
        item for item in items if item.long_term_review_cnt() > 0]
    return check_parameters(lib.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(usable))

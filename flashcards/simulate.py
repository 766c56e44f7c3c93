"""``flashcards simulate``: the coming days of the user's own collection under SM-2 and FSRS.

The library's simulator starts from an empty deck and knows no SM-2, so this one runs the
user's cards forward instead, from where their logs leave them. Memory is modelled by FSRS
with the best parameters there are (the fitted ones, else the defaults): each day, a due
card is recalled with the probability that model gives (``fsrs.Model.retrievability``),
graded as the user grades (the shares of 3, 4 and 5 among their successful review answers,
and of every grade among first answers), and a failed card comes back the same day until
it gets a 4, as in a review. New cards come in at the daily limit, reviews stop at theirs
(the rest wait a day). The draws are seeded: a run is repeatable.

Large collections are simulated on a random sample of ``SAMPLE_CARDS`` cards and the
figures scaled up: the same expected numbers, in seconds.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from datetime import date, timedelta

from flashcards import scheduling
from flashcards.scheduling import PASSING_GRADE, Progress, Scheduler
from flashcards.store import Store

SAMPLE_CARDS = 3000
DEFAULT_DAYS = 365
RELEARNED_GRADE = 4  # the grade that ends a failed card's same-day repeats


@dataclass(frozen=True)
class Outcome:
    """One scheduler's coming days: expected answers per day (today first), the share of
    review answers recalled, and how many cards are remembered at the end."""

    name: str
    reviews: tuple[float, ...]
    retention: float | None
    remembered: float

    @property
    def per_day(self) -> float:
        """Average answers a day."""
        return sum(self.reviews) / len(self.reviews)


@dataclass(frozen=True)
class _Collection:
    """What every scheduler's run starts from."""

    cards: list[int]  # the sample, answered cards and new ones
    memories: dict[int, Progress]  # the answered ones' true memory, as their logs leave it
    scale: float  # collection size / sample size
    first_grades: Counter  # grade -> count, among first answers
    success_grades: Counter  # grade -> count, among successful review answers


def simulate(store: Store, days: int = DEFAULT_DAYS, seed: int = 1,
             on_progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """SM-2, FSRS with its defaults and (when fitted) FSRS with the fitted parameters, each
    run ``days`` days forward from today over the user's collection."""
    settings = store.config()
    fitted = store.fsrs_parameters()
    truth = scheduling.make_scheduler("fsrs", fitted, max_interval=settings["max_interval"])
    runs = [("SM-2", scheduling.make_scheduler("sm2", max_interval=settings["max_interval"]))]
    for name, parameters in (("FSRS, default parameters", None), ("FSRS, fitted", fitted)):
        if name == "FSRS, default parameters" or parameters:
            runs.append((name, scheduling.make_scheduler(
                "fsrs", parameters, settings["desired_retention"], settings["max_interval"],
                settings["fuzz"] == "on")))
    collection = _collection(store, seed, truth)
    outcomes = []
    for number, (name, scheduler) in enumerate(runs):
        outcomes.append(_run(store, collection, name, scheduler, truth, days, seed, settings))
        if on_progress:
            on_progress(number + 1, len(runs))
    return outcomes


def _collection(store: Store, seed: int, truth: Scheduler) -> _Collection:
    cards = [row[0] for row in store.query(
        "SELECT cards.id FROM cards JOIN decks ON decks.id = cards.deck_id WHERE "
        "cards.retired = 0 AND cards.suspended = 0 AND decks.source_path IS NOT NULL "
        "ORDER BY cards.deck_id, cards.position, cards.id")]
    sample = cards
    if len(cards) > SAMPLE_CARDS:
        picked = set(random.Random(seed).sample(range(len(cards)), SAMPLE_CARDS))
        sample = [card for index, card in enumerate(cards) if index in picked]
    first = Counter(dict(store.query(
        "SELECT quality, count(*) FROM (SELECT card_id, quality, min(ts) FROM reviews "
        "GROUP BY card_id) GROUP BY quality")))
    success = Counter(dict(store.query(
        f"SELECT quality, count(*) FROM reviews WHERE repeat = 0 AND quality >= "
        f"{PASSING_GRADE} GROUP BY quality")))
    memories = {card_id: store.replay(card_id, truth) for card_id in sample}
    return _Collection(sample, {key: value for key, value in memories.items() if value.due},
                       len(cards) / len(sample) if sample else 1.0,
                       first or Counter({4: 1}), success or Counter({3: 1, 4: 3, 5: 1}))


def _run(store: Store, collection: _Collection, name: str, scheduler: Scheduler,
         truth: Scheduler, days: int, seed: int, settings: dict) -> Outcome:
    """One scheduler's run: the sampled cards' schedules and true memories go forward
    together, day by day."""
    rng = random.Random(seed)
    today = store.today()
    fraction = 1 / collection.scale
    schedules, memories, new = {}, {}, []
    due: dict[date, list[int]] = defaultdict(list)
    for card_id in collection.cards:
        schedule = store.replay(card_id, scheduler)
        if schedule.due is None:
            new.append(card_id)
            continue
        schedules[card_id] = schedule
        memories[card_id] = copy(collection.memories[card_id])
        due[max(date.fromisoformat(schedule.due), today)].append(card_id)
    new.reverse()  # pop() takes them in deck order
    answers = [0.0] * days
    recalled = reviewed = 0
    new_room = 0.0
    for offset in range(days):
        day = today + timedelta(days=offset)
        waiting = due.pop(day, [])
        room = settings["reviews_per_day"] * fraction
        for card_id in waiting[:max(int(room), 0)]:
            memory = memories[card_id]
            elapsed = (day - memory.last_day).days
            chance = truth.model.retrievability(memory.memory.stability, elapsed)
            success = rng.random() < chance
            reviewed += 1
            recalled += success
            grade = _draw(rng, collection.success_grades) if success else 1
            answers[offset] += _answer(schedules[card_id], memory, grade, day, due)
        due[day + timedelta(days=1)].extend(waiting[max(int(room), 0):])
        new_room += settings["new_per_day"] * fraction
        while new and new_room >= 1:
            new_room -= 1
            card_id = new.pop()
            schedules[card_id] = Progress(scheduler, card_id=card_id)
            memories[card_id] = Progress(truth, card_id=card_id)
            grade = _draw(rng, collection.first_grades)
            answers[offset] += _answer(schedules[card_id], memories[card_id], grade, day, due)
    remembered = sum(
        truth.model.retrievability(memory.memory.stability, (today + timedelta(days=days) -
                                                    memory.last_day).days)
        for memory in memories.values())
    return Outcome(name, tuple(count * collection.scale for count in answers),
                   recalled / reviewed if reviewed else None, remembered * collection.scale)


def _answer(schedule: Progress, memory: Progress, grade: int, day: date,
            due: dict[date, list[int]]) -> int:
    """Answer a card on ``day`` (and again until it gets a 4, as a review does), in its
    schedule and its true memory; files it under its next due day. Returns the answers."""
    count = 0
    while True:
        schedule.answer(grade, day)
        memory.answer(grade, day)
        count += 1
        if grade >= RELEARNED_GRADE:
            break
        grade = RELEARNED_GRADE
    due[date.fromisoformat(schedule.due)].append(schedule.card_id)
    return count


def _draw(rng: random.Random, grades: Counter) -> int:
    """A grade drawn with the shares the user gives them."""
    return rng.choices(list(grades), weights=list(grades.values()))[0]

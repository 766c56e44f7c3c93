"""The rules of an answer, in one place. Pure: no database, no UI.

* A **scheduler** gives the state after a grade, given the previous state and the days
  since the last answer, and the interval each grade would give: ``SM2`` (the exact
  published step, in ``sm2``, the default) or ``FSRS`` (FSRS-6, in ``fsrs``), chosen by
  ``make_scheduler`` from the settings.
* Only the **first answer of a study day** counts as an answer of that day; later ones are
  logged as repeats (SM-2's step 7). Under SM-2 a repeat changes nothing; under FSRS every
  answer moves the memory state (a repeat with 0 days elapsed, FSRS's short-term rule), and
  with it the interval and the due day.
* Under FSRS, ``repetitions`` counts first-of-the-day successes in a row as under SM-2 (the
  card's status reads it) and ``easiness`` stays as it is.
* A **new answer never sorts before the card's last one**: when the clock goes back, the
  log keeps its order (so a replay gives the cached state) and no study day counts twice.
* A **lapse** is failing (grade below 3) a card that had been learnt; at ``LEECH_LAPSES``
  lapses a card is a **leech**, and a leech is suspended.
* The interval is capped at the maximum interval (``MAX_INTERVAL_DAYS`` unless set lower),
  under either scheduler; a card is due ``interval`` study days after the day of its answer.
* The log keeps times in **whole milliseconds**.
* **Card actions** are log entries too, replayed with the answers in time order: ``suspend``
  and ``unsuspend`` set the suspended flag (so does an answer that makes a card a leech);
  ``bury`` hides a card until a study day and ``unbury`` shows it again; ``forget`` makes the
  card new again (state, due day and lapses reset; the flag and the log stay); ``reschedule``
  sets the due day and nothing else. Undoing one removes it from the log.
* A **cram** answer (custom study with ``--cram``) is logged and changes nothing.
* A **daily limit** (``new_per_day``, ``reviews_per_day``; global or a deck's) is a whole
  number from 0 to ``MAX_DAILY_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from flashcards import fsrs
from flashcards.fsrs import Memory
from flashcards.sm2 import SM2State, review

LEECH_LAPSES = 8
MAX_INTERVAL_DAYS = 36_500  # a hundred years, Anki's default maximum interval
# More cards than anyone answers in a day: a higher limit is no limit, and a number that size
# (2**64, say) would break the queue's arithmetic.
MAX_DAILY_LIMIT = 100_000
PASSING_GRADE = 3  # the lowest grade that counts as a successful recall
GRADES = range(6)
SCHEDULERS = ("sm2", "fsrs")
ACTIONS = ("suspend", "unsuspend", "bury", "unbury", "forget", "reschedule")
# The actions that take a study day: bury (hidden until) and reschedule (due on).
DAY_ACTIONS = ("bury", "reschedule")


class Scheduler(Protocol):
    """How a card's state moves with an answer."""

    name: str
    moves_on_repeat: bool  # whether a same-day repeat moves the state

    def next_state(self, state: SM2State, memory: Memory | None, grade: int,
                   elapsed_days: int, repeat: bool = False,
                   seed: int = 0) -> tuple[SM2State, Memory | None]:
        """The state (and FSRS memory, None under SM-2) after ``grade``, ``elapsed_days``
        after the previous answer; ``repeat``: not the first answer of its study day;
        ``seed``: the card's and answer's, for interval fuzz."""

    def is_lapse(self, state: SM2State, grade: int) -> bool:
        """True when ``grade`` on a card in ``state`` means it was forgotten after learning."""


class SM2:
    """SM-2 as published (see ``flashcards.sm2``), with the interval capped."""

    name = "sm2"
    moves_on_repeat = False

    def __init__(self, max_interval: int = MAX_INTERVAL_DAYS) -> None:
        self.max_interval = max_interval

    def next_state(self, state: SM2State, memory: Memory | None, grade: int,
                   elapsed_days: int = 0, repeat: bool = False,
                   seed: int = 0) -> tuple[SM2State, None]:
        """SM-2's step; the days elapsed do not matter to SM-2. Uncapped, 30 perfect
        answers in a row would schedule a card past the year 9999."""
        return review(state, grade, max_interval=self.max_interval), None

    def is_lapse(self, state: SM2State, grade: int) -> bool:
        """Failing a card with at least one successful repetition."""
        return grade < PASSING_GRADE and state.repetitions > 0


class FSRS(SM2):
    """FSRS-6 (see ``flashcards.fsrs``): every answer moves the memory state, which gives
    the interval; ``repetitions`` and lapses are counted as under SM-2."""

    name = "fsrs"
    moves_on_repeat = True

    def __init__(self, model: fsrs.Model) -> None:
        super().__init__(model.max_interval)
        self.model = model

    def next_state(self, state: SM2State, memory: Memory | None, grade: int,
                   elapsed_days: int = 0, repeat: bool = False,
                   seed: int = 0) -> tuple[SM2State, Memory]:
        """FSRS's step over the mapped rating (``fsrs.RATING``)."""
        memory, interval = self.model.step(memory, grade, elapsed_days, seed)
        return SM2State(count_repetitions(state.repetitions, grade, repeat), interval,
                        state.easiness), memory


SCHEDULER: Scheduler = SM2()


def count_repetitions(repetitions: int, grade: int, repeat: bool) -> int:
    """Successful repetitions in a row after an answer, counted as SM-2 counts them: a
    day's first success adds one, its failure starts over, a repeat changes nothing."""
    if repeat:
        return repetitions
    return repetitions + 1 if grade >= PASSING_GRADE else 0


def make_scheduler(name: str = "sm2", parameters: tuple[float, ...] | None = None,
                   desired_retention: float = fsrs.DEFAULT_RETENTION,
                   max_interval: int = MAX_INTERVAL_DAYS, fuzz: bool = False) -> Scheduler:
    """The scheduler a setting names (``SCHEDULERS``); ``parameters`` None: FSRS's defaults.
    The others only matter to FSRS, but for ``max_interval``, which both keep. The same
    settings give the same object."""
    if name == "sm2":
        return _sm2(max_interval)
    return _fsrs(parameters or fsrs.DEFAULT_PARAMETERS, desired_retention, max_interval, fuzz)


@lru_cache(maxsize=8)
def _sm2(max_interval: int) -> SM2:
    return SM2(max_interval)


@lru_cache(maxsize=64)
def _fsrs(parameters: tuple[float, ...], desired_retention: float, max_interval: int,
          fuzz: bool) -> FSRS:
    return FSRS(fsrs.Model(parameters, desired_retention, max_interval, fuzz))


def due_day(day: date, interval: int) -> str:
    """The study day (ISO date) a card answered on ``day`` with this interval is next due."""
    return date.fromordinal(day.toordinal() + interval).isoformat()  # 2x timedelta's speed


def is_leech(lapses: int) -> bool:
    """A card lapsed this often is a leech (and is suspended)."""
    return lapses >= LEECH_LAPSES


def whole_ms(moment: datetime) -> datetime:
    """``moment`` cut to whole milliseconds, as the log stores it."""
    if moment.microsecond % 1000 == 0:  # as most are: ``replace`` costs a microsecond
        return moment
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch: the order of answers across UTC offsets."""
    return round(moment.timestamp() * 1000)


def answer_order(ts: int, day: date, last_ts: int | None,
                 last_day: date | None) -> tuple[int, date]:
    """The (ts, study day) of a new answer, never before the card's last answer."""
    return (ts if last_ts is None else max(ts, last_ts + 1)), answer_day(day, last_day)


def answer_day(day: date, last_day: date | None) -> date:
    """The study day of an answer: never before the day of the card's last answer."""
    return day if last_day is None else max(day, last_day)


@dataclass
class Progress:
    """A card's schedule as its log builds it up, one entry at a time.

    Feed it every answer (``answer``) and action (``act``) in log order; it tells which
    answers are repeats (not the first of their study day) and keeps the state, FSRS memory,
    due day, lapses, suspended flag and buried day that the log gives, and the study day and
    grade of the card's first answer (the figures count answers on new cards by them; a
    ``forget`` leaves them, as it leaves the log). ``card_id`` and ``answers`` (how many were
    fed) seed the interval fuzz.
    """

    scheduler: Scheduler = SCHEDULER
    state: SM2State = field(default_factory=SM2State)
    due: str | None = None
    lapses: int = 0
    last_day: date | None = None
    suspended: bool = False
    buried_until: str | None = None
    memory: Memory | None = None
    card_id: int = 0
    answers: int = 0
    first_day: str | None = None
    first_grade: int | None = None

    def is_repeat(self, day: date) -> bool:
        """True when the card was already answered on study day ``day``."""
        return self.last_day is not None and day <= self.last_day

    def answer(self, grade: int, day: date) -> bool:
        """Apply one answer given on study day ``day``; returns whether it was a repeat."""
        repeat = self.is_repeat(day)
        self._remember_first(grade, day)
        if not repeat or self.scheduler.moves_on_repeat:
            self._count_lapse(grade, repeat)
            self.state, self.memory = self._next(grade, day, repeat)
            self.due = due_day(day, self.state.interval)
            self.last_day = day
        self.answers += 1
        return repeat

    def answer_all(self, answers: Sequence[tuple[int, date]]) -> None:
        """Apply answers, (grade, study day) in log order, as ``answer`` on each would.

        Under FSRS the library takes the memory state through every answer but the last in
        one call (``fsrs.Model.memory``, after ``count_earlier``), which is the same as its
        step on each, and only the last one is stepped here for its interval: a replay of a
        million answers takes a fraction of the time."""
        if isinstance(self.scheduler, FSRS) and len(answers) > 1:
            history = self.count_earlier(answers[:-1])
            self.memory = self.scheduler.model.memory(history, self.memory)
            answers = answers[-1:]
        for grade, day in answers:
            self.answer(grade, day)

    def count_earlier(self, answers: Sequence[tuple[int, date]]) -> fsrs.History:
        """Apply answers under FSRS (any parameters), all but the memory state, which the
        answers returned (days elapsed included) give with ``fsrs.Model.memory``."""
        self._remember_first(*answers[0])
        history = []
        state = self.state  # under FSRS only its repetitions move
        repetitions = state.repetitions
        for grade, day in answers:
            repeat = self.is_repeat(day)
            history.append((grade, self._elapsed(day, repeat)))
            if not repeat:  # else nothing but the memory moves
                if grade < PASSING_GRADE:  # a lapse is a failure: the state is read only then
                    self.state = SM2State(repetitions, state.interval, state.easiness)
                    self._count_lapse(grade, repeat)
                repetitions = count_repetitions(repetitions, grade, repeat)
            self.last_day = day
        self.state = SM2State(repetitions, state.interval, state.easiness)
        self.answers += len(answers)
        return fsrs.history_of(history)

    def _remember_first(self, grade: int, day: date) -> None:
        # The first answer's day and grade: what the figures count as a card's first study.
        if self.first_day is None:
            self.first_day, self.first_grade = day.isoformat(), grade

    def _count_lapse(self, grade: int, repeat: bool) -> None:
        # Lapses only grow one at a time: a card becomes a leech (and is suspended) when they
        # reach the threshold.
        if not repeat and self.scheduler.is_lapse(self.state, grade):
            self.lapses += 1
            self.suspended |= self.lapses == LEECH_LAPSES

    def preview(self, day: date) -> dict[int, int]:
        """For each grade, the interval in days an answer on study day ``day`` would give
        (a repeat under SM-2 keeps the interval)."""
        repeat = self.is_repeat(day)
        if repeat and not self.scheduler.moves_on_repeat:
            return dict.fromkeys(GRADES, self.state.interval)
        return {grade: self._next(grade, day, repeat)[0].interval for grade in GRADES}

    def _next(self, grade: int, day: date, repeat: bool) -> tuple[SM2State, Memory | None]:
        # The fuzz seed: the card and the answer's place in its log (as Anki seeds with the
        # card id and its repetitions), so a replay fuzzes alike.
        seed = self.card_id * 1_000_003 + self.answers
        return self.scheduler.next_state(self.state, self.memory, grade,
                                         self._elapsed(day, repeat), repeat, seed)

    def _elapsed(self, day: date, repeat: bool) -> int:
        """Study days from the last answer to one on ``day`` (0 for a repeat or a first)."""
        return (day - self.last_day).days if self.last_day and not repeat else 0

    def act(self, action: str, until: str | None = None) -> None:
        """Apply one card action (see the module's rules); ``until`` is the study day of a
        bury or reschedule."""
        if action in ("suspend", "unsuspend"):
            self.suspended = action == "suspend"
        elif action in ("bury", "unbury"):
            self.buried_until = until if action == "bury" else None
        elif action == "forget":
            self.state, self.due, self.lapses, self.last_day = SM2State(), None, 0, None
            self.memory = None
        elif action == "reschedule":
            self.due = until
        else:
            raise ValueError(f"unknown card action {action!r}")

    def state_row(self) -> tuple[int, int, float, str | None]:
        """Repetitions, interval, easiness and due day, as the log and the card keep them."""
        return self.state.repetitions, self.state.interval, self.state.easiness, self.due

    def card_row(self) -> tuple:
        """What the card caches of its log: ``state_row``, then lapses, leech, suspended,
        buried day, FSRS's stability and difficulty (None under SM-2), and the first
        answer's study day and grade (None before any answer)."""
        memory = self.memory
        return (*self.state_row(), self.lapses, int(self.is_leech), int(self.suspended),
                self.buried_until, *((None, None) if memory is None else
                                     (memory.stability, memory.difficulty)),
                self.first_day, self.first_grade)

    @property
    def is_leech(self) -> bool:
        """True when the card has lapsed often enough to be a leech."""
        return is_leech(self.lapses)


@dataclass(frozen=True)
class Ahead:
    """A card's answers under FSRS read ahead of its parameters (``read_ahead``): all but
    the last one counted, and their history as the library reads it; ``progress`` under
    any parameters is what ``Progress.answer_all`` gives under them."""

    counted: Progress
    history: fsrs.History
    last: tuple[int, date]

    def progress(self, scheduler: FSRS) -> Progress:
        """The card's progress through all its answers under ``scheduler``."""
        # A shallow copy (nothing it shares is changed in place), made as ``copy.copy`` makes
        # it but without its protocol's lookups: a replay makes one per card.
        progress = object.__new__(Progress)
        progress.__dict__.update(self.counted.__dict__)
        progress.scheduler = scheduler
        progress.memory = scheduler.model.memory(self.history, progress.memory)
        progress.answer(*self.last)
        return progress


def read_ahead(scheduler: FSRS, card_id: int, answers: Sequence[tuple[int, date]]) -> Ahead:
    """A new card's answers (two or more, (grade, study day) in log order) under FSRS, read
    ahead of the parameters they will be replayed under (``Ahead.progress``)."""
    counted = Progress(scheduler, card_id=card_id)
    return Ahead(counted, counted.count_earlier(answers[:-1]), answers[-1])

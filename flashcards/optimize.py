"""``flashcards optimize``: FSRS's parameters fitted to the user's own log.

The training items are built as Anki builds them (``fsrs.training_items``): one per answer
on a later study day than the card's answer before, with the card's history up to it,
sorted by time. The fit is kept only when it predicts the log better than FSRS's defaults
(a lower log-loss); with fewer than ``MIN_ITEMS`` items there is too little to fit, and the
defaults stay. Either way the cards are replayed under what is stored.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import date
from functools import cache
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import NoReturn, Self

from flashcards import fsrs
from flashcards.store import Store, StoreError

# Fewer training items than this fit noise rather than a memory: the defaults stay.
MIN_ITEMS = 100


@dataclass(frozen=True)
class FitReport:
    """What ``optimize`` did: the items it had, the log-loss and RMSE of the default and the
    fitted parameters on them, and which it stored."""

    deck: str | None
    answers: int
    items: int
    default: tuple[float, float] | None  # (log-loss, RMSE); None without items
    fitted: tuple[float, float] | None  # None when nothing was fitted
    parameters: tuple[float, ...] | None  # what is stored now; None: the defaults
    reason: str  # why these parameters, in words


def training_items(store: Store, deck: str | None = None) -> tuple[list, int]:
    """The training items of the log (of one deck, or all) in time order, and how many
    answers they come from. A card made new again (``forget``) starts its history over, as
    in Anki: its answers before are not part of it."""
    forgotten = dict(store.query(
        "SELECT card_id, max(ts) FROM card_actions WHERE action = 'forget' GROUP BY card_id"))
    # Each study day's number, worked out once (a log spans a few hundred days).
    ordinal = cache(lambda day: date.fromisoformat(day).toordinal())
    timed = []
    answers = 0
    for card_id, log in store.logs_by_card(deck):
        since = forgotten.get(card_id, -1)
        history = [(ts, quality, ordinal(day)) for _, ts, day, quality in log if ts > since]
        answers += len(history)
        timed += fsrs.training_items(history)
    timed.sort(key=itemgetter(0))
    return [item for _, item in timed], answers


def optimize(store: Store, deck: str | None = None) -> FitReport:
    """Fit FSRS to the log (of ``deck``, or all), store the parameters that predict it better
    (the fitted ones, or the defaults), and replay the cards under them, in one write.

    The library's evaluations run in a child process, on the other core (``_Evaluator``):
    the defaults' while this process fits, the fit's while it replays the cards under the
    fit, in a savepoint that is rolled back when the fit turns out no better."""
    if deck is not None and deck not in store.deck_names():
        raise StoreError(f"no deck named {deck!r}")
    store.require_writable()
    items, answers = training_items(store, deck)
    if len(items) < MIN_ITEMS:
        default = fsrs.Model().evaluate(items) if items else None
        reason = (f"too little history to fit ({len(items)} training items, at least "
                  f"{MIN_ITEMS} needed): FSRS's default parameters stay")
        with store.write():
            store.set_fsrs_parameters(None, deck)
        return FitReport(deck, answers, len(items), default, None, None, reason)
    with _Evaluator(items) as evaluator:
        evaluator.ask(fsrs.DEFAULT_PARAMETERS)
        candidate = fsrs.fit(items)
        evaluator.ask(candidate)
        default = evaluator.answer()
        with store.write():
            try:
                with store.write():  # a savepoint, kept only if the fit is better
                    store.set_fsrs_parameters(candidate, deck)
                    fitted = evaluator.answer()
                    if fitted[0] >= default[0]:
                        raise _NoBetter
                parameters = candidate
                reason = "the fitted parameters predict your log better: stored"
            except _NoBetter:
                store.set_fsrs_parameters(None, deck)
                parameters = None
                reason = "the fit predicts your log no better than the defaults: the defaults stay"
    return FitReport(deck, answers, len(items), default, fitted, parameters, reason)


class _NoBetter(Exception):
    """The fit predicts the log no better than the defaults: its replay is rolled back."""


class _Evaluator:
    """The library's ``evaluate`` of parameters on the training items, in a child process
    that runs on the other core while this one fits and replays: the library holds the GIL,
    so a thread would not run alongside. The child is forked, so it shares the items (which
    cannot be pickled); it only computes, and answers in the order asked. Where there is no
    ``fork`` (Windows), each evaluation runs here when its answer is wanted."""

    def __init__(self, items: list) -> None:
        self._items = items
        self._asked: list[tuple[float, ...]] = []
        self._child = None
        if hasattr(os, "fork"):
            self._conn, child_end = Pipe()
            pid = os.fork()
            if pid == 0:  # the child: it never returns from here
                self._conn.close()
                _evaluate_asked(child_end, items)
            child_end.close()
            self._child = pid

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the child (still computing if this process was interrupted) and reap it."""
        if self._child is not None:
            self._conn.close()
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)

    def ask(self, parameters: tuple[float, ...]) -> None:
        """Start evaluating ``parameters`` (their answer comes from ``answer``, in order)."""
        if self._child is None:
            self._asked.append(parameters)
        else:
            self._conn.send(parameters)

    def answer(self) -> tuple[float, float]:
        """(log-loss, RMSE over bins) of the earliest parameters asked and not answered."""
        if self._child is None:
            return fsrs.Model(self._asked.pop(0)).evaluate(self._items)
        try:
            return self._conn.recv()
        except EOFError:
            raise OSError("the process evaluating the fit ended unexpectedly") from None


def _evaluate_asked(conn: Connection, items: list) -> NoReturn:
    """The child's work: evaluate each set of parameters sent until the parent closes its
    end, then leave at once (no clean-up: the parent's open database is not this one's)."""
    try:
        while True:
            conn.send(fsrs.Model(conn.recv()).evaluate(items))
    finally:
        os._exit(0)

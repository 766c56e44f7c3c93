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
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import NoReturn, Self

from flashcards import fsrs, heap
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


def training_items(store: Store, deck: str | None = None) -> tuple[fsrs.TrainingItems, int]:
    """The training items of the log (of one deck, or all) in time order, and how many
    answers they come from. A card made new again (``forget``) starts its history over, as
    in Anki: its answers before are not part of it."""
    forgotten = dict(store.query(
        "SELECT card_id, max(ts) FROM card_actions WHERE action = 'forget' GROUP BY card_id"))
    timed = []
    answers = 0
    for card_id, rows in store.logs_by_card(deck, day_numbers=True):
        log = list(rows)
        if card_id in forgotten:
            log = [row for row in log if row[1] > forgotten[card_id]]
        answers += len(log)
        timed += fsrs.training_items(log)
    timed.sort(key=itemgetter(0))
    return fsrs.TrainingItems([item for _, item in timed]), answers


def optimize(store: Store, deck: str | None = None,
             while_fitting: Callable[[], object] | None = None) -> FitReport:
    """Fit FSRS to the log (of ``deck``, or all), store the parameters that predict it better
    (the fitted ones, or the defaults), and replay the cards under them, in one write.

    The fit, then its evaluation, run in a child process on the other core (``_Fit``);
    meanwhile this one runs ``while_fitting`` (the command line makes the day's backup
    there), evaluates the defaults and reads the log for the replay, and then replays the
    cards under the fit while it is evaluated, in a savepoint rolled back if the fit is no
    better.
    The collector is paused throughout: it would find no cycle among the millions of objects
    of the items and the log, yet walk them all again and again (a third of the time)."""
    if deck is not None and deck not in store.deck_names():
        raise StoreError(f"no deck named {deck!r}")
    store.require_writable()
    with heap.paused_gc():  # the items and the log die inside
        return _optimize(store, deck, while_fitting)


def _optimize(store: Store, deck: str | None,
              while_fitting: Callable[[], object] | None) -> FitReport:
    """``optimize``'s work, the collector paused."""
    items, answers = training_items(store, deck)
    count = len(items)
    if count < MIN_ITEMS:
        default = fsrs.Model().evaluate(items) if items else None
        if while_fitting:
            while_fitting()
        reason = (f"too little history to fit ({count} training items, at least "
                  f"{MIN_ITEMS} needed): FSRS's default parameters stay")
        with store.write():
            store.set_fsrs_parameters(None, deck)
        return FitReport(deck, answers, count, default, None, None, reason)
    with _Fit(items) as fit:
        if while_fitting:
            while_fitting()
        default = fsrs.Model().evaluate(items)
        del items  # freeing a million items takes a third of a second: here, while it fits
        logs = store.answer_logs()
        candidate = fit.parameters()
        with store.write():
            try:
                with store.write():  # a savepoint, kept only if the fit is better
                    store.set_fsrs_parameters(candidate, deck, logs)
                    fitted = fit.evaluation()
                    if fitted[0] >= default[0]:
                        raise _NoBetter
                parameters = candidate
                reason = "the fitted parameters predict your log better: stored"
            except _NoBetter:
                store.set_fsrs_parameters(None, deck, logs)
                parameters = None
                reason = "the fit predicts your log no better than the defaults: the defaults stay"
    return FitReport(deck, answers, count, default, fitted, parameters, reason)


class _NoBetter(Exception):
    """The fit predicts the log no better than the defaults: its replay is rolled back."""


class _Fit:
    """``fsrs.fit`` of the training items, then the evaluation of what it fits, in a child
    process on the other core while this one does the rest: the library holds the GIL, so
    a thread would not run alongside. The child is forked, so it shares the items (which
    cannot be pickled); it only computes, and sends the results in order. Where there is
    no ``fork`` (Windows), each runs here when its result is wanted."""

    def __init__(self, items: list) -> None:
        self._items: list | None = None
        self._child = None
        if not hasattr(os, "fork"):
            self._items = items
            return
        self._conn, child_end = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the child: it never returns from here
            _fit_and_evaluate(child_end, items)
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

    def parameters(self) -> tuple[float, ...]:
        """The fitted parameters (waiting for the child)."""
        if self._items is not None:
            self._fitted = fsrs.fit(self._items)
            return self._fitted
        return self._receive()

    def evaluation(self) -> tuple[float, float]:
        """(log-loss, RMSE over bins) of the fitted parameters on the items."""
        if self._items is not None:
            return fsrs.Model(self._fitted).evaluate(self._items)
        return self._receive()

    def _receive(self) -> tuple:
        try:
            result = self._conn.recv()
        except EOFError:
            raise OSError("the process fitting FSRS ended unexpectedly") from None
        if isinstance(result, ValueError):
            raise result
        return result


def _fit_and_evaluate(conn: Connection, items: list) -> NoReturn:
    """The child's work: send the fit, then its evaluation (or what went wrong), and leave
    at once (no clean-up: the parent's open database is not this one's to close, nor its
    items to free)."""
    try:
        parameters = fsrs.fit(items)
        conn.send(parameters)
        conn.send(fsrs.Model(parameters).evaluate(items))
    except ValueError as error:  # the library's errors and FitError: the parent raises it
        conn.send(error)
    finally:
        os._exit(0)


"""``flashcards optimize``: FSRS's parameters fitted to the user's own log.

The training items are built as Anki builds them (``fsrs.training_items``): one per answer
on a later study day than the card's answer before, with the card's history up to it,
sorted by time. The fit is kept only when it predicts the log better than FSRS's defaults
(a lower log-loss); with fewer than ``MIN_ITEMS`` items there is too little to fit, and the
defaults stay. Either way the cards are replayed under what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import itemgetter

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
    (the fitted ones, or the defaults), and replay the cards under them, in one write."""
    if deck is not None and deck not in store.deck_names():
        raise StoreError(f"no deck named {deck!r}")
    store.require_writable()
    items, answers = training_items(store, deck)
    default = fsrs.Model().evaluate(items) if items else None
    fitted = parameters = None
    if len(items) < MIN_ITEMS:
        reason = (f"too little history to fit ({len(items)} training items, at least "
                  f"{MIN_ITEMS} needed): FSRS's default parameters stay")
    else:
        candidate = fsrs.fit(items)
        fitted = fsrs.Model(candidate).evaluate(items)
        if fitted[0] < default[0]:
            parameters, reason = candidate, "the fitted parameters predict your log better: stored"
        else:
            reason = "the fit predicts your log no better than the defaults: the defaults stay"
    with store.write():
        store.set_fsrs_parameters(parameters, deck)
    return FitReport(deck, answers, len(items), default, fitted, parameters, reason)

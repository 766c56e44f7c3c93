"""Card actions on the cards a search finds: suspend, unsuspend, bury, unbury, forget and
reschedule, each an entry in the log (see ``flashcards.scheduling``).

A card that an action would leave as it is gets no entry: suspending 40 cards of which 10
already are suspended logs 30 actions, and undoing it never unsuspends the other 10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flashcards import search
from flashcards.model import Search
from flashcards.store import Store

# Per action, the SQL of the cards it would leave unchanged (``:until`` is its study day).
UNCHANGED = {
    "suspend": "cards.suspended = 1",
    "unsuspend": "cards.suspended = 0",
    "bury": "coalesce(cards.buried_until, '') >= :until",
    "unbury": "coalesce(cards.buried_until, '') <= :today",
    "forget": "cards.due IS NULL AND cards.lapses = 0",
    "reschedule": "cards.due IS :until",
}
# What each action does, as the command's help and its report say it.
DONE = {"suspend": "suspended", "unsuspend": "unsuspended", "bury": "buried until tomorrow",
        "unbury": "unburied", "forget": "made new again", "reschedule": "rescheduled"}


@dataclass(frozen=True)
class Plan:
    """What an action on a search would do: how many cards match, and which it changes."""

    action: str
    until: date | None
    matched: int
    card_ids: list[int]


def plan(store: Store, query: str | Search, action: str, days: int | None = None) -> Plan:
    """The cards that ``query`` (search text, or a compiled search) finds and that
    ``action`` would change. ``days``: for reschedule, due that many days from today."""
    if (days is None) == (action == "reschedule"):
        raise ValueError(f"{action}: days are {'needed' if days is None else 'not taken'}")
    found = query if isinstance(query, Search) else search.compile_search(store, query)
    today = store.today()
    until = {"bury": today + timedelta(days=1),
             "reschedule": today + timedelta(days=days or 0)}.get(action)
    params = {**found.params, "until": until.isoformat() if until else None,
              "today": today.isoformat()}
    rows = store.query(
        f"SELECT cards.id, {UNCHANGED[action]} FROM cards JOIN decks ON decks.id = "
        f"cards.deck_id WHERE {found.where} ORDER BY cards.id", params,
    )
    return Plan(action, until, len(rows), [card_id for card_id, same in rows if not same])


def carry_out(store: Store, planned: Plan,
              on_progress: Callable[[int], None] | None = None) -> list[str]:
    """Log the planned action for each card it changes, in one transaction; returns the
    action ids (for undo). ``on_progress`` hears how many cards are done, chunk by chunk."""
    return store.act(planned.card_ids, planned.action, planned.until, on_progress=on_progress)


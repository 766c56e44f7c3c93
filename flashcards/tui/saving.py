"""Writes from the app's screens: a write the database refused is told, never a crash."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from flashcards.session import CardGone
from flashcards.store import StoreError

NOT_SAVED = object()
SKIPPED = object()


def save(screen: Screen, write: Callable[..., Any], *args: Any,
         on_busy: Callable[[], None] | None = None) -> Any:
    """One write of the session, or ``NOT_SAVED`` when the database refused it (another
    process held it past the busy timeout, the disk is full): the user is told, the sitting
    and the screen stay as they were, and the key can be pressed again; when the database
    was only busy and ``on_busy`` is given, that is called instead (to try again soon).
    ``SKIPPED``: another process changed the card, so nothing was written and the screen
    shows the next card."""
    try:
        return write(*args)
    except CardGone as gone:
        screen.notify(str(gone), timeout=5, markup=False)
        return SKIPPED
    except (sqlite3.Error, StoreError) as error:
        if on_busy is not None and is_busy(error):
            on_busy()
        else:
            screen.notify(f"Not saved ({error}): nothing changed. {_advice(error)}",
                          severity="error", timeout=8, markup=False)
        return NOT_SAVED


def _advice(error: Exception) -> str:
    """What to do about a refused write: waiting helps unless the disk is full."""
    if isinstance(error, sqlite3.OperationalError) and "disk is full" in str(error):
        return "Free some space on the disk, then press the key again."
    return "Press the key again in a moment."


def is_busy(error: Exception) -> bool:
    """True when another connection holds the database: a wait, not a failure."""
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error))

"""Background work that failed: told in one line, and the app goes on.

Every worker of the app runs with ``exit_on_error=False``; its failure comes back as a
``Worker.StateChanged`` to the node that started it (the app, or a screen through
``screens.base.BaseScreen``), and both hand it to ``report_worker_failure``. A locked
database or a ``StoreError`` is an inconvenience, never a traceback that ends the app.
"""

from __future__ import annotations

import sqlite3

from textual.worker import Worker

from flashcards.store import StoreError

EXPECTED = (sqlite3.Error, StoreError, OSError)  # their text says it all; others get their type


def one_line(error: BaseException | None) -> str:
    """The error as one line of text: its message, with its type unless it is an expected one."""
    text = " ".join(str(error).split())
    if isinstance(error, EXPECTED) and text:
        return text
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def report_worker_failure(worker: Worker, retry_key: str = "") -> None:
    """Tell the user that ``worker`` failed and why, in one line, with the key that tries again.

    The worker's name says what it was doing ("reading the decks"). The text is never markup.
    """
    hint = f" Press {retry_key} to try again." if retry_key else ""
    worker.node.notify(f"{worker.name} failed: {one_line(worker.error).rstrip('.')}.{hint}",
                       severity="error", timeout=8, markup=False)

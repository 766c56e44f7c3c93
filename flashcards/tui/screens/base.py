"""What every screen of the app shares: its workers never take the app down.

Every screen derives from ``BaseScreen`` and gets what it reads, the store or a session, in
its constructor.
"""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from flashcards.tui.failures import report_worker_failure


class BaseScreen(Screen[None]):
    """A screen whose failed workers are told in one line (``report_worker_failure``)."""

    RETRY_KEY: ClassVar[str] = ""  # the key that runs the failed work again, if there is one

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """A worker of this screen raised: tell the user. A screen may do more."""
        report_worker_failure(worker, self.RETRY_KEY)

"""A small dialog that asks in how many days cards are due (the browser's reschedule)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from flashcards.scheduling import MAX_INTERVAL_DAYS


class DueDaysScreen(ModalScreen[int | None]):
    """Days from today, 0 for today; enter sets it, escape changes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, cards: int) -> None:
        super().__init__()
        self.cards = cards

    def compose(self) -> ComposeResult:
        with Vertical(id="due-days"):
            yield Static(Content(f"Due in how many days? ({self.cards} "
                                 f"card{'s' * (self.cards != 1)}; 0 is today)"))
            yield Input(type="integer", placeholder=f"0 to {MAX_INTERVAL_DAYS}")
            yield Static(id="due-days-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_INTERVAL_DAYS:
            self.query_one("#due-days-error", Static).update(
                Content(f"a whole number of days from 0 to {MAX_INTERVAL_DAYS}"))
            return
        self.dismiss(int(value))

    def action_cancel(self) -> None:
        self.dismiss(None)

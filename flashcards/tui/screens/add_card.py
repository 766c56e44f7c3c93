"""The add-a-card form: a deck, a type, a front and a back of several lines, tags.

Any screen opens it with ``app.add_card(deck)`` (``a`` on home and in the review) and gets
the ``Added`` card back through the callback, or None when the form was left. The card is
written by ``authoring.add_card`` in a worker, on a connection of its own: adding to a
deck of 10,000 cards reads and checks its whole file (~1 s). A card that cannot be added
is said in the form, which keeps everything typed so far.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from flashcards.authoring import Added, AuthoringError, NewCard, add_card, parse_tags
from flashcards.decks import DeckError
from flashcards.store import Store, StoreError
from flashcards.sync import deck_files
from flashcards.text import clip
from flashcards.tui.failures import one_line, report_worker_failure
from flashcards.tui.messages import CardAddTried
from flashcards.tui.widgets.key_footer import KeyFooter

KINDS = {
    "basic": "basic",
    "reverse": "reverse (also back → front)",
    "cloze": "cloze ({{c1::answer}} in the text)",
}
# What the two text boxes are called, by type: a cloze's back is only extra text.
SIDES = {"cloze": ("text, with {{c1::answer}}", "extra, shown after the answer (optional)")}
FRONT_AND_BACK = ("front", "back")


class AddCardScreen(ModalScreen[Added | None]):
    """The form over the screen that opened it; ctrl+s adds the card, escape leaves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "add", "add the card", priority=True),
        Binding("escape", "leave", "cancel"),
    ]

    adding = False  # a worker is writing the card: ctrl+s waits

    def __init__(self, store: Store, deck: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.decks = list(deck_files(store))
        self.deck = deck if deck in self.decks else None

    def compose(self) -> ComposeResult:
        with Vertical(id="add-card") as form:
            form.border_title = "Add a card"
            if not self.decks:
                yield Static(Content("No deck has a file to add to: import one first "
                                     "(flashcards import DECK.yaml)."), id="add-status")
            else:
                # rich Text is never markup: a deck may be called "[bold]x".
                with Horizontal(id="add-choices"):
                    yield Static(Content("deck "))
                    yield Select([(Text(name), name) for name in self.decks], id="add-deck",
                                 allow_blank=False, value=self.deck or self.decks[0],
                                 compact=True)
                    yield Static(Content("  type "))
                    yield Select([(Text(label), kind) for kind, label in KINDS.items()],
                                 id="add-type", allow_blank=False, value="basic", compact=True)
                yield Static(Content(FRONT_AND_BACK[0]), id="add-front-label")
                yield TextArea(id="add-front", soft_wrap=True)
                yield Static(Content(FRONT_AND_BACK[1]), id="add-back-label")
                yield TextArea(id="add-back", soft_wrap=True)
                with Horizontal(id="add-tags-row"):
                    yield Static(Content("tags "))
                    yield Input(placeholder="separated by commas", id="add-tags", compact=True)
                yield Static(id="add-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.decks:
            self.query_one("#add-front", TextArea).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "add-type":
            front, back = SIDES.get(str(event.value), FRONT_AND_BACK)
            self.query_one("#add-front-label", Static).update(Content(front))
            self.query_one("#add-back-label", Static).update(Content(back))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return bool(self.decks) and not self.adding
        return True

    def card(self) -> NewCard:
        """The card as the form holds it now."""
        return NewCard(
            deck=str(self.query_one("#add-deck", Select).value),
            front=self.query_one("#add-front", TextArea).text,
            back=self.query_one("#add-back", TextArea).text,
            tags=parse_tags(self.query_one("#add-tags", Input).value),
            kind=str(self.query_one("#add-type", Select).value),
        )

    def action_add(self) -> None:
        self.adding = True
        self.refresh_bindings()
        self.show_status("adding…")
        self.write(self.card())

    def action_leave(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, name="adding the card")
    def write(self, card: NewCard) -> None:
        """Add the card on a connection of the worker's own; the outcome comes back as
        ``CardAddTried``."""
        added, problem = None, ""
        store = Store.open(self.store.path)
        try:
            added = add_card(store, card)
        except (AuthoringError, DeckError) as error:  # bad input, a deck file that is not
            problem = str(error)
        except (StoreError, sqlite3.Error, OSError) as error:  # a busy or broken database
            problem = one_line(error)
        finally:
            store.close()
        self.post_message(CardAddTried(added, problem))

    def on_card_add_tried(self, message: CardAddTried) -> None:
        self.adding = False
        self.refresh_bindings()
        added = message.added
        if added is None:
            self.show_status(message.problem)
            return
        cards = f"{added.cards} cards" if added.cards != 1 else "1 card"
        self.notify(f"added to {added.deck} ({cards}): {clip(self.card().front, 60)}",
                    timeout=4, markup=False)
        self.dismiss(added)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure nobody expected is told, and the form stays, ready to try again."""
        if event.state is WorkerState.ERROR:
            self.adding = False
            self.refresh_bindings()
            self.show_status("")
            report_worker_failure(event.worker)

    def show_status(self, problem: str) -> None:
        """Say under the form why the card was not added (or that it is being added)."""
        self.query_one("#add-status", Static).update(Content(problem))

"""The home screen: decks with new / due / total and next due day, today's progress, the keys."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Static
from textual.worker import Worker

from flashcards.model import SyncReport
from flashcards.session import Session
from flashcards.store import Store
from flashcards.sync import sync_sources
from flashcards.tui.app import FlashcardsApp
from flashcards.tui.messages import DecksLoaded
from flashcards.tui.screens.base import BaseScreen
from flashcards.tui.widgets.key_footer import KeyFooter

EMPTY = """\
No cards yet.

Add a deck (a YAML file of cards) with

    flashcards import DECK.yaml

and run flashcards again. A deck looks like:

    deck: spanish
    cards:
      - front: el perro
        back: the dog
        reverse: true
"""


def next_due_label(due_now: int, next_due: str | None, today: date) -> str:
    """"now" when cards are due, else the next day something is due, as "in 3d (Mar 13)"."""
    if due_now:
        return "now"
    if not next_due:
        return "-"
    day = date.fromisoformat(next_due)
    days = (day - today).days
    return f"{'tomorrow' if days == 1 else f'in {days}d'} ({day:%b %d})"


def title(today: date | None) -> Content:
    """``flashcards  Tuesday 10 March 2026``, or just ``flashcards`` before the day is read."""
    if today is None:
        return Content.styled("flashcards", "bold")
    return Content.assemble(("flashcards", "bold"), "  ", (f"{today:%A %d %B %Y}", "dim"))


class HomeScreen(BaseScreen):
    """Decks and today's progress; enter/r reviews the selected deck, R reviews them all, a
    adds a card (to the selected deck).

    Everything it shows is read by a worker: a database that cannot be read right now is
    told in a notification, and ctrl+r reads it again.
    """

    app = getters.app(FlashcardsApp)

    BINDINGS: ClassVar[list[BindingType]] = [
        # The table takes enter itself (RowSelected, below); r does the same from anywhere.
        Binding("r", "review_selected", "review deck", key_display="enter/r"),
        Binding("R", "review_all", "review all"),
        Binding("a", "add_card", "add a card"),
        Binding("s", "stats", "stats"),
        Binding("slash", "browse", "browse"),
        Binding("q", "app.quit", "quit"),
        Binding("ctrl+r", "reload", "read again"),  # offered only after a failed read
    ]
    RETRY_KEY = "ctrl+r"

    deck_count = 0
    read_failed = False

    def __init__(self, store: Store, synced: bool = False) -> None:
        super().__init__()
        self.store = store
        # True when the deck files were synced just before (the command line does it at
        # start): the first read then skips that work, every later one syncs again.
        self._synced = synced

    def compose(self) -> ComposeResult:
        yield Static(title(None), id="home-title")  # no database read on the UI thread
        yield Static(id="home-progress")
        table: DataTable = DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        table.add_column("deck", key="deck")
        for column in ("new", "due", "total"):
            table.add_column(column, key=column)
        table.add_column("next due", key="next")
        yield table
        yield Static(Content(EMPTY), id="home-empty")
        yield KeyFooter()

    def on_screen_resume(self) -> None:
        self.refresh_decks(sync=not self._synced)
        self._synced = False

    @work(thread=True, exclusive=True, exit_on_error=False, name="reading the decks")
    def refresh_decks(self, sync: bool = True) -> None:
        """Sync the deck files that changed (unless ``sync`` is False), then read the day, the
        deck counts and today's answers again (after a review, an import, an edit in another
        window).

        Counting a deck means scanning its cards (~0.1 s for 100,000), so it happens in a
        thread, on a connection of its own (a second reader is free in WAL mode).
        """
        store = Store.open(self.store.path)
        try:
            report = sync_sources(store) if sync else SyncReport()
            today = store.today()
            decks = [deck for deck in store.deck_summaries(today) if deck["cards"]]
            answers = store.reviews_on(today)
            left = Session(store).counts()  # what "a" would review now, daily limits applied
        finally:
            store.close()
        synced = [deck.deck for deck in report.decks if deck.added or deck.updated or deck.retired]
        self.post_message(DecksLoaded(today, decks, answers, left, synced, report.problems))

    def worker_failed(self, worker: Worker) -> None:
        self.read_failed = True
        self.refresh_bindings()
        super().worker_failed(worker)

    def on_decks_loaded(self, message: DecksLoaded) -> None:
        self.read_failed = False
        if message.synced:
            self.notify(f"synced from their files: {', '.join(message.synced)}", timeout=5,
                        markup=False)
        self.app.tell_problems(message.problems)
        today, decks = message.today, message.decks
        table = self.query_one(DataTable)
        selected = table.cursor_row
        table.clear()
        for deck in decks:
            table.add_row(
                Text(deck["name"]),  # rich Text(str) is never markup; a bare str would be
                *(_number(deck[key]) for key in ("new", "due", "cards")),
                Text(next_due_label(deck["due"], deck["next_due"], today)),
                key=deck["name"],
            )
        if decks:
            table.move_cursor(row=min(selected, len(decks) - 1))
        self.deck_count = len(decks)
        self.query_one("#home-title", Static).update(title(today))  # the day may have turned
        self.set_class(not decks, "-empty")
        answers, left = message.answers, message.left
        cards = len({answer.card_id for answer in answers})
        self.query_one("#home-progress", Static).update(Content.assemble(
            "Today: ", (str(cards), "bold"), f" card{'s' * (cards != 1)} reviewed, ",
            (str(len(answers)), "bold"), f" answer{'s' * (len(answers) != 1)}",
            "  ·  up next: ", (str(left["new"]), "bold $text-primary"), " new, ",
            (str(left["review"]), "bold $text-success"), " due, ",
            (str(left["again"]), "bold $text-error"), " again",
        ))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("review_selected", "review_all"):
            return self.deck_count > 0
        if action == "reload":
            return self.read_failed
        return True

    def action_reload(self) -> None:
        self.refresh_decks()

    def action_review_selected(self) -> None:
        deck = self.selected_deck()
        if deck is not None:
            self.app.review(deck)

    def action_add_card(self) -> None:
        self.app.add_card(self.selected_deck())

    def selected_deck(self) -> str | None:
        """The name of the deck under the cursor; None while the table is empty."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on a deck's row reviews that deck."""
        self.app.review(event.row_key.value)

    def action_review_all(self) -> None:
        self.app.review(None)

    def action_browse(self) -> None:
        self.app.browse()

    def action_stats(self) -> None:
        from flashcards.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.store))


def _number(value: int) -> Text:
    return Text(str(value), justify="right")

"""The Textual app: which screen comes first, and how the screens hand over to each other.

A screen gets what it reads, the store or a session, in its constructor; it reaches the app
only to hand over to another screen, through a typed ``app = getters.app(FlashcardsApp)``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from textual import work
from textual.app import App
from textual.filter import LineFilter
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from flashcards.model import Search
from flashcards.session import Session
from flashcards.store import Store
from flashcards.tui.control_filter import DropControlCharacters
from flashcards.tui.failures import report_worker_failure

if TYPE_CHECKING:  # authoring loads PyYAML and the deck reader: not before the first card
    from flashcards.authoring import Added

APP_BUSY_TIMEOUT_MS = 200
_DROP_CONTROLS = DropControlCharacters()  # one instance: strips cache what it returns


class FlashcardsApp(App[None]):
    """Daily reviews in the terminal: home (decks), review (one sitting), summary; the
    add-a-card form over any of them."""

    CSS_PATH = "app.tcss"
    TITLE = "flashcards"

    def __init__(self, store: Store, deck: str | None = None,
                 start: Literal["home", "review"] = "home", daily_backup: bool = False,
                 notices: Sequence[str] = (), problems: Sequence[str] = (),
                 search: Search | None = None, cram: bool = False,
                 synced: bool = False) -> None:
        super().__init__()
        # A write another process holds up fails fast and is tried again in the background
        # (see ReviewScreen._save), so the app never freezes for the full busy timeout.
        store.set_busy_timeout(APP_BUSY_TIMEOUT_MS)
        self.store = store
        self.deck = deck
        self.search, self.cram = search, cram  # a custom study's, when it starts in one
        self.start = start
        self.daily_backup = daily_backup
        self.notices = notices
        self.problems = problems
        self.synced = synced  # the deck files were synced just before the app started
        self._told: set[str] = set()

    def on_mount(self) -> None:
        # What is alive once the first screen is drawn (modules, classes, styles) lives as
        # long as the app: moved out of the collector's sight, a full collection no longer
        # walks it (40-140 ms) in the middle of a key. The review collects at idle moments.
        self.call_after_refresh(gc.freeze)
        if self.daily_backup:
            self.call_after_refresh(self._back_up)
        for notice in self.notices:  # where the decks are, a deck file that did not sync
            self.notify(notice, timeout=12, markup=False)
        self.tell_problems(self.problems)

    def tell_problems(self, problems: Sequence[str]) -> None:
        """Show each deck file that did not sync, once: not again on every return home."""
        for problem in problems:
            if problem not in self._told:
                self._told.add(problem)
                self.notify(problem, title="deck not synced", severity="warning", timeout=20,
                            markup=False)

    @work(thread=True, exit_on_error=False, name="daily backup")
    def _back_up(self) -> None:
        """The day's first backup, after the first frame, on a connection of its own."""
        store = Store.open(self.store.path)
        try:
            store.daily_backup()
        finally:
            store.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers fail as the screens' do: told in one line, nothing ends."""
        if event.state is WorkerState.ERROR:
            report_worker_failure(event.worker)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that keeps control characters off the terminal."""
        return [*super().get_line_filters(), _DROP_CONTROLS]

    def get_default_screen(self) -> Screen:
        """The first screen is the one asked for, so the very first frame already shows it."""
        if self.start == "review":
            from flashcards.tui.screens.review import ReviewScreen

            return ReviewScreen(Session(self.store, self.deck, self.search, self.cram))
        from flashcards.tui.screens.home import HomeScreen

        return HomeScreen(self.store, synced=self.synced)

    def review(self, deck: str | None = None, search: Search | None = None,
               cram: bool = False) -> None:
        """Start a sitting over one deck (or all of them), or a custom study of a search, on
        top of the current screen."""
        from flashcards.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen(Session(self.store, deck, search, cram)))

    def add_card(self, deck: str | None = None,
                 callback: Callable[[Added | None], None] | None = None) -> None:
        """Open the add-a-card form over the current screen, with ``deck`` picked; the
        callback gets the card added, or None when the form was left."""
        from flashcards.tui.screens.add_card import AddCardScreen

        self.push_screen(AddCardScreen(self.store, deck), callback)

    def browse(self, on_close: Callable[[], None] | None = None) -> None:
        """Open the card browser on top of the current screen; ``on_close`` runs when it
        is left (the review reads its card again: the browser may have changed it)."""
        from flashcards.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen(self.store),
                         None if on_close is None else lambda _result: on_close())

    def finish_review(self, session: Session) -> None:
        """Replace the review screen by its summary."""
        from flashcards.tui.screens.summary import SummaryScreen

        self._replace_top(SummaryScreen(session))

    def resume_review(self, session: Session) -> None:
        """Go back from the summary into the same sitting (after an undo)."""
        from flashcards.tui.screens.review import ReviewScreen

        self._replace_top(ReviewScreen(session))

    def go_home(self) -> None:
        """Show the home screen: back down the stack if it is there, else in place of the top."""
        from flashcards.tui.screens.home import HomeScreen

        homes = [screen for screen in self.screen_stack if isinstance(screen, HomeScreen)]
        if homes:
            while self.screen is not homes[-1]:
                self.pop_screen()
        else:
            self._replace_top(HomeScreen(self.store))

    def _replace_top(self, screen: Screen) -> None:
        # The first screen cannot be switched away (Textual keeps no result callback for
        # it), so a screen that replaces it goes on top of it instead.
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)


def make_app(store: Store, deck: str | None = None,
             start: Literal["home", "review"] = "home",
             daily_backup: bool = False, notices: Sequence[str] = (),
             problems: Sequence[str] = (), search: Search | None = None,
             cram: bool = False, synced: bool = False) -> FlashcardsApp:
    """The app over an open store, starting on the home screen or straight in a review
    (of a custom study's ``search`` and ``cram``, if given).

    With ``daily_backup`` it makes the day's first backup in the background; ``notices``
    and ``problems`` (deck files that did not sync) are shown once the first screen is up.
    ``synced``: the deck files were just synced, so the first home screen does not again.
    """
    return FlashcardsApp(store, deck=deck, start=start, daily_backup=daily_backup,
                         notices=notices, problems=problems, search=search, cram=cram,
                         synced=synced)

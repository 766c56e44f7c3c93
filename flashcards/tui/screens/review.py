"""One sitting: the front, a reveal, a grade, the next card; undo, suspend, bury, edit, add.

Every action goes through ``Session``, which has written it to SQLite when it returns, and
only then does the next card appear. Widgets are updated in place (no recompose), so a
grade reaches the screen within a frame.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, ClassVar

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerFailed

from flashcards.model import Card
from flashcards.scheduling import LEECH_LAPSES
from flashcards.session import Session
from flashcards.sm2 import QUALITY_LABELS
from flashcards.text import format_interval
from flashcards.tui.app import FlashcardsApp
from flashcards.tui.editing import edit_in_editor, reimport_deck
from flashcards.tui.messages import DeckReimported
from flashcards.tui.saving import NOT_SAVED, SKIPPED, save
from flashcards.tui.screens.base import BaseScreen
from flashcards.tui.widgets.card_view import CardView
from flashcards.tui.widgets.key_footer import KeyFooter
from flashcards.tui.widgets.review_header import ReviewHeader

CARD_ACTIONS = {"reveal", "grade", "undo", "suspend", "bury", "edit"}
COLLECT_DELAY = 0.1  # seconds after a new front: its frame and the back's are done
# New objects between two automatic collections of the young ones during a review (Python's
# default is 700): a key makes about a thousand, and the review collects after each card
# anyway, so no key waits for the collector (0.2 ms of each grade otherwise).
YOUNG_OBJECTS = 10_000
BUSY_RETRY_SECONDS = 0.25  # how often a write waiting for a busy database is tried again
# The smallest window that shows a line of the card between the header and the keys: below
# it the card is hidden, and so are its keys (no grading a card nobody can see).
MIN_SIZE = Size(24, 8)


def too_small_text(size: Size) -> Content:
    """The one line shown instead of the card when the window is smaller than ``MIN_SIZE``."""
    return Content(f"Window too small ({size.width}×{size.height}): "
                   f"the review needs {MIN_SIZE.width}×{MIN_SIZE.height}.")


class ReviewScreen(BaseScreen):
    """Front first; space reveals; 0-5 grade; the summary replaces this screen at the end."""

    app = getters.app(FlashcardsApp)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "reveal", "show answer", priority=True),
        *(Binding(str(q), f"grade({q})", QUALITY_LABELS[q], priority=True) for q in range(6)),
        Binding("u", "undo", "undo"),
        Binding("s", "suspend", "suspend"),
        Binding("b", "bury", "bury"),
        Binding("e", "edit", "edit"),
        Binding("slash", "browse", "browse"),
        Binding("a", "add_card", "add a card"),
        Binding("q,escape", "leave", "home"),
    ]
    RETRY_KEY = "e"  # a re-import the database refused: edit (or just save) again

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._intervals: dict[int, int] = {}
        self.revealed = False
        self.too_small = False  # than MIN_SIZE: the card and its keys wait
        self._reimported = asyncio.Event()  # set once an edited deck is imported and shown
        self._retry: Timer | None = None  # a write waiting for the database to be free

    def compose(self) -> ComposeResult:
        yield ReviewHeader(cram=self.session.cram)
        yield CardView(self.session.current, self.session.current_kind or "new")
        yield KeyFooter(immediate=True)
        yield Static(id="too-small")

    def on_resize(self, event: Resize) -> None:
        too_small = event.size.width < MIN_SIZE.width or event.size.height < MIN_SIZE.height
        if too_small:
            self.query_one("#too-small", Static).update(too_small_text(event.size))
        if too_small != self.too_small:
            self.too_small = too_small
            self.set_class(too_small, "-too-small")
            self.refresh_bindings()
            if not too_small and self.focused is None:
                self.query_one(CardView).focus()  # hiding it took the focus away

    def on_mount(self) -> None:
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(YOUNG_OBJECTS, *self._gc_threshold[1:])
        if self.session.current is None:
            self.call_after_refresh(self.app.finish_review, self.session)
        else:
            self._show_header()
            self.query_one(CardView).prepare(self.session.upcoming)

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_threshold)

    # -- what the footer shows -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grades only after the reveal, reveal only before it, undo only with a past; no card
        key while the window is too small to show the card, or while a write waits for the
        database."""
        if action not in CARD_ACTIONS:
            return True
        if self.session.current is None or self.too_small or self._retry is not None:
            return False
        if action == "grade":
            return self.revealed
        if action == "reveal":
            return not self.revealed
        if action == "undo":
            return self.session.can_undo()
        return True

    def keys_state(self) -> tuple:
        """What ``check_action`` and ``key_label`` answer from: the footer reads the keys
        again only when this changes."""
        blocked = self.session.current is None or self.too_small or self._retry is not None
        labels = tuple(self._intervals.items()) if self.revealed else ()
        return blocked, self.revealed, self.session.can_undo(), labels

    def key_label(self, binding: Binding) -> str | None:
        """Grade keys read "good 6d": the label and the interval that grade would give."""
        if binding.action.startswith("grade("):
            quality = int(binding.key)
            days = self._intervals.get(quality)
            label = QUALITY_LABELS[quality]
            return label if days is None else f"{label} {format_interval(days)}"
        return None

    # -- actions -----------------------------------------------------------------------------

    def action_reveal(self) -> None:
        self.query_one(CardView).reveal()
        self.revealed = True
        self._intervals = self.session.intervals()
        self.refresh_bindings()

    async def action_grade(self, quality: int) -> None:
        card = self.session.current
        result = self._save(partial(self.action_grade, quality), self.session.answer, quality)
        if result is NOT_SAVED:
            return
        if result is SKIPPED:
            await self._next()
            return
        if result.became_leech:
            self.notify(
                f"{_first_line(card.front)}\nlapsed {LEECH_LAPSES} times: suspended and "
                "tagged as a leech. Press u to undo; rewrite it, then bring it back with "
                "`flashcards unsuspend is:leech`.",
                title="leech", severity="warning", timeout=8, markup=False,
            )
        await self._next()

    async def action_undo(self) -> None:
        undone = self._save(self.action_undo, self.session.undo)
        if undone is NOT_SAVED:
            return
        if undone:
            self.notify(f"undid {undone}", timeout=2, markup=False)
        await self._next()

    async def action_suspend(self) -> None:
        await self._set_aside(self.action_suspend, self.session.suspend, "suspended")

    async def action_bury(self) -> None:
        await self._set_aside(self.action_bury, self.session.bury, "buried until tomorrow")

    async def action_edit(self) -> None:
        card = self.session.current
        if edit_in_editor(self, card):
            await self._reimport(card.file)

    def action_browse(self) -> None:
        """Open the browser; back here, the sitting goes on with the same card, unless the
        browser changed it (then it is shown again as it is now) or took it out."""
        self.app.browse(on_close=self._back_from_browser)

    async def _back_from_browser(self) -> None:
        before = self.session.current
        self.session.reload()
        if self.session.current != before:
            await self._next()

    def action_add_card(self) -> None:
        """The add form, with this card's deck picked; the sitting goes on after it."""
        card = self.session.current
        self.app.add_card(card.deck if card else None)

    def action_leave(self) -> None:
        if self._retry is not None:
            self._retry.stop()
            self._retry = None
            self.notify("Left without saving that key: the database stayed busy.",
                        severity="warning", timeout=6, markup=False)
        self.app.go_home()

    # -- helpers -----------------------------------------------------------------------------

    def _save(self, again: Callable[[], Awaitable[None]], write: Callable[..., Any],
              *args: Any) -> Any:
        """One write of the session (on disk when this returns), as ``saving.save``. While
        another process holds the database, the app stays responsive: the key's action is
        tried again every ``BUSY_RETRY_SECONDS``, card keys wait, and q leaves."""
        def retry_soon() -> None:
            if self._retry is None:  # told once, however many tries it takes
                self.notify("The database is busy (another flashcards process is writing): "
                            "saving as soon as it is free. q leaves without saving.",
                            timeout=6, markup=False)
            self._retry = self.set_timer(BUSY_RETRY_SECONDS, again)

        waiting = self._retry
        result = save(self, write, *args, on_busy=retry_soon)
        if self._retry is waiting:  # saved, or failed for good: nothing waits any more
            self._retry = None
        if result is NOT_SAVED:  # the same card stays, its keys as the retry has them
            self.refresh_bindings()
        return result  # else the caller shows the next card, and its keys (_next)

    async def _set_aside(self, again: Callable[[], Awaitable[None]],
                         action: Callable[[], Card], done: str) -> None:
        """Suspend or bury the current card, say so, and show the next one."""
        card = self._save(again, action)
        if card is NOT_SAVED:
            return
        if card is SKIPPED:
            await self._next()
            return
        self.notify(f"{done}: {_first_line(card.front)}", timeout=3, markup=False)
        await self._next()

    async def _reimport(self, path: str) -> None:
        """Import the edited deck file again in a worker, and wait until its card is shown.

        Only the parsing leaves the UI thread: keys pressed meanwhile wait, as they always
        did, and apply to the card as the import left it.
        """
        self._reimported = asyncio.Event()
        try:
            posted = await self.reimport(path).wait()
        except (WorkerFailed, WorkerCancelled):
            return  # told by worker_failed; nothing changed
        if posted:
            await self._reimported.wait()

    @work(thread=True, exclusive=True, exit_on_error=False, name="re-importing the deck")
    def reimport(self, path: str) -> bool:
        """Sync the deck file into the database on a connection of the worker's own; the
        outcome comes back as ``DeckReimported`` (True once it is posted)."""
        return self.post_message(DeckReimported(path, reimport_deck(self.session.store.path,
                                                                    path)))

    async def on_deck_reimported(self, message: DeckReimported) -> None:
        try:
            if message.errors:
                self.notify("\n".join(message.errors), title="deck not re-imported",
                            severity="error", timeout=15, markup=False)
                return
            revealed = self.revealed
            before = self.session.current
            self.session.reload()
            self.notify("deck re-imported", timeout=2, markup=False)
            await self._next()
            current = self.session.current
            if revealed and before and current and current.id == before.id:
                self.action_reveal()
        finally:
            self._reimported.set()

    async def _next(self) -> None:
        """Show the session's current card, front only, or the summary when it is over.

        One batch: the header, the new front and the footer reach the screen in one frame.
        """
        card = self.session.current
        if card is None:
            self.app.finish_review(self.session)
            return
        view = self.query_one(CardView)
        with self.app.batch_update():
            self._show_header()
            self.revealed = False
            view.show(card, self.session.current_kind)
            self.refresh_bindings()
        # The last card's lines are garbage now: collect them while the front is read, once
        # the next card is rendered, rather than when the collector decides to, which can be
        # in the middle of the next key.
        self.set_timer(COLLECT_DELAY, gc.collect)

    def _show_header(self) -> None:
        session = self.session
        done = len(session.answers)
        card = session.current
        self.query_one(ReviewHeader).show(
            card.deck, done + 1, done + len(session.queue), session.counts()
        )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 60 else line[:59] + "…"

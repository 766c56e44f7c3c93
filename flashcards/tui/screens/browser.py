"""The card browser: a search box, the cards it finds, and the one under the cursor in full.

The search runs in a thread on a connection of its own and keeps only the ids of what it
finds (``search.card_ids``); the table reads the rows it shows (``CardTable``). The card
under the cursor is shown as the review shows it (``CardView``, its back revealed), next to
its facts and its answers (``CardHistory``).

Actions (suspend, bury, forget, a new due day, and undo) work on the marked cards, or on
the card under the cursor; each goes through ``Store.act``, so it is in the card's log.
"""

from __future__ import annotations

from typing import ClassVar

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed, get_current_worker

from flashcards import actions, export
from flashcards.model import Search
from flashcards.search import SearchError, card_ids, compile_search
from flashcards.store import Store
from flashcards.tui.app import FlashcardsApp
from flashcards.tui.editing import edit_in_editor, reimport_deck
from flashcards.tui.messages import CardsFound
from flashcards.tui.saving import NOT_SAVED, save
from flashcards.tui.screens.base import BaseScreen
from flashcards.tui.widgets.card_history import CardHistory
from flashcards.tui.widgets.card_table import CardTable, Row
from flashcards.tui.widgets.card_view import CardView
from flashcards.tui.widgets.key_footer import KeyFooter

FIRST_PAGE = 100  # rows a new search shows before it has counted them all
SORT_ORDER = ("added", "due", "interval", "ease", "lapses")
# The keys that need a card to act on.
CARD_ACTIONS = {"act", "reschedule", "edit", "study"}
SUSPENDED = ("suspended", "leech")
_NOTHING = object()  # no card shown yet


class BrowserScreen(BaseScreen):
    """Search, browse and act on cards; escape goes back to where it was opened from."""

    app = getters.app(FlashcardsApp)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "back"),
        Binding("slash", "focus_search", "search"),
        Binding("s", "act('suspend')", "suspend"),
        Binding("s", "act('unsuspend')", "unsuspend"),
        Binding("b", "act('bury')", "bury"),
        Binding("b", "act('unbury')", "unbury"),
        Binding("f", "act('forget')", "forget"),
        Binding("d", "reschedule", "due in…"),
        Binding("u", "undo", "undo"),
        Binding("e", "edit", "edit"),
        Binding("o", "sort", "sort"),
        Binding("O", "reverse", "reverse", show=False),
        Binding("r", "study", "study these"),
        Binding("a", "add_card", "add a card"),
        Binding("q", "leave", "back", show=False),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.sort, self.descending = "added", False
        self.today = store.today()
        self._undo: list[list[str]] = []  # per action taken here: its log entries' ids
        self._searched: str | None = None  # the query the table shows
        self._wanted: int | None = None  # the card the detail pane should show
        self._shown: object = _NOTHING  # the card it shows (or is rendering)
        self._rendering = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search: words, deck:, tag:, is:due, "
                    "prop:ivl>=30 …  (enter)", id="browser-search")
        yield Static(id="browser-status")
        yield CardTable(self._fetch, id="browser-table")
        with Horizontal(id="browser-detail"):
            yield CardView(id="browser-card")
            yield CardHistory(id="browser-history")
        yield KeyFooter()

    def on_mount(self) -> None:
        """The first page of every card at once (a few milliseconds, so the first frame
        shows cards), then every id from the worker."""
        self.query_one(Input).focus()
        first = card_ids(self.store, "", limit=FIRST_PAGE)
        complete = len(first) < FIRST_PAGE
        self.on_cards_found(CardsFound("", first, self.today, None, None, complete))
        if not complete:  # counting them all would slow the first frame down: after it
            self.call_after_refresh(self._find, "", self.sort, self.descending, None, False)

    # -- searching ---------------------------------------------------------------------------

    @on(Input.Submitted, "#browser-search")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter runs the search and hands the keys to the table."""
        self.search(event.value)
        self.query_one(CardTable).focus()

    def search(self, query: str, keep: int | None = None) -> None:
        """Run ``query`` again with the current sort; the cursor stays on ``keep``."""
        self._status(Content.styled("searching…", "dim"))
        self._find(query, self.sort, self.descending, keep, first_page=keep is None)

    @work(thread=True, exclusive=True, exit_on_error=False, name="searching")
    def _find(self, query: str, sort: str, descending: bool, keep: int | None,
              first_page: bool) -> None:
        """The ids of the cards ``query`` finds, on a connection of the worker's own (a
        search of 100,000 cards must not hold up the keys). With ``first_page``, its first
        page comes at once, then every id (a search that keeps the cursor on a card waits
        for all of them)."""
        worker = get_current_worker()

        def found(ids: list[int], error: str | None = None, complete: bool = True) -> None:
            if not worker.is_cancelled:  # else a newer search replaced this one
                self.post_message(CardsFound(query, ids, today, error, keep, complete))

        store = Store.open(self.store.path)
        try:
            today = store.today()
            if first_page:
                first = card_ids(store, query, sort, descending, limit=FIRST_PAGE)
                found(first, complete=len(first) < FIRST_PAGE)
                if len(first) < FIRST_PAGE:
                    return
            found(card_ids(store, query, sort, descending))
        except SearchError as problem:
            found([], str(problem))
        finally:
            store.close()

    def on_cards_found(self, message: CardsFound) -> None:
        table = self.query_one(CardTable)
        if message.error:
            self._status(Content.styled(f"error: {message.error}", "$text-error"))
            return
        self.today = message.today
        self._searched = message.query
        table.show(message.ids, self.sort, self.descending, message.keep)
        self._status(None if message.complete else Content.assemble(
            (f"{len(message.ids)}+", "bold"), " cards, counting…"))
        if message.keep is not None:  # searched again after a change: the card may differ
            self._show_card(table.current_id)
        self.refresh_bindings()

    def _fetch(self, ids: list[int]) -> dict[int, Row]:
        """The rows of the cards export for these ids (the table's page reader)."""
        columns = export.export_columns("cards")
        where = f"cards.id IN ({','.join(str(int(card_id)) for card_id in ids)})"
        return {row[0]: dict(zip(columns, row)) for row in export.card_rows(self.store, where)}

    def _status(self, text: Content | None = None) -> None:
        """The line under the search box: what it found, or ``text``."""
        if text is None:
            table = self.query_one(CardTable)
            count = len(table.ids)
            arrow = "▼" if self.descending else "▲"
            text = Content.assemble(
                (f"{count:,}", "bold"), f" card{'s' * (count != 1)}  ·  sorted by {self.sort} "
                f"{arrow}", f"  ·  {len(table.marked)} marked" if table.marked else "")
        self.query_one("#browser-status", Static).update(text)

    # -- the card under the cursor -------------------------------------------------------------

    def on_card_table_highlighted(self, message: CardTable.Highlighted) -> None:
        self._show_card(message.card_id)
        self.refresh_bindings()

    def _show_card(self, card_id: int | None) -> None:
        """Show a card in the detail pane (again, if it changed), once the table's frame is
        drawn. One worker renders, card after card, only the latest wanted: holding down an
        arrow never queues renders, and a render is never cut off halfway."""
        self._wanted, self._shown = card_id, _NOTHING
        if not self._rendering:
            self._rendering = True
            self.call_after_refresh(lambda: self.run_worker(
                self._render_wanted(), exit_on_error=False, name="showing the card"))

    async def _render_wanted(self) -> None:
        try:
            while self._shown != self._wanted:
                card_id = self._shown = self._wanted
                await self._render_card(card_id)
        finally:
            self._rendering = False

    async def _render_card(self, card_id: int | None) -> None:
        view, history = self.query_one(CardView), self.query_one(CardHistory)
        row = None if card_id is None else self.query_one(CardTable).row(card_id)
        view.display = row is not None
        if row is None:
            history.show(None, [], self.today)
            return
        card = self.store.card(card_id)
        history.show(row, self.store.card_log(card_id), self.today)
        view.show(card, row["status"])
        view.reveal()

    def on_card_table_marked(self) -> None:
        self._status()
        self.refresh_bindings()

    def on_card_table_sort_clicked(self, message: CardTable.SortClicked) -> None:
        if message.sort == self.sort:
            self.action_reverse()
        else:
            self._sort_by(message.sort, False)

    # -- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key but esc is the table's: none while the search box has the keys. Card
        keys need a card; suspend or unsuspend, bury or unbury as the selection is; undo
        once something was done here."""
        if action == "leave":
            return True
        try:
            table = self.query_one(CardTable)
        except NoMatches:  # not composed yet
            return False
        if not table.has_focus:
            return False
        if action == "undo":
            return bool(self._undo)
        if action not in CARD_ACTIONS:
            return True
        if not table.ids:
            return False
        if action != "act":
            return True
        rows = [table.row(card_id) or {} for card_id in table.selection()]
        suspended = [row.get("status") in SUSPENDED for row in rows]
        buried = [(row.get("buried_until") or "") > self.today.isoformat() for row in rows]
        return {"suspend": not all(suspended), "unsuspend": all(suspended),
                "bury": not all(buried), "unbury": all(buried),
                "forget": any(row.get("due") for row in rows)}[parameters[0]]

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_leave(self) -> None:
        self.dismiss()

    def action_sort(self) -> None:
        """The next order of ``SORT_ORDER``."""
        following = SORT_ORDER[(SORT_ORDER.index(self.sort) + 1) % len(SORT_ORDER)]
        self._sort_by(following, self.sort == following and self.descending)

    def action_reverse(self) -> None:
        self._sort_by(self.sort, not self.descending)

    def _sort_by(self, sort: str, descending: bool) -> None:
        self.sort, self.descending = sort, descending
        self._again()

    def _again(self) -> None:
        """Search again (the cards changed, or their order), the cursor on the same card."""
        if self._searched is not None:
            self.search(self._searched, keep=self.query_one(CardTable).current_id)

    def action_act(self, action: str, days: int | None = None) -> None:
        """One action on the selected cards that it changes, in their log (u undoes it)."""
        table = self.query_one(CardTable)
        ids = ",".join(str(int(card_id)) for card_id in table.selection())
        planned = actions.plan(self.store, Search(f"cards.id IN ({ids})", {}), action, days)
        done = save(self, actions.carry_out, self.store, planned)
        if done is NOT_SAVED:
            return
        if done:
            self._undo.append(done)
        count = len(planned.card_ids)
        self.notify(f"{actions.DONE[action]}: {count} card{'s' * (count != 1)}", timeout=3,
                    markup=False)
        table.marked.clear()
        self._changed()

    def action_reschedule(self) -> None:
        """Ask in how many days the selected cards are due, then set it."""
        from flashcards.tui.screens.due_days import DueDaysScreen

        def chosen(days: int | None) -> None:
            if days is not None:
                self.action_act("reschedule", days)

        self.app.push_screen(DueDaysScreen(len(self.query_one(CardTable).selection())), chosen)

    def action_undo(self) -> None:
        """Take back the last action taken in the browser, on every card it touched."""
        done = self._undo[-1]
        if save(self, self._undo_all, done) is NOT_SAVED:
            return
        self._undo.pop()
        self.notify("undone", timeout=2, markup=False)
        self._changed()

    def _undo_all(self, action_ids: list[str]) -> None:
        with self.store.write():  # one transaction: all of them or none
            for action_id in reversed(action_ids):
                self.store.undo_action(action_id)

    def _changed(self) -> None:
        """Cards changed under the table: read its rows again, but not the search. A card
        that an action (or an edit) takes out of the search stays in view, as in Anki, so
        that u or a second look finds it where it was; enter searches again."""
        table = self.query_one(CardTable)
        table.reread()
        self._show_card(table.current_id)
        self.refresh_bindings()

    async def action_edit(self) -> None:
        """Edit the card under the cursor in ``$EDITOR`` at its line, then import its deck."""
        card = self.store.card(self.query_one(CardTable).current_id)
        if not edit_in_editor(self, card):
            return
        try:
            errors = await self._reimport(card.file).wait()
        except (WorkerFailed, WorkerCancelled):
            return  # told by worker_failed; nothing changed
        if errors:
            self.notify("\n".join(errors), title="deck not re-imported", severity="error",
                        timeout=15, markup=False)
        self._changed()

    @work(thread=True, exclusive=True, exit_on_error=False, name="re-importing the deck")
    def _reimport(self, path: str) -> list[str]:
        return reimport_deck(self.store.path, path)

    def action_study(self) -> None:
        """A custom study of this search: its due cards, as reviews that count."""
        self.app.review(search=compile_search(self.store, self._searched or ""))

    def action_add_card(self) -> None:
        """The add form, with the deck of the card under the cursor picked; the new card
        shows up here when it matches the search."""
        table = self.query_one(CardTable)
        row = None if table.current_id is None else table.row(table.current_id)

        def added(card: object) -> None:
            if card is not None:
                self._again()

        self.app.add_card(row["deck"] if row else None, added)

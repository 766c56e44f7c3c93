"""A table of cards that holds only their ids, and reads the rows that come into view.

A ``DataTable`` builds every row it is given: 100,000 of them take seconds and hundreds of
megabytes. This table draws itself line by line (Textual's line API): it knows how many
cards there are, which one the cursor is on and which are marked, and asks its ``fetch``
function for the rows of one page of ids when a line of that page is drawn. Any page, the
last one too, costs one lookup by id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from flashcards.text import format_interval, printable

Row = dict[str, Any]  # a row of the cards export, by column name
PAGE = 64  # ids fetched together
PAGES_KEPT = 16


@dataclass(frozen=True)
class Column:
    """One column: the export column it shows, its header, width, and the sort it offers."""

    name: str
    label: str
    width: int  # 0: whatever the others leave
    sort: str | None = None  # a key of ``search.SORTS``
    right: bool = False


COLUMNS = (
    Column("mark", "", 1),
    Column("deck", "deck", 12),
    Column("status", "status", 9),
    Column("due", "due", 10, "due"),
    Column("interval", "ivl", 6, "interval", right=True),
    Column("easiness", "ease", 4, "ease", right=True),
    Column("lapses", "laps", 4, "lapses", right=True),
    Column("created_at", "added", 10, "added"),
    Column("front", "front", 0),
)
MIN_FRONT = 10
MARK = "•"
_UNSET = object()


def cell_text(column: Column, row: Row) -> str:
    """What a cell shows: user text on one line, control characters escaped."""
    value = row.get(column.name)
    if value is None:
        return "-"
    if column.name == "easiness":
        return f"{value:.2f}"
    if column.name == "interval":
        return format_interval(value) if row.get("due") else "-"
    if column.name == "created_at":
        return value[:10]
    return printable(" ".join(str(value).split()))


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` in exactly ``width`` cells (wide characters counted twice), cut with "…"."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    return " " * (width - cell_len(text)) + text if right else set_cell_size(text, width)


class CardTable(ScrollView, can_focus=True):
    """The cards of a search, one line each, under a header that shows the sort."""

    DEFAULT_CSS = """
    CardTable {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .card-table--header { text-style: bold; background: $panel; }
        & > .card-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
        & > .card-table--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .card-table--marked { color: $text-accent; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card-table--header", "card-table--cursor", "card-table--cursor-blurred",
        "card-table--marked",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "up", show=False),
        Binding("down", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "move(-1_000_000_000)", "first", show=False),
        Binding("end", "move(1_000_000_000)", "last", show=False),
        Binding("space", "mark", "mark"),
    ]

    cursor = reactive(0, always_update=True, repaint=False)

    @dataclass
    class Highlighted(Message):
        """The cursor is on another card (None: the table is empty)."""

        card_id: int | None

    class Marked(Message):
        """A card was marked or unmarked."""

    @dataclass
    class SortClicked(Message):
        """A sortable column's header was clicked."""

        sort: str

    def __init__(self, fetch: Callable[[list[int]], dict[int, Row]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetch = fetch
        self.ids: list[int] = []
        self.marked: set[int] = set()
        self.sort, self.descending = "added", False
        self._pages: OrderedDict[int, dict[int, Row]] = OrderedDict()
        self._highlighted: object = _UNSET

    # -- what it shows -----------------------------------------------------------------------

    def show(self, ids: list[int], sort: str, descending: bool, keep: int | None = None) -> None:
        """Show these cards, in this order; the cursor stays on ``keep`` if it is among them,
        else at the same place (``Highlighted`` when that is another card). Marks on cards
        no longer shown are dropped."""
        self.ids, self.sort, self.descending = ids, sort, descending
        if self.marked:
            self.marked &= set(ids)
        self._pages.clear()
        self.virtual_size = Size(0, len(ids) + 1)  # the header is line 0; no sideways scroll
        position = self._index(keep)
        self.cursor = self.cursor if position is None else position
        self.refresh()

    def reread(self) -> None:
        """Read the rows again (cards changed), keeping order, cursor and marks."""
        self._pages.clear()
        self.refresh()

    @property
    def current_id(self) -> int | None:
        """The card under the cursor, or None when there is none."""
        return self.ids[self.cursor] if self.ids else None

    def row(self, card_id: int) -> Row | None:
        """The row of one shown card."""
        position = self.cursor if card_id == self.current_id else self._index(card_id)
        return None if position is None else self._row(position)

    def selection(self) -> list[int]:
        """The marked cards in table order, or else the card under the cursor."""
        if self.marked:
            return [card_id for card_id in self.ids if card_id in self.marked]
        return [] if self.current_id is None else [self.current_id]

    def _index(self, card_id: int | None) -> int | None:
        if card_id is None:
            return None
        try:
            return self.ids.index(card_id)
        except ValueError:
            return None

    def _row(self, position: int) -> Row:
        page = position // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = self.fetch(self.ids[page * PAGE:(page + 1) * PAGE])
            self._pages[page] = rows
            if len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(self.ids[position], {"front": "(gone)"})

    # -- the cursor --------------------------------------------------------------------------

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.ids) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        rows = self.scrollable_content_region.height - 1
        if new < self.scroll_y:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif rows > 0 and new >= self.scroll_y + rows:
            self.scroll_to(y=new - rows + 1, animate=False, immediate=True)
        if self.current_id != self._highlighted:
            self._highlighted = self.current_id
            self.post_message(self.Highlighted(self.current_id))

    def action_move(self, rows: int) -> None:
        self.cursor += rows

    def action_page(self, pages: int) -> None:
        self.cursor += pages * max(1, self.scrollable_content_region.height - 1)

    def action_mark(self) -> None:
        """Mark the card under the cursor, or unmark it, and go to the next one."""
        card_id = self.current_id
        if card_id is not None:
            self.marked ^= {card_id}
            self.cursor += 1
            self.refresh()
            self.post_message(self.Marked())

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None and column.sort:
                self.post_message(self.SortClicked(column.sort))
        elif self.ids:
            self.cursor = int(self.scroll_y) + event.y - 1

    # -- drawing -----------------------------------------------------------------------------

    def _widths(self) -> list[int]:
        """Each column's width at the current size; the front takes the rest."""
        width = self.scrollable_content_region.width
        fixed = sum(column.width + 1 for column in COLUMNS if column.width)
        return [column.width or max(MIN_FRONT, width - fixed) for column in COLUMNS]

    def _column_at(self, x: int) -> Column | None:
        start = 0
        for column, width in zip(COLUMNS, self._widths()):
            if start <= x < start + width:
                return column
            start += width + 1
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._line(self._header(), "card-table--header", width)
        position = int(self.scroll_y) + y - 1
        if position >= len(self.ids):
            return Strip.blank(width, self.rich_style)
        row = self._row(position)
        marked = self.ids[position] in self.marked
        cells = [MARK if marked else " "] + [cell_text(column, row) for column in COLUMNS[1:]]
        style = ("card-table--cursor" if self.has_focus else "card-table--cursor-blurred") \
            if position == self.cursor else "card-table--marked" if marked else None
        return self._line(cells, style, width)

    def _header(self) -> list[str]:
        arrow = " ▼" if self.descending else " ▲"
        return [column.label + (arrow if column.sort == self.sort else "") for column in COLUMNS]

    def _line(self, cells: list[str], component: str | None, width: int) -> Strip:
        text = " ".join(fit(cell, size, column.right)
                        for cell, size, column in zip(cells, self._widths(), COLUMNS))
        style = self.rich_style
        if component:
            style = style + self.get_component_rich_style(component)
        return Strip([Segment(set_cell_size(text, width), style)], width)

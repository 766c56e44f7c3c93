"""The review's top line: deck, position in the sitting, a progress bar, cards left by kind."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

MAX_BAR = 30
MIN_BAR = 6
MIN_DECK = 8
COUNTS = ("new", "review", "again")


class ReviewHeader(Widget):
    """``deck  3/42 ━━━━━━━━━━  new 10  review 25  again 2`` on one line, whatever the width;
    ``cram`` before the deck in a cram sitting (its answers move nothing).

    When space is short the bar shrinks and goes, then the deck name is cut with "…".

    It changes on every answer, so it is drawn as one line of segments (the line API),
    not as Textual content, which wraps and styles its spans anew each time (~0.9 ms of
    every grade). The deck's name is a segment's text: never markup.
    """

    DEFAULT_CSS = """
    ReviewHeader {
        dock: top;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    ReviewHeader > .review-header--cram { color: $text-warning; text-style: bold; }
    ReviewHeader > .review-header--deck { text-style: bold; }
    ReviewHeader > .review-header--label { text-style: dim; }
    ReviewHeader > .review-header--new { color: $text-primary; }
    ReviewHeader > .review-header--review { color: $text-success; }
    ReviewHeader > .review-header--again { color: $text-error; }
    ReviewHeader > .review-header--done { color: $success; }
    ReviewHeader > .review-header--left { color: $foreground 20%; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        f"review-header--{name}"
        for name in ("cram", "deck", "label", "done", "left", *COUNTS)
    }

    def __init__(self, cram: bool = False) -> None:
        super().__init__()
        self._cram = cram
        self._deck = ""
        self._position = self._total = 0
        self._counts = dict.fromkeys(COUNTS, 0)
        self._styles: dict[str, Style] | None = None  # by component name, for this theme
        self._line: tuple[int, Strip] | None = None  # the line drawn, and its width

    def show(self, deck: str, position: int, total: int, counts: dict[str, int]) -> None:
        """Redraw for the card at ``position`` (1-based) of ``total`` in the sitting."""
        self._deck, self._position, self._total, self._counts = deck, position, total, counts
        self._line = None
        self.refresh()

    @property
    def text(self) -> str:
        """The line as shown, without its styles."""
        return self._strip().text.rstrip()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = self._line = None  # drawn again in the new theme's colours

    def render_line(self, y: int) -> Strip:
        return self._strip() if y == 0 else Strip.blank(self._width(), self.rich_style)

    def _width(self) -> int:
        return self.content_region.width or self.size.width

    def _strip(self) -> Strip:
        width = self._width()
        if self._line is None or self._line[0] != width:
            base = self.rich_style
            line = Strip([Segment(text, base + self._style(name) if name else base)
                          for text, name in self._parts(width)])
            self._line = (width, line.adjust_cell_length(width, base))
        return self._line[1]

    def _style(self, name: str) -> Style:
        if self._styles is None:
            self._styles = {
                name.removeprefix("review-header--"): self.get_component_rich_style(name)
                for name in self.COMPONENT_CLASSES
            }
        return self._styles[name]

    def _parts(self, width: int) -> list[tuple[str, str | None]]:
        """The line's pieces of text, each with the name of its style (None: plain)."""
        counts: list[tuple[str, str | None]] = []
        for kind in COUNTS:
            counts += [(f"  {kind} " if counts else f"{kind} ", "label"),
                       (str(self._counts[kind]), kind)]
        cram = [("cram ", "cram")] if self._cram else []
        place = f"  {self._position}/{self._total} "
        used = sum(cell_len(text) for text, _ in counts + cram) + cell_len(place)
        room = width - used - 2
        deck = self._deck
        bar_width = min(MAX_BAR, room - cell_len(deck))
        if bar_width < MIN_BAR:
            bar_width = 0
            cut = Text(deck)
            cut.truncate(max(MIN_DECK, room), overflow="ellipsis")
            deck = cut.plain
        return [*cram, (deck, "deck"), (place, None),
                *progress_bar(self._position - 1, self._total, bar_width), ("  ", None), *counts]


def progress_bar(done: int, total: int, width: int) -> list[tuple[str, str]]:
    """A bar of ``width`` cells, filled in proportion to ``done`` out of ``total``."""
    filled = round(width * done / total) if total else width
    return [("━" * filled, "done"), ("━" * (width - filled), "left")]

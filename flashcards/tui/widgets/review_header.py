"""The review's top line: deck, position in the sitting, a progress bar, cards left by kind."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

MAX_BAR = 30
MIN_BAR = 6
MIN_DECK = 8


def progress_bar(done: int, total: int, width: int) -> Content:
    """A bar of ``width`` cells, filled in proportion to ``done`` out of ``total``."""
    filled = round(width * done / total) if total else width
    return Content.assemble(("━" * filled, "$success"), ("━" * (width - filled), "$foreground 20%"))


class ReviewHeader(Widget):
    """``deck  3/42 ━━━━━━━━━━  new 10  review 25  again 2`` on one line, whatever the width;
    ``cram`` before the deck in a cram sitting (its answers move nothing).

    When space is short the bar shrinks and goes, then the deck name is cut with "…".
    """

    DEFAULT_CSS = """
    ReviewHeader {
        dock: top;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, cram: bool = False) -> None:
        super().__init__()
        self._cram = Content.styled("cram ", "bold $text-warning") if cram else Content()
        self._deck = ""
        self._position = self._total = 0
        self._counts = {"new": 0, "review": 0, "again": 0}

    def show(self, deck: str, position: int, total: int, counts: dict[str, int]) -> None:
        """Redraw for the card at ``position`` (1-based) of ``total`` in the sitting."""
        self._deck, self._position, self._total, self._counts = deck, position, total, counts
        self.refresh()

    def render(self) -> Content:
        counts = Content.assemble(
            ("new ", "dim"), (str(self._counts["new"]), "$text-primary"),
            ("  review ", "dim"), (str(self._counts["review"]), "$text-success"),
            ("  again ", "dim"), (str(self._counts["again"]), "$text-error"),
        )
        place = Content(f"  {self._position}/{self._total} ")
        deck = Content.styled(self._deck, "bold")  # user text: styled, never parsed as markup
        width = self.content_region.width or self.size.width
        room = width - counts.cell_length - place.cell_length - self._cram.cell_length - 2
        bar_width = min(MAX_BAR, room - deck.cell_length)
        if bar_width < MIN_BAR:
            bar_width = 0
            deck = deck.truncate(max(MIN_DECK, room), ellipsis=True)
        bar = progress_bar(self._position - 1, self._total, bar_width) if bar_width else Content()
        return Content.assemble(self._cram, deck, place, bar, "  ", counts)

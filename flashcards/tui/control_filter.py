"""A line filter that keeps every control character of user text off the terminal.

Textual writes the text of a widget to the terminal as it is, and Rich drops only BEL,
BS, VT, FF and CR: an ESC in a card (from a database written before the loader refused
it) would clear the screen, leave the alternate screen or set the window title. Applied
to every line the app draws, this filter removes them; they take no cell, so nothing moves.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from flashcards.text import CONTROL_CHARACTER


class DropControlCharacters(LineFilter):
    """Removes C0 (but tab and newline), DEL and C1 characters from the drawn text."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """The segments without control characters (the same list when there are none)."""
        search = CONTROL_CHARACTER.search
        if not any(search(segment.text) for segment in segments if not segment.control):
            return segments
        kept = []
        for segment in segments:
            if not segment.control and search(segment.text):
                text = CONTROL_CHARACTER.sub("", segment.text)
                if not text:
                    continue
                segment = Segment(text, segment.style)
            kept.append(segment)
        return kept

"""Markdown whose first document is on the very first frame.

Textual's ``Markdown`` renders the text it is created with only after it is mounted (parse
in a thread, then a second mount), so a screen shows up empty and the text a frame later.
The first card of a review should not wait for that: this widget builds its first blocks
in ``compose``. Every later change goes through the ordinary ``update``.

Bare URLs are not turned into links ("linkify"): compiling linkify's patterns costs 5-15 ms
the first time, on the first card. ``[text](url)`` and ``<url>`` links still work.

Card text is Markdown without raw HTML: ``List<String>`` keeps ``<String>`` (Textual draws
nothing for an HTML token).
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual.app import ComposeResult
from textual.events import Mount
from textual.widgets import Markdown


def card_parser() -> MarkdownIt:
    """Textual's GitHub-like Markdown, without linkify or raw HTML, where a newline is a line
    break.

    Cards are written line by line: two lines of a back are two lines on screen, not one
    paragraph joined with a space (which also puts a stray space between Chinese sentences).
    """
    parser = MarkdownIt("gfm-like", {"linkify": False, "html": False})
    parser.core.ruler.push("hard_breaks", _hard_breaks)
    return parser


def _hard_breaks(state: StateCore) -> None:
    # Textual draws a soft break as a space and ignores markdown-it's "breaks" option.
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"


class CardMarkdown(Markdown):
    """A ``Markdown`` that composes its initial document instead of loading it after mount."""

    def __init__(self, markdown: str = "", **kwargs: object) -> None:
        super().__init__(parser_factory=card_parser, **kwargs)
        self._first_document = markdown

    def compose(self) -> ComposeResult:
        self._markdown = self._first_document
        yield from self._build_from_source(self._first_document)

    async def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # Markdown's own handler would build the same blocks again

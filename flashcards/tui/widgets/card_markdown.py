"""Markdown whose first document is on the very first frame.

Textual's ``Markdown`` renders the text it is created with only after it is mounted (parse
in a thread, then a second mount), so a screen shows up empty and the text a frame later.
The first card of a review should not wait for that: this widget builds its first blocks
in ``compose``. Every later change goes through the ordinary ``update``.

Bare URLs are not turned into links ("linkify"): compiling linkify's patterns costs 5-15 ms
the first time, on the first card. ``[text](url)`` and ``<url>`` links still work.

Card text is Markdown without raw HTML, and nothing the user wrote may vanish: ``List<String>``
keeps ``<String>`` (Textual draws nothing for an HTML token), and a text whose Markdown would
show no character at all (``---``, a lone fence, ``# ``, ``>``, ``1.``, a link reference
definition) is shown as it was written.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from textual.app import ComposeResult
from textual.events import Mount
from textual.widgets import Markdown


def card_parser() -> MarkdownIt:
    """Textual's GitHub-like Markdown, without linkify or raw HTML, where a newline is a line
    break, and where a text that would show nothing is shown literally.

    Cards are written line by line: two lines of a back are two lines on screen, not one
    paragraph joined with a space (which also puts a stray space between Chinese sentences).
    """
    parser = MarkdownIt("gfm-like", {"linkify": False, "html": False})
    parser.core.ruler.push("hard_breaks", _hard_breaks)
    parser.core.ruler.push("literal_if_blank", _literal_if_blank)
    return parser


def _hard_breaks(state: StateCore) -> None:
    # Textual draws a soft break as a space and ignores markdown-it's "breaks" option.
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"


def _literal_if_blank(state: StateCore) -> None:
    # A rule, an empty heading, fence, quote or list item, or nothing at all: the text was
    # all Markdown syntax, and the card would look blank (or like the front/back separator).
    if state.src.strip() and not any(_shows_text(token) for token in state.tokens):
        state.tokens = _paragraph(state.src)


def _shows_text(token: Token) -> bool:
    """True if Textual draws a visible character for this block token."""
    if token.type in ("fence", "code_block"):
        return bool(token.content.strip())
    return any(
        child.type == "image" or (child.type in ("text", "code_inline") and child.content.strip())
        for child in token.children or ()
    )


def _paragraph(text: str) -> list[Token]:
    """``text`` as one paragraph of literal lines."""
    lines = text.strip().split("\n")
    children = [Token("text", "", 0, content=lines[0])]
    for line in lines[1:]:
        children += [Token("hardbreak", "br", 0), Token("text", "", 0, content=line)]
    return [
        Token("paragraph_open", "p", 1, map=[0, len(lines)], block=True),
        Token("inline", "", 0, content=text, children=children, block=True),
        Token("paragraph_close", "p", -1, block=True),
    ]


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

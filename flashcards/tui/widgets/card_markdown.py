"""Card text as a Rich renderable: our Markdown tokens drawn by ``rich.markdown``.

A card is drawn as lines (``CardView``), not as one Textual widget per block: mounting
and laying out those widgets on every card cost ~10 ms a grade; lines are rendered ahead,
while the previous card is read, and showing them is a swap.

Bare URLs are not turned into links ("linkify"): compiling linkify's patterns costs 5-15 ms
the first time, on the first card. ``[text](url)`` and ``<url>`` links still work.

Card text is Markdown without raw HTML, and nothing the user wrote may vanish: ``List<String>``
keeps ``<String>`` (Textual draws nothing for an HTML token), and a text whose Markdown would
show no character at all (``---``, a lone fence, ``# ``, ``>``, ``1.``, a link reference
definition) is shown as it was written.
"""

from __future__ import annotations

from typing import ClassVar

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Heading, Markdown, MarkdownElement
from rich.syntax import Syntax


def card_parser() -> MarkdownIt:
    """GitHub-like Markdown, without linkify or raw HTML, where a newline is a line
    break, and where a text that would show nothing is shown literally.

    Cards are written line by line: two lines of a back are two lines on screen, not one
    paragraph joined with a space (which also puts a stray space between Chinese sentences).
    """
    parser = MarkdownIt("gfm-like", {"linkify": False, "html": False})
    parser.core.ruler.push("hard_breaks", _hard_breaks)
    parser.core.ruler.push("literal_if_blank", _literal_if_blank)
    return parser


def _hard_breaks(state: StateCore) -> None:
    # A soft break is drawn as a space: markdown-it's "breaks" option is not read by the renderer.
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
    """True if the renderer draws a visible character for this block token."""
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


class _Heading(Heading):
    """A heading on the left, as every other line: Rich centres an h1."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text


class _CodeBlock(CodeBlock):
    """A highlighted code block that fills the width, without Rich's blank padding lines."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Syntax(str(self.text).rstrip("\n"), self.lexer_name, theme=self.theme,
                     word_wrap=True, padding=(0, 1))


class CardMarkdown(Markdown):
    """``text`` parsed by ``card_parser`` and drawn by Rich (with the console's theme for the
    ``markdown.*`` styles, and ``code_theme`` for code blocks)."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements, "heading_open": _Heading, "fence": _CodeBlock,
        "code_block": _CodeBlock,
    }

    def __init__(self, text: str, code_theme: str = "monokai") -> None:
        super().__init__("", code_theme=code_theme)  # Rich's own parser: not for this text
        self.markup = text
        self.parsed = _PARSER.parse(text)


_PARSER = card_parser()

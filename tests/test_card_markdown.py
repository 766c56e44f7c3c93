"""Card text as the review shows it: Markdown without raw HTML, and nothing written vanishes."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from flashcards.tui.widgets.card_markdown import CardMarkdown

HTML_LOOKALIKES = [
    "Java: what does List<String> mean?",
    "public static <T> void f(T x)",
    "<div> or <span>: which is block-level?",
    "<p>\nhello\n</p>",
    "a <!-- note --> b",
    "<!-- -->",
    "<br>",
    "Map<K, V> 和 <? extends T>",
]

# Texts that are nothing but Markdown syntax: a rule, an empty heading, fence, quote, list
# item or table cell, an empty link, or a link reference definition (which draws nothing).
ALL_SYNTAX = [
    "---", "***", "___", "- - -", "** **", "```", "~~~", "```python", "#", "# ", "###",
    ">", "> ", "*", "-", "+", "1.", "1)", "- \n- ", "|", "[x]: https://example.com",
    "[](x)", "`` ``", "&nbsp;", "=",
]


class OneCard(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield CardMarkdown(self.text)


def shown(markdown: Markdown) -> str:
    """What the widget draws as text, block by block (code blocks by their code)."""
    return "\n".join(getattr(block, "code", None) or block._content.plain
                     for block in markdown.query("MarkdownBlock")
                     if not block.query("MarkdownBlock"))  # the innermost blocks only


async def shown_both_ways(text: str) -> tuple[str, str]:
    """The text drawn for ``text`` on the first frame, and after ``update`` to it."""
    app = OneCard(text)
    async with app.run_test():
        markdown = app.query_one(CardMarkdown)
        first = shown(markdown)
        await markdown.update("")
        await markdown.update(text)
        return first, shown(markdown)


@pytest.mark.parametrize("text", HTML_LOOKALIKES)
async def test_text_that_looks_like_html_is_shown_as_written(text):
    assert await shown_both_ways(text) == (text, text)


@pytest.mark.parametrize("text", ALL_SYNTAX)
async def test_a_text_that_is_all_markdown_syntax_is_shown_as_written(text):
    assert await shown_both_ways(text) == (text.strip(), text.strip())


async def test_a_lone_rule_is_not_drawn_as_a_rule():
    app = OneCard("---")
    async with app.run_test():
        assert not app.query("MarkdownHorizontalRule")


@pytest.mark.parametrize(("text", "drawn"), [
    ("**bold** and `code`", "bold and code"),
    ("# Title", "Title"),
    ("Q\n\n---\n\nA", "Q\n\nA"),  # a rule between texts is a rule
    ("see <https://example.com>", "see https://example.com"),
    ("[docs][d]\n\n[d]: https://example.com", "docs"),
    ("```\ncode\n```", "code"),
])
async def test_markdown_that_shows_text_is_still_markdown(text, drawn):
    assert (await shown_both_ways(text))[0] == drawn

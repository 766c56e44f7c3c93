"""Card text as the review shows it: Markdown without raw HTML, and nothing written vanishes."""

from __future__ import annotations

import pytest
from rich.console import Console

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


def shown(text: str) -> str:
    """What ``CardMarkdown`` draws for ``text`` 60 cells wide, as plain text: each line
    without its trailing blanks, and no blank line around it all."""
    console = Console(width=60)
    lines = console.render_lines(CardMarkdown(text), console.options)
    return "\n".join("".join(segment.text for segment in line).rstrip()
                     for line in lines).strip("\n")


def as_written(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


@pytest.mark.parametrize("text", HTML_LOOKALIKES)
def test_text_that_looks_like_html_is_shown_as_written(text):
    assert shown(text) == text


@pytest.mark.parametrize("text", ALL_SYNTAX)
def test_a_text_that_is_all_markdown_syntax_is_shown_as_written(text):
    assert shown(text) == as_written(text)


@pytest.mark.parametrize(("text", "drawn"), [
    ("**bold** and `code`", "bold and code"),
    ("# Title", "Title"),
    ("Q\n\n---\n\nA", "Q\n\n" + "-" * 60 + "\n\nA"),  # a rule between texts is a rule
    ("see <https://example.com>", "see https://example.com"),
    ("[docs][d]\n\n[d]: https://example.com", "docs"),
    ("```\ncode\n```", " code"),
    ("# Title\nthen", "Title\n\nthen"),  # on the left, as every line
    ("line one\nline two", "line one\nline two"),  # a newline is a line break
    ("| a | b |\n|---|---|\n| 中文 | [/] |", " a     b\n ─────────\n 中文  [/]"),
])
def test_markdown_that_shows_text_is_still_markdown(text, drawn):
    assert shown(text) == drawn

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


PLAIN_TEXTS = ["第 0 题：梯度消失 是什么？", "SFT（Supervised Fine-Tuning，监督微调）",
               "line one\nline two", "汉字" * 40, "a - b + c = d: e. f) 1", "tab\tin it"]


@pytest.mark.parametrize("text", PLAIN_TEXTS)
def test_a_plain_text_is_drawn_as_markdown_draws_it(text):
    """The first card's front is drawn without the Markdown parser when it has no markup."""
    from rich.text import Text

    from flashcards.tui.widgets.card_view import PLAIN

    assert PLAIN.fullmatch(text)
    console = Console(width=30)
    assert (console.render_lines(Text(text, justify="left"), console.options)
            == console.render_lines(CardMarkdown(text), console.options))


@pytest.mark.parametrize("text", [*HTML_LOOKALIKES, *ALL_SYNTAX, "1. one", "2 个", "a\n\nb",
                                  "a  ", " a", "**b**", "x[0]", "a & b", "a\n", "~~s~~"])
def test_a_text_that_may_hold_markup_goes_to_the_parser(text):
    from flashcards.tui.widgets.card_view import PLAIN

    assert not PLAIN.fullmatch(text)


def test_the_first_card_of_plain_text_loads_no_markdown_parser():
    import subprocess
    import sys

    code = ("import sys; from flashcards.tui.widgets import card_view; "
            "print(sorted(m for m in ('markdown_it', 'rich.markdown', 'pygments') "
            "if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"

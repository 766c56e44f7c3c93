"""Cloze deletions: `{{c1::answer}}` or `{{c1::answer::hint}}` inside a text, as Anki writes them.

A cloze text makes one card per deletion number. On the front of card N the deletions
numbered N are hidden (or show their hint) and the others show their answer; on its back
every answer shows, N's in bold.
"""

from __future__ import annotations

import re

from flashcards.text import clip

__all__ = ["MAX_CARDS_TEXT", "deletions", "malformed_deletion", "sides"]

# Anki's syntax: the first "::" after the answer starts the hint, the first "}}" ends it.
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)
_LOOKS_LIKE_DELETION = re.compile(r"\{\{\s*c\d*\s*:", re.IGNORECASE)

# The text of all the cards one cloze makes, together (deletions x text length): a cap keeps
# a small file from making gigabytes of cards.
MAX_CARDS_TEXT = 1_000_000
MAX_NUMBER_DIGITS = 3  # c1 to c999


def deletions(text: str) -> tuple[tuple[int, ...], list[str]]:
    """The distinct deletion numbers of a cloze text, sorted, and what is wrong with its
    deletions (one-line messages; none when the text makes valid cards)."""
    numbers = set()
    problems = []
    for match in _DELETION.finditer(text):
        if len(match[1]) > MAX_NUMBER_DIGITS:  # int() would refuse 4,300 digits anyway
            problems.append(f"cloze deletion '{clip(match[0])}' must be c1 to c999")
            continue
        number = int(match[1])
        answer = match[2].partition("::")[0]
        if number == 0:
            problems.append(f"cloze deletion '{clip(match[0])}' must be c1 or higher")
        elif not answer.strip():
            problems.append(f"cloze deletion '{clip(match[0])}' has an empty answer")
        elif "{{" in answer:
            problems.append("nested cloze deletions are not supported")
        numbers.add(number)
    stray = malformed_deletion(text)
    if stray is not None:
        problems.append(
            f"malformed cloze deletion near '{clip(stray, 20)}' "
            "(write {{c1::answer}} or {{c1::answer::hint}})"
        )
    elif not numbers:
        problems.append("cloze has no deletion (write {{c1::answer}})")
    elif len(numbers) * len(text) > MAX_CARDS_TEXT:
        problems.append(
            f"cloze makes {len(numbers):,} cards of {len(text):,} characters "
            f"(at most {MAX_CARDS_TEXT:,} characters in all: split it up)"
        )
    return tuple(sorted(numbers)), problems


def malformed_deletion(text: str) -> str | None:
    """The text from the first thing that looks like a deletion but is not one (`{{c1:x}}`,
    `{{ c1::x}}`, `{{c1::x`), or None."""
    rest = _DELETION.sub("", text)
    stray = _LOOKS_LIKE_DELETION.search(rest)
    return None if stray is None else rest[stray.start() :]


def sides(text: str, number: int, extra: str) -> tuple[str, str]:
    """Front and back of deletion `number`: hidden or hinted on the front, bold on the back,
    with `extra` (the entry's `back:`) below the back."""

    def hide(match: re.Match[str]) -> str:
        answer, _, hint = match[2].partition("::")
        if int(match[1]) != number:
            return answer
        return f"[{hint.strip()}]" if hint.strip() else "[...]"

    def show(match: re.Match[str]) -> str:
        answer = match[2].partition("::")[0]
        return _bold(answer) if int(match[1]) == number else answer

    back = _DELETION.sub(show, text)
    return _DELETION.sub(hide, text), f"{back}\n\n{extra}" if extra else back


def _bold(answer: str) -> str:
    # "** x **" is not bold in Markdown: the spaces must stay outside the asterisks.
    core = answer.strip()
    lead = answer[: len(answer) - len(answer.lstrip())]
    trail = answer[len(answer.rstrip()) :]
    return f"{lead}**{core}**{trail}"

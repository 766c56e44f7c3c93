"""Notes -> YAML deck skeleton: every question in a notes file becomes a draft card.

Notes are plain text: lines, Markdown headings, list items, URLs, and questions
marked with a full-width `？` or an ASCII `?` at the start (`## ？梯度爆炸`, `# ?backbone`) or
at the end (`原理是什么？`). Headings become tags, URLs below a question become its source,
and a question asked twice becomes one card. The cards are written `draft: true` with no
back: the deck loads, but nothing is scheduled until the user writes the answers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import yaml

from flashcards.text import CONTROL_CHARACTER

__all__ = ["DraftQuestion", "card_id", "draft_deck", "find_questions"]

_HEADING = re.compile(r"^(#{1,6})(?:[ \t]+|(?=[？?]))(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_URL = re.compile(r"https?://[^\s<>\"'`]+")
# Punctuation that ends a sentence around a URL is not part of it.
_URL_TAIL = ".,;:!?)]}>'\"。，；：！？）】」』’”、"
_MARKS = "？?"
_NOT_WORD = re.compile(r"[^\w]+")
_ASCII_SLUG_MAX = 48

_HEADER = "# 草稿：给每张卡写上 back，再删掉 draft: true，它才会进入复习。\n"


@dataclass
class DraftQuestion:
    """One question found in the notes, with what it collected from around it."""

    front: str
    tags: list[str] = field(default_factory=list)
    heading: str = ""
    urls: list[str] = field(default_factory=list)
    line: int = 0
    is_heading: bool = False

    @property
    def source(self) -> str:
        """The heading the question sits under, then every URL found for it.

        A question that is itself a heading and has no URL gets no source: it would only
        repeat the front.
        """
        if self.is_heading and not self.urls:
            return ""
        return " ".join(part for part in [self.heading, *self.urls] if part)


@dataclass
class _Heading:
    level: int
    text: str
    tag: str
    is_question: bool


def draft_deck(notes: str, deck_name: str) -> str:
    """YAML deck skeleton from a notes file: headings become tags, each question becomes a draft card, URL lines become its source."""
    # A deck named after a file may hold its control characters, which no deck may.
    deck_name = CONTROL_CHARACTER.sub("", deck_name).strip()
    if not deck_name:
        raise ValueError("deck_name must not be blank")
    cards = []
    used_ids: set[str] = set()
    for question in find_questions(notes):
        card: dict[str, object] = {
            "id": card_id(question.front, used_ids),
            "front": question.front,
        }
        if question.tags:
            card["tags"] = list(question.tags)
        if question.source:
            card["source"] = question.source
        card["draft"] = True
        cards.append(card)
    body = yaml.safe_dump(
        {"deck": deck_name, "cards": cards},
        allow_unicode=True,
        sort_keys=False,
        width=float("inf"),
        default_flow_style=False,
    )
    return _HEADER + body


def find_questions(notes: str) -> list[DraftQuestion]:
    """The questions of a notes file in order of first appearance, repeats merged into one."""
    found: dict[str, DraftQuestion] = {}
    stack: list[_Heading] = []  # open headings, outermost first
    # URLs go to the latest question until the next heading or question.
    current: DraftQuestion | None = None
    in_fence = False

    for number, raw in enumerate(notes.splitlines(), 1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = CONTROL_CHARACTER.sub("", raw).strip()
        if not line:
            continue

        heading = _HEADING.match(line)
        if heading:
            level = len(heading[1])
            text, is_question, mark = _strip_marks(heading[2])
            # A question heading closes at the next heading of any level: notes like the
            # user's put `# ?backbone` and then `## 知识密度` side by side, not nested.
            while stack and (stack[-1].level >= level or stack[-1].is_question):
                stack.pop()
            current = None
            if not text:
                continue
            parents = [h.tag for h in stack if h.tag]
            stack.append(_Heading(level, text, _slug_tag(text), is_question))
            if is_question:
                current = _add(found, text + mark, parents, text, number, is_heading=True)
            continue

        urls = _urls(line)
        text, is_question, mark = _strip_marks(_URL.sub(" ", _LIST_MARKER.sub("", line)))
        if is_question and text:
            under = stack[-1].text if stack else ""
            front = text + mark
            if under and _key(under) not in _key(front):
                # "原理是什么？" alone does not say what it asks about.
                front = f"{under}：{front}"
            current = _add(found, front, [h.tag for h in stack if h.tag], under, number)
        if current is not None:
            for url in urls:
                if url not in current.urls:
                    current.urls.append(url)
    return list(found.values())


def _add(
    found: dict[str, DraftQuestion],
    front: str,
    tags: list[str],
    heading: str,
    line: int,
    *,
    is_heading: bool = False,
) -> DraftQuestion:
    """Record a question, or merge it into the same question asked earlier."""
    key = _key(front)
    question = found.get(key)
    if question is None:
        question = found[key] = DraftQuestion(front, [], heading, [], line, is_heading)
    for tag in tags:
        if tag not in question.tags:
            question.tags.append(tag)
    if not question.heading:
        question.heading = heading
    return question


def _strip_marks(text: str) -> tuple[str, bool, str]:
    """Text without leading/trailing question marks; whether it had any; which mark."""
    text = " ".join(text.split())
    lead = len(text) - len(text.lstrip(_MARKS + " "))
    trail = len(text) - len(text.rstrip(_MARKS + " "))
    marks = text[:lead] + text[len(text) - trail :]
    core = text[lead : len(text) - trail].strip()
    return core, any(ch in _MARKS for ch in marks), "？" if "？" in marks else "?"


def _urls(line: str) -> list[str]:
    return [match.rstrip(_URL_TAIL) for match in _URL.findall(line)]


def _key(text: str) -> str:
    """Identity of a question: case, width, spacing and question marks do not count."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in _MARKS)


def _slug_tag(text: str) -> str:
    """A tag from heading text: lower case, runs of spaces and punctuation become '-'."""
    return _NOT_WORD.sub("-", unicodedata.normalize("NFKC", text).casefold()).strip("-_")


def card_id(front: str, used: set[str]) -> str:
    """A kebab-case ASCII id: the slug of an ASCII question, else q- and a short sha1."""
    digest = hashlib.sha1(_key(front).encode("utf-8")).hexdigest()
    slug = ""
    if front.isascii():
        slug = re.sub(r"[^a-z0-9]+", "-", front.lower()).strip("-")[:_ASCII_SLUG_MAX].strip("-")
    # Questions are unique by key, so the full digest is always free.
    for candidate in (slug, f"{slug or 'q'}-{digest[:8]}", f"q-{digest}"):
        if candidate and candidate not in used:
            used.add(candidate)
            return candidate
    raise AssertionError("unreachable: the full sha1 of a unique question is unused")

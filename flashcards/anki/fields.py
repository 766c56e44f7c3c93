"""Anki's HTML fields -> the Markdown of our cards, with media as visible references.

markdownify does the conversion (MIT, BeautifulSoup underneath, one method per tag to
override): ``<pre>`` becomes a fenced code block (with its ``language-x`` class), ``<br>`` a hard line break (a backslash
at the end of the line), ``<div>`` lines paragraphs, bold and italics ``**``/``*``.
A terminal shows no picture and plays no sound, so ``<img src="x.png">`` becomes
``[image: x.png]`` and ``[sound:x.mp3]`` becomes ``[sound: x.mp3]``. Control characters
(which a card may not hold) are dropped and a no-break space becomes a space.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from flashcards.text import CONTROL_CHARACTER

_SOUND = re.compile(r"\[sound:([^\]]*)\]")
# Text without these is not HTML: markdownify would only tidy its whitespace and escape its
# asterisks, which ``_plain`` does at a fiftieth of the cost (half of Anki's fields).
_NEEDS_CONVERTER = re.compile(r"[<&]")
_SPACES = re.compile(r"[\t ]+")
_LINE_BREAK = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")


class _WalkUp:
    """``find_parent(name)`` as a plain walk up the tree: markdownify asks it of every tag
    (is it inside a ``<pre>``?), and bs4's general search for it took a fifth of the
    conversion time. Other searches are bs4's own."""

    parent: Any

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        """The closest parent named ``name``."""
        if not isinstance(name, str) or attrs or kwargs:
            return super().find_parent(name, attrs, **kwargs)  # type: ignore[misc]
        parent = self.parent
        while parent is not None and parent.name != name:
            parent = parent.parent
        return parent


class _Tag(_WalkUp, Tag):
    """A tag of the fields' soup."""


class _Soup(_WalkUp, BeautifulSoup):
    """A field's document."""


class _Converter(MarkdownConverter):
    """markdownify with media references in place of images, counting them."""

    def __init__(self) -> None:
        super().__init__(newline_style="backslash", heading_style="atx", bullets="-",
                         escape_underscores=False, code_language_callback=_language)
        self.images = 0

    def convert(self, html: str) -> str:
        """One field as Markdown (markdownify's own ``convert``, with our soup's classes)."""
        return self.convert_soup(_Soup(html, "html.parser", element_classes={Tag: _Tag}))

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        """An image as a visible reference to its file."""
        self.images += 1
        source = el.get("src") or "?"
        return f"[image: {'embedded' if source.startswith('data:') else source}]"


def _language(pre: Any) -> str:
    """The language of a code block written ``<pre><code class="language-x">``, as
    markdown-it (our export) and most highlighters write it."""
    code = pre.find("code")
    classes = code.get("class", []) if code is not None else []
    return next((name.removeprefix("language-") for name in classes
                 if name.startswith("language-")), "")


class FieldConverter:
    """Turns fields into Markdown and counts the media references it leaves in them."""

    def __init__(self) -> None:
        self._converter = _Converter()
        self.media = 0

    def markdown(self, html: str) -> str:
        """One field as Markdown, stripped."""
        html, sounds = _SOUND.subn(lambda match: f"[sound: {match[1].strip()}]", html)
        self.media += sounds
        if _NEEDS_CONVERTER.search(html):
            before = self._converter.images
            text = self._converter.convert(html)
            self.media += self._converter.images - before
        else:
            text = _plain(html)
        return CONTROL_CHARACTER.sub("", text.replace("\xa0", " ")).strip()


def _plain(text: str) -> str:
    """What markdownify makes of text without ``<`` or ``&``: runs of spaces and tabs one
    space, line breaks with the blanks around them one line break, asterisks escaped."""
    return _SPACES.sub(" ", _LINE_BREAK.sub("\n", text)).replace("*", "\\*")

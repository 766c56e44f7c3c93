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

from markdownify import MarkdownConverter

from flashcards.text import CONTROL_CHARACTER

_SOUND = re.compile(r"\[sound:([^\]]*)\]")
# Text without these is not HTML and has nothing markdownify would escape: it only has its
# whitespace tidied the way markdownify tidies it, at a fraction of the cost.
_NEEDS_CONVERTER = re.compile(r"[<&*]")
_SPACES = re.compile(r"[\t ]+")
_LINE_BREAK = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")


class _Converter(MarkdownConverter):
    """markdownify with media references in place of images, counting them."""

    def __init__(self) -> None:
        super().__init__(newline_style="backslash", heading_style="atx", bullets="-",
                         escape_underscores=False, code_language_callback=_language)
        self.images = 0

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
            text = _SPACES.sub(" ", _LINE_BREAK.sub("\n", html))
        return CONTROL_CHARACTER.sub("", text.replace("\xa0", " ")).strip()

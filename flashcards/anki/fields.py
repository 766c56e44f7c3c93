"""Anki's HTML fields -> the Markdown of our cards, with media as visible references.

markdownify does the conversion (MIT, BeautifulSoup underneath, one method per tag to
override): ``<pre>`` becomes a fenced code block (with its ``language-x`` class), ``<br>`` a hard line break (a backslash
at the end of the line), ``<div>`` lines paragraphs, bold and italics ``**``/``*``.
A terminal shows no picture and plays no sound, so ``<img src="x.png">`` becomes
``[image: x.png]`` and ``[sound:x.mp3]`` becomes ``[sound: x.mp3]``. Control characters
(which a card may not hold) are dropped and a no-break space becomes a space.

Most fields hold only the little HTML Anki's editor writes (``<div>`` lines, ``<br>``,
bold, italics, ``&nbsp;``): ``_simple_markdown`` converts those itself, as markdownify
would to the character, without building a soup (a tenth of the time: 10,000 notes of
such fields took 1.5 s through markdownify). Anything else goes to markdownify.
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
            text = _simple_markdown(html, self._converter)
            if text is None:
                text = self._converter.convert(html)
            self.media += self._converter.images - before
        else:
            text = _plain(html)
        return CONTROL_CHARACTER.sub("", text.replace("\xa0", " ")).strip()


def _plain(text: str) -> str:
    """What markdownify makes of text without ``<`` or ``&``: runs of spaces and tabs one
    space, line breaks with the blanks around them one line break, asterisks escaped."""
    return _SPACES.sub(" ", _LINE_BREAK.sub("\n", text)).replace("*", "\\*")


# The tokens of simple HTML: a tag of ours (markdownify's conversion, or None for a tag it
# keeps only the text of), an image, an entity, text; anything else ends the fast path.
_SIMPLE_TOKEN = re.compile(
    r"<(/?)(div|b|strong|i|em|u|span)>|<(br)(?: ?/)?>|<img src=\"([^\"<>&]*)\">"
    r"|&(nbsp|amp|lt|gt|quot);|([^<&]+)")
_ENTITY = {"nbsp": "\xa0", "amp": "&", "lt": "<", "gt": ">", "quot": '"'}
_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_ASCII_SPACES = frozenset("\x20\x0a\x09\x0c\x0d")  # bs4's: such a string becomes one
_EDGE_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", re.DOTALL)  # markdownify's


def _simple_markdown(html: str, converter: _Converter) -> str | None:
    """``converter.convert(html)``, for HTML of only ``<div>``, ``<b>``, ``<strong>``,
    ``<i>``, ``<em>``, ``<u>``, ``<span>`` (no attributes, each closed in order), ``<br>``
    (``<br/>``, ``<br />``), ``<img src="...">`` and the entities ``&nbsp; &amp; &lt; &gt;
    &quot;``; else None.

    The tree is the one bs4's html.parser builds of such HTML, and the walk is
    markdownify's own (``process_tag``, ``process_text``, the ``convert_*`` of these tags).
    """
    root: list = ["[document]", []]
    stack = [root]
    text: list[str] = []
    position = 0
    for match in _SIMPLE_TOKEN.finditer(html):
        if match.start() != position:
            return None  # a '<' or '&' of something else
        position = match.end()
        closing, name, br, src, entity, data = match.groups()
        if data is not None or entity is not None:
            text.append(data if data is not None else _ENTITY[entity])
            continue
        _end_text(text, stack[-1][1])
        if closing:
            if stack[-1][0] != name:
                return None
            stack.pop()
        elif name is not None:
            stack.append([name, []])
            stack[-2][1].append(stack[-1])
        else:
            stack[-1][1].append(["br", []] if br else ["img", src])
    if position != len(html) or len(stack) > 1:
        return None
    _end_text(text, root[1])
    return _tag_markdown(*root, converter).strip("\n")  # markdownify's convert__document_


def _end_text(text: list[str], children: list) -> None:
    """The text read since the last tag as a child, as bs4 ends a string: one of only
    ASCII blanks becomes a newline (if it holds one) or a space."""
    if text:
        joined = "".join(text)
        if not _ASCII_SPACES.issuperset(joined):
            children.append(joined)
        else:
            children.append("\n" if "\n" in joined else " ")
        text.clear()


def _is_block(node: str | list | None) -> bool:
    """markdownify's ``should_remove_whitespace_outside`` among these tags."""
    return isinstance(node, list) and node[0] == "div"


def _tag_markdown(name: str, children: list | str, converter: _Converter) -> str:
    """markdownify's ``process_tag`` then ``convert_<name>`` for one node of the tree."""
    if name == "br":
        return "\\\n"
    if name == "img":
        converter.images += 1
        return f"[image: {'embedded' if children.startswith('data:') else children or '?'}]"
    inside = name == "div"
    strings = []
    for index, child in enumerate(children):
        before = children[index - 1] if index else None
        after = children[index + 1] if index + 1 < len(children) else None
        if isinstance(child, list):
            strings.append(_tag_markdown(*child, converter))
        elif child.strip() or not (inside and (before is None or after is None)
                                   or _is_block(before) or _is_block(after)):
            text = _SPACES.sub(" ", _LINE_BREAK.sub("\n", child)).replace("*", "\\*")
            if _is_block(before) or inside and before is None:
                text = text.lstrip(" \t\r\n")
            if _is_block(after) or inside and after is None:
                text = text.rstrip()
            strings.append(text)
    collapsed = [""]
    for string in filter(None, strings):
        leading, content, trailing = _EDGE_NEWLINES.match(string).groups()
        if collapsed[-1] and leading:
            leading = "\n" * min(2, max(len(collapsed.pop()), len(leading)))
        collapsed += (leading, content, trailing)
    text = "".join(collapsed)
    if inside:
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""
    if name in _EMPHASIS:
        mark = _EMPHASIS[name]
        prefix = " " if text.startswith(" ") else ""
        suffix = " " if text.endswith(" ") else ""
        text = text.strip()
        return f"{prefix}{mark}{text}{mark}{suffix}" if text else ""
    return text

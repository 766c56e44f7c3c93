"""Hostile YAML read safely: one document composed into nodes, each with its line, never run.

libyaml's parser turns the text into events and nodes are built from them here, not by
PyYAML's constructor: nothing tagged can run, and YAML 1.1 guesses (`no` -> False,
`007` -> 7) never reach a text. A plain scalar keeps the text as written; it is read as a
boolean or a number only where the caller asks for one.

The caller walks the document (a mapping key by key, a list item by item), so a huge list
is held one item at a time and memory stays flat. What a small hostile file can cost is
capped: collections nested too deep are skipped, aliases may repeat only so much text
("billion laughs"), unknown tags are reported, and no escape may make a control character
other than tab and newline. Problems are collected as (line, message) in the order they are
met; a syntax error, or too much repeated text, also ends the reading.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import yaml
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from flashcards.text import CONTROL_CHARACTER, clip

__all__ = ["Composer", "MappingNode", "Node", "ScalarNode", "SequenceNode"]

# libyaml is ~10x faster than the pure-Python parser; both give the same events and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML_TAG = "tag:yaml.org,2002:"
_STR = _YAML_TAG + "str"
_BOOL = _YAML_TAG + "bool"
_INT = _YAML_TAG + "int"
# "!" is the non-specific tag (`! text`), which just means "a string".
_KNOWN_TAGS = frozenset(
    [
        _YAML_TAG + name
        for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
    ]
    + ["!"]
)
_TRUE = frozenset(("true", "yes", "on"))
_FALSE = frozenset(("false", "no", "off"))
_DECIMAL = re.compile(r"\+?[0-9]+")
MAX_DIGITS = 100  # digits read of a whole number; a longer one reads as 10**100

# Real documents nest a few levels; deeper input is refused without building it, which also
# keeps the composer far from Python's recursion limit.
_MAX_DEPTH = 50
# What aliases may repeat beyond the file's own size, in characters ("billion laughs").
_MAX_ALIAS_TEXT = 1_000_000


class Node:
    """A composed YAML value, like PyYAML's nodes but lighter: its tag (None on a plain
    scalar, whose type is resolved only on demand), its value (the text, the list of item
    nodes, or the list of (key, value) node pairs) and its line (from 1; an alias's copy has
    the alias's line)."""

    __slots__ = ("line", "size", "tag", "value")  # size: see _size, set on anchored nodes

    def __init__(self, tag: str | None, value: Any, line: int) -> None:
        self.tag = tag
        self.value = value
        self.line = line


class ScalarNode(Node):
    """Text."""

    __slots__ = ()


class SequenceNode(Node):
    """A list."""

    __slots__ = ()


class MappingNode(Node):
    """A mapping, as (key, value) pairs in the order written."""

    __slots__ = ()


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _size(node: Node) -> int:
    """What reading a node costs: its characters plus one per node. An alias's copy carries
    the size of what it repeats, so this never walks into a repeated value twice."""
    size = getattr(node, "size", None)
    if size is None:
        if type(node) is ScalarNode:
            size = len(node.value) + 1
        elif type(node) is SequenceNode:
            size = 1 + sum(_size(item) for item in node.value)
        else:
            size = 1 + sum(_size(key) + _size(value) for key, value in node.value)
    return size


class _TooMuchRepeated(Exception):
    """Aliases repeat more text than allowed; ends the reading at ``line``."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(line, limit)
        self.line, self.limit = line, limit


class Composer:
    """Composes the nodes of one YAML text as the caller walks it, within the caps.

    Problems are appended to ``errors`` as (line, message). Walk inside ``read()``: it starts
    the parser, and turns a YAML error into a problem.
    """

    def __init__(self, stream: BinaryIO, errors: list[tuple[int, str]]) -> None:
        """Read the UTF-8 text of ``stream`` (seekable) from where it stands: it is never held
        whole (libyaml would hold a second copy of a str), so a big file costs little memory."""
        self.stream = stream
        self.start = stream.tell()
        self.size = stream.seek(0, io.SEEK_END) - self.start
        stream.seek(self.start)
        self.errors = errors
        self.events: yaml.SafeLoader | None = None  # the parser, while read() runs
        self.anchors: dict[str, Node] = {}
        self.repeat_budget = self.size + _MAX_ALIAS_TEXT

    def error(self, line: int, message: str) -> None:
        """Report a problem at ``line``."""
        self.errors.append((line, message))

    def read(self, walk: Callable[[], None]) -> None:
        """Run ``walk`` over the text; a YAML error becomes one problem and ends the reading."""
        try:
            # The pure-Python reader already rejects bad characters while it is made.
            self.events = _LOADER(self.stream)
            try:
                walk()
            finally:
                self.events.dispose()
        except _TooMuchRepeated as error:
            self.error(
                error.line,
                f"aliases repeat more than {error.limit:,} characters of text "
                f"(at most the file's size plus {_MAX_ALIAS_TEXT:,})",
            )
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            message = error.problem or error.context or "YAML error"
            if error.context and error.context_mark and error.problem:
                message += f" ({error.context} at line {error.context_mark.line + 1})"
            # libyaml puts the end of a file that lacks its last newline on a line of its own.
            last = self._text().count("\n") + 1
            self.error(min(mark.line + 1, last) if mark else 1, " ".join(message.split()))
        except yaml.YAMLError as error:
            self.error(*self._reader_error(error))

    def _reader_error(self, error: yaml.YAMLError) -> tuple[int, str]:
        # The C and Python readers count the position in different units, so find the
        # character again instead.
        text = self._text()
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        if bad is None:
            return 1, " ".join(str(error).split())
        line = text.count("\n", 0, bad.start()) + 1
        return line, f"character U+{ord(bad.group()):04X} is not allowed in YAML"

    def _text(self) -> str:
        """The whole text, read again: only a problem needs it."""
        self.stream.seek(self.start)
        return self.stream.read().decode()

    def start_document(self) -> bool:
        """Step into the first document; False if the text holds none."""
        events = self.events
        events.get_event()  # StreamStartEvent
        if events.check_event(StreamEndEvent):
            return False
        events.get_event()  # DocumentStartEvent
        return True

    def end_document(self) -> int | None:
        """Step out of the document just walked: the line where another one starts, or None."""
        events = self.events
        events.get_event()  # DocumentEndEvent
        if events.check_event(StreamEndEvent):
            return None
        return events.peek_event().start_mark.line + 1

    def next_line(self) -> int:
        """The line where the next node starts."""
        return self.events.peek_event().start_mark.line + 1

    def at_mapping(self) -> bool:
        """Whether the next node is a mapping written out (not an alias to one)."""
        return self.events.check_event(MappingStartEvent)

    def at_sequence(self) -> bool:
        """Whether the next node is a list written out (not an alias to one)."""
        return self.events.check_event(SequenceStartEvent)

    def mapping_keys(self, depth: int) -> Iterator[Node]:
        """Step into the mapping that comes next (at ``depth``) and yield its keys, composed.

        Take each key's value (``compose``, or the walk of a list) before asking for the next
        key. The mapping is never held whole, so an anchor on it is not registered.
        """
        return self._walk(depth, MappingEndEvent)

    def sequence_items(self, depth: int) -> Iterator[Node]:
        """Step into the list that comes next (at ``depth``) and yield its items, each composed
        only when asked for: one item is held at a time (and an anchor on the list is not
        registered)."""
        return self._walk(depth, SequenceEndEvent)

    def _walk(self, depth: int, end: type[Event]) -> Iterator[Node]:
        get_event, node_of, child = self.events.get_event, self._node, depth + 1
        self._check_tag(get_event())
        event = get_event()
        while type(event) is not end:
            yield node_of(event, child)
            event = get_event()

    def compose(self, depth: int) -> Node:
        """Build the node starting at the next event; collections nested too deep are skipped."""
        return self._node(self.events.get_event(), depth)

    def _node(self, event: Event, depth: int) -> Node:
        """Build the node that ``event`` starts (the events it spans are taken as it goes)."""
        kind = type(event)
        if kind is AliasEvent:
            return self._alias(event)
        tag = event.tag
        if tag is not None:
            self._check_tag(event)
        if kind is ScalarEvent:
            # The reader lets no control character into the stream, but an escape in a
            # double-quoted string ("\e[2J", "\x1b") makes one, which would act on the
            # terminal that shows the text: only tab and newline are allowed.
            bad = CONTROL_CHARACTER.search(event.value) if event.style == '"' else None
            if bad is not None:
                self.error(
                    event.start_mark.line + 1,
                    f"control character U+{ord(bad.group()):04X} in a double-quoted string "
                    "(text may hold tabs and newlines, no other control characters)",
                )
            if tag is None:
                # Plain scalars stay untagged (None) and are resolved only where a type
                # matters (booleans, counts); quoted ones are strings.
                tag = None if event.implicit[0] else _STR
            elif tag == "!":
                tag = _STR
            node = ScalarNode(tag, event.value, event.start_mark.line + 1)
        elif depth >= _MAX_DEPTH:
            self._skip_too_deep(event)
            empty = MappingNode if kind is MappingStartEvent else SequenceNode
            node = empty(tag, [], event.start_mark.line + 1)
        else:
            # Each event is taken once and dispatched on its type, not peeked at first with
            # check_event(): composing a big deck is ~5% faster so.
            get_event, node_of, child = self.events.get_event, self._node, depth + 1
            children: list = []
            item = get_event()
            if kind is MappingStartEvent:
                node = MappingNode(tag, children, event.start_mark.line + 1)
                while type(item) is not MappingEndEvent:
                    children.append((node_of(item, child), node_of(get_event(), child)))
                    item = get_event()
            else:
                node = SequenceNode(tag, children, event.start_mark.line + 1)
                while type(item) is not SequenceEndEvent:
                    children.append(node_of(item, child))
                    item = get_event()
        # Registered only once complete, so a node can never contain itself.
        if event.anchor is not None:
            node.size = _size(node)
            self.anchors[event.anchor] = node
        return node

    def _alias(self, event: AliasEvent) -> Node:
        line = event.start_mark.line + 1
        node = self.anchors.get(event.anchor)
        if node is None:
            self.error(line, f"undefined alias '*{event.anchor}'")
            # Stand in with the text as written, so no "blank" error follows from it.
            return ScalarNode(_STR, f"*{event.anchor}", line)
        # Sharing the children keeps an alias bomb small, but reading it would not be:
        # what aliases repeat is counted, and too much ends the reading.
        self.repeat_budget -= node.size
        if self.repeat_budget < 0:
            raise _TooMuchRepeated(line, self.size + _MAX_ALIAS_TEXT)
        # A shallow copy that carries the alias's own line, so errors point where the
        # alias is used.
        copy = type(node)(node.tag, node.value, line)
        copy.size = node.size
        return copy

    def _check_tag(self, event: Event) -> None:
        # Tags are only ever reported, never acted on: nothing is constructed from them.
        if event.tag is not None and event.tag not in _KNOWN_TAGS:
            # A tag may hold any character, written as %XX.
            tag = clip(_tag_name(event.tag), 80)
            self.error(event.start_mark.line + 1, f"unknown tag '{tag}'")

    def _skip_too_deep(self, start: Event) -> None:
        self.error(start.start_mark.line + 1, f"nested more than {_MAX_DEPTH} levels deep")
        events = self.events
        depth = 1
        while depth:
            kind = type(events.get_event())
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1

    def boolean(self, node: Node) -> bool | None:
        """A YAML boolean (true/yes/on, false/no/off, as YAML 1.1 spells them, or tagged
        `!!bool`); None if the node is anything else, a quoted "true" included."""
        if type(node) is ScalarNode and self._resolved_tag(node) == _BOOL:
            value = node.value.lower()
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
        return None

    def whole_number(self, node: Node) -> int | None:
        """A whole number >= 0 written in plain decimal (not `0x1f`, `1_000` or `-3`);
        None if the node is anything else."""
        if (
            type(node) is ScalarNode
            and self._resolved_tag(node) == _INT
            and _DECIMAL.fullmatch(node.value)
        ):
            # int() refuses over 4,300 digits: a longer number is only known to be huge.
            return int(node.value) if len(node.value) <= MAX_DIGITS else 10**MAX_DIGITS
        return None

    def _resolved_tag(self, node: ScalarNode) -> str:
        return node.tag or self.events.resolve(yaml.ScalarNode, node.value, (True, False))

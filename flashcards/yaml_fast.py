"""The fast path for the common deck file: its `cards:` entries parsed by rapidyaml.

libyaml hands PyYAML one Python event (and two marks) per scalar: 100,000 cards cost ~1.2 s
in events alone. rapidyaml parses the same text in C++ ~5x faster, writes it as JSON in
C++ too, and `json.loads` (C) turns that into Python values: no Python call per scalar.

Only a plain subset of YAML is read so: block-sequence entries under a top-level `cards:`
key, with no tag, tab, carriage return or other control character anywhere (the raw bytes
are searched, ~0.1 s for 35 MB), and only text, lists of text and true/false (for flags)
as values. Where rapidyaml's output would hide a difference from libyaml, the file is
refused: an alias (written out as `*name`), a text starting with a character that cannot
start a plain scalar (libyaml refuses ``front: `x` ``), a number or null (how it was
written is lost). These checks err on the side of refusing. Whatever the subset does not
cover raises ``Unsupported``; the caller then reads the whole file again with the strict
reader (``yaml_safe``), which alone reports problems, with their lines. Everything outside
the entries (the deck's own keys, comments, a second document) is left to the strict
reader too, which reads a skeleton of the file.

The entries are parsed a chunk at a time, so a big file's tree is never all held; every
entry's line is counted from the raw bytes (rapidyaml's Python binding gives no lines).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import ryml

__all__ = ["FastDeck", "Unsupported", "off", "split"]

# Bytes read and entries parsed at once: enough that the C++ calls per block are few, little
# enough that a block's tree (~180 bytes a node) stays a few MB.
_BLOCK = 1 << 20

# The bytes allowed: printable ASCII, newline, and UTF-8's multi-byte sequences, which
# _ODD_SEQUENCES sifts. Tabs and CR are out: their rules differ between the two parsers.
_ALLOWED_BYTES = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)) + b"\n"
# C1 controls, the line and paragraph separators (libyaml breaks lines there), a BOM past
# the start, and the non-characters U+FFFE/U+FFFF: one literal search each is ~10x faster
# than one search for all.
_ODD_SEQUENCES = tuple(
    re.compile(pattern)
    for pattern in (
        rb"\xc2[\x80-\x9f]",
        rb"\xe2\x80[\xa8\xa9]",
        rb"\xef\xbb\xbf",
        rb"\xef\xbf[\xbe\xbf]",
    )
)
# A tag starts a node, after a space, a line break or a flow indicator (a false alarm
# within text, never a miss); rapidyaml's JSON would drop it.
_TAG = re.compile(rb"!(?<=[ \n\[{,]!)")
# Characters that cannot start a plain scalar in libyaml, while rapidyaml takes them as
# text (and an alias reaches the JSON as "*name").
_REFUSED_START = ("*", "%", "@", "`", ",", "]", "}")
# What a JSON string holds where an escape made a control character (the strict reader
# refuses those): raw C1 or DEL, or an escape of C0 other than tab and newline.
_ESCAPED_CONTROL = re.compile(
    rb"\x7f|\xc2[\x80-\x9f]|\\[bfr]|\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u00[89][0-9a-fA-F]"
)
_CARDS_LINE = re.compile(rb"cards:[ ]*(?:#.*)?\n")
_FIRST_ENTRY = re.compile(rb"(?:[ ]*(?:#.*)?\n)*( +)-")
# Searched from a literal: ~10x faster than from a (?m)^.
_TOP_LEVEL_LINE = re.compile(rb"\n[^ \n#]")


class Unsupported(Exception):
    """The text is outside the fast path's subset: read it with the strict reader."""


@dataclass(frozen=True)
class FastDeck:
    """A deck file split for the fast path: ``skeleton`` is the file with its `cards:` entries
    left out (`cards: []` on line ``cards_line``, every other line where it was), for the
    strict reader to check the deck's own keys; ``entries`` yields each entry's line and
    values (text, true/false, or a list of text), read as they are taken."""

    skeleton: bytes
    cards_line: int
    entries: Iterator[tuple[int, dict]]


# Set while the fast path is off for the whole process (see ``off``).
_OFF = threading.Event()


@contextmanager
def off() -> Iterator[None]:
    """Every deck read by the strict reader meanwhile, in every thread: for a terminal app.
    The fast path silences file descriptor 2 while rapidyaml parses (rapidyaml prints its
    errors there), and Textual writes its frames to that descriptor: they would be lost."""
    _OFF.set()
    try:
        yield
    finally:
        _OFF.clear()


def split(stream: BinaryIO) -> FastDeck:
    """Split the deck file that ``stream`` holds (UTF-8, from where it stands) for the fast
    path; ``Unsupported`` if it is outside the subset or the fast path is ``off``. The
    entries are read and parsed only as they are taken, a block at a time: the file is
    never all held."""
    if _OFF.is_set():
        raise Unsupported
    header, line, size = [], 1, 0
    for text in iter(lambda: stream.readline(_BLOCK), b""):
        if _CARDS_LINE.fullmatch(text):
            break
        header.append(text)
        line += 1
        size += len(text)
        if size >= _BLOCK:
            raise Unsupported  # the deck's own keys are short: this is not a plain deck
    else:
        raise Unsupported  # no `cards:` line: the strict reader tells what is wrong
    cards_line = line
    start = stream.tell()
    first = _FIRST_ENTRY.match(stream.read(_BLOCK))
    if first is None:
        raise Unsupported
    end, lines = _scan_block(stream, start)
    stream.seek(end)
    trailer = stream.read(_BLOCK)
    if stream.read(1):
        raise Unsupported  # as long a text after the cards is not a plain deck either
    skeleton = b"".join(header) + b"cards: []\n" + b"\n" * lines + trailer
    entries = _entries(
        stream,
        start + first.start(1),
        end,
        first.group(1),
        cards_line + 1 + first.group().count(b"\n"),
    )
    return FastDeck(skeleton, cards_line, entries)


def _scan_block(stream: BinaryIO, start: int) -> tuple[int, int]:
    """Where the block of entries that starts at ``start`` ends (at the next line that starts
    a top-level key, or at the end), and how many lines it has; ``Unsupported`` if it holds
    a character or tag outside the subset."""
    stream.seek(start)
    at, lines, tail = start, 0, b""
    while block := stream.read(_BLOCK):
        # The last bytes of the block before: a sequence or a tag may straddle the two.
        window = tail + block
        if (
            window.translate(None, _ALLOWED_BYTES)
            or _TAG.search(window)
            or any(pattern.search(window) for pattern in _ODD_SEQUENCES)
        ):
            raise Unsupported
        top = _TOP_LEVEL_LINE.search(window)
        if top is not None:
            end = at - len(tail) + top.start() + 1
            return end, lines + window.count(b"\n", len(tail), top.start() + 1)
        lines += block.count(b"\n")
        at += len(block)
        tail = window[-2:]
    return at, lines


def _entries(
    stream: BinaryIO, start: int, end: int, indent: bytes, line: int
) -> Iterator[tuple[int, dict]]:
    """Each entry of the block from ``start`` to ``end`` (a sequence at ``indent``, whose
    first entry is on line ``line``) with its line, read a block of bytes at a time."""
    # Imported here, on first use: a start that finds every deck unchanged never needs it.
    import ryml

    dash = re.compile(rb"\n" + indent + rb"-")
    # An entry must start on its dash's line, so that line is the entry's, as libyaml has it.
    entry_start = re.compile(re.escape(indent) + rb"-[ ]+[^ #\n]")
    stream.seek(start)
    left, buffer, tree, out = end - start, b"", ryml.Tree(), bytearray(2 * _BLOCK)
    while buffer or left:
        block = stream.read(min(_BLOCK, left))
        if left and not block:
            raise Unsupported  # the file got shorter under us
        left -= len(block)
        buffer += block
        starts = [0] + [match.start() + 1 for match in dash.finditer(buffer)]
        cut = len(buffer)
        if left:
            cut = starts.pop()  # the last entry may go on in the next block
            if not starts:
                continue
        lines = []
        for index, offset in enumerate(starts):
            if not entry_start.match(buffer, offset):
                raise Unsupported
            line += buffer.count(b"\n", starts[index - 1] if index else 0, offset)
            lines.append(line)
        line += buffer.count(b"\n", starts[-1], cut)
        yield from zip(lines, _parse_chunk(buffer[:cut], len(starts), tree, out))
        buffer = buffer[cut:]


def _parse_chunk(chunk: bytes, count: int, tree: ryml.Tree, out: bytearray) -> list[dict]:
    """The ``count`` entries of ``chunk`` (a block sequence), each a dict whose values are
    text, true/false or lists of text. ``tree`` and the JSON buffer ``out`` are reused from
    chunk to chunk (rapidyaml's own ``emit_json`` never frees what it writes)."""
    import ryml

    try:
        with _quiet_stderr():
            tree.clear()
            tree.clear_arena()
            ryml.parse_in_arena(chunk, tree)
            failed, size = ryml.emit_json_to_substr(tree, tree.root_id(), out)
            if failed:
                out.extend(bytes(size - len(out)))
                ryml.emit_json_to_substr(tree, tree.root_id(), out)
        text = out[:size]
        # Only an escape in a double-quoted string can make a control character.
        if b"\\" in chunk and _ESCAPED_CONTROL.search(text):
            raise Unsupported
        entries = json.loads(text)
    # rapidyaml's own (a syntax error, a tree too deep to write out), JSON's, and a deep list
    except (ryml.ExceptionBasic, ValueError, RecursionError):
        raise Unsupported from None
    # A count that differs means a line taken for an entry's start was inside a value.
    if type(entries) is not list or len(entries) != count:
        raise Unsupported
    # The tree's nodes, counted again: fewer means a dict kept one of two equal keys.
    nodes = 1 + count
    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            raise Unsupported
        nodes += len(entry)
        for key, value in entry.items():
            kind = type(value)
            if kind is list:
                nodes += len(value)
                for number, item in enumerate(value):
                    if type(item) is not str or (
                        item.startswith(_REFUSED_START) and not _styled(tree, index, key, number)
                    ):
                        raise Unsupported
            elif kind is str:
                if value.startswith(_REFUSED_START) and not _styled(tree, index, key):
                    raise Unsupported
            elif kind is not bool:
                raise Unsupported  # a number or null: how it was written is lost
    if nodes != tree.size():
        raise Unsupported
    return entries


def _styled(tree: ryml.Tree, index: int, key: str, item: int | None = None) -> bool:
    """Whether the value of ``key`` in entry ``index`` (or its item ``item``) was quoted or
    a block scalar: a text that starts with `` ` `` is fine then (a Markdown code fence),
    and an alias, which is plain, is not."""
    node = tree.find_child(tree.child(tree.root_id(), index), key.encode())
    if item is not None:
        node = tree.child(node, item)
    return bool(tree.is_val_quoted(node) or tree.is_val_literal(node) or tree.is_val_folded(node))


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """rapidyaml prints a parse error to stderr before raising it; the strict reader reports
    the problem its own way, so the file descriptor points at /dev/null meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)

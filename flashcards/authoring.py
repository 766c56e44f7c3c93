"""Adding a card: a new entry appended to its deck's YAML file, then synced at once.

The deck file is the truth, so a card is added by writing it there. The entry goes right
after the last entry of ``cards:`` and every byte already in the file is kept (comments,
order, quoting, CRLF line endings, a missing final newline). The new content is validated
by the deck loader, and checked to give back exactly the text asked for, before it
replaces the file atomically; the deck is synced in the same database transaction, so a
failure anywhere leaves both the file and the database as they were.
"""

from __future__ import annotations

import io
import os
import re
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from flashcards import cloze, decks, sync
from flashcards.decks import CardSpec, DeckError, DeckFile
from flashcards.draft import card_id
from flashcards.store import Store
from flashcards.text import CONTROL_CHARACTER, clip
from flashcards.yaml_safe import Composer, MappingNode, Node, ScalarNode, SequenceNode
from flashcards.yaml_write import Dumper, Tags

__all__ = [
    "KINDS",
    "Added",
    "AuthoringError",
    "NewCard",
    "add_card",
    "check",
    "parse_tags",
    "read_template",
    "template",
]

KINDS = ("basic", "reverse", "cloze")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LINE_BREAKS = "\r\n\x85\u2028\u2029"  # what YAML counts as the end of a line
_NO_WIDTH = 1 << 30  # one line per value: PyYAML folds long text at its width


class AuthoringError(Exception):
    """A card that cannot be added, said in one line; nothing was changed."""


@dataclass(frozen=True)
class NewCard:
    """What the user asks to add. A cloze's text is its ``front``; its ``back`` (extra text
    shown after the answer) is optional."""

    deck: str
    front: str
    back: str = ""
    tags: tuple[str, ...] = ()
    kind: str = "basic"


@dataclass(frozen=True)
class Added:
    """A card written to its deck file and synced."""

    deck: str
    path: Path
    line: int  # of the new entry in the file
    id: str
    cards: int  # the cards it makes: 2 for a reverse, one per deletion number for a cloze


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags as typed: separated by commas, each stripped, blanks dropped."""
    return tuple(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))


def check(card: NewCard) -> None:
    """Raise ``AuthoringError`` for input no deck file may hold: an unknown type, a blank
    front (or back, but on a cloze), a cloze without a valid deletion, a control character."""
    if card.kind not in KINDS:
        raise AuthoringError(f"unknown card type '{clip(card.kind)}' (one of: {', '.join(KINDS)})")
    what = "cloze text" if card.kind == "cloze" else "front"
    if not card.front.strip():
        raise AuthoringError(f"the {what} is empty")
    if card.kind != "cloze" and not card.back.strip():
        raise AuthoringError("the back is empty")
    for name, value in (("deck", card.deck), (what, card.front), ("back", card.back),
                        *(("tag", tag) for tag in card.tags)):
        bad = CONTROL_CHARACTER.search(value)
        if bad is not None:
            raise AuthoringError(f"the {name} holds the control character U+{ord(bad[0]):04X} "
                                 "(text may hold tabs and newlines, nothing else below U+0020)")
    if card.kind == "cloze":
        problems = cloze.deletions(card.front)[1]
        if problems:
            raise AuthoringError(f"the cloze text: {problems[0]}")


_TEMPLATE = """\
# A new card: write its front and back indented under the "|", save, close the editor.
# Left with an empty front and back (or as it is), the template adds nothing.
# type: basic, reverse (also makes the back -> front card) or cloze (the front holds
# {{{{c1::answer}}}}; the back is then optional, extra text shown after the answer).
# tags: a list, like [grammar, verbs].
deck: {deck}
type: {kind}
tags: []
front: |
  
back: |
  
"""
_TEMPLATE_KEYS = ("deck", "type", "tags", "front", "back")


def template(deck: str, kind: str = "basic") -> str:
    """The YAML text ``flashcards add`` opens in the editor when no front is given."""
    dump = yaml.dump([deck, kind], Dumper=Dumper, allow_unicode=True, width=_NO_WIDTH)
    quoted_deck, quoted_kind = (line.removeprefix("- ") for line in dump.splitlines())
    return _TEMPLATE.format(deck=quoted_deck if deck else "", kind=quoted_kind)


def read_template(text: str, where: str) -> NewCard | None:
    """The card a filled-in template asks for; None if its front and back were left empty.
    A template that is no valid YAML, or has unknown keys, is an ``AuthoringError`` naming
    ``where``:line."""
    errors: list[tuple[int, str]] = []
    composer = Composer(io.BytesIO(text.encode("utf-8")), errors)
    nodes: list = []

    def walk() -> None:
        if composer.start_document():
            nodes.append(composer.compose(0))
            composer.end_document()

    composer.read(walk)
    if errors:
        raise AuthoringError("{}:{}: {}".format(where, *min(errors)))
    root = nodes[0] if nodes else None
    if type(root) is not MappingNode:
        raise AuthoringError(f"{where}:1: expected the keys {', '.join(_TEMPLATE_KEYS)}")
    values: dict[str, str | tuple[str, ...]] = {}
    for key, value in root.value:
        name = key.value if type(key) is ScalarNode else None
        if name not in _TEMPLATE_KEYS or name in values:
            raise AuthoringError(f"{where}:{key.line}: unexpected key '{clip(str(name))}' "
                                 f"(expected each of {', '.join(_TEMPLATE_KEYS)} once)")
        values[name] = _template_value(name, value, where)
    front, back = values.get("front", ""), values.get("back", "")
    if not (front.strip() or back.strip()):
        return None
    return NewCard(values.get("deck", "").strip(), front, back, values.get("tags", ()),
                   values.get("type", "basic").strip())


def _template_value(name: str, node: Node, where: str) -> str | tuple[str, ...]:
    """A template's text value, or its tags (a list, or text separated by commas)."""
    if type(node) is ScalarNode:
        return parse_tags(node.value) if name == "tags" else node.value
    if name == "tags" and type(node) is SequenceNode and all(
            type(item) is ScalarNode for item in node.value):
        return tuple(item.value for item in node.value if item.value.strip())
    raise AuthoringError(f"{where}:{node.line}: {name} must be text")


def add_card(store: Store, card: NewCard) -> Added:
    """Append ``card`` to its deck's file and sync that deck, in one database transaction.

    Raises ``AuthoringError`` (bad input, a deck with no file or a read-only one, a file
    changed meanwhile) or ``DeckError`` (the deck file was already invalid), having
    changed nothing.
    """
    check(card)
    path = _deck_file(store, card.deck)
    # The database's write lock is held from the reading of the file to its replacement:
    # two adds at once (two terminals) take turns instead of losing one card.
    with store.write():
        data = decks.read_file(path)
        insertion = _with_entry(data, path, card, quick=True)
        try:
            deck = _validated(insertion, data, path, card)
        except (AuthoringError, DeckError):
            if not insertion.at_a_glance:
                raise
            # Placed by the parser instead, the problem is said as it always was.
            insertion = _with_entry(data, path, card, quick=False)
            deck = _validated(insertion, data, path, card)
        sync.sync(store, [deck])
        if decks.read_file(path) != data:
            raise AuthoringError(f"{path}: changed while the card was being added; try again")
        _replace(path, insertion.data)
    made = sum(spec.note_key == insertion.id for spec in deck.cards)
    return Added(card.deck, path, insertion.line, insertion.id, made)


def _deck_file(store: Store, deck: str) -> Path:
    """The writable file that defines ``deck`` (a symlink followed to its target)."""
    files = sync.deck_files(store)
    path = files.get(deck)
    if path is None:
        if store.query("SELECT 1 FROM decks WHERE name = ?", (deck,)):
            raise AuthoringError(f"deck '{clip(deck)}' has no file (it was retired): "
                                 "import its file again to add cards to it")
        known = ", ".join(files) or "none"
        raise AuthoringError(f"no deck named '{clip(deck)}' (decks with a file: {known})")
    path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise AuthoringError(f"{path}: the file of deck '{clip(deck)}' cannot be read: "
                             f"{error.strerror}") from None
    # Root may write anywhere: a file without any write permission counts as read-only too.
    if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise AuthoringError(f"{path}: the file is read-only; make it writable to add cards")
    return path


def _validated(insertion: _Insertion, old: bytes, path: Path, card: NewCard) -> DeckFile:
    """The deck of the new bytes, read by the deck loader, holding the new card exactly as
    asked; else ``AuthoringError`` (or the ``DeckError`` of a file that was invalid already)."""
    try:
        deck = decks.parse_deck(insertion.data, path)
    except DeckError as error:
        lines = range(insertion.line, insertion.line + insertion.lines)
        if not all(_error_line(problem, path) in lines for problem in error.errors):
            decks.parse_deck(old, path)  # the file was invalid already: say where
        problem = _CARD_PREFIX.sub("", error.errors[0].removeprefix(f"{path}:"), count=1)
        raise AuthoringError(f"{path}: the new card: {problem}") from None
    if deck.name != card.deck:
        raise AuthoringError(f"{path}: the file now names deck '{clip(deck.name)}', not "
                             f"'{clip(card.deck)}': run `flashcards sync`, then add the card")
    specs = [spec for spec in deck.cards if spec.note_key == insertion.id]
    if not specs or not _as_asked(card, specs[0]):
        raise AuthoringError(f"{path}: the new card would not read back as written "
                             "(the lines after it may be indented oddly); add it by hand")
    return deck


_CARD_PREFIX = re.compile(r"^\d+: (card \d+: )?")


def _error_line(problem: str, path: Path) -> int:
    """The line a deck loader's ``file:line: message`` names (0 if none)."""
    line = problem.removeprefix(f"{path}:").partition(":")[0]
    return int(line) if line.isdecimal() else 0


def _as_asked(card: NewCard, spec: CardSpec) -> bool:
    """Whether the first card of the new entry, as loaded, shows what the user typed."""
    front, back = card.front.rstrip(), card.back.rstrip()
    if card.kind == "cloze":
        expected = cloze.sides(front, cloze.deletions(front)[0][0], back)
    else:
        expected = (front, back)
    return (spec.front, spec.back) == expected and set(card.tags) <= set(spec.tags)


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` under a temporary name beside ``path``, on disk (fsync), then rename it
    over ``path`` with the file's mode: readers see the old file or the new one, never half."""
    mode = stat.S_IMODE(path.stat().st_mode)
    # A hidden name: a sync of the folder meanwhile skips it (see deck_files.find_deck_files).
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, mode)
        os.replace(partial, path)
    except OSError as error:
        raise AuthoringError(f"{path}: cannot write: {error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)


# -- the new entry -----------------------------------------------------------------------


@dataclass
class _CardsList:
    """Where the new entry goes in the file's ``cards:`` list."""

    at: int  # a character index into the text
    flow: bool  # written as [...] rather than one "- " entry per line
    indent: int  # the column of its "-" (a block list), of the new entry (a flow one)
    empty: bool


@dataclass(frozen=True)
class _Insertion:
    """The file's new bytes, and the new entry's id and lines in them."""

    data: bytes
    id: str
    line: int
    lines: int
    at_a_glance: bool  # placed by ``_cards_at_end``, not by the parser


def _with_entry(data: bytes, path: Path, card: NewCard, quick: bool) -> _Insertion:
    """The file's bytes with the new entry inserted after the last one (found at a glance
    when ``quick`` and the file is plain enough, see ``_cards_at_end``)."""
    bom = data[:3] if data.startswith(b"\xef\xbb\xbf") else b""
    glance = None
    try:
        text = data[len(bom):].decode("utf-8")
        glance = _cards_at_end(text) if quick else None
        spot = glance or _find_cards(text)
    except (UnicodeDecodeError, yaml.YAMLError):
        spot = None
    if spot is None:  # no list to add to: the loader says what is wrong
        decks.parse_deck(data, path)
        raise AuthoringError(f"{path}: no 'cards:' list to add the card to")
    ident = card_id(card.front, _TakenIn(text))
    entry = _entry(card, ident)
    eol = "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"
    before = text[: spot.at]
    if spot.flow:
        flow = yaml.dump(entry, Dumper=Dumper, default_flow_style=True, allow_unicode=True,
                         sort_keys=False, width=_NO_WIDTH).rstrip("\n")
        insert = ("" if spot.empty else ",") + eol + " " * spot.indent + flow
    else:
        block = yaml.dump([entry], Dumper=Dumper, default_flow_style=False, allow_unicode=True,
                          sort_keys=False, width=_NO_WIDTH)
        margin = " " * spot.indent
        insert = "".join(margin + line + eol if line else eol for line in block.splitlines())
        if before and before[-1] not in _LINE_BREAKS:  # the file's last line has no break
            insert = eol + insert
    line = _line_count(before) + (insert[0] in _LINE_BREAKS)
    new_text = before + insert + text[spot.at:]
    lines = _line_count(insert.strip(_LINE_BREAKS))
    return _Insertion(bom + new_text.encode("utf-8"), ident, line, lines, glance is not None)


def _entry(card: NewCard, ident: str) -> dict[str, object]:
    """The entry as the deck file holds it, keys in the order people write them."""
    entry: dict[str, object] = {"id": ident}
    front, back = card.front.rstrip(), card.back.rstrip()
    if card.kind == "cloze":
        entry["cloze"] = front
        if back.strip():
            entry["back"] = back
    else:
        entry["front"] = front
        entry["back"] = back
    if card.kind == "reverse":
        entry["reverse"] = True
    if card.tags:
        entry["tags"] = Tags(card.tags)
    return entry


def _line_count(text: str) -> int:
    """The line (from 1) on which the end of ``text`` is, counting breaks as YAML does."""
    return 1 + text.count("\n") + text.count("\r") - text.count("\r\n") + sum(
        text.count(mark) for mark in _LINE_BREAKS[2:])


def _cards_at_end(text: str) -> _CardsList | None:
    """The common file at a glance: a block ``cards:`` list, its entries indented, that ends
    the file, whose last line is text of its last entry (not blank, not a comment). The
    parser (``_find_cards``) would put the new entry after that line, at the end of the
    file; this finds it without the parser's ~10 events per card. None: ask the parser (a
    flow list, a key or a document after the list, blank or comment lines at the end, an
    anchor or a tag on the list, another kind of line break, a tab)."""
    key = 0 if text.startswith("cards:") else text.find("\ncards:") + 1
    entry = _FIRST_ENTRY.match(text, key)
    if entry is None or text.rfind("\ncards:") >= key or _TOP_LEVEL_LINE.search(text, key + 1):
        return None
    last_line = text[text.rfind("\n", 0, len(text) - 1) + 1:]
    plain = (text.endswith("\n") and not any(mark in text for mark in _OTHER_BREAKS)
             and "\n---" not in text[:key] and "\n..." not in "\n" + text)
    entry_text = last_line.startswith(" ") and not last_line.lstrip(" ").startswith(("#", "\n"))
    return _CardsList(len(text), False, len(entry[1]), False) if plain and entry_text else None


# Where the quick look gives up: what YAML also counts as a line break, or a tab.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029", "\t")
# A line that starts at the left margin and is not a comment: a key, or a document's mark.
_TOP_LEVEL_LINE = re.compile(r"\n[^ \n#]")
# The key's line, then blank and comment lines, then the indented "-" of the first entry.
_FIRST_ENTRY = re.compile(r"cards:[ ]*(?:#.*)?\n(?:[ ]*(?:#.*)?\n)*( +)-[ \n]")


def _find_cards(text: str) -> _CardsList | None:
    """Where the top-level ``cards:`` list ends, from the parser's events (nothing built);
    None when the file has no such list."""
    get_event = _LOADER(text).get_event
    for _ in range(2):  # the stream's and the document's start
        get_event()
    if type(get_event()) is not MappingStartEvent:
        return None
    while type(key := get_event()) is not MappingEndEvent:
        _skip(get_event, key)
        value = get_event()
        if type(key) is ScalarEvent and key.value == "cards":
            if type(value) is AliasEvent:
                raise AuthoringError("'cards:' is an alias to another list: add the card there")
            if type(value) is not SequenceStartEvent:
                return None
            line = text[:key.start_mark.index].rsplit("\n", 1)[-1]
            return _read_cards(text, get_event, value, len(line) - len(line.lstrip(" ")))
        _skip(get_event, value)
    return None


def _skip(get_event: Callable[[], Event], start: Event) -> None:
    """Read past the node that ``start`` begins."""
    depth = type(start) in _STARTS
    while depth:
        kind = type(get_event())
        depth += (kind in _STARTS) - (kind in _ENDS)


_STARTS = (MappingStartEvent, SequenceStartEvent)
_ENDS = (MappingEndEvent, SequenceEndEvent)


def _read_cards(text: str, get_event: Callable[[], Event], start: SequenceStartEvent,
                key_indent: int) -> _CardsList:
    """The ``cards:`` list that ``start`` opens, read to its end: the place just after its
    last entry (for a block list, at the start of the next line). That entry ends where its
    last event that spans text ends: a block collection's end spans none, being marked where
    the next key starts, after any comments. ``key_indent``: the indentation of the line of
    the list's key, which a new entry of a flow list goes beyond.

    One loop, no call per event: it runs once per event of the file (~10 per card)."""
    end = start.end_mark.index
    depth, items = 1, 0
    while True:
        event = get_event()
        kind = type(event)
        if kind in _STARTS:
            items += depth == 1
            depth += 1
        elif kind in _ENDS:
            depth -= 1
            if not depth:
                break
        else:
            items += depth == 1
        if event.end_mark.index > event.start_mark.index:
            end = event.end_mark.index
    if start.flow_style:
        return _CardsList(end, True, key_indent + 2, items == 0)
    if text[end - 1] not in _LINE_BREAKS:  # go past the comment, if any, that ends the line
        breaks = [at for at in (text.find(mark, end) for mark in _LINE_BREAKS) if at >= 0]
        end = min(breaks, default=len(text))
        end += text.startswith("\r\n", end) + (end < len(text))
    return _CardsList(end, False, start.start_mark.column, False)


class _TakenIn:
    """The ids a file holds, as ``draft.card_id`` asks: every text in the file counts as
    taken. That is more than its ids, so a new id never repeats one, and a substring search
    tells it at once, without reading the file's entries."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __contains__(self, candidate: str) -> bool:
        return candidate in self.text

    def add(self, candidate: str) -> None:
        """``card_id`` notes each id it gives out; the file will hold it, nothing to keep."""

"""Deck files: YAML -> validated card records, with file:line for every error.

A deck file is read as a stream of YAML events and each entry of `cards:` is composed into nodes
on its own, so memory stays flat on huge decks and every value keeps the line it came from.
Values are built from those nodes here, never by PyYAML's constructor: nothing tagged can run,
and YAML 1.1 guesses (`no` -> False, `007` -> 7) never reach the text of a card.
Text may hold tabs and newlines but no other control character (`"\\e[2J"` is refused), and
caps on text length, cloze expansion and what aliases repeat keep a hostile file cheap.
"""

from __future__ import annotations

import codecs
import difflib
import gc
import hashlib
import re
from collections.abc import Iterable
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
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flashcards import cloze
from flashcards.text import CONTROL_CHARACTER, clip

__all__ = [
    "CardSpec",
    "DeckError",
    "DeckFile",
    "Draft",
    "duplicate_deck_errors",
    "file_hash",
    "find_deck_files",
    "load_deck",
    "load_decks",
    "normalize",
    "parse_deck",
    "read_file",
]

# libyaml is ~10x faster than the pure-Python parser; both give the same events and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DECK_KEYS = ("deck", "description", "tags", "new_per_day", "reviews_per_day", "cards")
_CARD_KEYS = ("id", "front", "back", "cloze", "reverse", "tags", "source", "draft")

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

# A real deck nests four levels (deck -> cards -> card -> tags); deeper input is refused
# without building it, which also keeps the composer far from Python's recursion limit.
_MAX_DEPTH = 50
# Caps that keep a small hostile file from costing minutes or gigabytes; real decks stay far
# below them. One value (the app renders 100,000 characters in ~0.3 s):
_MAX_TEXT = 100_000
# What aliases may repeat beyond the file's own size, in characters ("billion laughs"):
_MAX_ALIAS_TEXT = 1_000_000


@dataclass(frozen=True, slots=True)
class CardSpec:
    """One reviewable card as the deck file defines it."""

    key: str
    note_key: str
    kind: str
    front: str
    back: str
    tags: tuple[str, ...]
    source: str
    line: int
    position: int
    has_id: bool


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry marked `draft: true`: listed, never scheduled."""

    line: int
    front: str


@dataclass(frozen=True)
class DeckFile:
    """A parsed, valid deck file."""

    path: Path
    name: str
    description: str
    tags: tuple[str, ...]
    new_per_day: int | None
    reviews_per_day: int | None
    cards: list[CardSpec]
    drafts: list[Draft]
    sha256: str
    name_line: int = 1  # where `deck:` is, for clashes between files


class DeckError(Exception):
    """One or more problems in deck files; .errors is a list of one-line messages."""

    def __init__(self, errors: str | Iterable[str]) -> None:
        self.errors: list[str] = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(self.errors)


def normalize(text: str) -> str:
    """Collapse all whitespace runs to single spaces and strip: the form used for identity."""
    return " ".join(text.split())


def file_hash(data: bytes) -> str:
    """Hex SHA-256 of a file's raw bytes, to notice when a deck changed."""
    return hashlib.sha256(data).hexdigest()


def find_deck_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, plus every *.yaml / *.yml below the given directories (sorted)."""
    errors: list[str] = []
    found = _find(paths, errors)
    if errors:
        raise DeckError(errors)
    return found


def duplicate_deck_errors(
    decks: Iterable[DeckFile], taken: dict[str, Path] | None = None
) -> list[str]:
    """One error for each deck whose name another file (or ``taken``) already defines."""
    defined_in = dict(taken or {})
    errors = []
    for deck in decks:
        other = defined_in.setdefault(deck.name, deck.path)
        if other != deck.path:
            errors.append(
                f"{deck.path}:{deck.name_line}: deck '{clip(deck.name)}' is also defined in {other}"
            )
    return errors


def load_deck(path: Path) -> DeckFile:
    """Read and parse one deck file."""
    return parse_deck(read_file(path), path)


def load_decks(paths: Iterable[str | Path]) -> list[DeckFile]:
    """Find and parse all decks, reporting the problems of every file (and clashing names) at once."""
    errors: list[str] = []
    decks: list[DeckFile] = []
    for path in _find(paths, errors):
        try:
            decks.append(load_deck(path))
        except DeckError as error:
            errors.extend(error.errors)
    errors.extend(duplicate_deck_errors(decks))
    if errors:
        raise DeckError(errors)
    return decks


def _find(paths: Iterable[str | Path], errors: list[str]) -> list[Path]:
    found: dict[Path, None] = {}  # a dict keeps the order and drops a file named twice
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                # Hidden files and folders are editor backups, lock files, .git and the like.
                if (
                    candidate.suffix.lower() in (".yaml", ".yml")
                    and not any(part.startswith(".") for part in relative)
                    and candidate.is_file()
                ):
                    found[candidate] = None
        elif path.exists():
            found[path] = None
        else:
            errors.append(f"{given}: no such file or directory")
    return list(found)


def read_file(path: Path) -> bytes:
    """A deck file's bytes; an unreadable file is a one-line DeckError."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise DeckError(f"{path}: cannot read: {error.strerror or error}") from None


def parse_deck(data: bytes, path: Path) -> DeckFile:
    """Validate one deck file's bytes; raise DeckError listing every problem found in it."""
    where = str(path)
    # The BOM is on line 1, so dropping it shifts no line number.
    text_bytes = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        line = text_bytes.count(b"\n", 0, error.start) + 1
        bad = text_bytes[error.start]
        raise DeckError(f"{where}:{line}: not valid UTF-8 (byte 0x{bad:02x})") from None

    # Nothing built here forms a cycle, so the cyclic GC has nothing to find, yet every few
    # hundred thousand new objects it would walk the caller's whole heap (a running app's too).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        reader = _DeckReader(text)
        reader.read()
        if reader.errors:
            reader.errors.sort(key=lambda error: error[0])
            raise DeckError([f"{where}:{line}: {message}" for line, message in reader.errors])
        deck = DeckFile(
            path=path,
            name=reader.name,
            description=reader.description,
            tags=reader.tags,
            new_per_day=reader.new_per_day,
            reviews_per_day=reader.reviews_per_day,
            cards=reader.cards(),
            drafts=reader.drafts,
            sha256=file_hash(data),
            name_line=reader.name_line,
        )
    finally:
        if gc_was_enabled:
            gc.enable()
    return deck


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _kind(node: Node) -> str:
    """How a wrong value is named in an error message."""
    if type(node) is MappingNode:
        return "a mapping"
    if type(node) is SequenceNode:
        return "a list"
    return f"'{clip(node.value)}'" if node.value else "an empty value"


def _unknown_key(name: str, known: tuple[str, ...]) -> str:
    if name == "<<":
        return "unknown key '<<' (YAML merge keys are not supported)"
    # A key longer than any known one by far is no typo (and difflib is slow on it).
    close = difflib.get_close_matches(name, known, n=1) if len(name) <= 40 else []
    hint = f"did you mean '{close[0]}'?" if close else "expected one of: " + ", ".join(known)
    return f"unknown key '{clip(name)}' ({hint})"


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


class _DeckReader:
    """Walks the event stream of one deck file, collecting its fields, cards and errors."""

    def __init__(self, text: str) -> None:
        self.source_text = text
        self.loader: yaml.SafeLoader | None = None  # made by read()
        self.anchors: dict[str, Node] = {}
        self.repeat_budget = len(text) + _MAX_ALIAS_TEXT
        self.errors: list[tuple[int, str]] = []
        self.name = ""
        self.name_line = 1
        self.description = ""
        self.tags: tuple[str, ...] = ()
        self.new_per_day: int | None = None
        self.reviews_per_day: int | None = None
        self.drafts: list[Draft] = []
        # Cards wait as (key, kind, front, back, entry) until the end, because deck-level
        # `tags:` may come after `cards:`; entry is (note_key, tags, source, line, position, has_id).
        self.records: list[tuple[str, str, str, str, tuple]] = []
        self.ids: dict[str, int] = {}
        self.prompts: dict[str, int] = {}

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def read(self) -> None:
        """Read the whole stream; YAML errors become one message and end the reading."""
        try:
            # The pure-Python reader already rejects bad characters while it is made.
            self.loader = _LOADER(self.source_text)
            try:
                self.read_stream()
            finally:
                self.loader.dispose()
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
            last = self.source_text.count("\n") + 1
            self.error(min(mark.line + 1, last) if mark else 1, " ".join(message.split()))
        except yaml.YAMLError as error:
            self.error(*self.reader_error(error))

    def reader_error(self, error: yaml.YAMLError) -> tuple[int, str]:
        # The C and Python readers count the position in different units, so find the
        # character again instead.
        text = self.source_text
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        if bad is None:
            return 1, " ".join(str(error).split())
        line = text.count("\n", 0, bad.start()) + 1
        return line, f"character U+{ord(bad.group()):04X} is not allowed in YAML"

    def read_stream(self) -> None:
        loader = self.loader
        loader.get_event()  # StreamStartEvent
        if loader.check_event(StreamEndEvent):
            self.error(1, "empty document (expected 'deck:' and 'cards:')")
            return
        loader.get_event()  # DocumentStartEvent
        if loader.check_event(MappingStartEvent):
            self.read_deck()
        else:
            root = self.compose(0)
            if type(root) is ScalarNode and root.tag is None and not root.value:
                self.error(1, "empty document (expected 'deck:' and 'cards:')")
            else:
                self.error(
                    _line(root),
                    f"the top level must be a mapping with 'deck:' and 'cards:', not {_kind(root)}",
                )
        loader.get_event()  # DocumentEndEvent
        if not loader.check_event(StreamEndEvent):
            line = loader.peek_event().start_mark.line + 1
            self.error(line, "more than one document (a deck file holds exactly one)")

    def compose(self, depth: int) -> Node:
        """Build the node starting at the next event; collections nested too deep are skipped."""
        loader = self.loader
        event = loader.get_event()
        kind = type(event)
        if kind is AliasEvent:
            node = self.anchors.get(event.anchor)
            if node is None:
                self.error(event.start_mark.line + 1, f"undefined alias '*{event.anchor}'")
                # Stand in with the text as written, so no "blank" error follows from it.
                return ScalarNode(_STR, f"*{event.anchor}", event.start_mark, None)
            # Sharing the children keeps an alias bomb small, but reading it would not be:
            # what aliases repeat is counted, and too much ends the reading.
            self.repeat_budget -= node.size
            if self.repeat_budget < 0:
                raise _TooMuchRepeated(
                    event.start_mark.line + 1, len(self.source_text) + _MAX_ALIAS_TEXT
                )
            # A shallow copy that carries the alias's own line, so errors point where the
            # alias is used.
            copy = type(node)(node.tag, node.value, event.start_mark, None)
            copy.size = node.size
            return copy
        tag = event.tag
        if tag is not None:
            self.check_tag(event)
        if kind is ScalarEvent:
            # The reader lets no control character into the stream, but an escape in a
            # double-quoted string ("\e[2J", "\x1b") makes one, which would act on the
            # terminal that shows the card: only tab and newline are allowed in text.
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
            node = ScalarNode(tag, event.value, event.start_mark, None)
        elif kind is MappingStartEvent:
            pairs: list[tuple[Node, Node]] = []
            node = MappingNode(tag, pairs, event.start_mark, None)
            if depth >= _MAX_DEPTH:
                self.too_deep(event)
            else:
                while not loader.check_event(MappingEndEvent):
                    pairs.append((self.compose(depth + 1), self.compose(depth + 1)))
                loader.get_event()
        else:
            items: list[Node] = []
            node = SequenceNode(tag, items, event.start_mark, None)
            if depth >= _MAX_DEPTH:
                self.too_deep(event)
            else:
                while not loader.check_event(SequenceEndEvent):
                    items.append(self.compose(depth + 1))
                loader.get_event()
        # Registered only once complete, so a node can never contain itself.
        if event.anchor is not None:
            node.size = _size(node)
            self.anchors[event.anchor] = node
        return node

    def check_tag(self, event: Event) -> None:
        # Tags are only ever reported, never acted on: nothing is constructed from them.
        if event.tag is not None and event.tag not in _KNOWN_TAGS:
            # A tag may hold any character, written as %XX.
            tag = clip(_tag_name(event.tag), 80)
            self.error(event.start_mark.line + 1, f"unknown tag '{tag}'")

    def too_deep(self, start: Event) -> None:
        self.error(start.start_mark.line + 1, f"nested more than {_MAX_DEPTH} levels deep")
        loader = self.loader
        depth = 1
        while depth:
            kind = type(loader.get_event())
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1

    def reject_key(
        self, key: Node, firsts: dict[str, Node], known: tuple[str, ...], prefix: str
    ) -> None:
        """Report a mapping key that is not text, repeats an earlier one (`firsts` holds the
        first key of each name, this one's included) or is unknown."""
        if type(key) is not ScalarNode:
            self.error(_line(key), f"{prefix}keys must be text, not {_kind(key)}")
            return
        name = key.value
        first = firsts[name]
        # A known key only lands here when it was already taken.
        if first is not key or name in known:
            self.error(
                _line(key), f"{prefix}duplicate key '{clip(name)}' (first at line {_line(first)})"
            )
        else:
            self.error(_line(key), prefix + _unknown_key(name, known))

    def read_deck(self) -> None:
        loader = self.loader
        start = loader.get_event()
        self.check_tag(start)
        root_line = start.start_mark.line + 1
        firsts: dict[str, Node] = {}
        # `cards` is streamed, not kept: it maps to None here.
        fields: dict[str, Node | None] = {}
        while not loader.check_event(MappingEndEvent):
            key = self.compose(1)
            name = key.value if type(key) is ScalarNode else None
            if name is not None:
                firsts.setdefault(name, key)
            if name not in _DECK_KEYS or name in fields:
                self.reject_key(key, firsts, _DECK_KEYS, "")
                self.compose(1)  # the value of a rejected key is read past, not used
            elif name == "cards":
                fields[name] = None
                self.read_cards()
            else:
                fields[name] = self.compose(1)
        loader.get_event()

        node = fields.get("deck")
        if node is None:
            self.error(root_line, "missing 'deck:' (the deck's name)")
        else:
            name = self.text(node, "", "deck")
            self.name_line = _line(node)
            if name is not None and not name.strip():
                self.error(_line(node), "the deck name is blank")
            self.name = name or ""
        self.description = (self.text(fields.get("description"), "", "description") or "").rstrip()
        self.tags = self.texts(fields.get("tags"), "", "tags") or ()
        self.new_per_day = self.count(fields.get("new_per_day"), "new_per_day")
        self.reviews_per_day = self.count(fields.get("reviews_per_day"), "reviews_per_day")
        if "cards" not in fields:
            self.error(
                root_line, "missing 'cards:' (write 'cards: []' for a deck with no cards yet)"
            )

    def read_cards(self) -> None:
        loader = self.loader
        if not loader.check_event(SequenceStartEvent):
            node = self.compose(1)
            if type(node) is SequenceNode:  # an alias to a list
                for position, entry in enumerate(node.value):
                    self.card(entry, position)
            else:
                self.error(
                    _line(node),
                    f"cards must be a list, not {_kind(node)} (write 'cards: []' for none)",
                )
            return
        self.check_tag(loader.get_event())
        position = 0
        # One entry at a time: its nodes are freed as soon as its cards are made.
        while not loader.check_event(SequenceEndEvent):
            self.card(self.compose(2), position)
            position += 1
        loader.get_event()

    def text(self, node: Node | None, prefix: str, what: str) -> str | None:
        """A scalar's text exactly as written (`no` stays "no"); None if absent or not text."""
        if node is None:
            return None
        if type(node) is ScalarNode:
            if len(node.value) > _MAX_TEXT:
                self.too_long(node, prefix, what)
            return node.value
        self.error(_line(node), f"{prefix}{what} must be text, not {_kind(node)}")
        return None

    def texts(self, node: Node | None, prefix: str, what: str) -> tuple[str, ...] | None:
        """A list of non-blank texts; None if absent or invalid."""
        if node is None:
            return None
        if type(node) is not SequenceNode:
            self.error(_line(node), f"{prefix}{what} must be a list like [a, b], not {_kind(node)}")
            return None
        values = []
        valid = True
        for number, item in enumerate(node.value, 1):
            if type(item) is not ScalarNode:
                self.error(
                    _line(item), f"{prefix}{what} item {number} must be text, not {_kind(item)}"
                )
                valid = False
            elif not item.value.strip():
                self.error(_line(item), f"{prefix}{what} item {number} is blank")
                valid = False
            elif len(item.value) > _MAX_TEXT:
                self.too_long(item, prefix, f"{what} item {number}")
                valid = False
            else:
                values.append(item.value)
        return tuple(values) if valid else None

    def too_long(self, node: ScalarNode, prefix: str, what: str) -> None:
        self.error(
            _line(node),
            f"{prefix}{what} is {len(node.value):,} characters long (at most {_MAX_TEXT:,})",
        )

    def resolved_tag(self, node: ScalarNode) -> str:
        return node.tag or self.loader.resolve(ScalarNode, node.value, (True, False))

    def flag(self, node: Node | None, prefix: str, what: str) -> bool:
        """A YAML boolean (true/yes/on, false/no/off); False if absent or invalid."""
        if node is None:
            return False
        if type(node) is ScalarNode and self.resolved_tag(node) == _BOOL:
            value = node.value.lower()
            if value in _TRUE or value in _FALSE:
                return value in _TRUE
        self.error(_line(node), f"{prefix}{what} must be true or false, not {_kind(node)}")
        return False

    def count(self, node: Node | None, what: str) -> int | None:
        """A whole number >= 0 written in plain decimal; None if absent or invalid."""
        if node is None:
            return None
        if (
            type(node) is ScalarNode
            and self.resolved_tag(node) == _INT
            and _DECIMAL.fullmatch(node.value)
        ):
            return int(node.value)
        self.error(_line(node), f"{what} must be a whole number >= 0, not {_kind(node)}")
        return None

    def unique_prompt(self, text: str, line: int, prefix: str, what: str) -> None:
        """Report a card front (after normalize) that another card already shows."""
        first = self.prompts.get(text)
        if first is None:
            self.prompts[text] = line
        else:
            self.error(line, f"{prefix}{what} (first at line {first})")

    def card(self, node: Node, position: int) -> None:
        """Check one entry of `cards:` and keep the cards (or the draft) it makes."""
        prefix = f"card {position + 1}: "
        line = _line(node)
        if type(node) is not MappingNode:
            self.error(
                line,
                f"{prefix}must be a mapping with 'front' and 'back' (or 'cloze'), not {_kind(node)}",
            )
            return
        errors_before = len(self.errors)
        fields: dict[str, Node] = {}
        firsts: dict[str, Node] | None = None  # made once, at the first rejected key
        for key, value in node.value:
            name = key.value if type(key) is ScalarNode else None
            if name in _CARD_KEYS and name not in fields:
                fields[name] = value
            else:
                if firsts is None:
                    pairs = reversed(node.value)
                    firsts = {k.value: k for k, _ in pairs if type(k) is ScalarNode}
                self.reject_key(key, firsts, _CARD_KEYS, prefix)

        ident = self.text(fields.get("id"), prefix, "id")
        front = self.text(fields.get("front"), prefix, "front")
        back = self.text(fields.get("back"), prefix, "back")
        cloze_text = self.text(fields.get("cloze"), prefix, "cloze")
        source = self.text(fields.get("source"), prefix, "source")
        tags = self.texts(fields.get("tags"), prefix, "tags") or ()
        reverse = self.flag(fields.get("reverse"), prefix, "reverse")
        draft = self.flag(fields.get("draft"), prefix, "draft")

        if ident is not None:
            id_line = _line(fields["id"])
            if not ident.strip():
                self.error(id_line, f"{prefix}id is blank")
            elif "::" in ident or ident.startswith("~"):
                # Generated keys use these, so an id with them could collide with another card.
                self.error(
                    id_line, f"{prefix}id '{clip(ident)}' must not contain '::' or start with '~'"
                )
            elif ident in self.ids:
                self.error(
                    id_line,
                    f"{prefix}duplicate id '{clip(ident)}' (first at line {self.ids[ident]})",
                )
            else:
                self.ids[ident] = id_line

        is_cloze = "cloze" in fields
        prompt = cloze_text if is_cloze else front
        if is_cloze and "front" in fields:
            self.error(_line(fields["cloze"]), f"{prefix}has both 'front' and 'cloze' (use one)")
        elif not is_cloze and "front" not in fields:
            self.error(line, f"{prefix}needs a 'front' (or a 'cloze')")
        elif prompt is not None and not prompt.strip():
            what = "cloze" if is_cloze else "front"
            self.error(_line(fields[what]), f"{prefix}{what} is blank")
        if is_cloze and reverse:
            self.error(_line(fields["reverse"]), f"{prefix}a cloze card cannot be reversed")
        if not (is_cloze or draft):
            if "back" not in fields:
                self.error(line, f"{prefix}missing 'back' (or mark the card 'draft: true')")
            elif back is not None and not back.strip():
                self.error(_line(fields["back"]), f"{prefix}back is blank")

        if draft:
            if len(self.errors) == errors_before:
                self.drafts.append(Draft(line, prompt.rstrip()))
            return
        numbers: list[int] = []
        if is_cloze and cloze_text is not None and cloze_text.strip():
            numbers = self.deletion_numbers(cloze_text, _line(fields["cloze"]), prefix)
        if len(self.errors) != errors_before:
            return

        prompt = prompt.rstrip()
        normal = normalize(prompt)
        prompt_line = _line(fields["cloze" if is_cloze else "front"])
        self.unique_prompt(
            normal, prompt_line, prefix, "duplicate cloze text" if is_cloze else "duplicate front"
        )
        base = ident if ident is not None else "~" + hashlib.sha1(normal.encode()).hexdigest()[:16]
        back = (back or "").rstrip()
        entry = (base, tags, (source or "").rstrip(), line, position, ident is not None)
        if is_cloze:
            for number in numbers:
                self.records.append(
                    (f"{base}::c{number}", "cloze", *cloze.sides(prompt, number, back), entry)
                )
            return
        self.records.append((base, "basic", prompt, back, entry))
        if reverse:
            self.unique_prompt(
                normalize(back),
                _line(fields["back"]),
                prefix,
                "the reverse card's front (this card's back) duplicates a front",
            )
            self.records.append((base + "::reverse", "reverse", back, prompt, entry))

    def deletion_numbers(self, text: str, line: int, prefix: str) -> list[int]:
        """The distinct deletion numbers of a cloze text, reporting malformed deletions."""
        numbers, problems = cloze.deletions(text)
        for problem in problems:
            self.error(line, prefix + problem)
        return numbers

    def cards(self) -> list[CardSpec]:
        """The collected cards, each with the deck's tags before its own."""
        deck_tags = self.tags
        merged: dict[tuple[str, ...], tuple[str, ...]] = {}
        cards = []
        for key, kind, front, back, (
            note_key,
            tags,
            source,
            line,
            position,
            has_id,
        ) in self.records:
            all_tags = merged.get(tags)
            if all_tags is None:
                all_tags = merged[tags] = tuple(dict.fromkeys(deck_tags + tags))
            cards.append(
                CardSpec(key, note_key, kind, front, back, all_tags, source, line, position, has_id)
            )
        return cards

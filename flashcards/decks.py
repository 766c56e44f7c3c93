"""Deck files: YAML -> validated deck records, with file:line for every error.

This module holds the schema: the keys a deck and a card take, the type of each value, and
what makes an entry valid (ids, fronts and backs, reverses, cloze deletions, drafts). The
YAML itself is read by `yaml_safe`, which hands over one entry of `cards:` at a time as nodes
that know their lines; every problem in a file is reported, sorted by line, as
`file:line: card N: problem`.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from flashcards import cloze, heap, yaml_fast
from flashcards.deck_files import (  # here too, for the callers that read decks
    DeckError,
    StreamFailed,
    duplicate_deck_errors,
    file_hash,
    find_deck_files,
    gather_deck_files,
    hash_file,
    read_file,
)
from flashcards.scheduling import MAX_DAILY_LIMIT, SCHEDULERS
from flashcards.text import clip
from flashcards.yaml_safe import Composer, MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "CardSpec",
    "DeckError",
    "DeckFile",
    "Draft",
    "StreamFailed",
    "duplicate_deck_errors",
    "file_hash",
    "find_deck_files",
    "hash_file",
    "load_deck",
    "load_decks",
    "normalize",
    "parse_deck",
    "read_file",
]

_DECK_KEYS = ("deck", "description", "tags", "new_per_day", "reviews_per_day", "scheduler",
              "cards")
_CARD_KEYS = ("id", "front", "back", "cloze", "reverse", "tags", "source", "draft")
# The type of each key's value in an entry of the plain shape, for the fast path.
_PLAIN_TYPES = dict.fromkeys(("id", "front", "back", "cloze", "source"), str) | {
    "tags": list, "reverse": bool, "draft": bool}

# Bytes read at once where a whole file is checked (its text, hash).
_CHUNK = 1 << 20
# Entries of a streamed deck checked before their cards are handed on: few enough that the
# notes waiting stay small, enough that each hand-over's own cost vanishes.
_STREAM_NOTES = 1000

# One value's length, capped so a small hostile file cannot cost minutes to show; real decks
# stay far below it (the app renders 100,000 characters in ~0.3 s).
_MAX_TEXT = 100_000


class CardSpec(NamedTuple):
    """One reviewable card as the deck file defines it (a named tuple: made ~4x faster than a
    frozen dataclass, ~0.2 s less for 100,000 cards)."""

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
    cards: list[CardSpec] | Iterator[CardSpec]  # an iterator when streamed (see ``load_deck``)
    drafts: list[Draft]  # a streamed deck's grow as its cards are read
    sha256: str
    name_line: int = 1  # where `deck:` is, for clashes between files
    scheduler: str | None = None  # this deck's own (``scheduling.SCHEDULERS``); None: global


def normalize(text: str) -> str:
    """Collapse all whitespace runs to single spaces and strip: the form used for identity."""
    normal = " ".join(text.split())
    # The text itself when it was normal already: the copy would be one more string per card.
    return text if normal == text else normal


def load_deck(path: Path, streamed: bool = False,
              on_read: Callable[[int], None] | None = None) -> DeckFile:
    """Read and parse one deck file, a piece at a time: its bytes are never all held.

    With ``streamed``, a file that the fast path reads (``yaml_fast``) is checked here only as
    far as the deck's own keys: its ``cards`` are an iterator that reads and checks the
    entries as it is taken, so that the caller can write them meanwhile, and that raises
    ``StreamFailed`` at the first problem (the caller then undoes what it wrote and reads the
    file again, not streamed). Its ``drafts`` are complete once the cards are all taken, and
    ``on_read`` hears, as they are, how many more bytes of the file that took, up to its size."""
    try:
        stream = path.open("rb")
        try:
            deck = _parse(stream, path, streamed=streamed, on_read=on_read)
        except BaseException:
            stream.close()
            raise
    except OSError as error:
        raise DeckError(f"{path}: cannot read: {error.strerror or error}") from None
    if type(deck.cards) is list:
        stream.close()  # else the cards' iterator reads on, and closes it
    return deck


def load_decks(paths: Iterable[str | Path]) -> list[DeckFile]:
    """Find and parse all decks, reporting the problems of every file (and clashing names) at once."""
    errors: list[str] = []
    decks: list[DeckFile] = []
    for path in gather_deck_files(paths, errors):
        try:
            decks.append(load_deck(path))
        except DeckError as error:
            errors.extend(error.errors)
    errors.extend(duplicate_deck_errors(decks))
    if errors:
        raise DeckError(errors)
    return decks


def parse_deck(data: bytes, path: Path) -> DeckFile:
    """Validate one deck file's bytes; raise DeckError listing every problem found in it."""
    return _parse(io.BytesIO(data), path)


def _parse(stream: BinaryIO, path: Path, fast: bool = True, streamed: bool = False,
           on_read: Callable[[int], None] | None = None) -> DeckFile:
    """Validate the deck file that ``stream`` (seekable, at its start) holds: by the fast
    path where it applies (unless not ``fast``), else by the strict reader; ``streamed`` and
    ``on_read``: see ``load_deck``."""
    where = str(path)
    digest = _check_utf8(stream, where)
    with heap.paused_gc():
        reader = _fast_reader(stream, streamed) if fast else None
        if reader is None:
            reader = _DeckReader(stream)
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
            cards=(reader.streamed_cards(stream, on_read) if reader.streaming
                   else reader.cards()),
            drafts=reader.drafts,
            sha256=digest,
            name_line=reader.name_line,
            scheduler=reader.scheduler,
        )
    return deck


def _fast_reader(stream: BinaryIO, streaming: bool = False) -> _DeckReader | None:
    """The file read by the fast path (``yaml_fast``), its cards' entries parsed by rapidyaml
    and checked here like any others (when ``streaming``, later: see ``streamed_cards``);
    None where the fast path does not apply or meets a problem, for the strict reader to
    read the file again and report every problem."""
    start = stream.tell()
    try:
        fast = yaml_fast.split(stream)
        reader = _DeckReader(io.BytesIO(fast.skeleton), fast, streaming)
        reader.read()
    except yaml_fast.Unsupported:
        reader = None
    stream.seek(start)
    return None if reader is None or reader.errors else reader


def _check_utf8(stream: BinaryIO, where: str) -> str:
    """The ``file_hash`` of a deck file, checking on the way, a piece at a time, that it is
    UTF-8. Leaves the stream where its text starts: after the BOM, which is on line 1, so
    dropping it shifts no line number."""
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        stream.seek(0)
        data = stream.read().removeprefix(codecs.BOM_UTF8)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            bad = data[error.start]
            raise DeckError(f"{where}:{line}: not valid UTF-8 (byte 0x{bad:02x})") from None
    stream.seek(0)
    if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        stream.seek(0)
    return digest.hexdigest()


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


@dataclass(slots=True)
class _Entry:
    """One mapping of `cards:` as written: its value nodes by key, and what they hold (None
    where absent or invalid)."""

    nodes: dict[str, Node]
    prefix: str  # "card N: ", which starts each of its errors
    line: int
    position: int
    is_cloze: bool  # it has a `cloze:` key, valid or not
    prompt: str | None  # what the card asks: its `cloze:` text, else its `front:`
    id: str | None
    back: str | None
    source: str | None
    tags: tuple[str, ...]
    reverse: bool
    draft: bool


@dataclass(slots=True)
class _Note:
    """A valid entry: the cards it makes wait here for the deck's tags, which may come after
    `cards:` in the file."""

    key: str
    front: str
    back: str
    deletions: tuple[int, ...]  # the numbers of a cloze; none for a front and back
    reverse: bool
    tags: tuple[str, ...]
    source: str
    line: int
    position: int
    has_id: bool

    def add_cards(self, cards: list[CardSpec], tags: tuple[str, ...]) -> None:
        """Append its cards to ``cards``, carrying ``tags`` (the deck's and its own)."""
        if self.deletions:
            for number in self.deletions:
                front, back = cloze.sides(self.front, number, self.back)
                cards.append(self.card(f"{self.key}::c{number}", "cloze", front, back, tags))
            return
        cards.append(self.card(self.key, "basic", self.front, self.back, tags))
        if self.reverse:
            cards.append(self.card(self.key + "::reverse", "reverse", self.back, self.front, tags))

    def card(self, key: str, kind: str, front: str, back: str, tags: tuple[str, ...]) -> CardSpec:
        """One of its cards."""
        # Positional: keywords would make it slower.
        return CardSpec(
            key,
            self.key,
            kind,
            front,
            back,
            tags,
            self.source,
            self.line,
            self.position,
            self.has_id,
        )


def _fast_entry(values: dict, line: int, position: int) -> _Entry:
    """An entry of the fast path (``yaml_fast``) when it has the plain shape (known keys;
    text, tags as a list of texts, flags true or false); else ``Unsupported``, for the strict
    reader to report what is wrong."""
    for name, value in values.items():  # yaml_fast gives text, true/false, lists of text
        kind = type(value)
        if kind is not _PLAIN_TYPES.get(name) or (kind is str and len(value) > _MAX_TEXT):
            raise yaml_fast.Unsupported
    get = values.get
    tags = get("tags", ())
    for tag in tags:
        if not tag.strip() or len(tag) > _MAX_TEXT:
            raise yaml_fast.Unsupported
    cloze_text = get("cloze")
    is_cloze = cloze_text is not None
    # Every field's node stands for its line, which is the entry's: lines only show in
    # problems, and those send the file to the strict reader.
    nodes = dict.fromkeys(values, ScalarNode(None, "", line))
    return _Entry(nodes, f"card {position + 1}: ", line, position, is_cloze,
                  cloze_text if is_cloze else get("front"), get("id"), get("back"),
                  get("source"), tuple(tags), get("reverse", False), get("draft", False))


class _DeckReader:
    """Walks one deck file's YAML, collecting its fields, notes, drafts and errors."""

    def __init__(self, stream: BinaryIO, fast: yaml_fast.FastDeck | None = None,
                 streaming: bool = False) -> None:
        """Read ``stream``; with ``fast``, the stream is its skeleton, the entries its own,
        which ``streaming`` leaves to ``streamed_cards``."""
        self.errors: list[tuple[int, str]] = []
        self.composer = Composer(stream, self.errors)
        self.fast = fast
        self.streaming = streaming
        self.name = ""
        self.name_line = 1
        self.description = ""
        self.tags: tuple[str, ...] = ()
        self.new_per_day: int | None = None
        self.reviews_per_day: int | None = None
        self.scheduler: str | None = None
        self.drafts: list[Draft] = []
        self.notes: list[_Note] = []
        self.ids: dict[str, int] = {}
        self.prompts: dict[str, int] = {}
        # Each set of tags, kept once: a deck's notes share a few (~20 MB less for 100,000).
        self.tag_sets: dict[tuple[str, ...], tuple[str, ...]] = {}

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def read(self) -> None:
        """Read the whole file; a YAML error becomes one message and ends the reading."""
        self.composer.read(self.read_document)
        # Every id and front has been checked: their tables go before the cards are made.
        self.ids.clear()
        self.prompts.clear()

    def read_document(self) -> None:
        """The one document of the file: a mapping with the deck's keys."""
        composer = self.composer
        if not composer.start_document():
            self.error(1, "empty document (expected 'deck:' and 'cards:')")
            return
        if composer.at_mapping():
            self.read_deck()
        else:
            root = composer.compose(0)
            if type(root) is ScalarNode and root.tag is None and not root.value:
                self.error(1, "empty document (expected 'deck:' and 'cards:')")
            else:
                self.error(
                    root.line,
                    f"the top level must be a mapping with 'deck:' and 'cards:', not {_kind(root)}",
                )
        extra = composer.end_document()
        if extra is not None:
            self.error(extra, "more than one document (a deck file holds exactly one)")

    def read_deck(self) -> None:
        """The top-level mapping, key by key; `cards:` is read entry by entry as it comes."""
        composer = self.composer
        root_line = composer.next_line()
        firsts: dict[str, Node] = {}
        # `cards` is streamed, not kept: it maps to None here.
        fields: dict[str, Node | None] = {}
        for key in composer.mapping_keys(0):
            name = key.value if type(key) is ScalarNode else None
            if name is not None:
                firsts.setdefault(name, key)
            if name not in _DECK_KEYS or name in fields:
                self.reject_key(key, firsts, _DECK_KEYS, "")
                composer.compose(1)  # the value of a rejected key is read past, not used
            elif name == "cards":
                fields[name] = None
                self.read_cards()
            else:
                fields[name] = composer.compose(1)
        self.read_deck_fields(fields, root_line)

    def read_deck_fields(self, fields: dict[str, Node | None], root_line: int) -> None:
        """The deck's own values, once all its keys are known."""
        node = fields.get("deck")
        if node is None:
            self.error(root_line, "missing 'deck:' (the deck's name)")
        else:
            name = self.text(node, "", "deck")
            self.name_line = node.line
            if name is not None and not name.strip():
                self.error(node.line, "the deck name is blank")
            self.name = name or ""
        self.description = (self.text(fields.get("description"), "", "description") or "").rstrip()
        self.tags = self.texts(fields.get("tags"), "", "tags") or ()
        self.new_per_day = self.count(fields.get("new_per_day"), "new_per_day")
        self.reviews_per_day = self.count(fields.get("reviews_per_day"), "reviews_per_day")
        self.scheduler = self.text(fields.get("scheduler"), "", "scheduler")
        if self.scheduler is not None and self.scheduler not in SCHEDULERS:
            self.error(fields["scheduler"].line, f"scheduler must be one of: "
                       f"{', '.join(SCHEDULERS)}, not {self.scheduler!r}")
            self.scheduler = None
        if "cards" not in fields:
            self.error(
                root_line, "missing 'cards:' (write 'cards: []' for a deck with no cards yet)"
            )

    def read_cards(self) -> None:
        """Each entry of `cards:`, written out or (rarely) an alias to a list."""
        composer = self.composer
        if self.fast is not None:
            self.fast_cards()
            return
        if composer.at_sequence():
            # One entry at a time: its nodes are freed as soon as its note is made.
            entries: Iterable[Node] = composer.sequence_items(1)
        else:
            node = composer.compose(1)
            if type(node) is not SequenceNode:
                self.error(
                    node.line,
                    f"cards must be a list, not {_kind(node)} (write 'cards: []' for none)",
                )
                return
            entries = node.value  # an alias to a list
        for position, entry in enumerate(entries):
            self.card(entry, position)

    def fast_cards(self) -> None:
        """The fast path's entries, in place of the skeleton's `cards: []`."""
        node = self.composer.compose(1)
        if node.line != self.fast.cards_line or type(node) is not SequenceNode or node.value:
            raise yaml_fast.Unsupported  # `cards:` was not where the fast path found it
        if not self.streaming:
            for position, (line, values) in enumerate(self.fast.entries):
                self.check_entry(_fast_entry(values, line, position), len(self.errors))

    def streamed_cards(self, stream: BinaryIO,
                       on_read: Callable[[int], None] | None = None) -> Iterator[CardSpec]:
        """The cards of the fast path's entries, each checked and made as it is read from
        ``stream`` (closed at the end); ``StreamFailed`` at the first problem. The deck's own
        keys, its tags too, were all read before, from the skeleton. ``on_read`` hears how
        many more bytes were read at each hand-over, and the rest of the file's at the end."""
        told = 0

        def tell(upto: int) -> None:
            nonlocal told
            if on_read is not None and upto > told:
                on_read(upto - told)
                told = upto

        with stream, heap.paused_gc():
            try:
                for position, (line, values) in enumerate(self.fast.entries):
                    self.check_entry(_fast_entry(values, line, position), 0)
                    if self.errors:
                        raise StreamFailed
                    if len(self.notes) == _STREAM_NOTES:
                        tell(stream.tell())
                        yield from self.cards()
            except (yaml_fast.Unsupported, OSError):
                raise StreamFailed from None
            yield from self.cards()
            tell(stream.seek(0, io.SEEK_END))  # the file's size: what is left is told
            self.ids.clear()
            self.prompts.clear()

    def text(self, node: Node | None, prefix: str, what: str) -> str | None:
        """A scalar's text exactly as written (`no` stays "no"); None if absent or not text."""
        if node is None:
            return None
        if type(node) is ScalarNode:
            if len(node.value) > _MAX_TEXT:
                self.too_long(node, prefix, what)
            return node.value
        self.error(node.line, f"{prefix}{what} must be text, not {_kind(node)}")
        return None

    def texts(self, node: Node | None, prefix: str, what: str) -> tuple[str, ...] | None:
        """A list of non-blank texts; None if absent or invalid."""
        if node is None:
            return None
        if type(node) is not SequenceNode:
            self.error(node.line, f"{prefix}{what} must be a list like [a, b], not {_kind(node)}")
            return None
        values = []
        valid = True
        for number, item in enumerate(node.value, 1):
            if type(item) is not ScalarNode:
                self.error(
                    item.line, f"{prefix}{what} item {number} must be text, not {_kind(item)}"
                )
                valid = False
            elif not item.value.strip():
                self.error(item.line, f"{prefix}{what} item {number} is blank")
                valid = False
            elif len(item.value) > _MAX_TEXT:
                self.too_long(item, prefix, f"{what} item {number}")
                valid = False
            else:
                values.append(item.value)
        return tuple(values) if valid else None

    def too_long(self, node: ScalarNode, prefix: str, what: str) -> None:
        self.error(
            node.line,
            f"{prefix}{what} is {len(node.value):,} characters long (at most {_MAX_TEXT:,})",
        )

    def flag(self, node: Node | None, prefix: str, what: str) -> bool:
        """A YAML boolean (true/yes/on, false/no/off); False if absent or invalid."""
        if node is None:
            return False
        value = self.composer.boolean(node)
        if value is None:
            self.error(node.line, f"{prefix}{what} must be true or false, not {_kind(node)}")
            return False
        return value

    def count(self, node: Node | None, what: str) -> int | None:
        """A whole number from 0 to ``MAX_DAILY_LIMIT`` written in plain decimal; None if
        absent or invalid."""
        if node is None:
            return None
        value = self.composer.whole_number(node)
        if value is None:
            self.error(node.line, f"{what} must be a whole number >= 0, not {_kind(node)}")
        elif value > MAX_DAILY_LIMIT:
            self.error(node.line, f"{what} must be at most {MAX_DAILY_LIMIT}, not {_kind(node)}")
            return None
        return value

    def reject_key(
        self, key: Node, firsts: dict[str, Node], known: tuple[str, ...], prefix: str
    ) -> None:
        """Report a mapping key that is not text, repeats an earlier one (`firsts` holds the
        first key of each name, this one's included) or is unknown."""
        if type(key) is not ScalarNode:
            self.error(key.line, f"{prefix}keys must be text, not {_kind(key)}")
            return
        name = key.value
        first = firsts[name]
        # A known key only lands here when it was already taken.
        if first is not key or name in known:
            self.error(
                key.line,
                f"{prefix}duplicate key '{clip(name)}' (first at line {first.line})",
            )
        else:
            self.error(key.line, prefix + _unknown_key(name, known))

    def unique_prompt(self, text: str, line: int, prefix: str, what: str) -> None:
        """Report a card front (after normalize) that another card already shows."""
        first = self.prompts.get(text)
        if first is None:
            self.prompts[text] = line
        else:
            self.error(line, f"{prefix}{what} (first at line {first})")

    def card(self, node: Node, position: int) -> None:
        """Check one entry of `cards:` and keep the note (or the draft) it makes."""
        if type(node) is not MappingNode:
            self.error(
                node.line,
                f"card {position + 1}: must be a mapping with 'front' and 'back' (or 'cloze'), "
                f"not {_kind(node)}",
            )
            return
        errors_before = len(self.errors)
        self.check_entry(self.read_entry(node, position), errors_before)

    def check_entry(self, entry: _Entry, errors_before: int) -> None:
        """Check an entry's fields together and keep the note (or the draft) it makes, unless
        it has problems (more errors than ``errors_before``)."""
        self.check_id(entry)
        self.check_sides(entry)
        if entry.draft:
            if len(self.errors) == errors_before:
                self.drafts.append(Draft(entry.line, entry.prompt.rstrip()))
            return
        deletions = self.deletions(entry) if entry.is_cloze else ()
        if len(self.errors) == errors_before:
            self.add_note(entry, deletions)

    def read_entry(self, node: MappingNode, position: int) -> _Entry:
        """What an entry's keys hold, reporting values of the wrong type."""
        prefix = f"card {position + 1}: "
        nodes = self.entry_nodes(node, prefix)
        # Read in this order, which is the order of their errors on one line.
        ident = self.text(nodes.get("id"), prefix, "id")
        front = self.text(nodes.get("front"), prefix, "front")
        back = self.text(nodes.get("back"), prefix, "back")
        cloze_text = self.text(nodes.get("cloze"), prefix, "cloze")
        source = self.text(nodes.get("source"), prefix, "source")
        tags = self.texts(nodes.get("tags"), prefix, "tags") or ()
        reverse = self.flag(nodes.get("reverse"), prefix, "reverse")
        draft = self.flag(nodes.get("draft"), prefix, "draft")
        is_cloze = "cloze" in nodes
        # Positional, in the order of the fields: keywords would cost ~2% of a big import.
        return _Entry(
            nodes,
            prefix,
            node.line,
            position,
            is_cloze,
            cloze_text if is_cloze else front,
            ident,
            back,
            source,
            tags,
            reverse,
            draft,
        )

    def entry_nodes(self, node: MappingNode, prefix: str) -> dict[str, Node]:
        """An entry's value nodes by key, reporting keys that are unknown, repeated or not text."""
        nodes: dict[str, Node] = {}
        firsts: dict[str, Node] | None = None  # made once, at the first rejected key
        for key, value in node.value:
            name = key.value if type(key) is ScalarNode else None
            if name in _CARD_KEYS and name not in nodes:
                nodes[name] = value
            else:
                if firsts is None:
                    pairs = reversed(node.value)
                    firsts = {k.value: k for k, _ in pairs if type(k) is ScalarNode}
                self.reject_key(key, firsts, _CARD_KEYS, prefix)
        return nodes

    def check_id(self, entry: _Entry) -> None:
        """Report an id that is blank, could collide with a generated key, or is taken."""
        ident = entry.id
        if ident is None:
            return
        id_line = entry.nodes["id"].line
        prefix = entry.prefix
        if not ident.strip():
            self.error(id_line, f"{prefix}id is blank")
        elif "::" in ident or ident.startswith("~"):
            # Generated keys use these, so an id with them could collide with another card.
            self.error(
                id_line, f"{prefix}id '{clip(ident)}' must not contain '::' or start with '~'"
            )
        elif ident in self.ids:
            self.error(
                id_line, f"{prefix}duplicate id '{clip(ident)}' (first at line {self.ids[ident]})"
            )
        else:
            self.ids[ident] = id_line

    def check_sides(self, entry: _Entry) -> None:
        """Report a front or cloze that is missing, doubled or blank, a reversed cloze, and a
        back that is missing or blank where one is needed (not on a cloze or a draft)."""
        prefix = entry.prefix
        prompt = entry.prompt
        if entry.is_cloze and "front" in entry.nodes:
            self.error(entry.nodes["cloze"].line, f"{prefix}has both 'front' and 'cloze' (use one)")
        elif not entry.is_cloze and "front" not in entry.nodes:
            self.error(entry.line, f"{prefix}needs a 'front' (or a 'cloze')")
        elif prompt is not None and not prompt.strip():
            what = "cloze" if entry.is_cloze else "front"
            self.error(entry.nodes[what].line, f"{prefix}{what} is blank")
        if entry.is_cloze and entry.reverse:
            self.error(entry.nodes["reverse"].line, f"{prefix}a cloze card cannot be reversed")
        if entry.is_cloze or entry.draft:
            return
        if "back" not in entry.nodes:
            self.error(entry.line, f"{prefix}missing 'back' (or mark the card 'draft: true')")
        elif entry.back is not None and not entry.back.strip():
            self.error(entry.nodes["back"].line, f"{prefix}back is blank")

    def deletions(self, entry: _Entry) -> tuple[int, ...]:
        """The deletion numbers of a cloze entry, reporting malformed deletions."""
        text = entry.prompt
        if text is None or not text.strip():  # already reported
            return ()
        numbers, problems = cloze.deletions(text)
        for problem in problems:
            self.error(entry.nodes["cloze"].line, entry.prefix + problem)
        return numbers

    def add_note(self, entry: _Entry, deletions: tuple[int, ...]) -> None:
        """Keep a valid entry's note, reporting a front (or a reverse) that repeats another's."""
        prompt = entry.prompt.rstrip()
        normal = normalize(prompt)
        if entry.is_cloze:
            self.unique_prompt(
                normal, entry.nodes["cloze"].line, entry.prefix, "duplicate cloze text"
            )
        else:
            self.unique_prompt(normal, entry.nodes["front"].line, entry.prefix, "duplicate front")
        back = (entry.back or "").rstrip()
        if entry.reverse:
            self.unique_prompt(
                normalize(back),
                entry.nodes["back"].line,
                entry.prefix,
                "the reverse card's front (this card's back) duplicates a front",
            )
        has_id = entry.id is not None
        key = entry.id if has_id else "~" + hashlib.sha1(normal.encode()).hexdigest()[:16]
        source = (entry.source or "").rstrip()
        # Positional, like _Entry's.
        self.notes.append(
            _Note(
                key,
                prompt,
                back,
                deletions,
                entry.reverse,
                self.tag_sets.setdefault(entry.tags, entry.tags),
                source,
                entry.line,
                entry.position,
                has_id,
            )
        )

    def cards(self) -> list[CardSpec]:
        """The cards of every note, each with the deck's tags before its own."""
        deck_tags = self.tags
        merged: dict[tuple[str, ...], tuple[str, ...]] = {}
        cards: list[CardSpec] = []
        notes, self.notes = self.notes, []
        for index, note in enumerate(notes):
            notes[index] = None  # each note goes as its cards come: the two are never all held
            tags = merged.get(note.tags)
            if tags is None:
                tags = merged[note.tags] = tuple(dict.fromkeys(deck_tags + note.tags))
            note.add_cards(cards, tags)
        return cards

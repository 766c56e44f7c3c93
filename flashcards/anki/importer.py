"""``import-anki``: an Anki package -> one deck file per Anki deck, imported with its history.

Each Anki deck that holds notes becomes a YAML deck file named after it, written into the
output folder and imported like any other. A note's GUID becomes its card ``id``, so
importing the same package again rewrites those files and updates the cards instead of
adding them twice. The review log is merged through ``history.import_reviews`` (idempotent,
checked, every touched card replayed), then Anki's suspended and buried cards are
suspended and buried here too. If anything fails, the files are put back as they were and
the database is left untouched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import yaml

from flashcards import clock, decks, heap
from flashcards.anki.collection import (
    BURIED_QUEUES,
    CLOZE,
    OPTIONAL_REVERSED,
    OTHER,
    REVERSED,
    SUSPENDED_QUEUE,
    Card,
    Collection,
    CollectionError,
    Note,
)
from flashcards.anki.fields import FieldConverter
from flashcards.anki.package import AnkiError, open_collection
from flashcards.history import Answer, import_reviews
from flashcards.model import ReviewImportReport, SyncReport
from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.text import CONTROL_CHARACTER
from flashcards.yaml_write import Dumper, Tags

# The first line of every file import-anki writes: it may overwrite only files that have it,
# and the export gives back each card's Anki GUID for the decks that have it.
MARKER = "# Written by `flashcards import-anki`: card ids are Anki note GUIDs."
# Anki's buttons as our grades: Again 1, Hard 3, Good 4, Easy 5.
GRADE_OF_BUTTON = {1: 1, 2: 3, 3: 4, 4: 5}
# The V1 scheduler had three buttons while learning: Again, Good, Easy.
V1_LEARNING_GRADE = {1: 1, 2: 4, 3: 5}
V1_LEARNING_TYPES = (0, 2)  # revlog types: learn, relearn
# Stands in for a field Anki allows to be empty and a card may not.
EMPTY_FIELD = "(empty)"
# Anki's cloze syntax; a note whose deletions our clozes cannot hold becomes a basic card.
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)
_UNSAFE_IN_FILE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class AnkiImportReport:
    """What ``import-anki`` wrote and imported."""

    files: list[Path]
    sync: SyncReport
    reviews: ReviewImportReport | None
    notes: int = 0
    cards: int = 0
    other_notes: int = 0  # of other note types: the first field front, the rest back
    cloze_as_basic: int = 0  # clozes our syntax cannot hold (nested, c0): basic cards
    media: int = 0  # image and sound references
    numbered: int = 0  # fronts another note of the deck already had: numbered (2), (3)...
    empty_fields: int = 0
    logged_reviews: int = 0  # answers of ours that went to Anki and came back
    manual_reviews: int = 0  # ease 0: rescheduled by hand, not answered
    unmatched_reviews: int = 0  # of cards that make no card here, or an unknown button
    suspended: int = 0
    buried: int = 0

    def summary(self) -> list[str]:
        """What was done, a line each; counts that are zero are left out."""
        added = self.reviews.added if self.reviews else 0
        present = (self.reviews.present if self.reviews else 0) + self.logged_reviews
        lines = [f"{self.notes} notes, {self.cards} cards",
                 f"{added} reviews added, {present} already here"]
        for count, what in (
            (self.manual_reviews, "manual reschedules (ease 0) skipped"),
            (self.unmatched_reviews, "reviews of cards not imported skipped"),
            (self.suspended, "cards suspended, as in Anki"),
            (self.buried, "cards buried until tomorrow, as in Anki"),
            (self.other_notes, "notes of other note types: first field front, the rest back"),
            (self.cloze_as_basic, "clozes our syntax cannot hold (nested, c0): basic cards"),
            (self.media, "images and sounds kept as references: [image: …], [sound: …]"),
            (self.numbered, "fronts asked twice in a deck numbered: (2), (3)…"),
            (self.empty_fields, f"empty fields written as {EMPTY_FIELD!r}"),
        ):
            if count:
                lines.append(f"{count} {what}")
        return lines


def card_id(guid: str) -> str:
    """The card ``id`` of an Anki GUID: the GUID itself, or, when it could not be an id
    (holding ``::`` or ``%``, starting with ``~``), percent-encoded (``unquote`` gives it
    back: an encoded id always holds a ``%``, a GUID used as it is never does)."""
    if "::" not in guid and "%" not in guid and not guid.startswith("~"):
        return guid
    return quote(guid, safe="").replace("~", "%7E")


def import_package(store: Store, path: Path, out: Path) -> AnkiImportReport:
    """Import an Anki package: deck files into ``out``, then cards, history and state.

    Bad input raises ``AnkiError`` (or ``DeckError``, ``ReviewImportError``) and leaves
    the folder and the database as they were."""
    with open_collection(path) as conn:
        try:
            plan = _Plan(Collection(conn))
        except CollectionError as error:
            raise AnkiError(f"{path}: {error}") from None
        except RecursionError:  # the HTML converters walk a field's tags recursively
            raise AnkiError(f"{path}: a field's HTML is nested too deeply") from None
    texts = {out / name: text for name, text in plan.files().items()}
    for target in texts:
        if target.exists() and not _written_by_us(target):
            raise AnkiError(f"{target} exists and was not written by import-anki; "
                            "choose another folder with --out")
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    before = {target: target.read_bytes() if target.exists() else None for target in texts}
    try:
        for target, text in texts.items():
            _write_whole(target, text.encode("utf-8"))
        with store.write():
            synced = import_files(store, list(texts))
            reviews = None
            if plan.reviews:
                reviews = import_reviews(store, f"{path} revlog", stream=plan.new_reviews(store))
            plan.report.suspended, plan.report.buried = _set_states(store, plan.states)
    except BaseException:
        for target, data in before.items():
            if data is None:
                target.unlink(missing_ok=True)
            else:
                _write_whole(target, data)
        if made:
            out.rmdir()
        raise
    report = plan.report
    report.files, report.sync, report.reviews = list(texts), synced, reviews
    return report


class _Plan:
    """The deck files, review records and card states that one package makes."""

    def __init__(self, collection: Collection) -> None:
        self.report = AnkiImportReport([], SyncReport(), None)
        self.converter = FieldConverter()
        self.decks: dict[str, list[dict]] = {}
        self.prompts: dict[str, set[str]] = {}
        self.keys: dict[int, tuple[str, str]] = {}  # Anki card id -> (deck, card key)
        self.states: dict[tuple[str, str], int] = {}  # (deck, card key) -> Anki queue
        cards: dict[int, list[Card]] = {}
        for card in collection.cards():
            cards.setdefault(card.note_id, []).append(card)
        for note in collection.notes():
            if note.id in cards:
                self._add(note, cards[note.id], collection.decks)
        self.report.media = self.converter.media
        self.reviews = list(self._review_records(collection))

    def _add(self, note: Note, cards: list[Card], deck_names: dict[int, str]) -> None:
        """One note as an entry of its first card's deck; its cards' keys and queues."""
        # A card may not hold a control character, nor a deck name or tag (a corrupt note).
        deck = CONTROL_CHARACTER.sub("", deck_names.get(cards[0].deck_id, "Default"))
        fields = [self.converter.markdown(value) for value in note.fields]
        fields += [""] * (3 - len(fields))  # a note may have fewer fields than its type
        ident = card_id(note.guid)
        entry: dict = {"id": ident}
        prompts = self.prompts.setdefault(deck, set())
        kind = note.kind
        numbers = _cloze_numbers(fields[0]) if kind == CLOZE else []
        if kind == CLOZE and not numbers:
            kind = OTHER
            self.report.cloze_as_basic += 1
        elif kind == OTHER:
            self.report.other_notes += 1
        if kind == CLOZE:
            entry["cloze"] = self._unique(fields[0], prompts)
            extra = "\n\n".join(value for value in fields[1:] if value)
            if extra:
                entry["back"] = extra
            keys = {number - 1: f"{ident}::c{number}" for number in numbers}
        else:
            reverse = kind == REVERSED or (kind == OPTIONAL_REVERSED and bool(fields[2]))
            rest = fields[1:2] if kind in (REVERSED, OPTIONAL_REVERSED) else fields[1:]
            entry["front"] = self._unique(self._filled(fields[0]), prompts)
            back = self._filled("\n\n".join(value for value in rest if value))
            entry["back"] = self._unique(back, prompts) if reverse else back
            if reverse:
                entry["reverse"] = True
            keys = {0: ident, 1: f"{ident}::reverse"} if reverse else {0: ident}
        if note.tags:
            entry["tags"] = Tags(CONTROL_CHARACTER.sub("", tag) for tag in note.tags)
        self.decks.setdefault(deck, []).append(entry)
        self.report.notes += 1
        for card in cards:
            key = keys.get(card.ord)
            if key is not None:
                self.keys[card.id] = (deck, key)
                self.states[(deck, key)] = card.queue
                self.report.cards += 1

    def _filled(self, text: str) -> str:
        if text:
            return text
        self.report.empty_fields += 1
        return EMPTY_FIELD

    def _unique(self, text: str, prompts: set[str]) -> str:
        """The text, numbered if another card of the deck already asks it (a deck file
        may not ask the same thing twice; Anki allows it)."""
        unique, number = text, 1
        while decks.normalize(unique) in prompts:
            number += 1
            unique = f"{text}\n\n({number})"
        if number > 1:
            self.report.numbered += 1
        prompts.add(decks.normalize(unique))
        return unique

    def new_reviews(self, store: Store) -> Iterator[Answer]:
        """The answers for ``import_reviews``, made as it reads them, less the answers the
        log already has at the same millisecond on the same card (ours, sent to Anki by
        ``export --format apkg --with-history`` and come back)."""
        logged = {
            answer for deck in self.decks for answer in store.query(
                "SELECT decks.name, cards.key, reviews.ts FROM reviews JOIN cards ON cards.id "
                "= reviews.card_id JOIN decks ON decks.id = cards.deck_id WHERE decks.name = ? "
                "AND reviews.id NOT LIKE 'anki:%'", (deck,))
        }
        for deck, key, ms, quality, duration_ms in self.reviews:
            if (deck, key, ms) in logged:
                self.report.logged_reviews += 1
                continue
            yield Answer(f"anki:{deck}:{key}:{ms}", deck, key, _moment(ms), ms, quality,
                         duration_ms)

    def _review_records(self, collection: Collection) -> Iterator[tuple[str, str, int, int, int]]:
        """The review log as (deck, card key, ms, grade, duration in ms)."""
        v1 = collection.scheduler == 1
        for review in collection.reviews():
            if review.ease == 0:
                self.report.manual_reviews += 1
                continue
            grades = V1_LEARNING_GRADE if v1 and review.type in V1_LEARNING_TYPES \
                else GRADE_OF_BUTTON
            target = self.keys.get(review.card_id)
            if target is None or review.ease not in grades:
                self.report.unmatched_reviews += 1
                continue
            yield *target, review.id, grades[review.ease], int(review.duration_ms)

    def files(self) -> dict[str, str]:
        """File name -> YAML text, one per deck, in deck name order."""
        texts: dict[str, str] = {}
        for deck in sorted(self.decks):
            stem = _file_stem(deck)
            name, number = f"{stem}.yaml", 1
            while name.lower() in (taken.lower() for taken in texts):
                number += 1
                name = f"{stem}-{number}.yaml"
            with heap.paused_gc():  # a node per value, none in a cycle: 0.3 s of 10,000 notes
                body = yaml.dump({"deck": deck, "cards": self.decks[deck]}, Dumper=Dumper,
                                 allow_unicode=True, sort_keys=False, width=100)
            texts[name] = f"{MARKER}\n{body}"
        return texts


def _cloze_numbers(text: str) -> list[int]:
    """The deletion numbers of a cloze our deck files can hold, or [] if it has none or
    uses what they cannot (c0, an empty answer, nested deletions, a stray ``{{c``)."""
    numbers = set()
    for match in _DELETION.finditer(text):
        answer = match[2].partition("::")[0]
        if int(match[1]) == 0 or not answer.strip() or "{{" in answer:
            return []
        numbers.add(int(match[1]))
    if "{{c" in _DELETION.sub("", text):
        return []
    return sorted(numbers)


def _moment(ms: int) -> str:
    """A revlog id (ms since 1970) as local ISO 8601 time; out of range, text that
    ``import_reviews`` refuses with the value in its message."""
    try:
        return clock.iso((_EPOCH + timedelta(milliseconds=ms)).astimezone())
    except (OverflowError, OSError, ValueError):
        return f"revlog id {ms}"


def _file_stem(deck: str) -> str:
    """A file name for a deck: its name with ``::`` and unsafe characters as ``_``."""
    stem = _UNSAFE_IN_FILE_NAME.sub("_", deck).strip(" ._")[:100]
    return stem or "deck"


def _written_by_us(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.readline().rstrip("\n") == MARKER


def _write_whole(path: Path, data: bytes) -> None:
    """Write a file under a temporary name and rename it into place."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _set_states(store: Store, states: dict[tuple[str, str], int]) -> tuple[int, int]:
    """Suspend and bury (until tomorrow) what Anki had suspended and buried; unsuspend what
    Anki has not suspended (a leech stays suspended). Each is a card action in the log.
    Returns (suspended, buried)."""
    tomorrow = store.today() + timedelta(days=1)
    found = {
        (deck, key): (card, suspended, leech, buried_until)
        for deck, key, card, suspended, leech, buried_until in store.query(
            "SELECT decks.name, cards.key, cards.id, cards.suspended, cards.leech, "
            "cards.buried_until FROM cards JOIN decks ON decks.id = cards.deck_id "
            "WHERE cards.retired = 0")
    }
    actions: dict[str, list[int]] = {"suspend": [], "unsuspend": [], "bury": []}
    suspended = buried = 0
    for identity, queue in states.items():
        card, is_suspended, leech, buried_until = found[identity]
        want = queue == SUSPENDED_QUEUE
        suspended += want
        if want != bool(is_suspended) and not leech:
            actions["suspend" if want else "unsuspend"].append(card)
        if queue in BURIED_QUEUES:
            buried += 1
            if (buried_until or "") < tomorrow.isoformat():
                actions["bury"].append(card)
    with store.write():
        for action, cards in actions.items():
            store.act(cards, action, tomorrow if action == "bury" else None)
    return suspended, buried

"""What an Anki collection holds, read the same way from schema 11 and schema 18.

Schema 11 keeps decks, note types and settings as JSON in the ``col`` row; schema 18 has
tables for them, with deck levels separated by ``\\x1f`` and note type details in protobuf
blobs (read here by a minimal decoder: only varints and length-delimited fields occur).
Notes, cards and the review log have the same columns in both.

Note types are recognised by their shape, not their name (names are translated and can be
renamed): a cloze type whose first template asks ``{{cloze:<first field>}}``; Basic (two
fields, one card showing the first); Basic and reversed (a second card showing the second);
Basic with optional reverse (three fields, the second card shown only when the third is
filled). Anything else is ``OTHER``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

BASIC, REVERSED, OPTIONAL_REVERSED, CLOZE, OTHER = (
    "basic", "reversed", "optional reversed", "cloze", "other")
# cards.queue values
SUSPENDED_QUEUE = -1
BURIED_QUEUES = (-2, -3)  # buried by the scheduler (siblings), buried by the user


@dataclass(frozen=True, slots=True)
class Note:
    """One note: its GUID, the shape of its type, its fields (HTML) and tags."""

    id: int
    guid: str
    kind: str
    fields: list[str]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Card:
    """One card: its note, deck (the home deck of a card in a filtered deck), template
    ordinal (a cloze card's is its deletion number minus one) and queue."""

    id: int
    note_id: int
    deck_id: int
    ord: int
    queue: int


class Review(NamedTuple):
    """One revlog row: its id (ms since 1970, the time of the answer), card, button (0 for
    a manual change of schedule), duration in ms and type (0 learn, 1 review, 2 relearn,
    3 filtered, 4 manual, 5 rescheduled). A tuple: made a third faster than a frozen
    dataclass, and a collection holds a hundred thousand."""

    id: int
    card_id: int
    ease: int
    duration_ms: int
    type: int


class CollectionError(ValueError):
    """A collection whose tables or settings cannot be read."""


class Collection:
    """An open Anki collection (schema 11 or 18), read-only."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.schema = conn.execute("SELECT ver FROM col").fetchone()[0]
        try:
            if self.schema >= 18:
                self.decks, self.kinds, self.scheduler = self._read_v18()
            else:
                self.decks, self.kinds, self.scheduler = self._read_v11()
        except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError) as error:
            raise CollectionError(f"its decks or note types cannot be read ({error})") from None

    def _read_v11(self) -> tuple[dict[int, str], dict[int, str], int]:
        conf, decks, models = self.conn.execute("SELECT conf, decks, models FROM col").fetchone()
        names = {int(deck_id): deck["name"] for deck_id, deck in json.loads(decks).items()}
        kinds = {}
        for model_id, model in json.loads(models).items():
            fields = [field["name"] for field in sorted(model["flds"], key=_ord)]
            questions = [template["qfmt"] for template in sorted(model["tmpls"], key=_ord)]
            kinds[int(model_id)] = _shape(model.get("type") == 1, fields, questions)
        return names, kinds, int(json.loads(conf or "{}").get("schedVer", 1))

    def _read_v18(self) -> tuple[dict[int, str], dict[int, str], int]:
        names = {deck_id: name.replace("\x1f", "::")
                 for deck_id, name in self.conn.execute("SELECT id, name FROM decks")}
        fields: dict[int, list[str]] = {}
        for type_id, name in self.conn.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
            fields.setdefault(type_id, []).append(name)
        questions: dict[int, list[str]] = {}
        for type_id, config in self.conn.execute(
                "SELECT ntid, config FROM templates ORDER BY ntid, ord"):
            question = _protobuf(config).get(1, [b""])[0]
            questions.setdefault(type_id, []).append(question.decode("utf-8"))
        kinds = {
            type_id: _shape(_protobuf(config).get(1, [0])[0] == 1, fields.get(type_id, []),
                            questions.get(type_id, []))
            for type_id, config in self.conn.execute("SELECT id, config FROM notetypes")
        }
        row = self.conn.execute("SELECT val FROM config WHERE key = 'schedVer'").fetchone()
        return names, kinds, int(json.loads(row[0])) if row else 1

    def notes(self) -> Iterator[Note]:
        """Every note, in the order they were added; a note of an unknown type is OTHER."""
        for note_id, guid, type_id, tags, fields in self.conn.execute(
                "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"):
            yield Note(note_id, guid, self.kinds.get(type_id, OTHER), fields.split("\x1f"),
                       tuple(tags.split()))

    def cards(self) -> Iterator[Card]:
        """Every card, by note and template."""
        return (Card(*row) for row in self.conn.execute(
            "SELECT id, nid, CASE WHEN odid THEN odid ELSE did END, ord, queue FROM cards "
            "ORDER BY nid, ord"))

    def reviews(self) -> Iterator[Review]:
        """The review log in time order."""
        return (Review(*row) for row in self.conn.execute(
            "SELECT id, cid, ease, time, type FROM revlog ORDER BY id"))


def _ord(item: dict) -> int:
    return item["ord"]


def _shape(is_cloze: bool, fields: list[str], questions: list[str]) -> str:
    """The kind of a note type, from its fields and its templates' question formats."""
    asks = ["".join(question.split()) for question in questions]
    names = ["".join(name.split()) for name in fields]
    if is_cloze:
        return CLOZE if names and asks and f"{{{{cloze:{names[0]}}}}}" in asks[0] else OTHER
    shown = [f"{{{{{name}}}}}" for name in names]
    if len(names) == 2 and asks in (shown[:1], shown):
        return BASIC if len(asks) == 1 else REVERSED
    optional = f"{{{{#{names[2]}}}}}{shown[1]}{{{{/{names[2]}}}}}" if len(names) == 3 else ""
    if asks == [shown[0], optional]:
        return OPTIONAL_REVERSED
    return OTHER


_VARINT_END = re.compile(rb"[\x00-\x7f]")


def _protobuf(blob: bytes) -> dict[int, list]:
    """The fields of a protobuf message: number -> values (ints, or bytes when
    length-delimited). Enough for note type kinds and template question formats."""
    fields: dict[int, list] = {}
    position = 0
    while position < len(blob):
        key, position = _varint(blob, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(blob, position)
        elif wire == 2:
            length, position = _varint(blob, position)
            value, position = blob[position:position + length], position + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, position = blob[position:position + size], position + size
        else:
            raise ValueError(f"protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def _varint(blob: bytes, position: int) -> tuple[int, int]:
    end = _VARINT_END.search(blob, position)
    if end is None:
        raise ValueError("truncated protobuf")
    value = 0
    for shift, byte in enumerate(blob[position:end.end()]):
        value |= (byte & 0x7F) << (7 * shift)
    return value, end.end()

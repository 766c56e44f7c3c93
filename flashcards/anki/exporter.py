"""``export --format apkg``: our decks as an Anki package, written with genanki.

A card and its reverse make one "Basic (and reversed card)" note, a cloze's cards one
"Cloze" note, any other card a "Basic" note; Markdown becomes HTML (markdown-it, raw HTML
shown as text, as the app shows it), tags lose their spaces (Anki's tags have none) and
deck names keep ``::``, Anki's own nesting. A note's GUID is genanki's hash of deck and
card key, so exporting again updates the notes in Anki instead of adding them twice; in a
deck that ``import-anki`` wrote, it is the Anki GUID the card came with.

genanki writes no review history and leaves the scheduler version unset, which Anki reads
as V1 (shifting Hard and Good on import): ``with_history`` adds the log as revlog rows,
gives each reviewed card its interval, ease and due day, and sets ``schedVer`` to 2.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import genanki
import yaml
from markdown_it import MarkdownIt

from flashcards import clock, decks
from flashcards.anki.importer import MARKER
from flashcards.export import FSRS_RATING, ExportError
from flashcards.model import Card
from flashcards.store import ACTIVE_DECK, Store

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_SUSPENDED_QUEUE, _REVIEW = -1, 2
_LEARN, _REVIEW_ENTRY, _RELEARN = 0, 1, 2  # revlog types


@dataclass
class ApkgReport:
    """What an .apkg export holds."""

    decks: int = 0
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    cloze_as_basic: int = 0  # cloze cards whose deck file changed since its import


def export_apkg(store: Store, deck: str | None = None,
                with_history: bool = False) -> tuple[bytes, ApkgReport]:
    """The decks (``deck`` and the decks nested in it, or all) as the bytes of an .apkg."""
    report = ApkgReport()
    chosen = store.query(
        f"SELECT id, name, source_path, source_hash FROM decks WHERE {ACTIVE_DECK}"
        + (" AND (name = ?1 OR substr(name, 1, length(?1) + 2) = ?1 || '::')" if deck else "")
        + " ORDER BY name", (deck,) if deck else ())
    if not chosen:
        raise ExportError(f"no deck named {deck!r}" if deck else "no decks to export")
    where: dict[int, tuple[str, int]] = {}  # our card id -> (GUID, Anki template ordinal)
    suspended: list[int] = []
    package_decks = []
    for deck_id, name, source, digest in chosen:
        anki_deck = genanki.Deck(_deck_id(name), name)
        cards = list(store.iter_cards("decks.id = ? AND cards.retired = 0", (deck_id,),
                                      order="cards.position, cards.id"))
        clozes = _cloze_texts(source, digest) if any(c.kind == "cloze" for c in cards) else {}
        guid = _guid_maker(name, source)
        for group in _by_note(cards).values():
            for fields, model, cards_of_note, key in _notes(group, clozes, report):
                note = genanki.Note(model=model, fields=[_html(text) for text in fields],
                                    tags=_tags(cards_of_note[0].tags), guid=guid(key))
                anki_deck.add_note(note)
                where.update((card.id, (note.guid, _template(card))) for card in cards_of_note)
                report.notes += 1
        report.cards += len(cards)
        suspended += [card.id for card in cards if card.suspended]
        package_decks.append(anki_deck)
    report.decks = len(package_decks)
    package = genanki.Package(package_decks)
    return _package(store, package, where, suspended, with_history, report), report


def _by_note(cards: list[Card]) -> dict[str, list[Card]]:
    notes: dict[str, list[Card]] = {}
    for card in cards:
        notes.setdefault(card.note_key, []).append(card)
    return notes


def _notes(group: list[Card], clozes: dict[int, list[str]], report: ApkgReport):
    """(fields, model, cards, GUID key) of the Anki notes one of our notes makes: one,
    except for a cloze whose text is not to be had (each of its cards a basic note)."""
    first = group[0]
    if first.kind == "cloze":
        fields = clozes.get(first.line)
        if fields is not None:
            yield fields, genanki.CLOZE_MODEL, group, first.note_key
            return
        report.cloze_as_basic += len(group)
        for card in group:
            yield [card.front, card.back], genanki.BASIC_MODEL, [card], card.key
        return
    reversed_ = any(card.kind == "reverse" for card in group)
    basic = next((card for card in group if card.kind == "basic"), first)
    model = genanki.BASIC_AND_REVERSED_CARD_MODEL if reversed_ else genanki.BASIC_MODEL
    yield [basic.front, basic.back], model, group, first.note_key


def _cloze_texts(source: str, digest: str | None) -> dict[int, list[str]]:
    """Line -> [text, back] of the deck file's clozes, as written (the database keeps only
    each card's two sides); none if the file changed since it was imported."""
    try:
        data = Path(source).read_bytes()
    except OSError:
        return {}
    if decks.file_hash(data) != digest:
        return {}
    # Composed, not loaded: nothing is built from tags, and every value stays text.
    root = yaml.compose(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries = next((value.value for key, value in root.value
                    if key.value == "cards" and isinstance(value, yaml.SequenceNode)), [])
    texts = {}
    for entry in entries:
        if isinstance(entry, yaml.MappingNode):
            fields = {key.value: value.value for key, value in entry.value
                      if isinstance(value, yaml.ScalarNode)}
            if "cloze" in fields:
                texts[entry.start_mark.line + 1] = [fields["cloze"], fields.get("back", "")]
    return texts


def _guid_maker(deck: str, source: str):
    """A note key -> GUID function for one deck: genanki's hash of deck and key, or, in a
    deck import-anki wrote, the Anki GUID the key encodes."""
    try:
        with open(source, encoding="utf-8", errors="replace") as file:
            from_anki = file.readline().rstrip("\n") == MARKER
    except OSError:
        from_anki = False
    if from_anki:
        return lambda key: unquote(key) if "%" in key else key
    return lambda key: genanki.guid_for(deck, key)


def _template(card: Card) -> int:
    """The Anki template ordinal of a card: a cloze cN is N - 1, a reverse card 1."""
    if card.kind == "cloze" and "::c" in card.key:
        return int(card.key.rpartition("::c")[2]) - 1
    return 1 if card.kind == "reverse" else 0


def _html(text: str) -> str:
    return _MARKDOWN.render(text).strip()


def _tags(tags: tuple[str, ...]) -> list[str]:
    return ["_".join(tag.split()) for tag in tags]


def _deck_id(name: str) -> int:
    """A stable Anki deck id for a deck name (Anki's own are 13-digit timestamps)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:6], "big") | 1 << 48


def _package(store: Store, package: genanki.Package, where: dict[int, tuple[str, int]],
             suspended: list[int], with_history: bool, report: ApkgReport) -> bytes:
    """Write the collection with genanki, add what genanki cannot, and zip it."""
    handle, name = tempfile.mkstemp(prefix="flashcards-apkg-", suffix=".anki2")
    os.close(handle)
    try:
        conn = sqlite3.connect(name)
        with conn:
            cursor = conn.cursor()
            stamp = clock.now().timestamp()
            package.write_to_db(cursor, stamp, iter(range(int(stamp * 1000), 1 << 62)))
            anki_ids = {(guid, ord_): card for card, guid, ord_ in conn.execute(
                "SELECT cards.id, notes.guid, cards.ord FROM cards JOIN notes "
                "ON notes.id = cards.nid")}
            ours = {card: anki_ids[place] for card, place in where.items() if place in anki_ids}
            if with_history:
                report.reviews = _add_history(store, conn, ours)
            conn.executemany(f"UPDATE cards SET queue = {_SUSPENDED_QUEUE} WHERE id = ?",
                             [(ours[card],) for card in suspended if card in ours])
        conn.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(name, "collection.anki2")
            archive.writestr("media", "{}")
        return buffer.getvalue()
    finally:
        os.unlink(name)


def _add_history(store: Store, conn: sqlite3.Connection, ours: dict[int, int]) -> int:
    """Our log as revlog rows, each reviewed card scheduled as Anki's review card, and the
    collection marked as V2 (``schedVer`` 2). Returns the rows added."""
    crt, conf = conn.execute("SELECT crt, conf FROM col").fetchone()
    first_day = datetime.fromtimestamp(crt).date()
    rows, used = [], set()
    current = None
    for card, ts, quality, interval, easiness, duration, repetitions in store.query(
            "SELECT card_id, ts, quality, interval, easiness, duration_ms, repetitions "
            "FROM reviews ORDER BY card_id, ts, id"):
        if card not in ours:
            continue
        if card != current:
            current, last_interval, last_repetitions, passed = card, 0, 0, False
        revlog_id = ts
        while revlog_id in used:  # Anki's revlog ids are unique milliseconds
            revlog_id += 1
        used.add(revlog_id)
        kind = _REVIEW_ENTRY if last_repetitions else (_RELEARN if passed else _LEARN)
        rows.append((revlog_id, ours[card], -1, FSRS_RATING[quality], interval, last_interval,
                     round(easiness * 1000), duration or 0, kind))
        last_interval, last_repetitions = interval, repetitions
        passed = passed or repetitions > 0
    conn.executemany("INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, "
                     "type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(
        f"UPDATE cards SET type = {_REVIEW}, queue = {_REVIEW}, ivl = ?, factor = ?, due = ?, "
        "reps = ?, lapses = ? WHERE id = ?",
        [(interval, round(easiness * 1000), (date.fromisoformat(due) - first_day).days,
          count, lapses, ours[card])
         for card, interval, easiness, due, count, lapses in store.query(
             "SELECT cards.id, cards.interval, cards.easiness, cards.due, count(*), "
             "cards.lapses FROM cards JOIN reviews ON reviews.card_id = cards.id "
             "WHERE cards.due IS NOT NULL GROUP BY cards.id")
         if card in ours])
    settings = json.loads(conf or "{}")
    settings["schedVer"] = 2
    conn.execute("UPDATE col SET conf = ?", (json.dumps(settings),))
    return len(rows)

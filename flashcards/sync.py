"""Deck files -> the store: import, matching edited cards, retiring removed ones.

One import is one transaction: if any file is invalid, nothing is written. Cards are added,
updated or retired, never deleted, and a retired card comes back with its history when it
reappears. Files whose path and content are unchanged since their last import are not
parsed again.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from flashcards import clock, decks
from flashcards.decks import CardSpec, DeckFile
from flashcards.model import DeckReport, SyncReport
from flashcards.store import Store

# An id-less card whose front was edited keeps its history when it stays at the same
# position with the same kind and its back is unchanged or its front is this similar.
EDIT_SIMILARITY = 0.6


def unchanged_deck(store: Store, path: Path, digest: str) -> DeckReport | None:
    """The report for a deck file already imported with exactly this content, if any."""
    row = store.conn.execute(
        "SELECT name, drafts, (SELECT count(*) FROM cards "
        "WHERE deck_id = decks.id AND retired = 0) "
        "FROM decks WHERE source_path = ? AND source_hash = ?",
        (str(path.resolve()), digest),
    ).fetchone()
    return DeckReport(row[0], unchanged=row[2], drafts=row[1]) if row else None


def import_files(store: Store, paths: Iterable[str | Path], dry_run: bool = False,
                 on_file: Callable[[Path, int], None] | None = None) -> SyncReport:
    """Sync deck files (and directories of them) into the database, atomically.

    Files whose content is unchanged since their last import are not parsed again.
    Any invalid file raises ``DeckError`` listing every problem, before any write.
    """
    unchanged, changed, errors = [], [], []
    for path in decks.find_deck_files(paths):
        data = decks.read_file(path)
        digest = decks.file_hash(data)
        report = unchanged_deck(store, path, digest)
        if report:
            unchanged.append((path, report))
        else:
            try:
                changed.append(decks.parse_deck(data, path))
            except decks.DeckError as error:
                errors += error.errors
        if on_file:
            on_file(path, len(data))
    errors += decks.duplicate_deck_errors(
        changed, {report.deck: path for path, report in unchanged}
    )
    if errors:
        raise decks.DeckError(errors)
    result = sync(store, changed, dry_run=dry_run)
    result.decks += [report for _, report in unchanged]
    result.decks.sort(key=lambda report: report.deck)
    return result


def sync(store: Store, deck_files: list[DeckFile], dry_run: bool = False) -> SyncReport:
    """Make the database hold exactly these decks' cards, all in one transaction.

    New cards are added, changed ones updated with their history, missing ones retired
    (never deleted). With ``dry_run`` the same work is done and then rolled back.
    """
    report = SyncReport()
    stamp = clock.iso(clock.now())
    with store.write(dry_run=dry_run):
        for deck in deck_files:
            report.decks.append(_sync_deck(store, deck, stamp))
    return report


class _Stored(NamedTuple):
    """A card as the database holds it, in the columns a deck file gives."""

    id: int
    key: str
    note_key: str
    kind: str
    front: str
    back: str
    tags: str
    source: str
    line: int | None
    position: int
    retired: int

    def values(self) -> tuple:
        """The columns a deck file sets, in ``_file_values`` order."""
        return (self.key, self.note_key, self.kind, self.front, self.back, self.tags,
                self.source, self.line, self.position)


def _file_values(spec: CardSpec) -> tuple:
    """The card's columns as its deck file gives them; the last two are only its place."""
    return (spec.key, spec.note_key, spec.kind, spec.front, spec.back,
            json.dumps(list(spec.tags), ensure_ascii=False), spec.source, spec.line,
            spec.position)


def _sync_deck(store: Store, deck: DeckFile, stamp: str) -> DeckReport:
    deck_id = _upsert_deck(store, deck)
    report = DeckReport(deck.name, drafts=len(deck.drafts))
    existing = {
        row.key: row
        for row in map(_Stored._make, store.query(
            f"SELECT {', '.join(_Stored._fields)} FROM cards WHERE deck_id = ?", (deck_id,)
        ))
    }
    wanted = {spec.key for spec in deck.cards}
    vanished = {key: row for key, row in existing.items()
                if key not in wanted and not row.retired}
    by_place = {
        _place(row.position, row.kind, key): key for key, row in vanished.items()
        if key.startswith("~")
    }
    inserts, updates = [], []
    for spec in deck.cards:
        row = existing.get(spec.key) or _edited_card(spec, vanished, by_place)
        values = _file_values(spec)
        if row is None:
            inserts.append((deck_id, *values, stamp, stamp))
            continue
        old = row.values()
        if old != values or row.retired:
            updates.append((*values, stamp, row.id))
        # A card that only moved lines was not edited by the user: it counts as unchanged.
        if old[:-2] != values[:-2] or row.retired:
            report.updated += 1
        else:
            report.unchanged += 1
    store.conn.executemany(
        "INSERT INTO cards (deck_id, key, note_key, kind, front, back, tags, source, line, "
        "position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        inserts,
    )
    report.added = len(inserts)
    retiring = [(stamp, row.id) for row in vanished.values()]
    store.conn.executemany("UPDATE cards SET retired = 1, updated_at = ? WHERE id = ?", retiring)
    report.retired = len(retiring)
    # Updates go last: an edited card takes its new key only after nothing else holds it.
    store.conn.executemany(
        "UPDATE cards SET key = ?, note_key = ?, kind = ?, front = ?, back = ?, tags = ?, "
        "source = ?, line = ?, position = ?, retired = 0, updated_at = ? WHERE id = ?",
        updates,
    )
    return report


def _edited_card(
    spec: CardSpec, vanished: dict[str, _Stored], by_place: dict[tuple, str]
) -> _Stored | None:
    """The vanished id-less card at the same place that this new one is an edit of."""
    if spec.has_id:
        return None
    old_key = by_place.get(_place(spec.position, spec.kind, spec.key))
    row = vanished.get(old_key)
    if row and (
        row.back == spec.back
        or difflib.SequenceMatcher(None, row.front, spec.front).ratio() >= EDIT_SIMILARITY
    ):
        del vanished[old_key]
        return row
    return None


def _upsert_deck(store: Store, deck: DeckFile) -> int:
    values = (
        deck.description, str(deck.path.resolve()), deck.sha256, deck.new_per_day,
        deck.reviews_per_day, len(deck.drafts),
    )
    row = store.conn.execute("SELECT id FROM decks WHERE name = ?", (deck.name,)).fetchone()
    if row:
        store.conn.execute(
            "UPDATE decks SET description = ?, source_path = ?, source_hash = ?, "
            "new_per_day = ?, reviews_per_day = ?, drafts = ? WHERE id = ?",
            (*values, row[0]),
        )
        return row[0]
    return store.conn.execute(
        "INSERT INTO decks (name, description, source_path, source_hash, new_per_day, "
        "reviews_per_day, drafts) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (deck.name, *values),
    ).lastrowid


def _place(position: int, kind: str, key: str) -> tuple:
    """Where an id-less card stands in its file: entry, kind, and which sibling it is."""
    return position, kind, key.partition("::")[2]



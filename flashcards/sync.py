"""Deck files -> the store: import, matching edited cards, retiring removed ones.

One import is one transaction: if any file is invalid, nothing is written. Cards are added,
updated or retired, never deleted, and a retired card comes back with its history when it
reappears. Files whose path and content are unchanged since their last import are not
parsed again.

A deck belongs to its file. A new ``deck:`` name in the same file renames the deck (its
history kept). A file that is gone from an imported directory retires its deck's cards; a
deck whose file is gone is taken over by the next file that names it (a moved file). A
second file naming a deck that another existing file defines is an error naming both.
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
        (_where(path), digest),
    ).fetchone()
    return DeckReport(row[0], unchanged=row[2], drafts=row[1]) if row else None


def import_files(store: Store, paths: Iterable[str | Path], dry_run: bool = False,
                 on_file: Callable[[Path, int], None] | None = None) -> SyncReport:
    """Sync deck files (and directories of them) into the database, atomically.

    Files whose content is unchanged since their last import are not parsed again.
    Any invalid file raises ``DeckError`` listing every problem, before any write.
    """
    files = decks.find_deck_files(paths)
    unchanged, changed, errors = [], [], []
    for path in files:
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
    importing = {_where(path) for path in files}
    errors += _claimed_elsewhere(store, changed, importing)
    if errors:
        raise decks.DeckError(errors)
    adopted = {deck.name for deck in changed}
    gone = [(deck_id, name) for deck_id, name, source in _deck_sources(store)
            if source not in importing and name not in adopted and not Path(source).exists()
            and any(Path(source).is_relative_to(folder) for folder in _folders(paths))]
    result = sync(store, changed, dry_run=dry_run, gone=gone)
    result.decks += [report for _, report in unchanged]
    result.decks.sort(key=lambda report: report.deck)
    return result


def sync(store: Store, deck_files: list[DeckFile], dry_run: bool = False,
         gone: Iterable[tuple[int, str]] = ()) -> SyncReport:
    """Make the database hold exactly these decks' cards, all in one transaction.

    New cards are added, changed ones updated with their history, missing ones retired
    (never deleted), and so are the cards of the ``gone`` decks (id, name), whose files
    were removed. With ``dry_run`` the same work is done and then rolled back.
    """
    report = SyncReport()
    stamp = clock.iso(clock.now())
    with store.write(dry_run=dry_run):
        for deck in deck_files:
            report.decks.append(_sync_deck(store, deck, stamp))
        for deck_id, name in gone:
            report.decks.append(DeckReport(name, retired=_retire_deck(store, deck_id, stamp)))
    return report


def _where(path: Path) -> str:
    """A deck file's identity in the database: its resolved path."""
    return str(path.resolve())


def _folders(paths: Iterable[str | Path]) -> list[Path]:
    return [Path(path).resolve() for path in paths if Path(path).is_dir()]


def _deck_sources(store: Store) -> list[tuple[int, str, str]]:
    """(id, name, file) of every deck that has a file."""
    return store.query("SELECT id, name, source_path FROM decks WHERE source_path IS NOT NULL")


def _claimed_elsewhere(store: Store, changed: list[DeckFile], importing: set[str]) -> list[str]:
    """An error for each deck name that another existing file, not in this import, owns."""
    owners = {name: source for _, name, source in _deck_sources(store)}
    return [
        f"{deck.path}:{deck.name_line}: deck '{deck.name}' is already defined in {owner}; "
        "rename one of them"
        for deck in changed
        if (owner := owners.get(deck.name)) and owner != _where(deck.path)
        and owner not in importing and Path(owner).exists()
    ]


def _retire_deck(store: Store, deck_id: int, stamp: str) -> int:
    """Retire a deck whose file is gone: its cards leave review, their history kept."""
    retired = store.conn.execute(
        "UPDATE cards SET retired = 1, updated_at = ? WHERE deck_id = ? AND retired = 0",
        (stamp, deck_id),
    ).rowcount
    store.conn.execute(
        "UPDATE decks SET source_path = NULL, source_hash = NULL WHERE id = ?", (deck_id,)
    )
    return retired


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
    for (other,) in store.query(  # the file named another deck before: that one is gone
        "SELECT id FROM decks WHERE source_path = ? AND id != ?", (_where(deck.path), deck_id)
    ):
        report.retired += _retire_deck(store, other, stamp)
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
    """The deck's row, found by name, else by its file (the file renamed its deck), else new."""
    values = (
        deck.name, deck.description, _where(deck.path), deck.sha256, deck.new_per_day,
        deck.reviews_per_day, len(deck.drafts),
    )
    row = store.conn.execute(
        "SELECT id FROM decks WHERE name = ?1 OR source_path = ?2 ORDER BY name = ?1 DESC",
        (deck.name, values[2]),
    ).fetchone()
    if row:
        store.conn.execute(
            "UPDATE decks SET name = ?, description = ?, source_path = ?, source_hash = ?, "
            "new_per_day = ?, reviews_per_day = ?, drafts = ? WHERE id = ?",
            (*values, row[0]),
        )
        return row[0]
    return store.conn.execute(
        "INSERT INTO decks (name, description, source_path, source_hash, new_per_day, "
        "reviews_per_day, drafts) VALUES (?, ?, ?, ?, ?, ?, ?)",
        values,
    ).lastrowid


def _place(position: int, kind: str, key: str) -> tuple:
    """Where an id-less card stands in its file: entry, kind, and which sibling it is."""
    return position, kind, key.partition("::")[2]



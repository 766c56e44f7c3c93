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

import contextlib
import difflib
import functools
import json
import os
import queue
import shutil
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from flashcards import clock, paths, schema
from flashcards.deck_files import (
    DeckError,
    StreamFailed,
    duplicate_deck_errors,
    find_deck_files,
    hash_file,
)
from flashcards.model import DeckReport, SyncReport
from flashcards.store import Store, StoreError

if TYPE_CHECKING:
    from flashcards.decks import CardSpec, DeckFile

# An id-less card whose front was edited keeps its history when it stays at the same
# position with the same kind and its back is unchanged or its front is this similar.
EDIT_SIMILARITY = 0.6
# Rows a statement writes at once, at most (``_rows_at_once``): each statement of a thread
# writing new cards takes the GIL back a few times, so fewer statements mean less waiting
# (100,000 cards: ~0.25 s less with 5,000 than with 2,000); more would hold more bound
# values at once (10,000: ~30 MB more at the peak).
_ROWS_PER_STATEMENT = 5000
# New cards added to the search index at once: each statement writes its own segments, so
# fewer than ~20,000 cost more (100,000 cards 2,000 at a time: ~0.3 s more).
_INDEXED_AT_ONCE = 20_000
# Seconds the GIL's holder keeps it while a thread writing cards waits (``_in_thread``).
_SWITCH_INTERVAL = 0.0005


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
                 on_read: Callable[[int], None] | None = None,
                 skip_invalid: bool = False) -> SyncReport:
    """Sync deck files (and directories of them) into the database, atomically, and remember
    the paths as sources (see ``sync_sources``).

    Files whose content is unchanged since their last import are not parsed again.
    Any invalid file raises ``DeckError`` listing every problem, and nothing is written; with
    ``skip_invalid`` the invalid files are left out instead (their decks stay as they were
    last synced) and their problems are in the report.

    Without ``skip_invalid``, a deck is streamed (see ``decks.load_deck``): its cards are
    written, by a thread, while the rest of the file is read. A problem found on the way
    undoes the whole transaction, and every file is read again whole, to report them all.

    ``on_read`` hears how many more bytes of the files were read (a streamed deck's as its
    cards are written), and a negative count when they are read again from the start.
    """
    paths = [Path(path) for path in paths]
    if not skip_invalid:
        told = 0

        def tell(count: int) -> None:
            nonlocal told
            told += count
            on_read(count)

        try:
            return _import_files(store, paths, dry_run, on_read and tell, skip_invalid,
                                 streamed=True)
        except StreamFailed:
            if on_read:  # nothing was written: the files are read again, whole
                on_read(-told)
    return _import_files(store, paths, dry_run, on_read, skip_invalid, streamed=False)


def _import_files(store: Store, paths: list[Path], dry_run: bool,
                  on_read: Callable[[int], None] | None, skip_invalid: bool,
                  streamed: bool) -> SyncReport:
    """``import_files``, with every deck streamed or none."""
    files = find_deck_files(paths)
    unchanged, changed, errors = [], [], []
    for path in files:
        # Hashed, then read again to parse, a piece at a time: a big file is never all held.
        report = unchanged_deck(store, path, hash_file(path))
        deck = None
        if report:
            unchanged.append((path, report))
        else:
            from flashcards import decks  # PyYAML: only once a file changed

            try:
                deck = decks.load_deck(path, streamed, on_read)
                changed.append(deck)
            except DeckError as error:
                errors += error.errors
        if on_read and (deck is None or type(deck.cards) is list):
            on_read(path.stat().st_size)  # a streamed deck's are told as its cards are read
    importing = {_where(path) for path in files}
    clashes = duplicate_deck_errors(
        changed, {report.deck: path for path, report in unchanged}
    ) + _claimed_elsewhere(store, changed, importing)
    if clashes and skip_invalid:
        changed = [deck for deck in changed if not any(
            error.startswith(f"{deck.path}:") for error in clashes)]
    errors += clashes
    if errors and not skip_invalid:
        if any(type(deck.cards) is not list for deck in changed):
            raise StreamFailed  # the streamed decks' problems are not known yet
        raise DeckError(errors)
    adopted = {deck.name for deck in changed}
    gone = [(deck_id, name) for deck_id, name, source in _deck_sources(store)
            if source not in importing and name not in adopted and not Path(source).exists()
            and any(Path(source).is_relative_to(folder) for folder in _folders(paths))]
    result = sync(store, changed, dry_run=dry_run, gone=gone, sources=paths)
    result.decks += [report for _, report in unchanged]
    result.decks.sort(key=lambda report: report.deck)
    result.problems = errors
    return result


def sync(store: Store, deck_files: list[DeckFile], dry_run: bool = False,
         gone: Iterable[tuple[int, str]] = (), sources: Iterable[Path] = ()) -> SyncReport:
    """Make the database hold exactly these decks' cards, all in one transaction.

    New cards are added, changed ones updated with their history, missing ones retired
    (never deleted), and so are the cards of the ``gone`` decks (id, name), whose files
    were removed; the ``sources`` are remembered as synced now. With ``dry_run`` the same
    work is done and then rolled back. When nothing changed, nothing is written.
    """
    report = SyncReport()
    stamp = clock.iso(clock.now())
    settled = dict(store.query("SELECT path, problem IS NULL FROM sources"))
    sources = [_where(path) for path in sources]
    unsettled = [where for where in sources if not settled.get(where)]
    if not (deck_files or gone or unsettled):
        return report  # nothing changed: no write (a start, returning home)
    with store.write(dry_run=dry_run):
        for deck in deck_files:
            report.decks.append(_sync_deck(store, deck, stamp))
        for deck_id, name in gone:
            report.decks.append(DeckReport(name, retired=_retire_deck(store, deck_id, stamp)))
        store.conn.executemany(
            "INSERT INTO sources (path, last_sync) VALUES (?, ?) ON CONFLICT (path) "
            "DO UPDATE SET last_sync = excluded.last_sync, problem = NULL",
            [(where, stamp) for where in sources],
        )
    return report


# -- sources ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A file or folder that ``import`` was given: synced again on every start."""

    path: str
    decks: tuple[str, ...]
    last_sync: str | None
    problem: str | None


def sources(store: Store) -> list[Source]:
    """Every source, with the decks whose files it holds."""
    deck_files = _deck_sources(store)
    return [
        Source(path, tuple(sorted(name for _, name, file in deck_files
                                  if Path(file).is_relative_to(path))),
               last_sync, problem)
        for path, last_sync, problem in store.query(
            "SELECT path, last_sync, problem FROM sources ORDER BY path")
    ]


def sync_sources(store: Store) -> SyncReport:
    """Sync every source again: changed files are read, new files in a source folder are
    added, deleted ones retire their cards. A source that fails (a YAML error after an edit,
    a folder gone) never blocks the others: its decks stay as last synced and its problem is
    kept with it (``sources``) and returned in the report. Unchanged files cost a hash."""
    report = SyncReport()
    for source in sources(store):
        try:
            synced = import_files(store, [Path(source.path)], skip_invalid=True)
        except (DeckError, OSError) as error:
            problems = (error.errors if isinstance(error, DeckError)
                        else [f"{source.path}: {error.strerror or error}"])
        else:
            report.decks += synced.decks
            problems = synced.problems
        if problems:
            _note_problem(store, source.path, problems)
        report.problems += problems
    return report


def open_decks(store: Store) -> tuple[SyncReport, list[str]]:
    """What every start does before the first screen: on the first run, copy the bundled
    decks into the user's decks folder and import them from there; later, sync the sources
    again. Returns the sync report (its problems: files that did not sync) and what else
    the user should be told."""
    bundled, mine = paths.bundled_decks_dir().resolve(), paths.user_decks_dir()
    if store.is_empty() and not sources(store):
        copy_decks(bundled, mine)
        return import_files(store, [mine]), [f"Your decks are in {mine}: edit them there."]
    notices = []
    if _move_decks(store, bundled, mine):
        notices.append(f"The bundled decks are now your own files, in {mine}.")
    return sync_sources(store), notices


def copy_decks(folder: Path, target: Path) -> list[Path]:
    """Copy each deck file of ``folder`` into ``target``, never over a file that exists;
    returns the copies. A copy is written whole under a temporary name, then renamed."""
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in find_deck_files([folder]):
        copy = target / path.relative_to(folder)
        if copy.exists():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(f".{copy.name}.{uuid.uuid4().hex[:12]}.partial")
        try:
            shutil.copyfile(path, partial)
            os.replace(partial, copy)
        finally:
            partial.unlink(missing_ok=True)
        copies.append(copy)
    return copies


def _move_decks(store: Store, folder: Path, target: Path) -> bool:
    """Decks imported from ``folder`` (the installed package, by an older version) follow
    their copies in ``target``, history and all. Returns whether any did."""
    moving = [(deck_id, Path(file)) for deck_id, _, file in _deck_sources(store)
              if Path(file).is_relative_to(folder)]
    if not moving:
        return False
    copy_decks(folder, target)
    with store.write():
        store.conn.executemany(
            "UPDATE decks SET source_path = ? WHERE id = ?",
            [(_where(target / file.relative_to(folder)), deck_id) for deck_id, file in moving],
        )
        store.conn.executemany("DELETE FROM sources WHERE path = ?", [
            (source,) for (source,) in store.query("SELECT path FROM sources")
            if Path(source).is_relative_to(folder)])
        store.conn.execute("INSERT OR IGNORE INTO sources (path) VALUES (?)", (_where(target),))
    return True


def _note_problem(store: Store, path: str, problems: list[str]) -> None:
    more = len(problems) - 1
    problem = problems[0] + (f" (and {more} more)" if more else "")
    if store.query("SELECT 1 FROM sources WHERE path = ? AND problem IS ?", (path, problem)):
        return  # already noted: a start writes nothing for a problem it knows
    with store.write():
        store.conn.execute("UPDATE sources SET problem = ? WHERE path = ?", (problem, path))


def forget_source(store: Store, path: str | Path) -> SyncReport:
    """Forget a source: the decks whose files it holds are retired, their history kept."""
    where = _where(Path(path))
    if not store.query("SELECT 1 FROM sources WHERE path = ?", (where,)):
        raise StoreError(f"{path}: not a source (see `flashcards sources`)")
    report = SyncReport()
    stamp = clock.iso(clock.now())
    with store.write():
        for deck_id, name, file in _deck_sources(store):
            if Path(file).is_relative_to(where):  # the source itself, or a file in it
                report.decks.append(DeckReport(name, retired=_retire_deck(store, deck_id, stamp)))
        store.conn.execute("DELETE FROM sources WHERE path = ?", (where,))
    return report


def deck_files(store: Store) -> dict[str, Path]:
    """The file of every deck that has one, by deck name, in name order."""
    return {name: Path(file) for _, name, file in sorted(_deck_sources(store),
                                                         key=lambda deck: deck[1])}


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
    return (spec.key, spec.note_key, spec.kind, spec.front, spec.back, _tags_json(spec.tags),
            spec.source, spec.line, spec.position)


@functools.lru_cache(maxsize=1024)
def _tags_json(tags: tuple[str, ...]) -> str:
    """The tags column: a deck's cards share a few sets of tags, each written once."""
    return json.dumps(list(tags), ensure_ascii=False)


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
    cards = deck.cards
    streamed = type(cards) is not list
    if streamed and existing:
        cards = list(cards)  # matching edited cards takes every card first
    wanted = {spec.key for spec in cards} if existing else set()  # none for a new deck
    vanished = {key: row for key, row in existing.items()
                if key not in wanted and not row.retired}
    by_place = {
        _place(row.position, row.kind, key): key for key, row in vanished.items()
        if key.startswith("~")
    }
    inserts, updates = [], []
    at_once = _rows_at_once(store, len(_NEW_CARD_COLUMNS))
    # A new deck's cards are added to the search index many at a time, not row by row.
    bulk = streamed or len(cards) - len(existing) > _ROWS_PER_STATEMENT
    with contextlib.ExitStack() as stack:
        index = stack.enter_context(schema.cards_indexed_at_end(store.conn)) if bulk else None
        insert = stack.enter_context(_inserting(store, index, in_thread=streamed))
        if type(cards) is not list:  # closed first: left half-read, it keeps the GC paused
            stack.enter_context(contextlib.closing(cards))
        for spec in cards:
            row = existing.get(spec.key) or _edited_card(spec, vanished, by_place)
            values = _file_values(spec)
            if row is None:
                front, back = values[3].encode(), values[4].encode()  # see _insert_cards
                inserts.append((deck_id, *values[:3], front, back, *values[5:], stamp, stamp))
                if len(inserts) == at_once:
                    insert(inserts)
                    report.added += len(inserts)
                    inserts = []
                continue
            old = row.values()
            if old != values or row.retired:
                updates.append((*values, stamp, row.id))
            # A card that only moved lines was not edited by the user: it counts as unchanged.
            if old[:-2] != values[:-2] or row.retired:
                report.updated += 1
            else:
                report.unchanged += 1
        insert(inserts)
        report.added += len(inserts)
    if streamed:  # its drafts are known now that its entries are all read
        report.drafts = len(deck.drafts)
        store.conn.execute("UPDATE decks SET drafts = ? WHERE id = ?", (report.drafts, deck_id))
    retiring = [(stamp, row.id) for row in vanished.values()]
    store.conn.executemany("UPDATE cards SET retired = 1, updated_at = ? WHERE id = ?", retiring)
    report.retired = len(retiring)
    # Updates go last: an edited card takes its new key only after nothing else holds it.
    _write_rows(
        store, "UPDATE cards SET key = v.column1, note_key = v.column2, kind = v.column3, "
        "front = v.column4, back = v.column5, tags = v.column6, source = v.column7, "
        "line = v.column8, position = v.column9, retired = 0, updated_at = v.column10 "
        "FROM (VALUES {rows}) AS v WHERE cards.id = v.column11", updates,
    )
    return report


@contextlib.contextmanager
def _inserting(store: Store, index: Callable[[], None] | None,
               in_thread: bool) -> Iterator[Callable[[list[tuple]], None]]:
    """A function that inserts new cards (``_insert_cards``) and has ``index`` (if any) add
    them to the search index ``_INDEXED_AT_ONCE`` at a time; with ``in_thread``, a thread
    does both, a list after another, while the caller goes on (see ``_in_thread``)."""
    waiting = 0

    def insert(rows: list[tuple]) -> None:
        nonlocal waiting
        _insert_cards(store, rows)
        waiting += len(rows)
        if index is not None and waiting >= _INDEXED_AT_ONCE:
            index()
            waiting = 0

    if not in_thread:
        yield insert
        return
    with _in_thread(insert) as submit:
        yield submit


@contextlib.contextmanager
def _in_thread(work: Callable[[list], None]) -> Iterator[Callable[[list], None]]:
    """A function that hands a list to a thread, which does ``work`` on each, in order, while
    the caller goes on: SQLite lets go of the GIL while it writes, so reading a deck file
    (Python) and writing its cards (SQLite) take the two cores of a small machine.

    The block ends once every list is done; on an error, once the one at work is: the
    transaction may only be rolled back when no statement runs in it. The thread's error
    is raised in the caller, at its next hand-over or at the end."""
    lists: queue.Queue[list | None] = queue.Queue(maxsize=2)  # a few MB of rows at most
    failed: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        while (rows := lists.get()) is not None:
            if failed or stop.is_set():
                continue  # the caller stops too: the rest is dropped
            try:
                work(rows)
            except BaseException as error:  # noqa: BLE001 - raised again in the caller
                failed.append(error)

    def submit(rows: list) -> None:
        if failed:
            raise failed[0]
        lists.put(rows)

    thread = threading.Thread(target=run, name="import writer", daemon=True)
    interval = sys.getswitchinterval()
    # The thread waits for the GIL each time SQLite hands it back: by default up to 5 ms,
    # ~0.3 s over the statements of 100,000 cards, while the caller holds it reading.
    sys.setswitchinterval(_SWITCH_INTERVAL)
    thread.start()
    try:
        yield submit
    except BaseException:
        stop.set()
        raise
    finally:
        try:
            _finish(thread, lists, stop)
        finally:
            sys.setswitchinterval(interval)
    if failed:
        raise failed[0]


def _finish(thread: threading.Thread, lists: queue.Queue, stop: threading.Event) -> None:
    """Tell ``thread`` that no more lists come, and wait for it to end, through a Ctrl-C too
    (which ``stop``s it at the list it is at, and is raised again after): it writes in the
    transaction that the interruption rolls back."""
    interrupted, told = None, False
    while thread.is_alive():
        try:
            if not told:
                lists.put(None)
                told = True
            thread.join()
        except KeyboardInterrupt as error:
            interrupted = error
            stop.set()
    if interrupted is not None:
        raise interrupted


# A new card's row, as ``_sync_deck`` makes it.
_NEW_CARD_COLUMNS = ("deck_id", "key", "note_key", "kind", "front", "back", "tags", "source",
                     "line", "position", "created_at", "updated_at")


def _insert_cards(store: Store, rows: list[tuple]) -> None:
    """Insert these new cards.

    Their front and back come as UTF-8 bytes, made text again by SQL: a str bound as a
    parameter keeps a UTF-8 copy of itself for as long as it lives, and the deck's cards
    live to the end of the import (~17 MB more at the peak for 100,000 cards)."""
    _write_rows(
        store, f"INSERT INTO cards ({', '.join(_NEW_CARD_COLUMNS)}) VALUES {{rows}}", rows,
        "(?, ?, ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?, ?, ?)",
    )


def _write_rows(store: Store, statement: str, rows: list[tuple],
                template: str | None = None) -> None:
    """Run ``statement`` with its ``{rows}`` made of many of ``rows`` at once, in order, each
    written as ``template`` (default: a ``?`` for each value).

    Not executemany's one statement per row: the search index (written by triggers on the
    cards, see ``schema._migration_4``) is flushed at the end of every statement, which
    row by row makes an import of 100,000 new or edited cards ~3x slower.
    """
    if not rows:
        return
    at_once = _rows_at_once(store, len(rows[0]))
    one = template or f"({', '.join('?' * len(rows[0]))})"
    for start in range(0, len(rows), at_once):
        chunk = rows[start:start + at_once]
        store.conn.execute(statement.format(rows=", ".join([one] * len(chunk))),
                           [value for row in chunk for value in row])


def _rows_at_once(store: Store, width: int) -> int:
    """How many rows of ``width`` values a statement writes: ``_ROWS_PER_STATEMENT``, or
    fewer where SQLite takes fewer parameters (its default build: 32,766)."""
    limit = store.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return min(_ROWS_PER_STATEMENT, limit // width)


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
    """The deck's row, found by name, else by its file (the file renamed its deck), else new.

    A deck whose ``scheduler:`` changed has its answered cards replayed under the new one."""
    values = (
        deck.name, deck.description, _where(deck.path), deck.sha256, deck.new_per_day,
        deck.reviews_per_day, len(deck.drafts), deck.scheduler,
    )
    row = store.conn.execute(
        "SELECT id, scheduler FROM decks WHERE name = ?1 OR source_path = ?2 "
        "ORDER BY name = ?1 DESC",
        (deck.name, values[2]),
    ).fetchone()
    if row is None:
        return store.conn.execute(
            "INSERT INTO decks (name, description, source_path, source_hash, new_per_day, "
            "reviews_per_day, drafts, scheduler) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        ).lastrowid
    store.conn.execute(
        "UPDATE decks SET name = ?, description = ?, source_path = ?, source_hash = ?, "
        "new_per_day = ?, reviews_per_day = ?, drafts = ?, scheduler = ? WHERE id = ?",
        (*values, row[0]),
    )
    if row[1] != deck.scheduler:
        store.rebuild_history(card_id for (card_id,) in store.query(
            "SELECT DISTINCT reviews.card_id FROM reviews JOIN cards ON cards.id = "
            "reviews.card_id WHERE cards.deck_id = ?", (row[0],)))
    return row[0]


def _place(position: int, kind: str, key: str) -> tuple:
    """Where an id-less card stands in its file: entry, kind, and which sibling it is."""
    return position, kind, key.partition("::")[2]



"""The SQLite store: schema and migrations, deck sync, the review log and card state.

Reviews are an append-only log; each card caches the SM-2 state its log produces
(``rebuild_card`` recomputes it from the log and must give the same state). Every write
is one ``BEGIN IMMEDIATE`` transaction, so an answer is on disk before ``answer`` returns,
and a second process waits (busy timeout) instead of failing with "database is locked".

sqlite-utils is imported lazily (migrations and bulk work), so opening the store to show
the first card stays fast.
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards import clock
from flashcards.sm2 import SM2State, review

if TYPE_CHECKING:
    import sqlite_utils

    from flashcards.decks import CardSpec, DeckFile

SCHEMA_VERSION = 2  # = len(MIGRATIONS)
BUSY_TIMEOUT_MS = 15_000
LEECH_LAPSES = 8
MAX_INTERVAL_DAYS = 36_500  # a hundred years, Anki's default maximum interval
DEFAULT_CONFIG = {"rollover_hour": 4, "new_per_day": 20, "reviews_per_day": 200}
# An id-less card whose front was edited keeps its history when it stays at the same
# position with the same kind and its back is unchanged or its front is this similar.
EDIT_SIMILARITY = 0.6


class StoreError(Exception):
    """A problem with the database file, said in one line."""


@dataclass(frozen=True, slots=True)
class Card:
    """A card as the session and the UI see it."""

    id: int
    deck: str
    key: str
    note_key: str
    kind: str
    front: str
    back: str
    tags: tuple[str, ...]
    source: str
    file: str | None
    line: int | None
    repetitions: int
    interval: int
    easiness: float
    due: str | None
    lapses: int
    suspended: bool
    leech: bool

    @property
    def state(self) -> SM2State:
        """The card's SM-2 state."""
        return SM2State(self.repetitions, self.interval, self.easiness)


@dataclass(frozen=True, slots=True)
class Answer:
    """What one answer did."""

    review_id: str
    card_id: int
    quality: int
    repeat: bool
    state: SM2State
    due: str
    became_leech: bool


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """One answer of a study day, with what the queue needs to know about its card."""

    card_id: int
    deck: str
    note_key: str
    quality: int
    repeat: bool
    duration_ms: int | None
    was_new: bool


@dataclass
class DeckReport:
    """Import counts for one deck."""

    deck: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    drafts: int = 0


@dataclass
class ImportReport:
    """Import counts for every deck of one run."""

    decks: list[DeckReport] = field(default_factory=list)


CARD_COLUMNS = (
    "cards.id, decks.name, cards.key, cards.note_key, cards.kind, cards.front, cards.back, "
    "cards.tags, cards.source, decks.source_path, cards.line, cards.repetitions, "
    "cards.interval, cards.easiness, cards.due, cards.lapses, cards.suspended, cards.leech"
)
CARD_FROM = "cards JOIN decks ON decks.id = cards.deck_id"
# Cards a review may show today (the parameter is today's date).
SHOWABLE = (
    "cards.retired = 0 AND cards.suspended = 0 "
    "AND (cards.buried_until IS NULL OR cards.buried_until <= ?)"
)


def _card(row: tuple) -> Card:
    values = list(row)
    values[7] = tuple(json.loads(values[7]))
    values[16] = bool(values[16])
    values[17] = bool(values[17])
    return Card(*values)


def _migration_1(db: sqlite_utils.Database) -> None:
    db.create_table(
        "decks",
        {
            "id": int,
            "name": str,
            "description": str,
            "source_path": str,
            "source_hash": str,
            "new_per_day": int,
            "reviews_per_day": int,
            "drafts": int,
        },
        pk="id",
        not_null={"name", "description", "drafts"},
        defaults={"description": "", "drafts": 0},
    )
    db["decks"].create_index(["name"], unique=True)
    db.create_table(
        "cards",
        {
            "id": int,
            "deck_id": int,
            "key": str,
            "note_key": str,
            "kind": str,
            "front": str,
            "back": str,
            "tags": str,
            "source": str,
            "line": int,
            "position": int,
            "retired": int,
            "suspended": int,
            "leech": int,
            "buried_until": str,
            "repetitions": int,
            "interval": int,
            "easiness": float,
            "due": str,
            "lapses": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("deck_id", "decks", "id")],
        not_null={
            "deck_id", "key", "note_key", "kind", "front", "back", "tags", "source",
            "retired", "suspended", "leech", "repetitions", "interval", "easiness",
            "lapses", "created_at", "updated_at",
        },
        defaults={
            "tags": "[]", "source": "", "retired": 0, "suspended": 0, "leech": 0,
            "repetitions": 0, "interval": 0, "easiness": 2.5, "lapses": 0,
        },
    )
    db["cards"].create_index(["deck_id", "key"], unique=True)
    # Serves both "due <= today, overdue first" and "new cards (due IS NULL) in deck order".
    db["cards"].create_index(["due", "deck_id", "position"])
    db["cards"].create_index(["deck_id", "note_key"])
    db.create_table(
        "reviews",
        {
            "id": str,
            "card_id": int,
            "reviewed_at": str,
            "ts": int,
            "day": str,
            "quality": int,
            "repeat": int,
            "repetitions": int,
            "interval": int,
            "easiness": float,
            "due": str,
            "duration_ms": int,
        },
        pk="id",
        foreign_keys=[("card_id", "cards", "id")],
        not_null={
            "card_id", "reviewed_at", "ts", "day", "quality", "repeat",
            "repetitions", "interval", "easiness", "due",
        },
        defaults={"repeat": 0},
    )
    db["reviews"].create_index(["card_id", "ts"])
    db["reviews"].create_index(["day"])
    db["reviews"].create_index(["ts"])
    db.create_table("config", {"key": str, "value": str}, pk="key")


def _migration_2(db: sqlite_utils.Database) -> None:
    """Covering indexes for stats and exports (a million reviews: ~0.4 s instead of seconds).

    Each new reviews index starts with the columns of an index it replaces, so every
    query served before is served as well, without a lookup into the table.
    """
    db.execute("DROP INDEX IF EXISTS idx_reviews_card_id_ts")
    db.execute("DROP INDEX IF EXISTS idx_reviews_day")
    # A card's log in time order: replay, first answers, the FSRS export.
    db["reviews"].create_index(
        ["card_id", "ts", "day", "quality", "repeat", "duration_ms"],
        index_name="idx_reviews_card_history",
    )
    # Figures per study day: heatmap, retention, the daily export, reviews per deck.
    db["reviews"].create_index(
        ["day", "repeat", "quality", "duration_ms", "card_id"], index_name="idx_reviews_day_stats"
    )
    # A review's card identity without reading the card's text (the reviews export).
    db["cards"].create_index(["id", "deck_id", "key"], index_name="idx_cards_identity")


MIGRATIONS = [_migration_1, _migration_2]


class Store:
    """One open flashcards database."""

    def __init__(self, conn: sqlite3.Connection, path: Path,
                 read_only: str | None = None) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only  # why it cannot be written, or None
        self._db: sqlite_utils.Database | None = None

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, create_dirs: bool = False) -> Store:
        """Open (creating and migrating if needed) the database at ``path``.

        A database this process may not write (the file, or its directory, is not writable)
        is opened read-only: reading works, and every write is a ``StoreError``.
        """
        path = Path(path)
        if create_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise StoreError(f"{path}: directory {path.parent} does not exist")
        read_only = _why_read_only(path)
        if read_only and not path.exists():
            raise StoreError(f"{path}: cannot create the database: {read_only}")
        try:
            conn = sqlite3.connect(
                _read_only_uri(path) if read_only else path, isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, uri=bool(read_only),
            )
            store = cls(conn, path, read_only)
            store._configure()
            store._migrate()
        except sqlite3.DatabaseError as error:
            why = f" ({read_only})" if read_only else ""
            raise StoreError(f"{path}: cannot open database: {error}{why}") from None
        return store

    def _configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.read_only:
            return
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an answer survives a power cut too, at ~0.4 ms per commit.
        self.conn.execute("PRAGMA synchronous = FULL")

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: database schema version {version} is newer than this "
                f"flashcards understands ({SCHEMA_VERSION}); upgrade flashcards"
            )
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise StoreError(f"{self.path}: cannot {'create' if version == 0 else 'upgrade'} "
                             f"the database schema: {self.read_only}")
        if version > 0:
            from flashcards.backup import make_backup

            make_backup(self.conn, self.path, f"before-v{SCHEMA_VERSION}")
        with self.write():
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(self.db)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils view of the same connection."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def daily_backup(self) -> Path | None:
        """On the first use of a day, a backup of a database that holds cards."""
        from flashcards import backup

        if self.read_only or self.is_empty() or backup.has_backup_today(self.path):
            return None
        return backup.make_backup(self.conn, self.path, "daily")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def require_writable(self) -> None:
        """Raise a one-line ``StoreError`` when the database cannot be written."""
        if self.read_only:
            raise StoreError(f"{self.path}: cannot write to the database: {self.read_only}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken at once, so it never deadlocks."""
        self.require_writable()
        if self.conn.in_transaction:  # nested: a savepoint inside the outer transaction
            self.conn.execute("SAVEPOINT nested")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO nested")
                raise
            finally:
                self.conn.execute("RELEASE nested")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Rows of a read query."""
        return self.conn.execute(sql, tuple(params)).fetchall()

    # -- config --------------------------------------------------------------------

    def config(self) -> dict[str, int]:
        """Global settings: defaults overlaid with what the user set."""
        settings = dict(DEFAULT_CONFIG)
        for key, value in self.query("SELECT key, value FROM config"):
            settings[key] = int(value)
        return settings

    def set_config(self, key: str, value: int) -> None:
        """Set one global setting."""
        if key not in DEFAULT_CONFIG:
            raise StoreError(f"unknown setting {key!r} (known: {', '.join(DEFAULT_CONFIG)})")
        if key == "rollover_hour" and not 0 <= value <= 23:
            raise StoreError("rollover_hour must be from 0 to 23")
        if value < 0:
            raise StoreError(f"{key} must not be negative")
        with self.write():
            self.conn.execute(
                "INSERT INTO config (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    def today(self) -> date:
        """The current study day under the configured rollover hour."""
        return clock.today(self.config()["rollover_hour"])

    # -- decks -----------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when the database holds no card at all."""
        return self.conn.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is None

    def unchanged_deck(self, path: Path, digest: str) -> DeckReport | None:
        """The report for a deck file already imported with exactly this content, if any."""
        row = self.conn.execute(
            "SELECT name, drafts, (SELECT count(*) FROM cards "
            "WHERE deck_id = decks.id AND retired = 0) "
            "FROM decks WHERE source_path = ? AND source_hash = ?",
            (str(path.resolve()), digest),
        ).fetchone()
        return DeckReport(row[0], unchanged=row[2], drafts=row[1]) if row else None

    def import_files(self, paths: Iterable[str | Path], dry_run: bool = False,
                     on_file: Callable[[Path, int], None] | None = None) -> ImportReport:
        """Sync deck files (and directories of them) into the database, atomically.

        Files whose content is unchanged since their last import are not parsed again.
        Any invalid file raises ``DeckError`` listing every problem, before any write.
        """
        from flashcards import decks

        unchanged, changed, errors = [], [], []
        for path in decks.find_deck_files(paths):
            data = decks.read_file(path)
            digest = decks.file_hash(data)
            report = self.unchanged_deck(path, digest)
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
        result = self.sync(changed, dry_run=dry_run)
        result.decks += [report for _, report in unchanged]
        result.decks.sort(key=lambda report: report.deck)
        return result

    def sync(self, decks: list[DeckFile], dry_run: bool = False) -> ImportReport:
        """Make the database hold exactly these decks' cards, all in one transaction.

        New cards are added, changed ones updated with their history, missing ones retired
        (never deleted). With ``dry_run`` the same work is done and then rolled back.
        """
        report = ImportReport()
        stamp = clock.iso(clock.now())
        self.require_writable()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for deck in decks:
                report.decks.append(self._sync_deck(deck, stamp))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("ROLLBACK" if dry_run else "COMMIT")
        return report

    def _sync_deck(self, deck: DeckFile, stamp: str) -> DeckReport:
        deck_id = self._upsert_deck(deck)
        report = DeckReport(deck.name, drafts=len(deck.drafts))
        existing = {
            row[1]: row
            for row in self.query(
                "SELECT id, key, kind, front, back, tags, source, line, position, note_key, "
                "retired FROM cards WHERE deck_id = ?",
                (deck_id,),
            )
        }
        wanted = {spec.key for spec in deck.cards}
        vanished = {key: row for key, row in existing.items() if key not in wanted and not row[10]}
        by_place = {
            _place(row[8], row[2], key): key for key, row in vanished.items()
            if key.startswith("~")
        }
        inserts, updates = [], []
        for spec in deck.cards:
            row = existing.get(spec.key) or self._edited_card(spec, vanished, by_place)
            values = (
                spec.key, spec.note_key, spec.kind, spec.front, spec.back,
                json.dumps(list(spec.tags), ensure_ascii=False), spec.source, spec.line,
                spec.position,
            )
            if row is None:
                inserts.append((deck_id, *values, stamp, stamp))
                continue
            old = (row[1], row[9], row[2], row[3], row[4], row[5], row[6], row[7], row[8])
            if old != values or row[10]:
                updates.append((*values, stamp, row[0]))
            # A card that only moved lines was not edited by the user: it counts as unchanged.
            if old[:7] != values[:7] or row[10]:
                report.updated += 1
            else:
                report.unchanged += 1
        self.conn.executemany(
            "INSERT INTO cards (deck_id, key, note_key, kind, front, back, tags, source, line, "
            "position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        report.added = len(inserts)
        retiring = [(stamp, row[0]) for row in vanished.values()]
        self.conn.executemany(
            "UPDATE cards SET retired = 1, updated_at = ? WHERE id = ?", retiring
        )
        report.retired = len(retiring)
        # Updates go last: an edited card takes its new key only after nothing else holds it.
        self.conn.executemany(
            "UPDATE cards SET key = ?, note_key = ?, kind = ?, front = ?, back = ?, tags = ?, "
            "source = ?, line = ?, position = ?, retired = 0, updated_at = ? WHERE id = ?",
            updates,
        )
        return report

    @staticmethod
    def _edited_card(
        spec: CardSpec, vanished: dict[str, tuple], by_place: dict[tuple, str]
    ) -> tuple | None:
        """The vanished id-less card at the same place that this new one is an edit of."""
        if spec.has_id:
            return None
        old_key = by_place.get(_place(spec.position, spec.kind, spec.key))
        row = vanished.get(old_key)
        if row and (
            row[4] == spec.back
            or difflib.SequenceMatcher(None, row[3], spec.front).ratio() >= EDIT_SIMILARITY
        ):
            del vanished[old_key]
            return row
        return None

    def _upsert_deck(self, deck: DeckFile) -> int:
        values = (
            deck.description, str(deck.path.resolve()), deck.sha256, deck.new_per_day,
            deck.reviews_per_day, len(deck.drafts),
        )
        row = self.conn.execute("SELECT id FROM decks WHERE name = ?", (deck.name,)).fetchone()
        if row:
            self.conn.execute(
                "UPDATE decks SET description = ?, source_path = ?, source_hash = ?, "
                "new_per_day = ?, reviews_per_day = ?, drafts = ? WHERE id = ?",
                (*values, row[0]),
            )
            return row[0]
        return self.conn.execute(
            "INSERT INTO decks (name, description, source_path, source_hash, new_per_day, "
            "reviews_per_day, drafts) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (deck.name, *values),
        ).lastrowid

    def deck_names(self) -> list[str]:
        """Every deck's name, sorted (a cheap check before opening a review of one)."""
        return [row[0] for row in self.query("SELECT name FROM decks ORDER BY name")]

    def deck_summaries(self, today: date) -> list[dict[str, Any]]:
        """Per deck: active cards, new, due today, suspended, retired, next due day."""
        day = today.isoformat()
        rows = self.query(
            "SELECT decks.name, decks.description, decks.source_path, "
            "count(*) FILTER (WHERE retired = 0), "
            "count(*) FILTER (WHERE retired = 0 AND suspended = 0 AND due IS NULL), "
            "count(*) FILTER (WHERE retired = 0 AND suspended = 0 AND due <= ?), "
            "count(*) FILTER (WHERE retired = 0 AND suspended = 1), "
            "count(*) FILTER (WHERE retired = 1), "
            "min(due) FILTER (WHERE retired = 0 AND suspended = 0 AND due > ?) "
            "FROM decks LEFT JOIN cards ON cards.deck_id = decks.id "
            "GROUP BY decks.id ORDER BY decks.name",
            (day, day),
        )
        keys = ("name", "description", "source", "cards", "new", "due", "suspended",
                "retired", "next_due")
        return [dict(zip(keys, row)) for row in rows]

    # -- cards -----------------------------------------------------------------------

    def card(self, card_id: int) -> Card:
        """One card by id."""
        row = self.conn.execute(
            f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE cards.id = ?", (card_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no card with id {card_id}")
        return _card(row)

    def iter_cards(self, where: str, params: Iterable[Any] = (),
                   order: str = "cards.id") -> Iterator[Card]:
        """Cards matching an SQL condition (over ``cards`` joined with ``decks``), lazily."""
        cursor = self.conn.execute(
            f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE {where} ORDER BY {order}",
            tuple(params),
        )
        return map(_card, cursor)

    def due_cards(self, today: date, deck: str | None = None) -> Iterator[Card]:
        """Review cards due by ``today`` that can be shown, most overdue first."""
        day = today.isoformat()
        return self.iter_cards(
            f"{SHOWABLE} AND cards.due <= ?{' AND decks.name = ?' if deck else ''}",
            (day, day, *([deck] if deck else [])),
            order="cards.due, cards.id",
        )

    def new_cards(self, today: date, deck: str | None = None) -> Iterator[Card]:
        """Cards never answered that can be shown, in deck file order."""
        return self.iter_cards(
            f"{SHOWABLE} AND cards.due IS NULL{' AND decks.name = ?' if deck else ''}",
            (today.isoformat(), *([deck] if deck else [])),
            order="cards.deck_id, cards.position, cards.id",
        )

    def deck_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Per deck name, in deck order: its own (new_per_day, reviews_per_day), None where
        unset."""
        return {
            name: (new, reviews)
            for name, new, reviews in self.query(
                "SELECT name, new_per_day, reviews_per_day FROM decks ORDER BY id"
            )
        }

    def set_suspended(self, card_id: int, suspended: bool) -> None:
        """Suspend a card (hidden from review until unsuspended) or bring it back."""
        with self.write():
            self.conn.execute(
                "UPDATE cards SET suspended = ? WHERE id = ?", (int(suspended), card_id)
            )

    def set_buried(self, card_id: int, until: date | None) -> None:
        """Hide a card until the study day ``until`` (None: unbury)."""
        with self.write():
            self.conn.execute(
                "UPDATE cards SET buried_until = ? WHERE id = ?",
                (until.isoformat() if until else None, card_id),
            )

    # -- the review log ----------------------------------------------------------------

    def answer(self, card_id: int, quality: int, duration_ms: int | None = None,
               at: datetime | None = None) -> Answer:
        """Log an answer and update the card, committed before this returns.

        The first answer of a study day moves the card's SM-2 state; later answers the
        same day (SM-2's "repeat items below 4") are logged as repeats and change nothing.
        """
        at = at or clock.now()
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # as the log stores it
        day = clock.study_day(at, self.config()["rollover_hour"])
        with self.write():
            card = self.card(card_id)
            ts, day = self._after_last_answer(card_id, _ms(at), day)
            repeat = self._answered_on(card_id, day)
            progress = Replay(card.state, card.due, card.lapses)
            if not repeat:
                progress.step(quality, day)
            state, due, lapses = progress.state, progress.due, progress.lapses
            became_leech = lapses >= LEECH_LAPSES and not card.leech
            review_id = uuid.uuid4().hex
            self.conn.execute(
                "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repeat, "
                "repetitions, interval, easiness, due, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (review_id, card_id, clock.iso(at), ts, day.isoformat(), quality,
                 int(repeat), state.repetitions, state.interval, state.easiness, due,
                 duration_ms),
            )
            self._save_state(card_id, state, due, lapses)
            if became_leech:
                self.conn.execute(
                    "UPDATE cards SET leech = 1, suspended = 1 WHERE id = ?", (card_id,)
                )
        return Answer(review_id, card_id, quality, repeat, state, due, became_leech)

    def _after_last_answer(self, card_id: int, ts: int, day: date) -> tuple[int, date]:
        """Order and day for a new answer that never fall before the card's last answer.

        When the clock moves backwards, the log keeps its order (so replaying it gives the
        cached state) and no study day is counted twice.
        """
        last_ts, last_day = self.conn.execute(
            "SELECT max(ts), max(day) FROM reviews WHERE card_id = ?", (card_id,)
        ).fetchone()
        if last_ts is None:
            return ts, day
        return max(ts, last_ts + 1), max(day, date.fromisoformat(last_day))

    def _answered_on(self, card_id: int, day: date) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM reviews WHERE card_id = ? AND day = ? AND repeat = 0 LIMIT 1",
            (card_id, day.isoformat()),
        ).fetchone() is not None

    def _save_state(self, card_id: int, state: SM2State, due: str | None, lapses: int) -> None:
        self.conn.execute(
            "UPDATE cards SET repetitions = ?, interval = ?, easiness = ?, due = ?, lapses = ? "
            "WHERE id = ?",
            (state.repetitions, state.interval, state.easiness, due, lapses, card_id),
        )

    def undo_answer(self, review_id: str) -> Card:
        """Remove one answer from the log and restore the card's state from what remains."""
        with self.write():
            row = self.conn.execute(
                "SELECT card_id FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no review with id {review_id}")
            was_leech = self.card(row[0]).leech
            self.conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            lapses = self.rebuild_card(row[0])
            if was_leech and lapses < LEECH_LAPSES:
                self.conn.execute(
                    "UPDATE cards SET leech = 0, suspended = 0 WHERE id = ?", (row[0],)
                )
        return self.card(row[0])

    def replay(self, card_id: int) -> tuple[SM2State, str | None, int]:
        """The state, due day and lapses that a card's review log produces."""
        progress = Replay()
        rows = self.query(
            "SELECT quality, day FROM reviews WHERE card_id = ? AND repeat = 0 ORDER BY ts, id",
            (card_id,),
        )
        for quality, day in rows:
            progress.step(quality, date.fromisoformat(day))
        return progress.state, progress.due, progress.lapses

    def rebuild_card(self, card_id: int) -> int:
        """Recompute a card's cached state from its log; returns its lapses."""
        state, due, lapses = self.replay(card_id)
        with self.write():
            self._save_state(card_id, state, due, lapses)
        return lapses

    def reviews_on(self, day: date, deck: str | None = None) -> list[DayAnswer]:
        """Every answer of one study day (of one deck, or all), in time order."""
        rows = self.query(
            "SELECT reviews.card_id, decks.name, cards.note_key, reviews.quality, "
            "reviews.repeat, reviews.duration_ms, NOT EXISTS (SELECT 1 FROM reviews AS r2 "
            "WHERE r2.card_id = reviews.card_id AND r2.day < reviews.day) "
            "FROM reviews JOIN cards ON cards.id = reviews.card_id "
            "JOIN decks ON decks.id = cards.deck_id "
            f"WHERE reviews.day = ?{' AND decks.name = ?' if deck else ''} ORDER BY reviews.ts",
            (day.isoformat(), *([deck] if deck else [])),
        )
        return [DayAnswer(*row) for row in rows]

    def showable_ids(self, today: date, card_ids: list[int]) -> set[int]:
        """Those of the cards that a review may show today (not suspended, buried, retired)."""
        found: set[int] = set()
        for start in range(0, len(card_ids), 500):
            chunk = card_ids[start:start + 500]
            found.update(row[0] for row in self.query(
                f"SELECT cards.id FROM {CARD_FROM} WHERE {SHOWABLE} "
                f"AND cards.id IN ({','.join('?' * len(chunk))})",
                (today.isoformat(), *chunk),
            ))
        return found

    def count_due(self, day: date, deck: str | None = None) -> int:
        """How many cards a review could show on ``day`` (new cards not counted)."""
        return self.conn.execute(
            f"SELECT count(*) FROM {CARD_FROM} WHERE {SHOWABLE} AND cards.due <= ?"
            f"{' AND decks.name = ?' if deck else ''}",
            (day.isoformat(), day.isoformat(), *([deck] if deck else [])),
        ).fetchone()[0]

    def integrity_check(self) -> list[str]:
        """SQLite's integrity and foreign-key checks; an empty list means all is well."""
        problems = [row[0] for row in self.query("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {row}" for row in self.query("PRAGMA foreign_key_check")]
        return problems

    # -- stats and a portable history (see flashcards.stats) ------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the queries inside all see the same state of the database."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def stage_reviews(self, rows: Iterable[tuple]) -> None:
        """Load reviews to merge into a temporary table (call inside ``write()``).

        Each row: (line, review_id, card_id, deck, card_key, reviewed_at, ts, quality,
        duration_ms). A row with ``deck`` and ``card_key`` names its card by those (card ids
        differ between databases), else by ``card_id``. Rows are read lazily.
        """
        self.conn.execute("DROP TABLE IF EXISTS temp.incoming_reviews")
        self.conn.execute(
            "CREATE TEMP TABLE incoming_reviews (line INTEGER PRIMARY KEY, id TEXT NOT NULL, "
            "card_id INTEGER, deck TEXT, card_key TEXT, reviewed_at TEXT NOT NULL, "
            "ts INTEGER NOT NULL, quality INTEGER NOT NULL, duration_ms INTEGER)"
        )
        self.conn.executemany(
            "INSERT INTO temp.incoming_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        self.conn.execute("CREATE INDEX temp.incoming_reviews_id ON incoming_reviews (id)")
        self.conn.execute(
            "UPDATE temp.incoming_reviews SET card_id = (SELECT cards.id FROM cards "
            "JOIN decks ON decks.id = cards.deck_id WHERE decks.name = incoming_reviews.deck "
            "AND cards.key = incoming_reviews.card_key) "
            "WHERE deck IS NOT NULL AND card_key IS NOT NULL"
        )

    def staged_review_problems(self) -> list[tuple[int, str]]:
        """(line, problem) for staged reviews that name no card or contradict another review."""
        problems = [
            (line, f"no card {card_key!r} in deck {deck!r}" if card_key is not None
             else f"no card with card_id {card_id}")
            for line, deck, card_key, card_id in self.query(
                "SELECT line, deck, card_key, card_id FROM temp.incoming_reviews AS i "
                "WHERE card_id IS NULL OR NOT EXISTS (SELECT 1 FROM cards WHERE id = i.card_id)"
            )
        ]
        # Within a millisecond: a live answer's ts is rounded, its reviewed_at text truncated.
        same = "a.card_id IS b.card_id AND abs(a.ts - b.ts) <= 1 AND a.quality = b.quality"
        problems += [
            (line, (f"review_id {review_id!r} is also on line {first} with another card, "
                    "time or quality"))
            for line, review_id, first in self.query(
                "SELECT b.line, b.id, a.line FROM temp.incoming_reviews AS b "
                "JOIN temp.incoming_reviews AS a ON a.id = b.id AND a.line = (SELECT min(line) "
                "FROM temp.incoming_reviews WHERE id = b.id) "
                f"WHERE b.line > a.line AND NOT ({same})"
            )
        ]
        problems += [
            (line, (f"review_id {review_id!r} is already in the database with another "
                    "card, time or quality"))
            for line, review_id in self.query(
                "SELECT a.line, a.id FROM temp.incoming_reviews AS a "
                f"JOIN reviews AS b ON a.id = b.id WHERE a.card_id IS NOT NULL AND NOT ({same})"
            )
        ]
        return sorted(problems)

    def apply_staged_reviews(self) -> tuple[int, int]:
        """Add the staged reviews not yet in the log, then rebuild every card they touch.

        Call inside the ``write()`` of ``stage_reviews``, after checking the problems.
        Returns (reviews added, cards touched).
        """
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS touched_cards (id INTEGER PRIMARY KEY)"
        )
        self.conn.execute("DELETE FROM temp.touched_cards")
        new = (
            "FROM temp.incoming_reviews AS i WHERE i.line = (SELECT min(line) FROM "
            "temp.incoming_reviews WHERE id = i.id) AND NOT EXISTS "
            "(SELECT 1 FROM reviews WHERE reviews.id = i.id)"
        )
        self.conn.execute(f"INSERT OR IGNORE INTO temp.touched_cards SELECT card_id {new}")
        # The state columns are placeholders here: rebuild_history computes them.
        added = self.conn.execute(
            "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repeat, "
            "repetitions, interval, easiness, due, duration_ms) SELECT id, card_id, "
            f"reviewed_at, ts, '', quality, 0, 0, 0, 2.5, '', duration_ms {new}"
        ).rowcount
        touched = [row[0] for row in self.query("SELECT id FROM temp.touched_cards")]
        self.rebuild_history(touched)
        return added, len(touched)

    def rebuild_history(self, card_ids: Iterable[int]) -> int:
        """Recompute these cards' logs and cached state from their answers alone.

        In ``ts`` order, each answer's study day comes from its ``reviewed_at`` and the current
        rollover hour, never before the day of the answer before it (as ``answer`` keeps it
        when the clock goes back); the first answer of a day moves SM-2, later ones repeat;
        every log row's state columns, then the card's state, lapses and leech flag follow
        (a leech is suspended; a card that stops being one is unsuspended, as undo does).
        Returns how many log rows changed.
        """
        rollover = self.config()["rollover_hour"]
        ids = sorted(set(card_ids))
        changed = 0
        with self.write():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                leech = dict(self.query(f"SELECT id, leech FROM cards WHERE id IN ({marks})", chunk))
                rows = self.conn.execute(
                    "SELECT card_id, id, reviewed_at, quality, day, repeat, repetitions, interval, "
                    f"easiness, due FROM reviews WHERE card_id IN ({marks}) "
                    "ORDER BY card_id, ts, id",
                    chunk,
                )
                updates: list[tuple] = []
                replayed: dict[int, Replay] = {}
                current, progress, days = None, Replay(), set()
                for card_id, review_id, reviewed_at, quality, *old in rows:
                    if card_id != current:
                        current, progress, days = card_id, Replay(), set()
                        replayed[card_id] = progress
                    day = clock.study_day(clock.parse_moment(reviewed_at), rollover)
                    # As answer() does when the clock went back: no day before the last one.
                    day = max(day, max(days, default=day))
                    repeat = day in days
                    if not repeat:
                        days.add(day)
                        progress.step(quality, day)
                    state = progress.state
                    new = [day.isoformat(), int(repeat), state.repetitions, state.interval,
                           state.easiness, progress.due]
                    if new != old:
                        updates.append((*new, review_id))
                self.conn.executemany(
                    "UPDATE reviews SET day = ?, repeat = ?, repetitions = ?, interval = ?, "
                    "easiness = ?, due = ? WHERE id = ?",
                    updates,
                )
                changed += len(updates)
                saved, flagged = [], []
                for card_id in chunk:
                    progress = replayed.get(card_id, Replay())
                    state = progress.state
                    saved.append((state.repetitions, state.interval, state.easiness,
                                  progress.due, progress.lapses, card_id))
                    is_leech = progress.lapses >= LEECH_LAPSES
                    if is_leech != bool(leech.get(card_id)):
                        flagged.append((int(is_leech), int(is_leech), card_id))
                self.conn.executemany(
                    "UPDATE cards SET repetitions = ?, interval = ?, easiness = ?, due = ?, "
                    "lapses = ? WHERE id = ?",
                    saved,
                )
                self.conn.executemany(
                    "UPDATE cards SET leech = ?, suspended = ? WHERE id = ?", flagged
                )
        return changed


def _why_read_only(path: Path) -> str | None:
    """Why this process cannot write the database at ``path``, or None if it can.

    In WAL mode a writer also needs the -wal and -shm files beside the database, so the
    directory must be writable unless both already are.
    """
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(path.parent, os.W_OK) and not all(
        os.access(f"{path}{suffix}", os.W_OK) for suffix in ("-wal", "-shm")
    ):
        return f"the directory {path.parent} is not writable"
    return None


def _read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` for reading only, creating no file beside it.

    Without a -wal file holding changes, the database file is complete: ``immutable``
    reads it without the -shm file, which SQLite would otherwise create (read-only, so a
    later writer could not use it). With one (a writer is at work, or crashed), the read
    goes through it, and fails with a one-line error if SQLite cannot.
    """
    wal = Path(f"{path}-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    return f"{path.resolve().as_uri()}?mode=ro{'' if pending else '&immutable=1'}"


def _place(position: int, kind: str, key: str) -> tuple:
    """Where an id-less card stands in its file: entry, kind, and which sibling it is."""
    return position, kind, key.partition("::")[2]


@dataclass
class Replay:
    """A card's schedule as its first answers of each day build it up, one step at a time."""

    state: SM2State = field(default_factory=SM2State)
    due: str | None = None
    lapses: int = 0

    def step(self, quality: int, day: date) -> None:
        """Apply the first answer of a study day; failing a learnt card is a lapse."""
        self.lapses += quality < 3 and self.state.repetitions > 0
        self.state = schedule(self.state, quality)
        self.due = due_day(day, self.state.interval)


def schedule(state: SM2State, quality: int) -> SM2State:
    """SM-2's step with the interval capped at ``MAX_INTERVAL_DAYS``.

    Uncapped, 30 perfect answers in a row would schedule a card past the year 9999.
    """
    return review(state, quality, max_interval=MAX_INTERVAL_DAYS)


def due_day(day: date, interval: int) -> str:
    """The study day a card answered on ``day`` with this interval is next due."""
    return (day + timedelta(days=interval)).isoformat()


def _ms(moment: datetime) -> int:
    """Milliseconds since the epoch: the order of reviews across UTC offsets."""
    return round(moment.timestamp() * 1000)

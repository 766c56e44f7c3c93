"""The SQLite store: the connection, transactions, settings, and the card and log queries.

Reviews are an append-only log; each card caches the state its log produces (``replay``
recomputes it from the log and must give the same state). Every write is one
``BEGIN IMMEDIATE`` transaction, so an answer is on disk before ``answer`` returns, and a
second process waits (busy timeout) instead of failing with "database is locked". The rules
of an answer live in ``flashcards.scheduling``; each SQL predicate (showable, due, status)
is written once, here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flashcards import clock, scheduling, schema
from flashcards.model import Answer, Card, DayAnswer
from flashcards.schema import StoreError
from flashcards.sm2 import SM2State

DEFAULT_CONFIG = {"rollover_hour": 4, "new_per_day": 20, "reviews_per_day": 200}
# The whole numbers each setting may hold, lowest and highest.
CONFIG_RANGES = {
    "rollover_hour": (0, 23),
    "new_per_day": (0, scheduling.MAX_DAILY_LIMIT),
    "reviews_per_day": (0, scheduling.MAX_DAILY_LIMIT),
}
MATURE_DAYS = 21
BULK_CACHE_KIB = -65536  # PRAGMA cache_size: negative is KiB, so 64 MB

CARD_COLUMNS = (
    "cards.id, decks.name, cards.key, cards.note_key, cards.kind, cards.front, cards.back, "
    "cards.tags, cards.source, decks.source_path, cards.line, cards.repetitions, "
    "cards.interval, cards.easiness, cards.due, cards.lapses, cards.suspended, cards.leech"
)
CARD_FROM = "cards JOIN decks ON decks.id = cards.deck_id"
# A deck whose file is gone is retired (see flashcards.sync): it keeps its cards' history.
ACTIVE_DECK = "decks.source_path IS NOT NULL"


def showable_sql(day: str = "?") -> str:
    """Cards a review may show on a study day (an ISO date given as parameter ``day``):
    not retired, not suspended, not buried past that day."""
    return (
        "cards.retired = 0 AND cards.suspended = 0 "
        f"AND coalesce(cards.buried_until, '') <= {day}"
    )


def due_sql(day: str = "?") -> str:
    """Showable cards whose due day has come by ``day`` (overdue ones included)."""
    return f"{showable_sql(day)} AND cards.due <= {day}"


def status_sql(split_review: bool = False) -> str:
    """The SQL expression of a card's status over a ``cards`` row, for today's ISO date in
    the named parameter ``:today``; with ``split_review``, review cards are young or mature.

    First match wins: retired, leech, suspended, buried (until after today), new (never
    answered), learning (fewer than 2 successful repetitions in a row), else review."""
    review = (
        f"WHEN cards.interval < {MATURE_DAYS} THEN 'young' ELSE 'mature'"
        if split_review else "ELSE 'review'"
    )
    return (
        "CASE WHEN cards.retired THEN 'retired' WHEN cards.leech THEN 'leech' "
        "WHEN cards.suspended THEN 'suspended' WHEN cards.buried_until > :today THEN 'buried' "
        "WHEN cards.due IS NULL THEN 'new' WHEN cards.repetitions < 2 THEN 'learning' "
        f"{review} END"
    )


def _card(row: tuple) -> Card:
    (card_id, deck, key, note_key, kind, front, back, tags, source, file, line,
     repetitions, interval, easiness, due, lapses, suspended, leech) = row
    return Card(card_id, deck, key, note_key, kind, front, back, tuple(json.loads(tags)),
                source, file, line, repetitions, interval, easiness, due, lapses,
                bool(suspended), bool(leech))


class Store:
    """One open flashcards database."""

    def __init__(self, conn: sqlite3.Connection, path: Path,
                 read_only: str | None = None) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only  # why it cannot be written, or None
        self._file = _identity(path)

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, create_dirs: bool = False) -> Store:
        """Open (creating and migrating if needed) the database at ``path``.

        A database this process may not write (the file, or its directory, is not writable)
        is opened read-only: reading works, and every write is a ``StoreError``.
        """
        path = Path(path)
        conn, read_only = schema.connect(path, create_dirs)
        return cls(conn, path, read_only)

    def set_busy_timeout(self, milliseconds: int) -> None:
        """How long a write waits for another process's write to end before it fails."""
        self.conn.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    @contextmanager
    def bulk_cache(self) -> Iterator[None]:
        """A 64 MB page cache (SQLite's default is 2 MB) while writing in bulk: inserting
        100,000 reviews into the log's four indexes otherwise reads pages the small cache
        just dropped (a sixth of that time). The pages go when the block ends."""
        before = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(before)}")

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the database."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

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
    def write(self, dry_run: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (a savepoint when nested); the write lock is taken at once,
        so it never deadlocks. With ``dry_run`` the work is done, then rolled back."""
        self.require_writable()
        if _identity(self.path) != self._file:
            # Written now, an answer would go to the old file, which nothing can read again.
            raise StoreError(f"{self.path}: the database file was replaced or removed while "
                             "open; start flashcards again")
        with schema.transaction(self.conn, dry_run) as conn:
            yield conn

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

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        """Rows of a read query; ``params`` by position, or by name in a dict."""
        return self.conn.execute(sql, params).fetchall()

    # -- config --------------------------------------------------------------------

    def config(self) -> dict[str, int]:
        """Global settings: defaults overlaid with what the user set.

        A value stored out of its range (an older version, a hand edit) is clamped into it,
        and one that is no whole number gives way to the default: the app always starts.
        """
        settings = dict(DEFAULT_CONFIG)
        for key, value in self.query("SELECT key, value FROM config"):
            if key in CONFIG_RANGES:
                low, high = CONFIG_RANGES[key]
                try:
                    settings[key] = min(max(int(value), low), high)
                except (TypeError, ValueError, OverflowError):
                    pass
        return settings

    def set_config(self, key: str, value: int) -> None:
        """Set one global setting; a value outside ``CONFIG_RANGES`` is a ``StoreError``."""
        if key not in CONFIG_RANGES:
            raise StoreError(f"unknown setting {key!r} (known: {', '.join(CONFIG_RANGES)})")
        low, high = CONFIG_RANGES[key]
        if not low <= value <= high:
            raise StoreError(f"{key} must be a whole number from {low} to {high}")
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

    def deck_names(self) -> list[str]:
        """Every deck's name, sorted (a cheap check before opening a review of one)."""
        return [row[0] for row in self.query(
            f"SELECT name FROM decks WHERE {ACTIVE_DECK} ORDER BY name"
        )]

    def deck_summaries(self, today: date) -> list[dict[str, Any]]:
        """Per deck: active cards, new and due today (as a review would show them: buried
        cards not counted), suspended, retired, next due day."""
        rows = self.query(
            "SELECT decks.name, decks.description, decks.source_path, "
            "count(*) FILTER (WHERE retired = 0), "
            f"count(*) FILTER (WHERE {showable_sql(':day')} AND due IS NULL), "
            f"count(*) FILTER (WHERE {due_sql(':day')}), "
            "count(*) FILTER (WHERE retired = 0 AND suspended = 1), "
            "count(*) FILTER (WHERE retired = 1), "
            "min(due) FILTER (WHERE retired = 0 AND suspended = 0 AND due > :day) "
            "FROM decks LEFT JOIN cards ON cards.deck_id = decks.id "
            f"WHERE {ACTIVE_DECK} GROUP BY decks.id ORDER BY decks.name",
            {"day": today.isoformat()},
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

    def iter_cards(self, where: str, params: Sequence[Any] | dict[str, Any] = (),
                   order: str = "cards.id") -> Iterator[Card]:
        """Cards matching an SQL condition (over ``cards`` joined with ``decks``), lazily."""
        cursor = self.conn.execute(
            f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE {where} ORDER BY {order}", params
        )
        return map(_card, cursor)

    def due_cards(self, today: date, deck: str | None = None) -> Iterator[Card]:
        """Review cards due by ``today`` that can be shown, most overdue first."""
        return self.iter_cards(
            f"{due_sql(':day')}{' AND decks.name = :deck' if deck else ''}",
            {"day": today.isoformat(), "deck": deck},
            order="cards.due, cards.id",
        )

    def new_cards(self, today: date, deck: str | None = None) -> Iterator[Card]:
        """Cards never answered that can be shown, in deck file order."""
        return self.iter_cards(
            f"{showable_sql(':day')} AND cards.due IS NULL"
            f"{' AND decks.name = :deck' if deck else ''}",
            {"day": today.isoformat(), "deck": deck},
            order="cards.deck_id, cards.position, cards.id",
        )

    def deck_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Per deck name, in deck order: its own (new_per_day, reviews_per_day), None where
        unset."""
        return {
            name: (new, reviews)
            for name, new, reviews in self.query(
                f"SELECT name, new_per_day, reviews_per_day FROM decks WHERE {ACTIVE_DECK} "
                "ORDER BY id"
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

        The first answer of a study day moves the card's state; later answers the same day
        (SM-2's "repeat items below 4") are logged as repeats and change nothing.
        """
        at = scheduling.whole_ms(at or clock.now())
        day = clock.study_day(at, self.config()["rollover_hour"])
        with self.write():
            card = self.card(card_id)
            last_ts, last_day = self.conn.execute(
                "SELECT max(ts), max(day) FROM reviews WHERE card_id = ?", (card_id,)
            ).fetchone()
            last_day = date.fromisoformat(last_day) if last_day else None
            ts, day = scheduling.answer_order(scheduling.to_ms(at), day, last_ts, last_day)
            progress = scheduling.Progress.of(card.state, card.due, card.lapses, last_day)
            repeat = progress.answer(quality, day)
            became_leech = progress.is_leech and not card.leech
            review_id = uuid.uuid4().hex
            self.conn.execute(
                "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repeat, "
                "repetitions, interval, easiness, due, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (review_id, card_id, clock.iso(at), ts, day.isoformat(), quality,
                 int(repeat), *progress.state_row(), duration_ms),
            )
            self._save_progress([(card_id, progress)])
        return Answer(review_id, card_id, quality, repeat, progress.state, progress.due,
                      became_leech)

    def undo_answer(self, review_id: str) -> Card:
        """Remove one answer from the log and restore the card's state from what remains."""
        with self.write():
            row = self.conn.execute(
                "SELECT card_id FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no review with id {review_id}")
            self.conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            # The whole log is replayed: a later answer (from another process) that was a
            # same-day repeat may now be the day's first, and move the state.
            self.rebuild_history([row[0]])
        return self.card(row[0])

    def replay(self, card_id: int) -> tuple[SM2State, str | None, int]:
        """The state, due day and lapses that a card's log, as stored, produces."""
        progress = scheduling.Progress()
        rows = self.query(
            "SELECT quality, day FROM reviews WHERE card_id = ? AND repeat = 0 ORDER BY ts, id",
            (card_id,),
        )
        for quality, day in rows:
            progress.answer(quality, date.fromisoformat(day))
        return progress.state, progress.due, progress.lapses

    def rebuild_history(self, card_ids: Iterable[int], incoming: str | None = None) -> int:
        """Recompute these cards' logs and cached state from their answers alone.

        In ``ts`` order, each answer's study day comes from its ``reviewed_at`` and the current
        rollover hour, never before the day of the answer before it (as ``answer`` keeps it
        when the clock goes back); the first answer of a day moves SM-2, later ones repeat;
        every log row's state columns, then the card's state, lapses and leech flag follow
        (a leech is suspended; a card that stops being one is unsuspended, as undo does).
        ``incoming`` names a table of answers to add to these logs (``id, card_id,
        reviewed_at, ts, quality, duration_ms``): each is inserted once, with its replayed
        state. Returns how many log rows already there changed.
        """
        rollover = self.config()["rollover_hour"]
        ids = sorted(set(card_ids))
        changed = 0
        with self.write():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                logs = ("SELECT card_id, id, reviewed_at, quality, day, repeat, repetitions, "
                        "interval, easiness, due, ts, duration_ms, 0 AS new FROM reviews "
                        f"WHERE card_id IN ({marks})")
                if incoming:
                    logs += (" UNION ALL SELECT card_id, id, reviewed_at, quality, NULL, NULL, "
                             "NULL, NULL, NULL, NULL, ts, duration_ms, 1 FROM "
                             f"{incoming} WHERE card_id IN ({marks})")
                rows = self.conn.execute(f"{logs} ORDER BY card_id, ts, id",
                                         chunk * (2 if incoming else 1))
                replayed = {card_id: scheduling.Progress() for card_id in chunk}
                updates: list[tuple] = []
                inserts: list[tuple] = []
                for card_id, review_id, reviewed_at, quality, *old, ts, duration, new in rows:
                    progress = replayed[card_id]
                    day = clock.study_day(clock.stored_moment(reviewed_at), rollover)
                    day = scheduling.answer_day(day, progress.last_day)
                    repeat = progress.answer(quality, day)
                    state = [day.isoformat(), int(repeat), *progress.state_row()]
                    if new:
                        inserts.append((review_id, card_id, reviewed_at, ts, quality, *state,
                                        duration))
                    elif state != old:
                        updates.append((*state, review_id))
                self.conn.executemany(
                    "UPDATE reviews SET day = ?, repeat = ?, repetitions = ?, interval = ?, "
                    "easiness = ?, due = ? WHERE id = ?",
                    updates,
                )
                self.conn.executemany(
                    "INSERT INTO reviews (id, card_id, reviewed_at, ts, quality, day, repeat, "
                    "repetitions, interval, easiness, due, duration_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    inserts,
                )
                changed += len(updates)
                self._save_progress(replayed.items())
        return changed

    def _save_progress(self, cards: Iterable[tuple[int, scheduling.Progress]]) -> None:
        """Cache each card's replayed state, lapses and leech flag (call inside ``write``).

        A card that becomes a leech is suspended; one that stops being a leech (an undo, a
        rebuild) is unsuspended, as it was before.
        """
        rows = [(*progress.state_row(), progress.lapses, int(progress.is_leech), card_id)
                for card_id, progress in cards]
        self.conn.executemany(
            "UPDATE cards SET repetitions = ?1, interval = ?2, easiness = ?3, due = ?4, "
            "lapses = ?5, suspended = CASE WHEN leech = ?6 THEN suspended ELSE ?6 END, "
            "leech = ?6 WHERE id = ?7",
            rows,
        )

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

    def showable(self, today: date, card_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        """Of these cards, those a review may show today (not suspended, buried, retired),
        each with its deck and due day."""
        found: dict[int, tuple[str, str | None]] = {}
        for start in range(0, len(card_ids), 500):
            chunk = card_ids[start:start + 500]
            found.update((card_id, (deck, due)) for card_id, deck, due in self.query(
                f"SELECT cards.id, decks.name, cards.due FROM {CARD_FROM} "
                f"WHERE {showable_sql()} AND cards.id IN ({','.join('?' * len(chunk))})",
                (today.isoformat(), *chunk),
            ))
        return found

    def count_due(self, day: date, deck: str | None = None) -> int:
        """How many cards a review could show on ``day`` (new cards not counted)."""
        return self.conn.execute(
            f"SELECT count(*) FROM {CARD_FROM} WHERE {due_sql(':day')}"
            f"{' AND decks.name = :deck' if deck else ''}",
            {"day": day.isoformat(), "deck": deck},
        ).fetchone()[0]

    def integrity_check(self) -> list[str]:
        """SQLite's integrity and foreign-key checks; an empty list means all is well."""
        problems = [row[0] for row in self.query("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {row}" for row in self.query("PRAGMA foreign_key_check")]
        return problems


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), or None if there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino

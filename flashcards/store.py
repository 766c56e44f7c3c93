"""The SQLite store: the connection, transactions, settings, and the card and log queries.

Reviews are an append-only log; each card caches the state its log produces (``replay``
recomputes it from the log and must give the same state), and ``review_days`` counts the
log per study day and deck for the figures (each change to the log changes it, in the same
transaction: ``_tally_days``). Every write is one
``BEGIN IMMEDIATE`` transaction, so an answer is on disk before ``answer`` returns, and a
second process waits (busy timeout) instead of failing with "database is locked". The rules
of an answer live in ``flashcards.scheduling``; each SQL predicate (showable, due, status)
is written once, here.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from flashcards import clock, durable, fsrs, heap, journal, scheduling, schema
from flashcards.model import Answer, Card, DayAnswer, LogEntry
from flashcards.schema import StoreError
from flashcards.sm2 import SM2State

OnProgress = Callable[[int, int], None]  # (cards replayed so far, of how many)


class AnswerLog(NamedTuple):
    """One card's answers as a replay of the whole log reads them (``Store.answer_logs``)."""

    card_id: int
    answers: list[tuple[int, date]]  # (grade, study day), in time order
    alone: bool  # actions in its log, or two answers in one millisecond: ``Store.replay`` it
    ahead: scheduling.Ahead | None  # on FSRS: counted through, ready for any parameters


class Replayed(NamedTuple):
    """A card's log as ``Store.answer`` builds on it (``Store.replayed``), and the moment of
    the database it was read at: given back to ``answer``, it spares reading it again while
    nothing has been written since (``Store.moment``)."""

    card_id: int
    deck_id: int
    progress: scheduling.Progress  # under its deck's scheduler
    log: scheduling.Progress  # under SM-2, as the log's rows keep it (``progress`` on SM-2)
    last_ts: int | None  # the time of its last log entry, answer or action
    moment: tuple[int, int]


class AnswerLogs(NamedTuple):
    """The whole log as a replay reads it, and the database's ``data_version`` then."""

    version: int
    cards: list[AnswerLog]


@dataclass(frozen=True)
class Setting:
    """What one global setting may hold: a whole number (``low``..``high``), a number
    (``decimal``), one of ``choices``, or a folder (``path``: None while unset); and its
    default."""

    default: int | float | str | None
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()
    decimal: bool = False
    path: bool = False

    def parse(self, key: str, value: float | str) -> int | float | str:
        """``value`` (typed, or text from the command line) as this setting holds it; a
        value it may not hold is a one-line ``StoreError`` that says what it may."""
        if self.choices:
            if value not in self.choices:
                raise StoreError(f"{key} must be one of: {', '.join(self.choices)}, "
                                 f"not {value!r}")
            return value
        kind = "a number" if self.decimal else "a whole number"
        try:
            number = (float if self.decimal else int)(value)
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None or not self.low <= number <= self.high or (
                not self.decimal and isinstance(value, float)):
            raise StoreError(f"{key} must be {kind} from {self.low} to {self.high}")
        return number

    def read(self, text: str) -> int | float | str:
        """A stored value: one out of range (an older version, a hand edit) is clamped into
        it, and one this setting cannot hold gives way to the default, so the app starts."""
        try:
            if self.choices:
                return self.parse("", text)
            number = (float if self.decimal else int)(text)
        except (StoreError, TypeError, ValueError, OverflowError):
            return self.default
        if math.isnan(number):
            return self.default
        return min(max(number, self.low), self.high)


SETTINGS = {
    "rollover_hour": Setting(4, 0, 23),
    "new_per_day": Setting(20, 0, scheduling.MAX_DAILY_LIMIT),
    "reviews_per_day": Setting(200, 0, scheduling.MAX_DAILY_LIMIT),
    "sync_dir": Setting(None, path=True),
    "scheduler": Setting("sm2", choices=scheduling.SCHEDULERS),
    "desired_retention": Setting(fsrs.DEFAULT_RETENTION, *fsrs.RETENTION_RANGE, decimal=True),
    "max_interval": Setting(scheduling.MAX_INTERVAL_DAYS, 1, scheduling.MAX_INTERVAL_DAYS),
    "fuzz": Setting("off", choices=("off", "on")),
}
# Settings that name a folder; None while unset.
PATH_SETTINGS = tuple(key for key, setting in SETTINGS.items() if setting.path)
# Settings that change how answers schedule a card: setting one replays the log.
SCHEDULING_SETTINGS = frozenset({"scheduler", "desired_retention", "max_interval", "fuzz"})
# Not a user setting: the FSRS parameters ``flashcards optimize`` fitted to the whole log.
FSRS_PARAMETERS_KEY = "fsrs_parameters"
MATURE_DAYS = 21
# A card's last answer's study day, as SQL over ``cards`` (one seek in the log's index: days
# never go back in a card's log).
LAST_ANSWER_DAY = ("(SELECT day FROM reviews WHERE reviews.card_id = cards.id "
                   "ORDER BY ts DESC LIMIT 1)")
# The card columns its log gives (see ``scheduling.Progress.card_row``).
CACHED_COLUMNS = ("repetitions", "interval", "easiness", "due", "lapses", "leech", "suspended",
                  "buried_until", "stability", "difficulty", "first_day", "first_quality")
# What a replay of the same log under other settings (``reschedule``) may change: all but the
# first answer's study day and grade (the last two), so their index is left as it is.
RESCHEDULED_COLUMNS = CACHED_COLUMNS[:-2]
BULK_CACHE_KIB = -65536  # PRAGMA cache_size: negative is KiB, so 64 MB

CARD_COLUMNS = (
    "cards.id, decks.name, cards.key, cards.note_key, cards.kind, cards.front, cards.back, "
    "cards.tags, cards.source, decks.source_path, cards.line, cards.repetitions, "
    "cards.interval, cards.easiness, cards.due, cards.lapses, cards.suspended, cards.leech, "
    "cards.stability, cards.difficulty"
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
     repetitions, interval, easiness, due, lapses, suspended, leech, stability,
     difficulty) = row
    return Card(card_id, deck, key, note_key, kind, front, back, tuple(json.loads(tags)),
                source, file, line, repetitions, interval, easiness, due, lapses,
                bool(suspended), bool(leech), stability, difficulty)


class Store:
    """One open flashcards database."""

    def __init__(self, conn: sqlite3.Connection, path: Path,
                 read_only: str | None = None) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only  # why it cannot be written, or None
        self._journaling = False  # this write transaction notes what it logs (_arm_journal)
        self._file = _identity(path)
        self._backed_up: tuple[int, int] | None = None  # _data_version at our last backup
        self._background: durable.BackgroundSync | None = None  # see sync_in_background
        self._commits = 0  # write transactions this connection committed (``moment``)

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, create_dirs: bool = False,
             upgrading: schema.Upgrading | None = None) -> Store:
        """Open (creating and migrating if needed) the database at ``path``; an upgrade
        runs inside ``upgrading`` (see ``schema.connect``).

        A database this process may not write (the file, or its directory, is not writable)
        is opened read-only: reading works, and every write is a ``StoreError``.
        """
        path = Path(path)
        conn, read_only = schema.connect(path, create_dirs, upgrading)
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

    def moment(self) -> tuple[int, int]:
        """What changes whenever the database is written, by another connection
        (``data_version``) or by this one."""
        return self.data_version(), self._commits

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def daily_backup(self) -> Path | None:
        """On the first use of a day, a backup of a database that holds cards."""
        from flashcards import backup

        if self.read_only or self.is_empty() or backup.has_backup_today(self.path):
            return None
        return self._backup("daily")

    def sync_in_background(self) -> None:
        """From now on a commit does not wait for the disk: a thread makes it durable right
        after (see ``durable``). For the app, where the next card waits for the commit."""
        if self.read_only or self._background is not None:
            return
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the thread checkpoints
        self._background = durable.BackgroundSync(self.path)

    def close(self) -> None:
        """Close the connection (once the last commits are on disk)."""
        if self._background is not None:
            self._background.close()
        self.conn.close()

    def require_writable(self) -> None:
        """Raise a one-line ``StoreError`` when the database cannot be written."""
        if self.read_only:
            raise StoreError(f"{self.path}: cannot write to the database: {self.read_only}")

    @contextmanager
    def write(self, dry_run: bool = False,
              journaled: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (a savepoint when nested); the write lock is taken at once,
        so it never deadlocks. With ``dry_run`` the work is done, then rolled back.

        With a sync folder set, whatever the transaction adds to or takes from the review
        log is appended to this device's log there before the commit (``_flush_journal``),
        whichever method wrote it; ``journaled=False`` (on the outermost write): not, for
        what was read from that folder."""
        self.require_writable()
        if _identity(self.path) != self._file:
            # Written now, an answer would go to the old file, which nothing can read again.
            raise StoreError(f"{self.path}: the database file was replaced or removed while "
                             "open; start flashcards again")
        outermost = not self.conn.in_transaction
        background = self._background if outermost and not dry_run else None
        if background is not None and background.error is not None:
            error, background.error = background.error, None  # told once: the disk may recover
            raise StoreError(f"{self.path}: the disk did not take the last change (a power cut "
                             f"could lose it): {error.strerror or error}")
        if outermost:
            self._arm_journal(journaled)
        with schema.transaction(self.conn, dry_run) as conn:
            yield conn
            if outermost and not dry_run and self._journaling:
                self._flush_journal()
        if outermost and not dry_run:
            self._commits += 1
        if background is not None:
            background.committed()

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

    def config(self) -> dict[str, Any]:
        """Global settings (``SETTINGS``): defaults overlaid with what the user set; a stored
        value a setting cannot hold is read as ``Setting.read`` says, so the app starts."""
        settings: dict[str, Any] = {key: setting.default for key, setting in SETTINGS.items()}
        for key, value in self.query("SELECT key, value FROM config"):
            if key in PATH_SETTINGS:
                settings[key] = value or None
            elif key in SETTINGS:
                settings[key] = SETTINGS[key].read(value)
        return settings

    def set_config(self, key: str, value: float | str,
                   on_progress: OnProgress | None = None) -> bool:
        """Set one global setting, given typed or as the text a user typed; a value it may
        not hold (a path setting: a folder that is not there) is a ``StoreError``, ``""``
        unsets a path setting. Returns whether the value changed.

        A change of a scheduling setting (``SCHEDULING_SETTINGS``: switching the scheduler,
        say) replays every card's log under the new setting, after a backup, in the same
        transaction as the change; ``on_progress`` hears how far the replay is.
        """
        if key in PATH_SETTINGS:
            self._set_sync_dir(str(value))
            return True
        if key not in SETTINGS:
            raise StoreError(f"unknown setting {key!r} (known: {', '.join(SETTINGS)})")
        value = SETTINGS[key].parse(key, value)
        if key in SCHEDULING_SETTINGS and self.config()[key] != value:
            self.backup_before(f"{key}-{value}")
        with self.write():
            # Read again under the write lock: another process may have set it meanwhile.
            changed = self.config()[key] != value
            self._put_config(key, str(value))
            if changed and key == "max_interval":  # the log's SM-2 state changes too
                self.rebuild_history(self.answered_cards(), on_progress=on_progress)
            elif changed and key in SCHEDULING_SETTINGS:
                self.reschedule(on_progress)
        return changed

    def backup_before(self, what: str) -> Path | None:
        """A backup before a change that rewrites many cards: none of an empty database, nor
        when nothing was written since this store's last backup (the day's, made a moment
        ago by the same command: a second copy of a big database costs half a second)."""
        if self.is_empty() or self._backed_up == self._data_version():
            return None
        return self._backup(f"before-{what}")

    def _backup(self, reason: str) -> Path:
        from flashcards import backup

        made = backup.make_backup(self.conn, self.path, reason)
        self._backed_up = self._data_version()
        return made

    def _data_version(self) -> tuple[int, int]:
        """Changes since the connection opened: by other connections (SQLite's data_version)
        and by this one (total_changes); equal twice, the database is as it was."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes

    # -- schedulers --------------------------------------------------------------------

    def fsrs_parameters(self, deck: str | None = None) -> tuple[float, ...] | None:
        """The FSRS parameters fitted to the whole log, or to one deck's (None: none fitted,
        FSRS's defaults apply)."""
        if deck is None:
            row = self.conn.execute("SELECT value FROM config WHERE key = ?",
                                    (FSRS_PARAMETERS_KEY,)).fetchone()
        else:
            row = self.conn.execute(f"SELECT fsrs_parameters FROM decks WHERE name = ? AND "
                                    f"{ACTIVE_DECK}", (deck,)).fetchone()
        return _parameters(row[0] if row else None)

    def set_fsrs_parameters(self, parameters: Sequence[float] | None, deck: str | None = None,
                            logs: AnswerLogs | None = None) -> None:
        """Store fitted parameters (None: back to the defaults) for the whole log or one deck,
        and replay the cards when a deck is on FSRS (call inside ``write``; ``logs``: the
        log as ``answer_logs`` read it, if it was read ahead)."""
        if self.fsrs_parameters(deck) == (parameters and fsrs.check_parameters(parameters)):
            return
        text = None if parameters is None else json.dumps(fsrs.check_parameters(parameters))
        if deck is None:
            self._put_config(FSRS_PARAMETERS_KEY, text)
        else:
            self.conn.execute("UPDATE decks SET fsrs_parameters = ? WHERE name = ?",
                              (text, deck))
        if self.uses_fsrs():
            self.reschedule(logs=logs)

    def uses_fsrs(self) -> bool:
        """True when a deck's cards are on FSRS (its own choice, or the global setting)."""
        return any(scheduler.name == "fsrs" for scheduler in self.deck_schedulers().values())

    def log_scheduler(self) -> scheduling.Scheduler:
        """The scheduler of the log's state columns: SM-2, whatever the cards use."""
        return scheduling.make_scheduler("sm2", max_interval=self.config()["max_interval"])

    def answered_cards(self) -> list[int]:
        """Every card with at least one answer in the log."""
        return [row[0] for row in self.query("SELECT DISTINCT card_id FROM reviews")]

    def deck_schedulers(self) -> dict[int, scheduling.Scheduler]:
        """Per deck id, the scheduler its cards use: the deck's own (``scheduler:`` in its
        file, its fitted parameters) or the global settings."""
        settings = self.config()
        default = self.fsrs_parameters()
        return {
            deck_id: scheduling.make_scheduler(
                name or settings["scheduler"], _parameters(parameters) or default,
                settings["desired_retention"], settings["max_interval"],
                settings["fuzz"] == "on")
            for deck_id, name, parameters in self.query(
                "SELECT id, scheduler, fsrs_parameters FROM decks")
        }

    def _put_config(self, key: str, value: str | None) -> None:
        """Store one setting (None: remove it); call inside ``write``."""
        self.conn.execute("DELETE FROM config WHERE key = ?", (key,))
        if value is not None:
            self.conn.execute("INSERT INTO config (key, value) VALUES (?, ?)", (key, value))

    def _set_sync_dir(self, value: str) -> None:
        """Sync through this folder ("": stop). A folder this device has no log in yet gets
        one holding the whole log so far (answers and card actions), so that the other
        machines learn it too."""
        folder = None
        if value:
            folder = Path(value).expanduser().resolve()
            if not folder.is_dir():
                raise StoreError(f"sync_dir: {value} is not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise StoreError(f"sync_dir: {value}: this user may not write in that folder")
        with self.write():
            self._put_config("sync_dir", str(folder) if folder else None)
            if folder and not self.journal_path().exists():
                self._arm_journal()
                self.conn.execute(
                    "INSERT INTO temp.journal_out (kind, ref) SELECT kind, id FROM "
                    "(SELECT 'answer' AS kind, id, ts FROM reviews UNION ALL "
                    "SELECT 'action', id, ts FROM card_actions) ORDER BY ts, id")

    def device_id(self) -> str:
        """This device's name in the sync folder (its log is ``<device>.jsonl``): made
        once, kept in the database."""
        row = self.conn.execute("SELECT value FROM config WHERE key = 'device_id'").fetchone()
        if row:
            return row[0]
        device = journal.new_device_id()
        with self.write():
            self._put_config("device_id", device)
        return device

    def journal_path(self) -> Path | None:
        """This device's log in the sync folder, or None when no folder is set."""
        folder = self.config()["sync_dir"]
        return Path(folder) / f"{self.device_id()}{journal.SUFFIX}" if folder else None

    def _arm_journal(self, journaled: bool = True) -> None:
        """Have triggers note every answer and card action added to and removed from the log
        while a sync folder is set, in ``temp.journal_out``: one place that sees every writer. Not for
        a write that is not ``journaled``: a merge of 100,000 answers would note them all."""
        armed = bool(self.query("SELECT 1 FROM temp.sqlite_master WHERE name = 'journal_out'"))
        self._journaling = journaled and self.config()["sync_dir"] is not None
        if self._journaling and not armed:
            self.conn.execute(
                "CREATE TEMP TABLE journal_out (kind TEXT NOT NULL, ref TEXT NOT NULL)")
            for name, trigger in _JOURNAL_TRIGGERS.items():
                self.conn.execute(f"CREATE TEMP TRIGGER {name} {trigger}")
        elif armed and not self._journaling:
            for name in _JOURNAL_TRIGGERS:
                self.conn.execute(f"DROP TRIGGER temp.{name}")
            self.conn.execute("DROP TABLE temp.journal_out")

    def _flush_journal(self) -> None:
        """Append the log entries this transaction noted to this device's log, fsynced,
        before the commit: an answer counts as saved only once its line is on disk. (A
        commit that then fails leaves a line whose answer the next merge applies.)"""
        rows = self.query(
            "SELECT j.kind, j.ref, decks.name, cards.key, coalesce(r.reviewed_at, a.acted_at), "
            "coalesce(r.ts, a.ts), r.quality, r.duration_ms, a.action, a.until "
            "FROM temp.journal_out AS j "
            "LEFT JOIN reviews AS r ON j.kind = 'answer' AND r.id = j.ref "
            "LEFT JOIN card_actions AS a ON j.kind = 'action' AND a.id = j.ref "
            "LEFT JOIN cards ON cards.id = coalesce(r.card_id, a.card_id) "
            "LEFT JOIN decks ON decks.id = cards.deck_id ORDER BY j.rowid"
        )
        if not rows:
            return
        self.conn.execute("DELETE FROM temp.journal_out")
        path = self.journal_path()
        if path is None:  # this very transaction stopped syncing
            return
        lines = []
        for kind, ref, deck, key, moment, ts, quality, duration, action, until in rows:
            if kind == "undo":
                lines.append(journal.undo_line(ref))
            elif deck is not None:  # not taken out again in the same transaction
                lines.append(journal.answer_line(ref, deck, key, moment, ts, quality, duration)
                             if kind == "answer" else
                             journal.action_line(ref, deck, key, moment, ts, action, until))
        # An entry taken back here never comes back from a copy of a log.
        self.conn.executemany("INSERT OR IGNORE INTO sync_undone (id) VALUES (?)",
                              [(ref,) for kind, ref, *_ in rows if kind == "undo"])
        try:
            journal.append(path, lines)
        except OSError as error:
            raise StoreError(f"cannot write to the sync folder ({path}: {error.strerror}): "
                             "nothing was saved; `flashcards config sync_dir ''` stops "
                             "syncing") from None

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

    # -- the review log ----------------------------------------------------------------

    def answer(self, card_id: int, quality: int, duration_ms: int | None = None,
               at: datetime | None = None, cram: bool = False,
               replayed: Replayed | None = None) -> Answer:
        """Log an answer and update the card, committed before this returns.

        The first answer of a study day moves the card's state; later answers the same day
        (SM-2's "repeat items below 4") are logged as repeats and change nothing. A ``cram``
        answer (custom study that leaves the schedule alone) goes to the cram log.
        ``replayed``: the card's log as ``replayed`` read it, used (and changed) if nothing
        was written since, else read again.
        """
        if quality not in scheduling.GRADES:
            raise ValueError(f"a grade is a whole number from 0 to 5, not {quality!r}")
        at = scheduling.whole_ms(at or clock.now())
        day = clock.study_day(at, self.config()["rollover_hour"])
        review_id = uuid.uuid4().hex
        with self.write():
            if cram:
                card = self.card(card_id)
                self.conn.execute(
                    "INSERT INTO cram_answers (id, card_id, reviewed_at, ts, day, quality, "
                    "duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (review_id, card_id, clock.iso(at), scheduling.to_ms(at), day.isoformat(),
                     quality, duration_ms),
                )
                return Answer(review_id, card_id, quality, True, card.state, card.due, False)
            if replayed is None or replayed.card_id != card_id or replayed.moment != self.moment():
                replayed = self.replayed(card_id)
            progress, log = replayed.progress, replayed.log
            was_leech = progress.is_leech
            ts, day = scheduling.answer_order(scheduling.to_ms(at), day, replayed.last_ts,
                                              progress.last_day)
            repeat = _feed(log, progress, quality, day)
            self.conn.execute(
                "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repeat, "
                "repetitions, interval, easiness, due, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (review_id, card_id, clock.iso(at), ts, day.isoformat(), quality,
                 int(repeat), *log.state_row(), duration_ms),
            )
            self._tally_days([(1, replayed.deck_id, day.isoformat(), repeat, quality,
                               duration_ms)])
            self._save_progress([(card_id, progress)])
        return Answer(review_id, card_id, quality, repeat, progress.state, progress.due,
                      progress.is_leech and not was_leech)

    def replayed(self, card_id: int) -> Replayed:
        """A card's log replayed under its deck's scheduler and under SM-2, all read at one
        moment: what ``answer`` builds on. The app reads it when the card is revealed (for
        the grades' intervals) and hands it to ``answer``, which then reads nothing again
        unless the database was written meanwhile."""
        with self.snapshot():
            deck_id = self._deck_id(card_id)
            progress = self.replay(card_id, self.deck_schedulers()[deck_id])
            return Replayed(card_id, deck_id, progress, self._log_progress(progress),
                            self._last_ts([card_id]).get(card_id), self.moment())

    def _deck_id(self, card_id: int) -> int:
        """The deck id of one card; a ``StoreError`` when there is no such card."""
        row = self.conn.execute("SELECT deck_id FROM cards WHERE id = ?", (card_id,)).fetchone()
        if row is None:
            raise StoreError(f"no card with id {card_id}")
        return row[0]

    def undo_answer(self, review_id: str) -> Card:
        """Remove one answer (a cram answer too) from the log and restore the card's state
        from what remains."""
        with self.write():
            crammed = self.conn.execute(
                "DELETE FROM cram_answers WHERE id = ? RETURNING card_id", (review_id,)
            ).fetchone()
            if crammed:
                return self.card(crammed[0])
            return self._undo_entry("reviews", review_id, "review")

    def act(self, card_ids: Sequence[int], action: str, until: date | None = None,
            at: datetime | None = None,
            on_progress: Callable[[int], None] | None = None) -> list[str]:
        """Log one card action (see ``scheduling.ACTIONS``) for each of these cards and apply
        it, in one transaction. ``until`` is the study day of a bury or a reschedule.
        Returns the action ids, for undo; ``on_progress`` hears how many cards are done.

        An action goes after the card's last log entry, so applying it to the cached state
        is what a replay of the whole log gives."""
        if action not in scheduling.ACTIONS:
            raise StoreError(f"unknown card action {action!r}")
        if (until is None) == (action in scheduling.DAY_ACTIONS):
            raise StoreError(f"{action}: a study day is {'needed' if until is None else 'not taken'}")
        at = scheduling.whole_ms(at or clock.now())
        day = until.isoformat() if until else None
        ids: list[str] = []
        with self.write():
            for start in range(0, len(card_ids), 500):
                chunk = list(card_ids[start:start + 500])
                last = self._last_ts(chunk)
                rows = [(uuid.uuid4().hex, card_id, clock.iso(at),
                         scheduling.answer_order(scheduling.to_ms(at), at.date(),
                                                 last.get(card_id), None)[0], action, day)
                        for card_id in chunk]
                self.conn.executemany(
                    "INSERT INTO card_actions (id, card_id, acted_at, ts, action, until) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows,
                )
                progress = self._cached_progress(chunk)
                for card in progress.values():
                    card.act(action, day)
                self._save_progress(progress.items())
                ids += [row[0] for row in rows]
                if on_progress:
                    on_progress(len(ids))
        return ids

    def _last_ts(self, card_ids: list[int]) -> dict[int, int]:
        """The time of each card's last log entry, answer or action: a new one goes after."""
        marks = ",".join("?" * len(card_ids))
        return dict(self.query(
            f"SELECT card_id, max(ts) FROM (SELECT card_id, ts FROM reviews WHERE card_id IN "
            f"({marks}) UNION ALL SELECT card_id, ts FROM card_actions WHERE card_id IN "
            f"({marks})) GROUP BY card_id", card_ids * 2,
        ))

    def _cached_progress(self, card_ids: list[int]) -> dict[int, scheduling.Progress]:
        """The progress each card's cached state stands for (without the last answer's day,
        which only an answer needs)."""
        found = {}
        for (card_id, repetitions, interval, easiness, due, lapses, _, suspended, buried,
             stability, difficulty, first_day, first_grade) in self.query(
                f"SELECT id, {', '.join(CACHED_COLUMNS)} FROM cards "
                f"WHERE id IN ({','.join('?' * len(card_ids))})", card_ids):
            found[card_id] = scheduling.Progress(
                state=SM2State(repetitions, interval, easiness), due=due, lapses=lapses,
                suspended=bool(suspended), buried_until=buried,
                memory=None if stability is None else fsrs.Memory(stability, difficulty),
                first_day=first_day, first_grade=first_grade,
            )
        return found

    def undo_action(self, action_id: str) -> Card:
        """Remove one card action from the log and restore the card from what remains."""
        return self._undo_entry("card_actions", action_id, "card action")

    def _undo_entry(self, table: str, entry_id: str, what: str) -> Card:
        with self.write():
            row = self.conn.execute(
                f"SELECT card_id FROM {table} WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no {what} with id {entry_id}")
            if table == "reviews":
                self.delete_answers([entry_id])
            else:
                self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (entry_id,))
            # The whole log is replayed: a later answer (from another process) that was a
            # same-day repeat may now be the day's first, and move the state.
            self.rebuild_history([row[0]])
        return self.card(row[0])

    def _log_progress(self, card: scheduling.Progress) -> scheduling.Progress:
        """The SM-2 progress that the log of this card holds (the same object when the card
        is on SM-2)."""
        scheduler = self.log_scheduler()
        return card if card.scheduler is scheduler else self.replay(card.card_id, scheduler)

    def replay(self, card_id: int,
               scheduler: scheduling.Scheduler | None = None) -> scheduling.Progress:
        """The progress that a card's log, as stored (study days and order), gives under
        ``scheduler`` (by default the one its deck uses now): its answers and actions."""
        if scheduler is None:
            scheduler = self.deck_schedulers()[self._deck_id(card_id)]
        progress = scheduling.Progress(scheduler, card_id=card_id)
        rows = self.query(
            "SELECT ts, id, quality, day, NULL FROM reviews WHERE card_id = ?1 "
            "UNION ALL SELECT ts, id, action, NULL, until FROM card_actions "
            "WHERE card_id = ?1 ORDER BY 1, 2",
            (card_id,),
        )
        for _, _, what, day, until in rows:
            if day is None:
                progress.act(what, until)
            else:
                progress.answer(what, date.fromisoformat(day))
        return progress

    def rebuild_history(self, card_ids: Iterable[int], incoming: str | None = None,
                        on_progress: OnProgress | None = None) -> int:
        """Recompute these cards' logs and cached state from their answers and actions alone.

        In ``ts`` order, each answer's study day comes from its ``reviewed_at`` and the current
        rollover hour, never before the day of the answer before it (as ``answer`` keeps it
        when the clock goes back); the first answer of a day moves SM-2, later ones repeat
        (and move FSRS); actions apply as ``scheduling.Progress.act`` says. Every log row's
        state columns (SM-2's, whatever the scheduler), then the card's state under its
        deck's scheduler, lapses, leech, suspended and buried day follow. ``incoming`` names
        a table of answers to add to these logs (``id, card_id, reviewed_at, ts, quality,
        duration_ms``): each is inserted once, with its replayed state. Returns how many log
        rows already there changed; ``on_progress`` hears after each chunk of cards how
        many are done.
        """
        rollover = self.config()["rollover_hour"]
        schedulers, log_scheduler = self.deck_schedulers(), self.log_scheduler()
        ids = sorted(set(card_ids))
        changed = 0
        with self.write():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                replayed, decks = {}, {}
                for card_id, deck_id in self.conn.execute(
                        f"SELECT id, deck_id FROM cards WHERE id IN ({','.join('?' * len(chunk))})",
                        chunk):
                    log = scheduling.Progress(log_scheduler, card_id=card_id)
                    scheduler = schedulers[deck_id]
                    replayed[card_id] = log, (log if scheduler is log_scheduler else
                                              scheduling.Progress(scheduler, card_id=card_id))
                    decks[card_id] = deck_id
                updates: list[tuple] = []
                inserts: list[tuple] = []
                tallies: list[tuple] = []  # what moves in the per-day figures
                for (card_id, entry_id, moment, what, until, *old, ts, duration,
                     kind) in self._logs(chunk, incoming):
                    log, progress = replayed[card_id]
                    if kind == "action":
                        _act(log, progress, what, until)
                        continue
                    day = clock.study_day(clock.stored_moment(moment), rollover)
                    day = scheduling.answer_day(day, log.last_day)
                    repeat = _feed(log, progress, what, day)
                    state = [day.isoformat(), int(repeat), *log.state_row()]
                    if kind == "incoming":
                        inserts.append((entry_id, card_id, moment, ts, what, *state, duration))
                    elif state != old:
                        updates.append((*state, entry_id))
                    if kind == "incoming" or state[:2] != old[:2]:  # its day or repeat moved
                        tallies.append((1, decks[card_id], *state[:2], what, duration))
                        if kind != "incoming":
                            tallies.append((-1, decks[card_id], *old[:2], what, duration))
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
                self._tally_days(tallies)
                changed += len(updates)
                self._save_progress((card_id, pair[1]) for card_id, pair in replayed.items())
                if on_progress:
                    on_progress(start + len(chunk), len(ids))
        return changed

    def delete_answers(self, review_ids: Sequence[str]) -> set[int]:
        """Take these answers out of the log and out of the per-day figures; returns their
        cards, which the caller replays (call inside ``write``)."""
        rows = []
        for start in range(0, len(review_ids), 500):
            chunk = review_ids[start:start + 500]
            rows += self.query(
                f"DELETE FROM reviews WHERE id IN ({','.join('?' * len(chunk))}) "
                "RETURNING card_id, day, repeat, quality, duration_ms", chunk)
        decks = self._deck_ids([row[0] for row in rows])
        self._tally_days([(-1, decks[card_id], *rest) for card_id, *rest in rows])
        return {row[0] for row in rows}

    def _deck_ids(self, card_ids: Iterable[int]) -> dict[int, int]:
        """The deck id of each of these cards."""
        ids = sorted(set(card_ids))
        found: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(self.query(
                f"SELECT id, deck_id FROM cards WHERE id IN ({','.join('?' * len(chunk))})",
                chunk))
        return found

    def _tally_days(self, rows: Iterable[tuple]) -> None:
        """Add answers to the per-day figures (``review_days``, see ``schema.DAYS_FROM_LOG``,
        which counts them the same way) or take them out: each row is ``(1 or -1, deck id,
        day, repeat, grade, duration_ms)``. Call inside ``write``, as the log changes."""
        totals: dict[tuple[str, int], list[int]] = {}
        for sign, deck_id, day, repeat, quality, duration in rows:
            tally = totals.setdefault((day, deck_id), [0, 0, 0, 0])
            tally[0] += sign
            tally[1] += sign * (not repeat)
            tally[2] += sign * (not repeat and quality >= scheduling.PASSING_GRADE)
            tally[3] += sign * (duration or 0)
        self.conn.executemany(
            "INSERT INTO review_days (day, deck_id, reviews, answers, correct, duration_ms) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, deck_id) DO UPDATE SET "
            "reviews = reviews + excluded.reviews, answers = answers + excluded.answers, "
            "correct = correct + excluded.correct, "
            "duration_ms = duration_ms + excluded.duration_ms",
            [(*key, *tally) for key, tally in totals.items()],
        )
        # A day and deck left without answers has no row, as in the full query.
        emptied = [key for key, tally in totals.items() if tally[0] < 0]
        if emptied:
            self.conn.executemany(
                "DELETE FROM review_days WHERE day = ? AND deck_id = ? AND reviews = 0", emptied)

    def _logs(self, card_ids: list[int], incoming: str | None) -> sqlite3.Cursor:
        """The log entries of these cards in replay order: answers (those of ``incoming``
        too) and actions, each as ``card_id, id, moment, grade or action, until, day, repeat,
        repetitions, interval, easiness, due, ts, duration_ms, kind``."""
        marks = ",".join("?" * len(card_ids))
        union = [
            ("SELECT card_id, id, reviewed_at, quality, NULL, day, repeat, repetitions, "
             "interval, easiness, due, ts, duration_ms, 'answer' FROM reviews "
             f"WHERE card_id IN ({marks})"),
            ("SELECT card_id, id, acted_at, action, until, NULL, NULL, NULL, NULL, NULL, NULL, "
             f"ts, NULL, 'action' FROM card_actions WHERE card_id IN ({marks})"),
        ]
        if incoming:
            union.append(
                "SELECT card_id, id, reviewed_at, quality, NULL, NULL, NULL, NULL, NULL, NULL, "
                f"NULL, ts, duration_ms, 'incoming' FROM {incoming} WHERE card_id IN ({marks})"
            )
        return self.conn.execute(f"{' UNION ALL '.join(union)} ORDER BY card_id, ts, id",
                                 card_ids * len(union))

    def reschedule(self, on_progress: OnProgress | None = None,
                   logs: AnswerLogs | None = None) -> None:
        """Replay every answered card's log (its study days as stored, in time order) under
        the scheduler its deck uses now, and cache what it gives (call inside ``write``).

        What switching the scheduler, or fitting FSRS, does: the log itself stays (it keeps
        SM-2's state after each answer), so this reads only the index of each card's
        answers, in order (a million answers in a few seconds; ``logs``: the log as
        ``answer_logs`` read it ahead, used when no other connection has written since). A card
        with actions in its log, or two answers in one millisecond, is replayed on its own
        (``replay``). ``on_progress`` hears how many of the answers are done. The big page
        cache (``bulk_cache``) keeps the cards' indexes in memory while every row is updated.
        """
        with heap.paused_gc():  # its queries too: ``logs`` may hold millions of objects
            self._reschedule(on_progress, logs)

    def _reschedule(self, on_progress: OnProgress | None, logs: AnswerLogs | None) -> None:
        fresh = logs is not None and logs.version == self.data_version()
        schedulers = self.deck_schedulers()
        decks = dict(self.query("SELECT id, deck_id FROM cards"))
        total = self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        batch: list[tuple[int, scheduling.Progress]] = []
        done = 0
        with self.bulk_cache():
            for card_id, answers, alone, ahead in logs.cards if fresh else self._answer_logs():
                scheduler = schedulers[decks[card_id]]
                if alone:
                    progress = self.replay(card_id, scheduler)
                elif ahead and isinstance(scheduler, scheduling.FSRS):
                    progress = ahead.progress(scheduler)
                else:
                    progress = scheduling.Progress(scheduler, card_id=card_id)
                    progress.answer_all(answers)
                batch.append((card_id, progress))
                done += len(answers)
                if len(batch) == 5000:
                    self._save_progress(batch, RESCHEDULED_COLUMNS)
                    batch.clear()
                    if on_progress:
                        on_progress(done, total)
            self._save_progress(batch, RESCHEDULED_COLUMNS)

    def answer_logs(self) -> AnswerLogs:
        """The whole log as ``reschedule`` replays it, read ahead of a change of FSRS's
        parameters: each card on FSRS counted through its answers (``scheduling.read_ahead``),
        all that does not depend on the parameters."""
        with self.snapshot(), heap.paused_gc():
            return AnswerLogs(self.data_version(), list(self._answer_logs(read_ahead=True)))

    def _answer_logs(self, read_ahead: bool = False) -> Iterator[AnswerLog]:
        """Every answered card's answers, read from the log's index alone; with
        ``read_ahead``, those of a card on FSRS counted through (see ``answer_logs``)."""
        schedulers = self.deck_schedulers() if read_ahead else {}
        decks = dict(self.query("SELECT id, deck_id FROM cards")) if read_ahead else {}
        acted = {row[0] for row in self.query("SELECT DISTINCT card_id FROM card_actions")}
        study_day = cache(date.fromisoformat)  # a log spans a few hundred days
        for card_id, rows in self.logs_by_card():
            rows = list(rows)
            answers = [(quality, study_day(day)) for _, _, day, quality in rows]
            alone = card_id in acted or len({ts for _, ts, _, _ in rows}) < len(rows)
            scheduler = schedulers.get(decks.get(card_id))
            ahead = (scheduling.read_ahead(scheduler, card_id, answers)
                     if isinstance(scheduler, scheduling.FSRS) and not alone
                     and len(answers) > 1 else None)
            yield AnswerLog(card_id, answers, alone, ahead)

    def logs_by_card(self, deck: str | None = None,
                     day_numbers: bool = False) -> Iterator[tuple[int, Iterator[tuple]]]:
        """Each answered card's answers (of one deck, or all), as (card id, its answers as
        ``(card_id, ts, day, quality)`` in time order), read from the log's index alone;
        ``day`` is the study day's ISO date, or with ``day_numbers`` a whole number of days
        (SQLite's Julian day, for counting days between answers without parsing dates).

        (card_id, ts) is the order of that index; two answers of one card in the same
        millisecond (merged logs) may come in another order than (ts, id): ``reschedule``
        replays such a card on its own."""
        day = "CAST(julianday(reviews.day) AS INTEGER)" if day_numbers else "reviews.day"
        columns = f"reviews.card_id, reviews.ts, {day}, reviews.quality"
        if deck is None:
            rows = self.conn.execute(f"SELECT {columns} FROM reviews ORDER BY card_id, ts")
        else:
            rows = self.conn.execute(
                f"SELECT {columns} FROM reviews JOIN cards ON cards.id = reviews.card_id "
                "JOIN decks ON decks.id = cards.deck_id WHERE decks.name = ? "
                "ORDER BY reviews.card_id, reviews.ts", (deck,))
        return groupby(rows, key=itemgetter(0))

    def _save_progress(self, cards: Iterable[tuple[int, scheduling.Progress]],
                       columns: tuple[str, ...] = CACHED_COLUMNS) -> None:
        """Cache each card's replayed state, lapses, leech and suspended flags, buried day,
        FSRS memory and first answer, or the first ``columns`` of those (call inside
        ``write``)."""
        count = len(columns)
        self.conn.executemany(
            f"UPDATE cards SET {' = ?, '.join(columns)} = ? WHERE id = ?",
            [(*progress.card_row()[:count], card_id) for card_id, progress in cards],
        )

    def cached_row(self, card_id: int) -> tuple:
        """What a card caches of its log, as ``scheduling.Progress.card_row`` gives it."""
        return self.conn.execute(
            f"SELECT {', '.join(CACHED_COLUMNS)} FROM cards WHERE id = ?", (card_id,)
        ).fetchone()

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

    def card_log(self, card_id: int) -> list[LogEntry]:
        """One card's whole log, oldest first: its answers, cram answers and actions."""
        rows = self.query(
            "SELECT ts, id, day, quality, repeat, interval, 0, NULL, NULL FROM reviews "
            "WHERE card_id = ?1 UNION ALL SELECT ts, id, day, quality, 0, NULL, 1, NULL, NULL "
            "FROM cram_answers WHERE card_id = ?1 UNION ALL SELECT ts, id, "
            "substr(acted_at, 1, 10), NULL, 0, NULL, 0, action, until FROM card_actions "
            "WHERE card_id = ?1 ORDER BY 1, 2", (card_id,),
        )
        return [LogEntry(day, grade, bool(repeat), interval, bool(cram), action, until)
                for _, _, day, grade, repeat, interval, cram, action, until in rows]

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


def _feed(log: scheduling.Progress, card: scheduling.Progress, quality: int,
          day: date) -> bool:
    """Apply one answer to a card's log (SM-2) and to its schedule, when those differ;
    returns whether it was a repeat."""
    repeat = log.answer(quality, day)
    if card is not log:
        card.answer(quality, day)
    return repeat


def _act(log: scheduling.Progress, card: scheduling.Progress, action: str,
         until: str | None) -> None:
    """Apply one card action to a card's log (SM-2) and to its schedule, when those differ."""
    log.act(action, until)
    if card is not log:
        card.act(action, until)


def _parameters(text: str | None) -> tuple[float, ...] | None:
    """Stored FSRS parameters (JSON), or None when there are none or they are unreadable (a
    hand edit): FSRS's defaults apply then, so the app always starts."""
    if not text:
        return None
    try:
        return fsrs.check_parameters(json.loads(text))
    except (ValueError, TypeError):
        return None


# Each answer and card action added to the log, and each taken out of it (an undo), noted
# for the journal.
_JOURNAL_TRIGGERS = {
    f"journal_{table}_{change}": f"AFTER {change.upper()} ON main.{table} BEGIN INSERT INTO "
    f"journal_out (kind, ref) VALUES ('{kind}', {row}.id); END"
    for table, added in (("reviews", "answer"), ("card_actions", "action"))
    for change, kind, row in (("insert", added, "new"), ("delete", "undo", "old"))
}


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), or None if there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino

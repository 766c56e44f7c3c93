"""The database schema: numbered migrations, and opening a file as our database.

``PRAGMA user_version`` is the number of migrations applied; ``SCHEMA_VERSION`` is how many
there are. Each migration runs once, in order, in one transaction, after a backup of a
database that held data. A database from a newer flashcards is refused untouched.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards.scheduling import PASSING_GRADE

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 15_000
# Less room than this and a failed open is put down to a full disk: the log files SQLite
# makes beside a database need a few pages, a checkpoint more.
FULL_DISK_BYTES = 1 << 20


class StoreError(Exception):
    """A problem with the database file, said in one line."""


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


def _migration_3(db: sqlite_utils.Database) -> None:
    """Deck sources: every file or folder given to ``import``, synced again on each start.

    A database from before has no record of what was given, so each deck's file is one.
    """
    db.create_table("sources", {"path": str, "last_sync": str, "problem": str}, pk="path")
    db.execute(
        "INSERT INTO sources (path, last_sync) SELECT DISTINCT source_path, NULL FROM decks "
        "WHERE source_path IS NOT NULL"
    )


# A card's search text is its front, back and each tag, every one followed by two of this
# character (which no card text holds): a trigram then starts at every real character (so
# one and two characters are found through the index too), no term matches across two
# fields, and ``tag:NAME`` is the text SEPARATOR NAME SEPARATOR.
SEARCH_SEPARATOR = "\x01"


def search_text(row: str) -> str:
    """The SQL of a card's search text (see ``SEARCH_SEPARATOR``, ``char(1)`` in SQL) for the
    row ``row`` of ``cards``: ``new`` or ``old`` in a trigger."""
    return (
        f"{row}.front || char(1, 1) || {row}.back || char(1, 1) || coalesce((SELECT "
        f"group_concat(value || char(1, 1), '') FROM json_each({row}.tags)), '')"
    )


@contextmanager
def cards_indexed_at_end(conn: sqlite3.Connection) -> Iterator[Callable[[], None]]:
    """Cards inserted inside are added to the search index many at a time, instead of row by
    row by the insert trigger (100,000 cards in ~0.4 s less): those inserted since the last
    call when the function it gives is called, and the rest at the end.

    Run it inside a write transaction, which an error inside must roll back (``transaction``
    does): the trigger is dropped and made again in it, so no other connection ever sees it
    gone, and a crash or an error leaves it, and the index, as they were.
    """
    (trigger,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'cards_search_insert'"
    ).fetchone()
    (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM cards").fetchone()
    conn.execute("DROP TRIGGER cards_search_insert")

    def index_new() -> None:
        nonlocal last
        # New rows take ids above every earlier one (cards.id is the rowid, never given here).
        (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM cards").fetchone()
        conn.execute(
            f"INSERT INTO card_search (rowid, text) SELECT id, {search_text('cards')} "
            "FROM cards WHERE id > ? AND id <= ?",
            (last, top),
        )
        last = top

    yield index_new
    index_new()
    conn.execute(trigger)


def _migration_4(db: sqlite_utils.Database) -> None:
    """Search: a trigram index of each card's text, kept in step by triggers on ``cards``.

    Contentless (the text is in ``cards`` already) and without positions (``detail=none``):
    a third of the size and half the time of a full index. A search checks every hit
    against the card's text (see ``flashcards.search``), so trigrams found apart never make
    a false match. Triggers rather than the sync: whatever writes cards keeps the index in
    step. Measured: importing 100,000 cards with code takes 4.9 s instead of 3.9 s (0.3 s of
    it the triggers, the rest indexing, which a bulk build after the import costs as well).
    """
    db.execute(
        "CREATE VIRTUAL TABLE card_search USING fts5(text, tokenize='trigram', content='', "
        "detail='none', columnsize=0)"
    )
    # Fewer, larger merges while a big import fills it: ~25% less time, same query speed.
    db.execute("INSERT INTO card_search (card_search, rank) VALUES ('automerge', 16)")
    # Every trigram of the index with each card holding it: one and two characters are
    # looked up as the trigrams that start with them.
    db.execute("CREATE VIRTUAL TABLE card_search_terms USING fts5vocab(card_search, 'instance')")
    insert = f"INSERT INTO card_search (rowid, text) VALUES (new.id, {search_text('new')});"
    delete = (
        "INSERT INTO card_search (card_search, rowid, text) "
        f"VALUES ('delete', old.id, {search_text('old')});"
    )
    db.execute(f"CREATE TRIGGER cards_search_insert AFTER INSERT ON cards BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER cards_search_delete AFTER DELETE ON cards BEGIN {delete} END")
    # Answers update the state columns only: those never touch the index.
    db.execute(
        "CREATE TRIGGER cards_search_update AFTER UPDATE OF id, front, back, tags ON cards "
        "WHEN old.id IS NOT new.id OR old.front IS NOT new.front OR old.back IS NOT new.back "
        f"OR old.tags IS NOT new.tags BEGIN {delete} {insert} END"
    )
    db.execute(
        f"INSERT INTO card_search (rowid, text) SELECT id, {search_text('cards')} FROM cards"
    )


def _migration_5(db: sqlite_utils.Database) -> None:
    """Card actions join the log (see ``flashcards.scheduling``); cram answers get a log of
    their own, apart from the reviews: they never move a schedule nor count as reviews.

    A card suspended or buried before this version has no entry saying so: each gets one,
    just after its last answer, so that replaying the log keeps the card as it is.
    """
    import uuid
    from datetime import UTC, datetime

    from flashcards import clock

    db.create_table(
        "card_actions",
        {"id": str, "card_id": int, "acted_at": str, "ts": int, "action": str, "until": str},
        pk="id",
        foreign_keys=[("card_id", "cards", "id")],
        not_null={"card_id", "acted_at", "ts", "action"},
    )
    db["card_actions"].create_index(["card_id", "ts"])
    db.create_table(
        "cram_answers",
        {"id": str, "card_id": int, "reviewed_at": str, "ts": int, "day": str, "quality": int,
         "duration_ms": int},
        pk="id",
        foreign_keys=[("card_id", "cards", "id")],
        not_null={"card_id", "reviewed_at", "ts", "day", "quality"},
    )
    db["cram_answers"].create_index(["day"])
    now_ms = round(clock.now().timestamp() * 1000)
    rows = db.execute(
        "SELECT id, CASE WHEN suspended THEN 'suspend' ELSE 'unsuspend' END, "
        "suspended != leech, buried_until, "
        "coalesce((SELECT max(ts) FROM reviews WHERE card_id = cards.id), 0) FROM cards "
        "WHERE suspended != leech OR buried_until IS NOT NULL"
    ).fetchall()
    for card_id, suspension, changed, buried_until, last_ts in rows:
        actions = [(suspension, None)] * changed + [("bury", buried_until)] * bool(buried_until)
        for offset, (action, until) in enumerate(actions, start=1):
            ts = max(now_ms, last_ts) + offset
            moment = datetime.fromtimestamp(ts / 1000, UTC)
            db.execute(
                "INSERT INTO card_actions (id, card_id, acted_at, ts, action, until) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, card_id, clock.iso(moment), ts, action, until),
            )


def _migration_6(db: sqlite_utils.Database) -> None:
    """Several machines over one sync folder (see ``flashcards.journal``).

    ``sync_files``: how far each device's log has been read (a byte offset, the lines
    before it and the bytes just before it, to notice a file rewritten), with what the
    status shows. ``sync_pending``: answers (``quality``) and card actions (``action``)
    for cards this machine does not have yet. ``sync_undone``: ids of entries taken back,
    so that no copy of a log brings one back.
    """
    db.execute(
        "CREATE TABLE sync_files (path TEXT PRIMARY KEY, device TEXT NOT NULL, "
        "offset INTEGER NOT NULL DEFAULT 0, lines INTEGER NOT NULL DEFAULT 0, tail BLOB, "
        "merged INTEGER NOT NULL DEFAULT 0, last_answer TEXT, "
        "unreadable INTEGER NOT NULL DEFAULT 0, problems TEXT NOT NULL DEFAULT '[]')"
    )
    db.execute(
        "CREATE TABLE sync_pending (id TEXT PRIMARY KEY, deck TEXT NOT NULL, "
        "card_key TEXT NOT NULL, moment TEXT NOT NULL, ts INTEGER NOT NULL, quality INTEGER, "
        "duration_ms INTEGER, action TEXT, until TEXT)"
    )
    db.execute("CREATE TABLE sync_undone (id TEXT PRIMARY KEY)")


def _migration_7(db: sqlite_utils.Database) -> None:
    """FSRS: the memory state (stability, difficulty) a card holds under FSRS (NULL under
    SM-2), and a deck's own scheduler and fitted parameters (NULL: the global ones). The log
    keeps SM-2's state after each answer whatever the scheduler. Nothing to fill in: every
    card is on SM-2 until the user switches."""
    db.execute("ALTER TABLE cards ADD COLUMN stability REAL")
    db.execute("ALTER TABLE cards ADD COLUMN difficulty REAL")
    db.execute("ALTER TABLE decks ADD COLUMN scheduler TEXT")
    db.execute("ALTER TABLE decks ADD COLUMN fsrs_parameters TEXT")


# The cards the figures' index holds (see ``_migration_8``): every card but a new one that
# nothing was done to, so that importing fresh cards adds nothing to it. A query reaches the
# index only with this very text in its WHERE clause.
NOT_PLAIN_NEW = "(due IS NOT NULL OR retired OR leech OR suspended OR buried_until IS NOT NULL)"
# The log per study day and deck, as ``review_days`` keeps it (see ``_migration_8``): reviews,
# answers that moved SM-2 (the first of a day for a card), those graded 3 or more, and the
# time spent. ``flashcards.store`` adds each answer to it and takes each one out the same way.
DAYS_FROM_LOG = (
    "SELECT reviews.day, cards.deck_id, count(*) AS reviews, count(*) FILTER (WHERE "
    "reviews.repeat = 0) AS answers, count(*) FILTER (WHERE reviews.repeat = 0 AND "
    f"reviews.quality >= {PASSING_GRADE}) AS correct, coalesce(sum(reviews.duration_ms), 0) "
    "AS duration_ms "
    "FROM reviews JOIN cards ON cards.id = reviews.card_id GROUP BY reviews.day, cards.deck_id"
)


def _migration_8(db: sqlite_utils.Database) -> None:
    """Figures without reading the whole log (``flashcards stats`` on a million answers).

    ``first_day``, ``first_quality``: the study day and grade of a card's first answer (by
    ``ts``, then id, as a replay reads the log), cached like the rest of its state: the
    answers on new cards are then counted from the cards, not the whole log. Two partial
    indexes, neither of which a fresh card enters: the first answers by day, and the state
    columns of the cards that are not plain new ones (``NOT_PLAIN_NEW``), read by the card
    counts and the forecast instead of the whole table. ``review_days``: the log per study
    day and deck (``DAYS_FROM_LOG``), for the heatmap, retention and today's figures.
    """
    db.execute("ALTER TABLE cards ADD COLUMN first_day TEXT")
    db.execute("ALTER TABLE cards ADD COLUMN first_quality INTEGER")
    db.execute(
        "UPDATE cards SET (first_day, first_quality) = (SELECT day, quality FROM reviews "
        "WHERE reviews.card_id = cards.id ORDER BY ts, id LIMIT 1)"
    )
    db.execute("CREATE INDEX idx_cards_first_answer ON cards (first_day, deck_id, "
               "first_quality) WHERE first_day IS NOT NULL")
    db.execute("CREATE INDEX idx_cards_figures ON cards (deck_id, due, buried_until, retired, "
               f"leech, suspended, repetitions, interval) WHERE {NOT_PLAIN_NEW}")
    db.execute(
        "CREATE TABLE review_days (day TEXT NOT NULL, deck_id INTEGER NOT NULL, "
        "reviews INTEGER NOT NULL, answers INTEGER NOT NULL, correct INTEGER NOT NULL, "
        "duration_ms INTEGER NOT NULL, PRIMARY KEY (day, deck_id)) WITHOUT ROWID"
    )
    db.execute(f"INSERT INTO review_days {DAYS_FROM_LOG}")


MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5,
              _migration_6, _migration_7, _migration_8]
SCHEMA_VERSION = len(MIGRATIONS)


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




Upgrading = Callable[[int], AbstractContextManager]  # given the version upgraded from


def connect(path: Path, create_dirs: bool = False,
            upgrading: Upgrading | None = None) -> tuple[sqlite3.Connection, str | None]:
    """Open ``path`` as our database, created and migrated if needed.

    Returns the connection and why it cannot be written (None when it can): a database this
    process may not write is opened read-only, so reading works. An upgrade of an existing
    database (its backup, then the migrations: seconds on a big one) runs inside
    ``upgrading(version)``, which may show that it is under way.
    """
    if create_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise StoreError(f"{path}: directory {path.parent} does not exist")
    if path.exists() and not path.is_file():
        raise StoreError(f"{path}: not a database file (a folder, a device or a pipe)")
    read_only = _why_read_only(path)
    if read_only and not path.exists():
        raise StoreError(f"{path}: cannot create the database: {read_only}")
    try:
        conn = sqlite3.connect(
            _read_only_uri(path) if read_only else path, isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, uri=bool(read_only),
        )
        try:
            _refuse_foreign(conn, path)
            _configure(conn, read_only)
            _migrate(conn, path, read_only, upgrading)
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as error:
        why = f" ({read_only})" if read_only else _full_disk(path)
        raise StoreError(f"{path}: cannot open database: {error}{why}") from None
    return conn, read_only


def _full_disk(path: Path) -> str:
    """What to add to an error on opening ``path`` when its disk is full: SQLite then says
    only "disk I/O error" (it cannot make its log files beside the database)."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return ""
    return f" (the disk is full: {free // 1024} KB free)" if free < FULL_DISK_BYTES else ""


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Another program's database is never converted: it is refused before any write."""
    if conn.execute("PRAGMA user_version").fetchone()[0] > 0:
        return
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )]
    if tables:
        raise StoreError(f"{path}: not a flashcards database (it has tables: "
                         f"{', '.join(tables[:5])}{', …' if len(tables) > 5 else ''})")


def _configure(conn: sqlite3.Connection, read_only: str | None) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if read_only:
        return
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an answer survives a power cut too, at ~0.4 ms per commit.
    conn.execute("PRAGMA synchronous = FULL")


def _migrate(conn: sqlite3.Connection, path: Path, read_only: str | None,
             upgrading: Upgrading | None) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: database schema version {version} is newer than this "
            f"flashcards understands ({SCHEMA_VERSION}); upgrade flashcards"
        )
    if version == SCHEMA_VERSION:
        return
    if read_only:
        raise StoreError(f"{path}: cannot {'create' if version == 0 else 'upgrade'} "
                         f"the database schema: {read_only}")
    with upgrading(version) if upgrading and version > 0 else nullcontext():
        if version > 0:
            from flashcards.backup import make_backup

            make_backup(conn, path, f"before-v{SCHEMA_VERSION}")
        import sqlite_utils

        db = sqlite_utils.Database(conn)
        with transaction(conn):
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(db)
                conn.execute(f"PRAGMA user_version = {number}")


@contextmanager
def transaction(conn: sqlite3.Connection, dry_run: bool = False) -> Iterator[sqlite3.Connection]:
    """One write transaction: the write lock is taken at once, so it never deadlocks; nested,
    a savepoint. With ``dry_run`` everything is done and then rolled back."""
    nested = conn.in_transaction
    undo = "ROLLBACK TO nested" if nested else "ROLLBACK"
    conn.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute(undo)
        if nested:
            conn.execute("RELEASE nested")
        raise
    if dry_run:
        conn.execute(undo)
    if nested:
        conn.execute("RELEASE nested")
    elif not dry_run:
        conn.execute("COMMIT")

"""Review logs from other machines: parse, stage, check and merge them; rebuild history.

``import-reviews`` reads the JSONL of ``export --what reviews``. It stages every line in a
temporary table, checks them all (a card that does not exist, a review_id that says two
different things), and only then adds the reviews not yet in the log and rebuilds every
card they touch, all in one transaction: a bad file changes nothing.

``merge_folder`` reads the logs that every device appends to in the sync folder (see
``flashcards.journal``) the same way, except that a bad line is reported and skipped (the
file is another machine's, and never rewritten), and an answer to a card this machine does
not have yet waits (``sync_pending``) until a deck sync brings the card.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from flashcards import clock, journal, scheduling
from flashcards.export import REVIEW_COLUMNS
from flashcards.model import DeviceStatus, FolderMerge, ReviewImportReport
from flashcards.store import Store
from flashcards.text import CONTROL_CHARACTER

# The keys import-reviews reads; the other export columns are recomputed, so ignored.
_READ_KEYS = ("review_id", "card_id", "deck", "card_key", "reviewed_at", "ts", "quality",
              "duration_ms")
# "type": a line of a device's log in the sync folder (see ``flashcards.journal``).
_IGNORED_KEYS = frozenset(REVIEW_COLUMNS) - frozenset(_READ_KEYS) | {"type"}
_KNOWN_KEYS = _IGNORED_KEYS | frozenset(_READ_KEYS)
# How far after now an answer may be dated: another machine's clock may run a little fast.
# A later one is refused, as its card would otherwise vanish from review until that date.
CLOCK_SKEW = timedelta(hours=1)
MAX_CARD_ID = 2**63 - 1  # SQLite's largest integer
MAX_DURATION_MS = 24 * 3600 * 1000  # a day; the app itself logs at most a minute


class Answer(NamedTuple):
    """An answer as another program logged it (``import-anki``'s revlog), in the types the
    log keeps. Staged as it is when every value is in range (a third of the time of
    checking a record), else checked as a record, for the same messages."""

    review_id: str
    deck: str
    card_key: str
    reviewed_at: str  # ISO 8601 with offset, to the millisecond: the moment ``ts`` says
    ts: int
    quality: int
    duration_ms: int

    def record(self) -> dict:
        """The answer as a record of ``import-reviews`` (its ``ts`` follows from
        reviewed_at)."""
        return {"review_id": self.review_id, "deck": self.deck, "card_key": self.card_key,
                "reviewed_at": self.reviewed_at, "quality": self.quality,
                "duration_ms": self.duration_ms}


class ReviewImportError(Exception):
    """Problems with a reviews file, one ``FILE:LINE: what is wrong`` each; nothing written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def import_reviews(store: Store, path: str | Path, dry_run: bool = False,
                   stream: Iterable[bytes | dict | Answer] | None = None) -> ReviewImportReport:
    """Merge a ``reviews`` JSONL export into the log: idempotent by review_id, one transaction.

    Per line, ``review_id``, ``reviewed_at`` (ISO 8601; without an offset it is local time)
    and ``quality`` (0..5) are required, with the card named by ``deck`` + ``card_key`` when
    both are present (the portable identity: card ids differ between databases), else by
    ``card_id``. Optional: ``duration_ms``, and ``ts``, the log's order in ms (it differs
    from reviewed_at only where a clock went back; default: reviewed_at). The state columns
    are recomputed: every card that gets a review has its log and state rebuilt from its
    answers in ``ts`` order. Any bad line raises ``ReviewImportError`` listing them all, and
    nothing is written. ``stream`` gives the lines instead of the file, or what their JSON
    gives, or ``Answer``s (``import-anki``: 100,000 lines written then read back cost 0.4 s).
    """
    label = str(path)
    errors: list[tuple[int, str]] = []
    lines = 0
    latest = clock.now() + CLOCK_SKEW

    def parsed() -> Iterator[tuple]:
        nonlocal lines
        source = stream if stream is not None else open(path, "rb")  # noqa: SIM115
        try:
            for number, raw in enumerate(source, 1):
                lines = number
                row = _parse_line(raw, number, errors, latest)
                if row is not None:
                    yield row
        finally:
            if stream is None:
                source.close()

    with store.write(dry_run=dry_run), store.bulk_cache():
        _stage(store, parsed())
        errors.extend(_staged_problems(store))
        if errors:
            errors.sort()
            count = len(errors)
            raise ReviewImportError(
                [f"{label}:{line}: {message}" for line, message in errors]
                + [f"{count} error{'s' * (count != 1)}: nothing was written"]
            )
        staged = store.query("SELECT count(*) FROM temp.incoming_reviews")[0][0]
        added, cards = _apply_staged(store)
    return ReviewImportReport(lines, added, staged - added, cards, dry_run)


def _parse_line(raw: bytes | dict | Answer, number: int, errors: list[tuple[int, str]],
                latest: datetime) -> tuple | None:
    """One staged row from one JSONL line (or the record its JSON gives, or an ``Answer``),
    or None (blank, or its problems added to errors).

    Every number must lie in its range, and no answer may be dated after ``latest``."""
    if isinstance(raw, Answer):
        return _answer_row(raw, number, errors, latest)
    record = raw if isinstance(raw, dict) else _decoded(raw, number, errors)
    return None if record is None else _review_row(record, number, errors, latest)


def _answer_row(answer: Answer, number: int, errors: list[tuple[int, str]],
                latest: datetime) -> tuple | None:
    """The staged row of an ``Answer``: itself when ``_review_row`` would take its record
    as it is, else what that says of the record."""
    if (0 <= answer.ts <= _last_ms(latest) and 0 <= answer.quality <= 5
            and 0 <= answer.duration_ms <= MAX_DURATION_MS and answer.review_id.strip()
            and not CONTROL_CHARACTER.search(answer.review_id)):
        return (number, answer.review_id, None, answer.deck, answer.card_key,
                answer.reviewed_at, answer.ts, answer.quality, answer.duration_ms)
    return _review_row(answer.record(), number, errors, latest)


@functools.lru_cache(maxsize=1)
def _last_ms(latest: datetime) -> int:
    """The last whole millisecond since 1970 an answer may be dated: at most ``latest``,
    before ``clock.LATEST``."""
    millisecond = timedelta(milliseconds=1)
    return min(latest - clock.EARLIEST, clock.LATEST - millisecond - clock.EARLIEST) \
        // millisecond


def _review_row(record: dict, number: int, errors: list[tuple[int, str]],
                latest: datetime | None) -> tuple | None:
    """The staged row of one answer record, or None (its problems added to errors).

    With ``latest``, no answer may be dated after it; without, any time is taken (a merge
    of the sync folder: every machine must take the same answers to end in the same state).
    """
    problems = []
    for key in record:
        if key not in _KNOWN_KEYS:
            close = difflib.get_close_matches(key, _READ_KEYS, n=1, cutoff=0.75)
            if close:
                problems.append(f"unknown key {key!r} — did you mean {close[0]!r}?")
    missing = [key for key in ("review_id", "reviewed_at", "quality") if key not in record]
    deck, card_key, card_id = record.get("deck"), record.get("card_key"), record.get("card_id")
    if card_id is None and (deck is None or card_key is None):
        missing.append("card_id (or deck and card_key)")
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    review_id = record.get("review_id")
    if "review_id" in record and (not isinstance(review_id, str) or not review_id.strip()):
        problems.append(f"review_id must be non-empty text, not {_json_kind(review_id)}")
    elif isinstance(review_id, str) and CONTROL_CHARACTER.search(review_id):
        # A carriage return would end a CSV row in a spreadsheet, whatever the quoting.
        problems.append(f"review_id must hold no control character, not {_shown(review_id)}")
    for key, value in (("deck", deck), ("card_key", card_key)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{key} must be text, not {_json_kind(value)}")
    quality = record.get("quality")
    if "quality" in record and not (_is_int(quality) and 0 <= quality <= 5):
        problems.append(f"quality must be an integer from 0 to 5, not {_shown(quality)}")
    for key, low, high, what in _integer_ranges(latest):
        value = record.get(key)
        if value is not None and not (_is_int(value) and low <= value <= high):
            problems.append(f"{key} must be {what}, not {_shown(value)}")
    duration, ts = record.get("duration_ms"), record.get("ts")
    moment = None
    reviewed_at = record.get("reviewed_at")
    if "reviewed_at" in record:
        if isinstance(reviewed_at, str):
            try:
                moment = clock.parse_moment(reviewed_at, what="reviewed_at")
            except clock.ClockError as error:
                problems.append(str(error))
            else:
                if latest and moment > latest:
                    problems.append(f"reviewed_at must be at most {_skew()} after now "
                                    f"({clock.iso(latest - CLOCK_SKEW)}), not {reviewed_at!r}")
        else:
            problems.append(f"reviewed_at must be ISO 8601 text, not {_json_kind(reviewed_at)}")
    if problems:
        errors.extend((number, problem) for problem in problems)
        return None
    if deck is None or card_key is None:
        deck = card_key = None
    # Whole milliseconds, so that ts and the reviewed_at text always say the same moment.
    moment = scheduling.whole_ms(moment)
    if ts is None:  # the log's order; it differs from reviewed_at when a clock went back
        ts = scheduling.to_ms(moment)
    return (number, review_id, card_id, deck, card_key, clock.iso(moment), ts, quality,
            duration)


def _decoded(raw: bytes, number: int, errors: list[tuple[int, str]]) -> dict | None:
    """The JSON object on one line, or None (blank, or its problem added to errors)."""
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        errors.append((number, f"not UTF-8 text ({error.reason} at byte {error.start})"))
        return None
    if not text.strip():
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        errors.append((number, f"not valid JSON: {error.msg} (column {error.colno})"))
        return None
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        errors.append((number, "not valid JSON: a number with too many digits"))
        return None
    except RecursionError:
        errors.append((number, "not valid JSON: lists or objects nested too deeply"))
        return None
    if not isinstance(record, dict):
        errors.append((number, f"expected a JSON object, not {_json_kind(record)}"))
        return None
    return record


@functools.lru_cache(maxsize=1)
def _integer_ranges(latest: datetime | None) -> tuple[tuple[str, int, int, str], ...]:
    """(key, lowest, highest, the range in words) of the integer keys, for answers dated at
    most ``latest`` (None: any time); built once per file, not once per line (a hundred
    thousand lines: 0.4 s)."""
    latest_ms = scheduling.to_ms(latest) if latest else MAX_CARD_ID
    return (
        ("card_id", 1, MAX_CARD_ID, f"an integer from 1 to {MAX_CARD_ID}"),
        ("duration_ms", 0, MAX_DURATION_MS,
         f"whole milliseconds from 0 to {MAX_DURATION_MS} (a day)"),
        ("ts", 0, latest_ms, f"whole milliseconds since 1970, at most {latest_ms}"
         + (f" (now plus {_skew()})" if latest else "")),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _skew() -> str:
    hours = CLOCK_SKEW / timedelta(hours=1)
    return f"{hours:g} hour{'s' * (hours != 1)}"


def _shown(value: Any, width: int = 40) -> str:
    """A JSON value as the line has it, cut short: a number may have thousands of digits."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[:width] + "…"


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false",
             type(None): "null", float: "a number", int: "a number"}
    return kinds.get(type(value), type(value).__name__)


# -- staging and merging ------------------------------------------------------------

def _stage(store: Store, rows: Iterable[tuple]) -> None:
    """Load reviews to merge into a temporary table (inside the import's transaction).

    Each row: (line, review_id, card_id, deck, card_key, reviewed_at, ts, quality,
    duration_ms). A row with ``deck`` and ``card_key`` names its card by those (card ids
    differ between databases), else by ``card_id``. Rows are read lazily.
    """
    store.conn.execute("DROP TABLE IF EXISTS temp.incoming_reviews")
    store.conn.execute(
        "CREATE TEMP TABLE incoming_reviews (line INTEGER PRIMARY KEY, id TEXT NOT NULL, "
        "card_id INTEGER, deck TEXT, card_key TEXT, reviewed_at TEXT NOT NULL, "
        "ts INTEGER NOT NULL, quality INTEGER NOT NULL, duration_ms INTEGER)"
    )
    store.conn.executemany(
        "INSERT INTO temp.incoming_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    store.conn.execute("CREATE INDEX temp.incoming_reviews_id ON incoming_reviews (id)")
    _find_cards(store, "incoming_reviews")


def _find_cards(store: Store, table: str) -> None:
    """Set ``card_id`` in a staged temporary table from each row's ``deck`` and ``card_key``
    (NULL when there is no such card), where both are given."""
    store.conn.execute(
        f"UPDATE temp.{table} SET card_id = (SELECT cards.id FROM cards "
        f"JOIN decks ON decks.id = cards.deck_id WHERE decks.name = {table}.deck "
        f"AND cards.key = {table}.card_key) WHERE deck IS NOT NULL AND card_key IS NOT NULL"
    )

def _staged_problems(store: Store) -> list[tuple[int, str]]:
    """(line, problem) for staged reviews that name no card or contradict another review."""
    problems = [
        (line, f"no card {card_key!r} in deck {deck!r}" if card_key is not None
         else f"no card with card_id {card_id}")
        for line, deck, card_key, card_id in store.query(
            "SELECT line, deck, card_key, card_id FROM temp.incoming_reviews AS i "
            "WHERE card_id IS NULL OR NOT EXISTS (SELECT 1 FROM cards WHERE id = i.card_id)"
        )
    ]
    # Within a millisecond: a live answer's ts is rounded, its reviewed_at text truncated.
    same = "a.card_id IS b.card_id AND abs(a.ts - b.ts) <= 1 AND a.quality = b.quality"
    # Only ids staged more than once are joined (a tenth of the time of joining every line).
    problems += [
        (line, (f"review_id {review_id!r} is also on line {first} with another card, "
                "time or quality"))
        for line, review_id, first in store.query(
            "SELECT b.line, b.id, a.line FROM (SELECT id, min(line) AS first FROM "
            "temp.incoming_reviews GROUP BY id HAVING count(*) > 1) AS twice "
            "JOIN temp.incoming_reviews AS a ON a.line = twice.first "
            "JOIN temp.incoming_reviews AS b ON b.id = twice.id AND b.line > a.line "
            f"WHERE NOT ({same})"
        )
    ]
    problems += [
        (line, (f"review_id {review_id!r} is already in the database with another "
                "card, time or quality"))
        for line, review_id in store.query(
            "SELECT a.line, a.id FROM temp.incoming_reviews AS a "
            f"JOIN reviews AS b ON a.id = b.id WHERE a.card_id IS NOT NULL AND NOT ({same})"
        )
    ]
    return sorted(problems)

def _first_line(table: str) -> str:
    """SQL true for the row ``i`` of a staged table that is its id's first line: one set of
    first lines, built once (a lookup of the id's first line for each row took twice as
    long)."""
    return f"i.line IN (SELECT min(line) FROM temp.{table} GROUP BY id)"


def _apply_staged(store: Store, also: Iterable[int] = ()) -> tuple[int, int]:
    """Add the staged reviews not yet in the log, then rebuild every card they touch (and
    the cards ``also``).

    Inside the transaction of ``_stage``, after checking the problems. A review with no
    card, or one taken back (``sync_undone``: an undo in a device's log), is left out.
    Returns (reviews added, cards touched).
    """
    store.conn.execute("DROP TABLE IF EXISTS temp.new_reviews")
    # Each new answer once (its first line), and only if the log lacks it.
    store.conn.execute(
        "CREATE TEMP TABLE new_reviews AS SELECT id, card_id, reviewed_at, ts, quality, "
        f"duration_ms FROM temp.incoming_reviews AS i WHERE {_first_line('incoming_reviews')} "
        "AND i.card_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM reviews WHERE reviews.id = i.id) AND NOT EXISTS "
        "(SELECT 1 FROM sync_undone WHERE sync_undone.id = i.id)"
    )
    store.conn.execute("CREATE INDEX temp.new_reviews_card ON new_reviews (card_id)")
    added = store.query("SELECT count(*) FROM temp.new_reviews")[0][0]
    touched = {row[0] for row in store.query("SELECT DISTINCT card_id FROM temp.new_reviews")}
    touched.update(also)
    # The replay inserts each new answer with the state it gives, in one write per row.
    store.rebuild_history(touched, incoming="temp.new_reviews")
    return added, len(touched)


# -- the sync folder ---------------------------------------------------------------------

# The unreadable lines of a file that are kept to show (all are counted).
_PROBLEMS_KEPT = 20


@dataclass
class _FileRead:
    """What one merge read from one device's log, added to what earlier merges read."""

    path: Path
    chunk: journal.Chunk
    merged: int
    last_answer: str | None
    unreadable: int
    problems: list[str]
    new_problems: list[str] = field(default_factory=list)


def merge_folder(store: Store,
                 on_start: Callable[[int], None] | None = None) -> FolderMerge:
    """Merge the logs of every device in the sync folder (this one's too: a line written
    just before a crash stopped its commit counts), conflict copies included.

    Only lines added since the last merge are read (each file's offset is kept), and only
    complete ones: a last line cut short waits. Idempotent by entry id; undos take their
    answer out, wherever it came from; an answer to an unknown card waits in
    ``sync_pending``; every card touched is replayed. The logs are read first; the
    changes are one transaction, so Ctrl-C leaves all as it was (and nothing new writes
    nothing). ``on_start`` is told how many new bytes were read, before they are merged.
    """
    report = FolderMerge()
    folder = store.config()["sync_dir"]
    if folder is None:
        return report
    try:
        files = journal.log_files(Path(folder))
    except OSError as error:
        report.problems.append(f"{folder}: cannot read the sync folder: {error.strerror}")
        return report
    reads = _read_logs(store, files, report, on_start)
    answers: list[tuple] = []
    actions: list[tuple] = []
    undos: list[tuple[str]] = []
    for read in reads:
        _parse_entries(read, answers, actions, undos)
        report.problems += read.new_problems
    changed = any(read.chunk.lines or read.chunk.restarted for read in reads)
    if not changed and not store.query("SELECT 1 FROM sync_pending LIMIT 1"):
        return report  # nothing new: no write (every start)
    with store.write(journaled=False):
        pending = store.query("SELECT NULL, id, NULL, deck, card_key, moment, ts, quality, "
                              "duration_ms, action, until FROM sync_pending")
        _stage(store, _numbered([row[:9] for row in pending if row[9] is None] + answers))
        _stage_actions(store, _numbered([row[:5] + row[5:7] + row[9:] for row in pending
                                         if row[9] is not None] + actions))
        report.undone, undone_cards = _apply_undos(store, undos)
        _keep_pending(store)
        report.pending = waiting_entries(store)
        report.actions, action_cards = _add_actions(store)
        report.added, report.cards = _apply_staged(store, also=undone_cards | action_cards)
        _save_reads(store, reads)
    return report


def _numbered(rows: list[tuple]) -> Iterator[tuple]:
    """Staged rows numbered from 1 (lines of several files, and pending entries, together)."""
    return ((number, *row[1:]) for number, row in enumerate(rows, 1))


def _stage_actions(store: Store, rows: Iterable[tuple]) -> None:
    """Load card actions to merge into a temporary table, their cards found by deck and key.

    Each row: (line, action_id, card_id, deck, card_key, acted_at, ts, action, until)."""
    store.conn.execute("DROP TABLE IF EXISTS temp.incoming_actions")
    store.conn.execute(
        "CREATE TEMP TABLE incoming_actions (line INTEGER PRIMARY KEY, id TEXT NOT NULL, "
        "card_id INTEGER, deck TEXT, card_key TEXT, acted_at TEXT NOT NULL, "
        "ts INTEGER NOT NULL, action TEXT NOT NULL, until TEXT)"
    )
    store.conn.executemany(
        "INSERT INTO temp.incoming_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    _find_cards(store, "incoming_actions")


def _keep_pending(store: Store) -> None:
    """The staged entries whose card this machine does not have (yet) wait for it."""
    store.conn.execute("DELETE FROM sync_pending")
    not_undone = "NOT EXISTS (SELECT 1 FROM sync_undone WHERE sync_undone.id = i.id)"
    store.conn.execute(
        "INSERT OR IGNORE INTO sync_pending SELECT id, deck, card_key, reviewed_at, ts, "
        "quality, duration_ms, NULL, NULL FROM temp.incoming_reviews AS i "
        f"WHERE card_id IS NULL AND {not_undone}"
    )
    store.conn.execute(
        "INSERT OR IGNORE INTO sync_pending SELECT id, deck, card_key, acted_at, ts, NULL, "
        f"NULL, action, until FROM temp.incoming_actions AS i WHERE card_id IS NULL "
        f"AND {not_undone}"
    )


def _add_actions(store: Store) -> tuple[int, set[int]]:
    """Add the staged card actions not yet in the log (nor taken back); returns how many,
    and their cards (to replay: an action sorts among the answers by its time)."""
    store.conn.execute("DROP TABLE IF EXISTS temp.new_actions")
    store.conn.execute(
        "CREATE TEMP TABLE new_actions AS SELECT id, card_id, acted_at, ts, action, until "
        f"FROM temp.incoming_actions AS i WHERE {_first_line('incoming_actions')} "
        "AND card_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM card_actions WHERE card_actions.id = i.id) AND NOT EXISTS "
        "(SELECT 1 FROM sync_undone WHERE sync_undone.id = i.id)"
    )
    store.conn.execute("INSERT INTO card_actions (id, card_id, acted_at, ts, action, until) "
                       "SELECT * FROM temp.new_actions")
    cards = [row[0] for row in store.query("SELECT card_id FROM temp.new_actions")]
    return len(cards), set(cards)


def _read_logs(store: Store, files: list[Path], report: FolderMerge,
               on_start: Callable[[int], None] | None) -> list[_FileRead]:
    """The new complete lines of each log, with what earlier merges read of it."""
    known = {row[0]: row[1:] for row in store.query(
        "SELECT path, offset, lines, tail, merged, last_answer, unreadable, problems "
        "FROM sync_files")}
    reads = []
    for path in files:
        offset, lines, tail, *totals = known.get(str(path), (0, 0, None, 0, None, 0, "[]"))
        try:
            chunk = journal.read_after(path, offset, lines, tail)
        except OSError as error:
            report.problems.append(f"{path}: cannot read: {error.strerror}")
            continue
        merged, last_answer, unreadable, problems = (
            (0, None, 0, "[]") if chunk.restarted else totals)
        reads.append(_FileRead(path, chunk, merged, last_answer, unreadable,
                               json.loads(problems)))
    if on_start:
        on_start(sum(len(line) + 1 for read in reads for line in read.chunk.lines))
    return reads


def _parse_entries(read: _FileRead, answers: list[tuple], actions: list[tuple],
                   undos: list[tuple[str]]) -> None:
    """Sort the entries of one file's new lines into staged answers, staged card actions
    and undone ids; count them, and note each unreadable line as ``FILE:LINE: problem``."""
    errors: list[tuple[int, str]] = []
    latest = (_moment_order(read.last_answer), read.last_answer)
    for number, raw in enumerate(read.chunk.lines, read.chunk.first_line):
        record = _decoded(raw, number, errors)
        if record is None:
            continue
        kind = record.get("type")
        if kind == "answer":
            if not isinstance(record.get("deck"), str) or "card_id" in record:
                errors.append((number, "an answer names its card by deck and card_key"))
                continue
            row = _review_row(record, number, errors, latest=None)
            if row is None:
                continue
            answers.append(row)
            latest = max(latest, (row[6], row[5]))
        elif kind == "action":
            row = _action_row(record, number, errors)
            if row is None:
                continue
            actions.append(row)
        elif kind == "undo" and isinstance(record.get("undoes"), str) and record["undoes"]:
            undos.append((record["undoes"],))
        else:
            errors.append((number, f"not an answer, action or undo (type {_shown(kind)})"))
            continue
        read.merged += 1
    read.last_answer = latest[1]
    read.unreadable += len(errors)
    read.new_problems = [f"{read.path}:{line}: {problem}" for line, problem in errors]
    read.problems = (read.problems + read.new_problems)[:_PROBLEMS_KEPT]


def _action_row(record: dict, number: int, errors: list[tuple[int, str]]) -> tuple | None:
    """The staged row of one card action of a device's log, or None (its problem added)."""
    action, until = record.get("action"), record.get("until")
    texts = [record.get(key) for key in ("action_id", "deck", "card_key", "acted_at")]
    problem = None
    if not all(isinstance(text, str) and text for text in texts):
        problem = "an action needs action_id, deck, card_key and acted_at as text"
    elif action not in scheduling.ACTIONS:
        problem = f"unknown action {_shown(action)} (known: {', '.join(scheduling.ACTIONS)})"
    elif not (_is_int(record.get("ts")) and 0 <= record["ts"] <= MAX_CARD_ID):
        problem = "ts must be whole milliseconds since 1970"
    elif (until is None) == (action in scheduling.DAY_ACTIONS) or not _is_day(until):
        problem = f"until must be a study day (YYYY-MM-DD) for {action}, and only then"
    else:
        try:
            clock.parse_moment(texts[3], what="acted_at")
        except clock.ClockError as error:
            problem = str(error)
    if problem:
        errors.append((number, problem))
        return None
    return (number, texts[0], None, texts[1], texts[2], texts[3], record["ts"], action, until)


def _is_day(value: Any) -> bool:
    """True for None and for an ISO date such as 2026-03-10."""
    if value is None:
        return True
    try:
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _moment_order(reviewed_at: str | None) -> int:
    """The order of answer times written with different UTC offsets (none: first)."""
    return scheduling.to_ms(clock.stored_moment(reviewed_at)) if reviewed_at else -1


def _apply_undos(store: Store, undos: list[tuple[str]]) -> tuple[int, set[int]]:
    """Take out the answers and card actions these ids name (kept as undone, so that no copy
    of a log brings one back); returns how many were in the log, and their cards."""
    store.conn.execute("DROP TABLE IF EXISTS temp.incoming_undos")
    store.conn.execute("CREATE TEMP TABLE incoming_undos (id TEXT PRIMARY KEY)")
    store.conn.executemany("INSERT OR IGNORE INTO temp.incoming_undos VALUES (?)", undos)
    store.conn.execute("INSERT OR IGNORE INTO sync_undone SELECT id FROM temp.incoming_undos")
    answers = [row[0] for row in store.query(
        "SELECT id FROM reviews WHERE id IN (SELECT id FROM temp.incoming_undos)")]
    cards = store.delete_answers(answers)
    actions = [row[0] for row in store.query(
        "DELETE FROM card_actions WHERE id IN (SELECT id FROM temp.incoming_undos) "
        "RETURNING card_id")]
    return len(answers) + len(actions), cards | set(actions)


def _save_reads(store: Store, reads: list[_FileRead]) -> None:
    """Keep how far each log was read, and what the status shows of it."""
    store.conn.executemany(
        "INSERT OR REPLACE INTO sync_files (path, device, offset, lines, tail, merged, "
        "last_answer, unreadable, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(str(read.path), journal.device_of(read.path), read.chunk.end,
          read.chunk.first_line - 1 + len(read.chunk.lines), read.chunk.tail, read.merged,
          read.last_answer, read.unreadable, json.dumps(read.problems, ensure_ascii=False))
         for read in reads],
    )


def folder_status(store: Store) -> list[DeviceStatus]:
    """Per device with a log in the sync folder: its last answer, how many of its lines
    are merged here, of how many, and the lines that could not be read (``FILE:LINE``)."""
    folder = store.config()["sync_dir"]
    if folder is None:
        return []
    here = store.query("SELECT value FROM config WHERE key = 'device_id'")
    rows = [row for row in store.query(
        "SELECT path, device, merged, last_answer, unreadable, problems FROM sync_files "
        "ORDER BY device, path") if Path(row[0]).parent == Path(folder)]
    devices: dict[str, DeviceStatus] = {}
    for path, device, merged, last_answer, unreadable, problems in rows:
        status = devices.setdefault(device, DeviceStatus(device, bool(here) and
                                                         here[0][0] == device))
        status.files.append(Path(path).name)
        status.merged += merged
        status.lines += journal.count_lines(Path(path))
        status.last_answer = max(status.last_answer or "", last_answer or "",
                                 key=_moment_order) or None
        status.unreadable += unreadable
        status.problems += json.loads(problems)
    return list(devices.values())


def waiting_entries(store: Store) -> int:
    """How many answers and card actions from other devices wait for a card this machine
    does not have."""
    return store.query("SELECT count(*) FROM sync_pending")[0][0]

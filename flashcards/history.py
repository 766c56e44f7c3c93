"""Review logs from other machines: parse, stage, check and merge them; rebuild history.

``import-reviews`` reads the JSONL of ``export --what reviews``. It stages every line in a
temporary table, checks them all (a card that does not exist, a review_id that says two
different things), and only then adds the reviews not yet in the log and rebuilds every
card they touch, all in one transaction: a bad file changes nothing.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flashcards import clock, scheduling
from flashcards.export import REVIEW_COLUMNS
from flashcards.model import ReviewImportReport
from flashcards.store import Store
from flashcards.text import CONTROL_CHARACTER

# The keys import-reviews reads; the other export columns are recomputed, so ignored.
_READ_KEYS = ("review_id", "card_id", "deck", "card_key", "reviewed_at", "ts", "quality",
              "duration_ms")
_IGNORED_KEYS = frozenset(REVIEW_COLUMNS) - frozenset(_READ_KEYS)
# How far after now an answer may be dated: another machine's clock may run a little fast.
# A later one is refused, as its card would otherwise vanish from review until that date.
CLOCK_SKEW = timedelta(hours=1)
MAX_CARD_ID = 2**63 - 1  # SQLite's largest integer
MAX_DURATION_MS = 24 * 3600 * 1000  # a day; the app itself logs at most a minute


class ReviewImportError(Exception):
    """Problems with a reviews file, one ``FILE:LINE: what is wrong`` each; nothing written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def import_reviews(store: Store, path: str | Path, dry_run: bool = False,
                   stream: Iterable[bytes | dict] | None = None) -> ReviewImportReport:
    """Merge a ``reviews`` JSONL export into the log: idempotent by review_id, one transaction.

    Per line, ``review_id``, ``reviewed_at`` (ISO 8601; without an offset it is local time)
    and ``quality`` (0..5) are required, with the card named by ``deck`` + ``card_key`` when
    both are present (the portable identity: card ids differ between databases), else by
    ``card_id``. Optional: ``duration_ms``, and ``ts``, the log's order in ms (it differs
    from reviewed_at only where a clock went back; default: reviewed_at). The state columns
    are recomputed: every card that gets a review has its log and state rebuilt from its
    answers in ``ts`` order. Any bad line raises ``ReviewImportError`` listing them all, and
    nothing is written. ``stream`` gives the lines instead of the file, or what their JSON
    gives (``import-anki``: 100,000 lines written then read back cost 0.4 s).
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


def _parse_line(raw: bytes | dict, number: int, errors: list[tuple[int, str]],
                latest: datetime) -> tuple | None:
    """One staged row from one JSONL line (or the record its JSON gives, as ``import-anki``
    passes them), or None (blank, or its problems added to errors).

    Every number must lie in its range, and no answer may be dated after ``latest``."""
    record = raw if isinstance(raw, dict) else _decoded(raw, number, errors)
    if record is None:
        return None
    problems = []
    for key in record:
        if key not in _READ_KEYS and key not in _IGNORED_KEYS:
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
                if moment > latest:
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
def _integer_ranges(latest: datetime) -> tuple[tuple[str, int, int, str], ...]:
    """(key, lowest, highest, the range in words) of the integer keys; built once per file,
    not once per line (a hundred thousand lines: 0.4 s)."""
    latest_ms = scheduling.to_ms(latest)
    return (
        ("card_id", 1, MAX_CARD_ID, f"an integer from 1 to {MAX_CARD_ID}"),
        ("duration_ms", 0, MAX_DURATION_MS,
         f"whole milliseconds from 0 to {MAX_DURATION_MS} (a day)"),
        ("ts", 0, latest_ms,
         f"whole milliseconds since 1970, at most {latest_ms} (now plus {_skew()})"),
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
    store.conn.execute(
        "UPDATE temp.incoming_reviews SET card_id = (SELECT cards.id FROM cards "
        "JOIN decks ON decks.id = cards.deck_id WHERE decks.name = incoming_reviews.deck "
        "AND cards.key = incoming_reviews.card_key) "
        "WHERE deck IS NOT NULL AND card_key IS NOT NULL"
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
    problems += [
        (line, (f"review_id {review_id!r} is also on line {first} with another card, "
                "time or quality"))
        for line, review_id, first in store.query(
            "SELECT b.line, b.id, a.line FROM temp.incoming_reviews AS b "
            "JOIN temp.incoming_reviews AS a ON a.id = b.id AND a.line = (SELECT min(line) "
            "FROM temp.incoming_reviews WHERE id = b.id) "
            f"WHERE b.line > a.line AND NOT ({same})"
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

def _apply_staged(store: Store) -> tuple[int, int]:
    """Add the staged reviews not yet in the log, then rebuild every card they touch.

    Inside the transaction of ``_stage``, after checking the problems.
    Returns (reviews added, cards touched).
    """
    store.conn.execute("DROP TABLE IF EXISTS temp.new_reviews")
    # Each new answer once (its first line), and only if the log lacks it.
    store.conn.execute(
        "CREATE TEMP TABLE new_reviews AS SELECT id, card_id, reviewed_at, ts, quality, "
        "duration_ms FROM temp.incoming_reviews AS i WHERE i.line = (SELECT min(line) FROM "
        "temp.incoming_reviews WHERE id = i.id) AND NOT EXISTS "
        "(SELECT 1 FROM reviews WHERE reviews.id = i.id)"
    )
    store.conn.execute("CREATE INDEX temp.new_reviews_card ON new_reviews (card_id)")
    added = store.query("SELECT count(*) FROM temp.new_reviews")[0][0]
    touched = [row[0] for row in store.query("SELECT DISTINCT card_id FROM temp.new_reviews")]
    # The replay inserts each new answer with the state it gives, in one write per row.
    store.rebuild_history(touched, incoming="temp.new_reviews")
    return added, len(touched)

"""Progress figures, exports and review-log import, aggregated in SQLite. No UI.

Definitions (the README says the same to users):

* **status** of a card, first match wins: ``retired``; ``leech``; ``suspended``; ``buried``
  (``buried_until`` after today); ``new`` (never answered); ``learning`` (fewer than 2
  successful repetitions in a row: SM-2's fixed 1- and 6-day steps, or failed last time);
  else ``review``. For the figures a review card is ``young`` (interval < 21 days) or
  ``mature``. ``status_sql`` is the one place that says this.
* **cards** of a deck: its cards that are not retired (so the states add up to it).
* **due** on a day: cards a review could show that day (not retired, suspended or buried)
  whose due day has come, overdue ones included; new cards are not counted. ``due_tomorrow``
  is the same count for tomorrow, if nothing more is reviewed today.
* **reviews**: every logged answer, same-day repeats included.
* **review answers**: answers that move SM-2 (the first of a study day for a card) on cards
  that had been answered before (not new). **retention** over N days is the share of the
  review answers of the last N study days (today included) graded 3 or more.
* **streak**: consecutive study days with at least one answer, ending today, or ending
  yesterday while nothing is answered yet today (so the morning does not show 0).
* **forecast**: for each of the next 30 days (today first), how many cards fall due that day
  if nothing is reviewed in between; overdue cards count today, buried ones on the day
  they come back.

Everything is computed by a few aggregate queries over covering indexes (migration 2):
with 100,000 cards and 1,000,000 reviews ``compute_stats`` takes well under a second, and
exports stream from a cursor, so memory does not grow with the log.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards import clock

if TYPE_CHECKING:
    from flashcards.store import Store

__all__ = [
    "EXPORTS",
    "EXPORT_FORMATS",
    "FSRS_RATING",
    "STATES",
    "STATUSES",
    "ImportReport",
    "ReviewImportError",
    "card_status",
    "compute_stats",
    "export_columns",
    "export_text",
    "heat_levels",
    "heatmap_weeks",
    "import_reviews",
    "status_sql",
    "streaks",
]

STATUSES = ("new", "learning", "review", "suspended", "buried", "leech", "retired")
# The states of the figures: a review card is young or mature.
STATES = ("new", "learning", "young", "mature", "suspended", "buried", "leech", "retired")
MATURE_DAYS = 21
RETENTION_DAYS = (7, 30, 365)
FORECAST_DAYS = 30
HEATMAP_DAYS = 365
CORRECT = 3  # the lowest grade SM-2 counts as a successful recall

EXPORTS = ("reviews", "cards", "daily")
EXPORT_FORMATS = ("csv", "json", "jsonl", "fsrs")
# SM-2 grades 0..5 to the FSRS optimizer's ratings: 1 Again, 2 Hard, 3 Good, 4 Easy.
FSRS_RATING = (1, 1, 1, 2, 3, 4)
FSRS_NEW, FSRS_LEARNING, FSRS_REVIEW, FSRS_RELEARNING = 0, 1, 2, 3
_CHUNK_ROWS = 2000


def status_sql(split_review: bool = False) -> str:
    """The SQL expression of a card's status over a ``cards`` row, for today's ISO date in
    the named parameter ``:today``; with ``split_review``, review cards are young or mature."""
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


def card_status(store: Store, card_id: int, today: date | None = None) -> str:
    """One card's status (see ``status_sql``)."""
    today = today or store.today()
    row = store.conn.execute(
        f"SELECT {status_sql()} FROM cards WHERE id = :id",
        {"today": today.isoformat(), "id": card_id},
    ).fetchone()
    if row is None:
        from flashcards.store import StoreError

        raise StoreError(f"no card with id {card_id}")
    return row[0]


def _due_sql(day: str) -> str:
    """Cards a review could show on the day in parameter ``day`` (as ``Store.count_due``)."""
    return (
        f"cards.retired = 0 AND cards.suspended = 0 AND coalesce(cards.buried_until, '') <= "
        f":{day} AND cards.due <= :{day}"
    )


# -- figures ---------------------------------------------------------------------------------


def compute_stats(store: Store, today: date | None = None) -> dict[str, Any]:
    """Every figure of ``flashcards stats`` (and its ``--json``) as plain data."""
    today = today or store.today()
    since = today - timedelta(days=HEATMAP_DAYS - 1)
    params = {
        "today": today.isoformat(),
        "tomorrow": (today + timedelta(days=1)).isoformat(),
        "since": since.isoformat(),
        "since30": (today - timedelta(days=29)).isoformat(),
        "last": (today + timedelta(days=FORECAST_DAYS - 1)).isoformat(),
    }
    with store.snapshot():
        decks = _deck_figures(store, params)
        per_day = {
            day: rest for day, *rest in store.conn.execute(
                "SELECT day, count(*), count(*) FILTER (WHERE repeat = 0), count(*) FILTER "
                f"(WHERE repeat = 0 AND quality >= {CORRECT}), total(duration_ms) FROM reviews "
                "WHERE day BETWEEN :since AND :today GROUP BY day",
                params,
            )
        }
        # First answers of cards (the answers on new cards), by deck and day.
        firsts = store.conn.execute(
            f"SELECT cards.deck_id, first.day, count(*), count(*) FILTER (WHERE quality >= "
            f"{CORRECT}) FROM ({_FIRST_ANSWERS}) AS first JOIN cards ON cards.id = first.card_id "
            "WHERE first.day BETWEEN :since AND :today GROUP BY cards.deck_id, first.day",
            params,
        ).fetchall()
        forecast = dict(store.conn.execute(
            "SELECT max(cards.due, :today, coalesce(cards.buried_until, '')) AS day, count(*) "
            "FROM cards WHERE cards.retired = 0 AND cards.suspended = 0 "
            "AND cards.due IS NOT NULL AND day <= :last GROUP BY day",
            params,
        ))
        study_days = [date.fromisoformat(row[0]) for row in store.conn.execute(_STUDY_DAYS)]
        total_reviews = store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]

    retention = {}
    for days in RETENTION_DAYS:
        start = (today - timedelta(days=days - 1)).isoformat()
        answers = sum(row[1] for day, row in per_day.items() if day >= start)
        correct = sum(row[2] for day, row in per_day.items() if day >= start)
        answers -= sum(row[2] for row in firsts if row[1] >= start)
        correct -= sum(row[3] for row in firsts if row[1] >= start)
        retention[f"{days}d"] = {"days": days, "answers": answers, "correct": correct,
                                 "rate": _rate(correct, answers)}
    for row in firsts:
        if row[1] >= params["since30"] and row[0] in decks:
            decks[row[0]]["_answers"] -= row[2]
            decks[row[0]]["_correct"] -= row[3]
    deck_list = []
    for deck in sorted(decks.values(), key=lambda deck: deck["name"]):
        deck["retention_30d"] = _rate(deck.pop("_correct"), deck.pop("_answers"))
        deck_list.append(deck)

    current, longest = streaks(study_days, today)
    today_row = per_day.get(params["today"], (0, 0, 0, 0.0))
    totals: dict[str, Any] = {key: sum(deck[key] for deck in deck_list) for key in _DECK_COUNTS}
    totals.update(
        reviews=total_reviews,
        reviews_today=today_row[0],
        seconds_today=round(today_row[3] / 1000, 1),
        retention_7d=retention["7d"]["rate"],
        retention_30d=retention["30d"]["rate"],
        retention_365d=retention["365d"]["rate"],
        streak=current,
        longest_streak=longest,
        studied_today=today in study_days,
    )
    days_ahead = (today + timedelta(days=n) for n in range(FORECAST_DAYS))
    days_back = (since + timedelta(days=n) for n in range(HEATMAP_DAYS))
    return {
        "today": today.isoformat(),
        "rollover_hour": store.config()["rollover_hour"],
        "totals": totals,
        "decks": deck_list,
        "retention": retention,
        "forecast": [{"date": d.isoformat(), "due": forecast.get(d.isoformat(), 0)}
                     for d in days_ahead],
        "heatmap": [{"date": d.isoformat(), "reviews": per_day.get(d.isoformat(), (0,))[0]}
                    for d in days_back],
    }


# The first answer of every card: SQLite takes the bare columns from the min(ts) row.
_FIRST_ANSWERS = (
    "SELECT card_id, min(ts) AS ts, day, quality FROM reviews GROUP BY card_id"
)
# The distinct study days with answers, ascending: one index seek per day, not a scan.
_STUDY_DAYS = (
    "WITH RECURSIVE days(day) AS (SELECT min(day) FROM reviews UNION ALL "
    "SELECT (SELECT min(day) FROM reviews WHERE day > days.day) FROM days "
    "WHERE days.day IS NOT NULL) SELECT day FROM days WHERE day IS NOT NULL"
)
_DECK_COUNTS = ("cards", *STATES, "due", "due_tomorrow", "reviews_today")


def _deck_figures(store: Store, params: dict[str, str]) -> dict[int, dict[str, Any]]:
    """Per deck id: cards by state, due today and tomorrow, reviews today, and the raw
    30-day answer counts (first answers are taken off by the caller)."""
    decks = {
        deck_id: {"name": name, **dict.fromkeys(_DECK_COUNTS, 0), "retention_30d": None,
                  "_answers": 0, "_correct": 0}
        for deck_id, name in store.query("SELECT id, name FROM decks")
    }
    rows = store.conn.execute(
        f"SELECT cards.deck_id, {status_sql(split_review=True)} AS state, count(*), "
        f"count(*) FILTER (WHERE {_due_sql('today')}), "
        f"count(*) FILTER (WHERE {_due_sql('tomorrow')}) "
        # Scanning the table beats the deck_id index, which costs a lookup per card.
        "FROM cards NOT INDEXED GROUP BY cards.deck_id, state",
        params,
    )
    for deck_id, state, count, due, due_tomorrow in rows:
        deck = decks[deck_id]
        deck[state] += count
        if state != "retired":
            deck["cards"] += count
        deck["due"] += due
        deck["due_tomorrow"] += due_tomorrow
    rows = store.conn.execute(
        "SELECT cards.deck_id, sum(r.today), sum(r.answers), sum(r.correct) FROM ("
        "SELECT card_id, count(*) FILTER (WHERE day = :today) AS today, "
        "count(*) FILTER (WHERE repeat = 0) AS answers, "
        f"count(*) FILTER (WHERE repeat = 0 AND quality >= {CORRECT}) AS correct "
        "FROM reviews WHERE day BETWEEN :since30 AND :today GROUP BY card_id) AS r "
        "JOIN cards ON cards.id = r.card_id GROUP BY cards.deck_id",
        params,
    )
    for deck_id, today, answers, correct in rows:
        decks[deck_id].update(reviews_today=today, _answers=answers, _correct=correct)
    return decks


def _rate(correct: int, answers: int) -> float | None:
    return round(correct / answers, 4) if answers else None


def streaks(study_days: list[date], today: date) -> tuple[int, int]:
    """(current streak, longest streak) from the ascending days that have answers.

    The current streak ends today, or yesterday while today has no answer yet."""
    longest = run = 0
    previous = None
    for day in study_days:
        if day > today:
            break
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and today - previous <= timedelta(days=1) else 0
    return current, longest


# -- the heatmap -------------------------------------------------------------------------------

def heat_levels(counts: Iterable[int]) -> list[int]:
    """Shade 0..4 for each count: 0 for none, else its quartile among the days with reviews
    (as GitHub does), so one huge day does not wash out the rest."""
    counts = list(counts)
    busy = sorted(c for c in counts if c > 0)
    if not busy:
        return [0] * len(counts)
    cuts = [busy[(len(busy) - 1) * q // 4] for q in (1, 2, 3)]
    return [0 if c <= 0 else 1 + sum(c > cut for cut in cuts) for c in counts]


def heatmap_weeks(heatmap: list[dict[str, Any]],
                  weeks: int | None = None) -> list[list[tuple[date, int, int] | None]]:
    """The heatmap as weeks (columns, oldest first) of 7 days Monday..Sunday, each cell
    (day, reviews, shade) or None outside the range; ``weeks`` keeps only the latest ones."""
    if not heatmap:
        return []
    days = [date.fromisoformat(entry["date"]) for entry in heatmap]
    levels = heat_levels(entry["reviews"] for entry in heatmap)
    start = days[0] - timedelta(days=days[0].weekday())
    columns: list[list[tuple[date, int, int] | None]] = []
    for day, entry, level in zip(days, heatmap, levels):
        column, row = divmod((day - start).days, 7)
        while len(columns) <= column:
            columns.append([None] * 7)
        columns[column][row] = (day, entry["reviews"], level)
    return columns[-weeks:] if weeks else columns


# -- exports -------------------------------------------------------------------------------------

_REVIEW_COLUMNS = (
    "review_id", "card_id", "deck", "card_key", "reviewed_at", "ts", "day", "quality",
    "repeat", "repetitions", "interval", "easiness", "due", "duration_ms",
)
_CARD_COLUMNS = (
    "card_id", "deck", "card_key", "note_key", "type", "front", "back", "tags", "status",
    "repetitions", "interval", "easiness", "due", "lapses", "buried_until", "source",
    "card_source", "created_at", "updated_at",
)
_DAILY_COLUMNS = (
    "date", "reviews", "repeats", "correct", "new_cards", "review_answers", "review_correct",
    "retention", "seconds",
)
_FSRS_COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration")


def export_columns(what: str, fmt: str = "csv") -> tuple[str, ...]:
    """The columns (or JSON keys) of an export, in order."""
    if fmt == "fsrs":
        return _FSRS_COLUMNS
    return {"reviews": _REVIEW_COLUMNS, "cards": _CARD_COLUMNS, "daily": _DAILY_COLUMNS}[what]


def _review_rows(store: Store) -> Iterator[tuple]:
    # One sequential scan of the log sorted by SQLite's external sorter (memory stays flat):
    # ~5 s for a million rows whatever order they are stored in, where walking the ts index
    # costs a random read per row once merged or generated logs are not stored in time
    # order (7 s). Each card's deck and key come from a small covering index, not the text.
    return store.conn.execute(
        "SELECT r.id, r.card_id, decks.name, cards.key, r.reviewed_at, r.ts, r.day, r.quality, "
        "r.repeat, r.repetitions, r.interval, r.easiness, r.due, r.duration_ms "
        "FROM reviews AS r NOT INDEXED CROSS JOIN cards INDEXED BY idx_cards_identity "
        "ON cards.id = r.card_id CROSS JOIN decks ON decks.id = cards.deck_id "
        "ORDER BY r.ts, r.id"
    )


def _card_rows(store: Store) -> Iterator[tuple]:
    return store.conn.execute(
        "SELECT cards.id, decks.name, cards.key, cards.note_key, cards.kind, cards.front, "
        f"cards.back, cards.tags, {status_sql()}, cards.repetitions, cards.interval, "
        "cards.easiness, cards.due, cards.lapses, cards.buried_until, "
        "decks.source_path || coalesce(':' || cards.line, ''), cards.source, "
        "cards.created_at, cards.updated_at FROM cards JOIN decks ON decks.id = cards.deck_id "
        "ORDER BY decks.name, cards.position, cards.id",
        {"today": store.today().isoformat()},
    )


def _daily_rows(store: Store) -> Iterator[tuple]:
    with store.snapshot():
        days = store.query(
            "SELECT day, count(*), sum(repeat), count(*) FILTER (WHERE quality >= "
            f"{CORRECT}), count(*) FILTER (WHERE repeat = 0), count(*) FILTER (WHERE repeat = 0 "
            f"AND quality >= {CORRECT}), total(duration_ms) FROM reviews GROUP BY day ORDER BY day"
        )
        firsts = {
            day: (count, correct) for day, count, correct in store.query(
                f"SELECT day, count(*), count(*) FILTER (WHERE quality >= {CORRECT}) "
                f"FROM ({_FIRST_ANSWERS}) GROUP BY day"
            )
        }
    for day, reviews, repeats, correct, answers, answers_correct, ms in days:
        new_cards, new_correct = firsts.get(day, (0, 0))
        review_answers, review_correct = answers - new_cards, answers_correct - new_correct
        yield (day, reviews, repeats, correct, new_cards, review_answers, review_correct,
               _rate(review_correct, review_answers), round(ms / 1000, 1))


def _fsrs_rows(store: Store) -> Iterator[tuple]:
    """The log as the FSRS optimizer reads it, card by card in time order.

    ``review_state`` is the card's state before the answer: 0 New (its first answer),
    2 Review (2+ successful repetitions in a row), else 3 Relearning once it has lapsed,
    or 1 Learning. Same-day repeats are kept (the optimizer uses the first of each day).
    Unknown durations are 0: the optimizer needs a number."""
    rows = store.conn.execute(
        "SELECT card_id, ts, quality, repeat, duration_ms FROM reviews ORDER BY card_id, ts, id"
    )
    current, repetitions, lapsed = None, None, False
    for card_id, ts, quality, repeat, duration_ms in rows:
        if card_id != current:
            current, repetitions, lapsed = card_id, None, False
        if repetitions is None:
            state = FSRS_NEW
        elif repetitions >= 2:
            state = FSRS_REVIEW
        else:
            state = FSRS_RELEARNING if lapsed else FSRS_LEARNING
        yield card_id, ts, FSRS_RATING[quality], state, duration_ms or 0
        if not repeat:
            repetitions = repetitions or 0
            lapsed = lapsed or (quality < CORRECT and repetitions > 0)
            repetitions = repetitions + 1 if quality >= CORRECT else 0


def _json_row(what: str) -> Any:
    """A function turning one export row into the JSON object of that row."""
    columns = export_columns(what)
    if what == "reviews":
        def convert(row: tuple) -> dict[str, Any]:
            record = dict(zip(columns, row))
            record["repeat"] = bool(record["repeat"])
            return record
    elif what == "cards":
        def convert(row: tuple) -> dict[str, Any]:
            record = dict(zip(columns, row))
            record["tags"] = json.loads(record["tags"])
            return record
    else:
        def convert(row: tuple) -> dict[str, Any]:
            return dict(zip(columns, row))
    return convert


def export_text(store: Store, what: str, fmt: str) -> Iterator[str]:
    """An export as chunks of text, streamed from a cursor (memory stays flat).

    ``what``: reviews (in time order), cards (retired included) or daily (one row per study
    day with answers); ``fmt``: csv (header, UTF-8, ISO dates), json (one list of objects),
    jsonl (one object a line) or fsrs (the reviews as the FSRS optimizer's CSV).
    """
    if what not in EXPORTS:
        raise ValueError(f"unknown export {what!r} (known: {', '.join(EXPORTS)})")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    if fmt == "fsrs" and what != "reviews":
        raise ValueError("--format fsrs exports the review log: use it with --what reviews")
    if fmt == "fsrs":
        rows = _fsrs_rows(store)
    else:
        rows = {"reviews": _review_rows, "cards": _card_rows, "daily": _daily_rows}[what](store)
    if fmt in ("csv", "fsrs"):
        return _csv_chunks(export_columns(what, fmt), rows)
    return _json_chunks(map(_json_row(what), rows), lines=fmt == "jsonl")


def _csv_chunks(columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows = iter(rows)
    while True:
        writer.writerows(islice(rows, _CHUNK_ROWS))
        chunk = buffer.getvalue()
        if len(chunk) == 0:
            return
        yield chunk
        buffer.seek(0)
        buffer.truncate()


def _json_chunks(records: Iterable[dict[str, Any]], lines: bool) -> Iterator[str]:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    records = iter(records)
    first = True
    if not lines:
        yield "["
    while True:
        batch = [dumps(record) for record in islice(records, _CHUNK_ROWS)]
        if not batch:
            break
        if lines:
            yield "\n".join(batch) + "\n"
        else:
            yield ("\n" if first else ",\n") + ",\n".join(batch)
        first = False
    if not lines:
        yield "]\n" if first else "\n]\n"


# -- import-reviews --------------------------------------------------------------------------------

# The keys import-reviews reads; the other export columns are recomputed, so ignored.
_READ_KEYS = ("review_id", "card_id", "deck", "card_key", "reviewed_at", "ts", "quality",
              "duration_ms")
_IGNORED_KEYS = frozenset(_REVIEW_COLUMNS) - frozenset(_READ_KEYS)


class ReviewImportError(Exception):
    """Problems with a reviews file, one ``FILE:LINE: what is wrong`` each; nothing written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportReport:
    """What import-reviews did (or, with dry_run, would do)."""

    lines: int
    added: int
    present: int
    cards: int
    dry_run: bool


class _Rollback(Exception):
    """Raised inside the write transaction of a dry run to undo it."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__()
        self.report = report


def import_reviews(store: Store, path: str | Path, dry_run: bool = False,
                   stream: Iterable[bytes] | None = None) -> ImportReport:
    """Merge a ``reviews`` JSONL export into the log: idempotent by review_id, one transaction.

    Per line, ``review_id``, ``reviewed_at`` (ISO 8601; without an offset it is local time)
    and ``quality`` (0..5) are required, with the card named by ``deck`` + ``card_key`` when
    both are present (the portable identity: card ids differ between databases), else by
    ``card_id``. Optional: ``duration_ms``, and ``ts``, the log's order in ms (it differs
    from reviewed_at only where a clock went back; default: reviewed_at). The state columns
    are recomputed: every card that gets a review has its log and state rebuilt from its
    answers in ``ts`` order. Any bad line raises ``ReviewImportError`` listing them all, and
    nothing is written.
    """
    label = str(path)
    errors: list[tuple[int, str]] = []
    lines = 0

    def parsed() -> Iterator[tuple]:
        nonlocal lines
        source = stream if stream is not None else open(path, "rb")  # noqa: SIM115
        try:
            for number, raw in enumerate(source, 1):
                lines = number
                row = _parse_line(raw, number, errors)
                if row is not None:
                    yield row
        finally:
            if stream is None:
                source.close()

    try:
        with store.write():
            store.stage_reviews(parsed())
            errors.extend(store.staged_review_problems())
            if errors:
                errors.sort()
                count = len(errors)
                raise ReviewImportError(
                    [f"{label}:{line}: {message}" for line, message in errors]
                    + [f"{count} error{'s' * (count != 1)}: nothing was written"]
                )
            staged = store.query("SELECT count(*) FROM temp.incoming_reviews")[0][0]
            added, cards = store.apply_staged_reviews()
            report = ImportReport(lines, added, staged - added, cards, dry_run)
            if dry_run:
                raise _Rollback(report)
    except _Rollback as rollback:
        return rollback.report
    return report


def _parse_line(raw: bytes, number: int, errors: list[tuple[int, str]]) -> tuple | None:
    """One staged row from one JSONL line, or None (blank, or its problems added to errors)."""
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
    if not isinstance(record, dict):
        errors.append((number, f"expected a JSON object, not {_json_kind(record)}"))
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
    for key, value in (("deck", deck), ("card_key", card_key)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{key} must be text, not {_json_kind(value)}")
    if card_id is not None and not _is_int(card_id):
        problems.append(f"card_id must be an integer, not {_json_kind(card_id)}")
    quality = record.get("quality")
    if "quality" in record and not (_is_int(quality) and 0 <= quality <= 5):
        problems.append(f"quality must be an integer from 0 to 5, not {json.dumps(quality)}")
    duration = record.get("duration_ms")
    if duration is not None and not (_is_int(duration) and duration >= 0):
        problems.append(f"duration_ms must be a whole number >= 0, not {json.dumps(duration)}")
    ts = record.get("ts")
    if ts is not None and not (_is_int(ts) and ts >= 0):
        problems.append(f"ts must be whole milliseconds since 1970, not {json.dumps(ts)}")
    moment = None
    reviewed_at = record.get("reviewed_at")
    if "reviewed_at" in record:
        if isinstance(reviewed_at, str):
            try:
                moment = clock.parse_moment(reviewed_at, what="reviewed_at")
            except clock.ClockError as error:
                problems.append(str(error))
        else:
            problems.append(f"reviewed_at must be ISO 8601 text, not {_json_kind(reviewed_at)}")
    if problems:
        errors.extend((number, problem) for problem in problems)
        return None
    if deck is None or card_key is None:
        deck = card_key = None
    # Whole milliseconds, so that ts and the reviewed_at text always say the same moment.
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if ts is None:  # the log's order; it differs from reviewed_at when a clock went back
        ts = round(moment.timestamp() * 1000)
    return (number, review_id, card_id, deck, card_key, clock.iso(moment), ts, quality,
            duration)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false",
             type(None): "null", float: "a number", int: "a number"}
    return kinds.get(type(value), type(value).__name__)


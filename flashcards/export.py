"""Exports that pandas and spreadsheets read directly: reviews, cards and daily figures.

Every export streams from a cursor, so memory does not grow with the log. Formats: csv
(header, UTF-8, ISO dates), json (one list of objects), jsonl (one object a line), and
fsrs (the review log as the FSRS optimizer's CSV).

CSV is made for spreadsheets unless ``raw``: it starts with a UTF-8 BOM (without one, Excel
reads UTF-8 as a legacy code page and garbles Chinese), and a text cell that a spreadsheet
would run as a formula gets a leading ``'`` (OWASP's advice on CSV injection). Numbers and
dates are never changed, JSON never. The fsrs CSV holds only numbers, for a program: as is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from flashcards import scheduling
from flashcards.stats import CORRECT, FIRST_ANSWERS, rate
from flashcards.store import LAST_ANSWER_DAY, Store, status_sql

EXPORTS = ("reviews", "cards", "daily", "actions", "cram")
EXPORT_FORMATS = ("csv", "json", "jsonl", "fsrs")
ANKI_FORMAT = "apkg"  # the decks as an Anki package: flashcards.anki.exporter
# SM-2 grades 0..5 to the FSRS optimizer's ratings: 1 Again, 2 Hard, 3 Good, 4 Easy.
FSRS_RATING = (1, 1, 1, 2, 3, 4)
FSRS_NEW, FSRS_LEARNING, FSRS_REVIEW, FSRS_RELEARNING = 0, 1, 2, 3
_CHUNK_ROWS = 2000
BOM = "\ufeff"
# A cell starting with one of these is a formula (or a step towards one) to a spreadsheet.
FORMULA_STARTS = frozenset("=+-@\t\r")


class ExportError(ValueError):
    """An export that cannot be made as asked, said in one line."""

REVIEW_COLUMNS = (
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
_ACTION_COLUMNS = (
    "action_id", "card_id", "deck", "card_key", "acted_at", "ts", "action", "until",
)
_CRAM_COLUMNS = (
    "review_id", "card_id", "deck", "card_key", "reviewed_at", "ts", "day", "quality",
    "duration_ms",
)
_FSRS_COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration")
# The columns holding text; the others hold numbers and ISO dates.
TEXT_COLUMNS = frozenset({
    "review_id", "deck", "card_key", "note_key", "type", "front", "back", "tags", "status",
    "source", "card_source", "action_id", "action",
})


# What the cards export adds when a deck is on FSRS: the memory state, and the probability
# of recall today (None for a card on SM-2, or new).
FSRS_CARD_COLUMNS = ("stability", "difficulty", "retrievability")


def export_columns(what: str, fmt: str = "csv", store: Store | None = None) -> tuple[str, ...]:
    """The columns (or JSON keys) of an export, in order; the cards export of a ``store``
    with a deck on FSRS ends with ``FSRS_CARD_COLUMNS``."""
    if fmt == "fsrs":
        return _FSRS_COLUMNS
    columns = {"reviews": REVIEW_COLUMNS, "cards": _CARD_COLUMNS, "daily": _DAILY_COLUMNS,
               "actions": _ACTION_COLUMNS, "cram": _CRAM_COLUMNS}[what]
    if what == "cards" and store is not None and store.uses_fsrs():
        columns += FSRS_CARD_COLUMNS
    return columns


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


def _action_rows(store: Store) -> Iterator[tuple]:
    """The card actions (suspend, forget, …) in time order, each with its card's identity."""
    return store.conn.execute(
        "SELECT a.id, a.card_id, decks.name, cards.key, a.acted_at, a.ts, a.action, a.until "
        "FROM card_actions AS a JOIN cards ON cards.id = a.card_id "
        "JOIN decks ON decks.id = cards.deck_id ORDER BY a.ts, a.id"
    )


def _cram_rows(store: Store) -> Iterator[tuple]:
    """The cram answers (custom study that moved no schedule) in time order."""
    return store.conn.execute(
        "SELECT c.id, c.card_id, decks.name, cards.key, c.reviewed_at, c.ts, c.day, c.quality, "
        "c.duration_ms FROM cram_answers AS c JOIN cards ON cards.id = c.card_id "
        "JOIN decks ON decks.id = cards.deck_id ORDER BY c.ts, c.id"
    )


def card_rows(store: Store, where: str = "1", params: dict[str, Any] | None = None,
              order: str = "decks.name, cards.position, cards.id",
              limit: int | None = None) -> Iterator[tuple]:
    """Rows of the cards export (its columns: ``export_columns("cards", store=store)``) for
    the cards matching an SQL condition over ``cards`` joined with ``decks``, in ``order``,
    at most ``limit`` of them; ``params`` are the condition's named parameters."""
    memory = store.uses_fsrs()
    rows = store.conn.execute(
        "SELECT cards.id, decks.name, cards.key, cards.note_key, cards.kind, cards.front, "
        f"cards.back, cards.tags, {status_sql()}, cards.repetitions, cards.interval, "
        "cards.easiness, cards.due, cards.lapses, cards.buried_until, "
        "decks.source_path || coalesce(':' || cards.line, ''), cards.source, "
        "cards.created_at, cards.updated_at"
        + (f", cards.stability, cards.difficulty, cards.deck_id, {LAST_ANSWER_DAY}"
           if memory else "")
        + " FROM cards JOIN decks ON decks.id = cards.deck_id "
        f"WHERE {where} ORDER BY {order}{' LIMIT :limit' if limit else ''}",
        {"today": store.today().isoformat(), **(params or {}), "limit": limit},
    )
    return _with_retrievability(store, rows) if memory else rows


def _with_retrievability(store: Store, rows: Iterable[tuple]) -> Iterator[tuple]:
    """Card rows ending in stability, difficulty, deck id and last answer day, as rows
    ending in ``FSRS_CARD_COLUMNS``: the recall probability today under the deck's model."""
    schedulers, today = store.deck_schedulers(), store.today()
    for *row, stability, difficulty, deck_id, last_day in rows:
        chance = None
        if stability is not None:
            elapsed = (today - date.fromisoformat(last_day)).days
            chance = round(schedulers[deck_id].model.retrievability(stability, max(elapsed, 0)),
                           4)
        yield (*row, stability, difficulty, chance)


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
                f"FROM ({FIRST_ANSWERS}) GROUP BY day"
            )
        }
    for day, reviews, repeats, correct, answers, answers_correct, ms in days:
        new_cards, new_correct = firsts.get(day, (0, 0))
        review_answers, review_correct = answers - new_cards, answers_correct - new_correct
        yield (day, reviews, repeats, correct, new_cards, review_answers, review_correct,
               rate(review_correct, review_answers), round(ms / 1000, 1))


def _fsrs_rows(store: Store) -> Iterator[tuple]:
    """The log as the FSRS optimizer reads it, card by card in time order.

    ``review_state`` is the card's state before the answer: 0 New (its first answer),
    2 Review (2+ successful repetitions in a row), else 3 Relearning once it has lapsed,
    or 1 Learning. Same-day repeats are kept (the optimizer uses the first of each day).
    Unknown durations are 0: the optimizer needs a number."""
    rows = store.conn.execute(
        "SELECT card_id, ts, day, quality, duration_ms FROM reviews ORDER BY card_id, ts, id"
    )
    current, progress = None, scheduling.Progress()
    for card_id, ts, day, quality, duration_ms in rows:
        if card_id != current:
            current, progress = card_id, scheduling.Progress()
        yield card_id, ts, FSRS_RATING[quality], _fsrs_state(progress), duration_ms or 0
        progress.answer(quality, date.fromisoformat(day))


def _fsrs_state(progress: scheduling.Progress) -> int:
    if progress.last_day is None:
        return FSRS_NEW
    if progress.state.repetitions >= 2:
        return FSRS_REVIEW
    return FSRS_RELEARNING if progress.lapses else FSRS_LEARNING


def _json_row(what: str, columns: tuple[str, ...]) -> Any:
    """A function turning one export row (of these columns) into its JSON object."""
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


def export_text(store: Store, what: str, fmt: str, raw: bool = False) -> Iterator[str]:
    """An export as chunks of text, streamed from a cursor (memory stays flat).

    ``what``: reviews (in time order), cards (retired included), daily (one row per study
    day with answers), actions (the card actions of the log) or cram (the cram answers); ``fmt``: csv (header, UTF-8, ISO dates), json (one list of objects),
    jsonl (one object a line) or fsrs (the reviews as the FSRS optimizer's CSV). A csv is
    for spreadsheets (a BOM, formulas made text) unless ``raw``.
    """
    if what not in EXPORTS:
        raise ExportError(f"unknown export {what!r} (known: {', '.join(EXPORTS)})")
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    if fmt == "fsrs" and what != "reviews":
        raise ExportError("--format fsrs exports the review log: use --what reviews")
    if fmt == "fsrs":
        rows = _fsrs_rows(store)
    else:
        rows = {"reviews": _review_rows, "cards": card_rows, "daily": _daily_rows,
                "actions": _action_rows, "cram": _cram_rows}[what](store)
    if fmt in ("csv", "fsrs"):
        return _csv_chunks(export_columns(what, fmt, store), rows,
                           spreadsheet=fmt == "csv" and not raw)
    return json_chunks(what, rows, lines=fmt == "jsonl", columns=export_columns(what, fmt, store))


def _csv_chunks(columns: tuple[str, ...], rows: Iterable[tuple],
                spreadsheet: bool) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if spreadsheet:
        buffer.write(BOM)
        text = [index for index, column in enumerate(columns) if column in TEXT_COLUMNS]
        if text:
            rows = _formulas_as_text(rows, text)
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


def _formulas_as_text(rows: Iterable[tuple], text: list[int]) -> Iterator[list]:
    """Rows whose text cells (at the indexes ``text``) that start like a formula begin with
    a ``'``, which a spreadsheet reads as "this is text" and does not show."""
    for row in rows:
        row = list(row)
        for index in text:
            cell = row[index]
            if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
                row[index] = "'" + cell
        yield row


def json_chunks(what: str, rows: Iterable[tuple], lines: bool = False,
                columns: tuple[str, ...] | None = None) -> Iterator[str]:
    """Rows of the export ``what`` as JSON text in chunks: one list of objects, or with
    ``lines`` one object a line; ``columns`` are the rows' (by default ``what``'s own)."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    records = map(_json_row(what, columns or export_columns(what)), rows)
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

"""Progress figures, aggregated in SQLite. No UI.

Definitions (the README says the same to users):

* **status** of a card, first match wins: ``retired``; ``leech``; ``suspended``; ``buried``
  (``buried_until`` after today); ``new`` (never answered); ``learning`` (fewer than 2
  successful repetitions in a row: SM-2's fixed 1- and 6-day steps, or failed last time);
  else ``review``. For the figures a review card is ``young`` (interval < 21 days) or
  ``mature``. ``store.status_sql`` is the one place that says this.
* **cards** of a deck: its cards that are not retired (so the states add up to it).
* **due** on a day: cards a review could show that day (not retired, suspended or buried)
  whose due day has come, overdue ones included; new cards are not counted. ``due_tomorrow``
  is the same count for tomorrow, if nothing more is reviewed today.
* **reviews**: every logged answer, same-day repeats included; **cram answers** (custom
  study with ``--cram``) are counted apart and in no other figure.
* **review answers**: answers that move SM-2 (the first of a study day for a card) on cards
  that had been answered before (not new). **retention** over N days is the share of the
  review answers of the last N study days (today included) graded 3 or more.
* **streak**: consecutive study days with at least one answer, ending today, or ending
  yesterday while nothing is answered yet today (so the morning does not show 0).
* **retrievability** of a deck on FSRS: the average probability, by its FSRS model, that
  its answered cards (not retired or suspended) are recalled today; shown next to the
  desired retention and the retention the log shows (``retention_30d``: the true one).
* **forecast**: for each of the next 30 days (today first), how many cards fall due that day
  if nothing is reviewed in between; overdue cards count today, buried ones on the day
  they come back.

Everything is computed by a few aggregate queries over covering indexes (migrations 2 and
8), none of which reads the whole log: the answers on new cards are counted from each
card's cached first answer, the card counts and the forecast read the index of the cards
that are not plain new ones, and the figures per day come from ``review_days`` (the log per
study day and deck, which the store keeps as the log changes). With 100,000 cards and
1,000,000 reviews ``compute_stats`` takes about 0.05 s.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from flashcards.model import DeckFigures, ForecastDay, HeatmapDay, Retention, StatsFigures, Totals
from flashcards.scheduling import PASSING_GRADE
from flashcards.schema import DAYS_FROM_LOG, NOT_PLAIN_NEW
from flashcards.store import LAST_ANSWER_DAY, Store, StoreError, status_sql

# The states of the figures: a review card is young or mature.
STATES = ("new", "learning", "young", "mature", "suspended", "buried", "leech", "retired")
RETENTION_DAYS = (7, 30, 365)
FORECAST_DAYS = 30
HEATMAP_DAYS = 365
CORRECT = PASSING_GRADE


def card_status(store: Store, card_id: int, today: date | None = None) -> str:
    """One card's status (see ``store.status_sql``)."""
    today = today or store.today()
    row = store.conn.execute(
        f"SELECT {status_sql()} FROM cards WHERE id = :id",
        {"today": today.isoformat(), "id": card_id},
    ).fetchone()
    if row is None:
        raise StoreError(f"no card with id {card_id}")
    return row[0]


# -- figures ---------------------------------------------------------------------------------


def compute_stats(store: Store, today: date | None = None) -> StatsFigures:
    """Every figure of ``flashcards stats``; ``as_json()`` of the result is its ``--json``."""
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
        total_reviews = store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        days = _review_days(store, total_reviews)
        decks = _deck_figures(store, params, days)
        forecast = _forecast(store, params, decks)
        per_day = {
            day: rest for day, *rest in store.conn.execute(
                "SELECT day, sum(reviews), sum(answers), sum(correct), sum(duration_ms) "
                f"FROM {days} WHERE day BETWEEN :since AND :today GROUP BY day",
                params,
            )
        }
        # First answers of cards (the answers on new cards), by deck and day.
        firsts = store.conn.execute(
            f"SELECT deck_id, day, count(*), count(*) FILTER (WHERE quality >= {CORRECT}) "
            f"FROM ({FIRST_ANSWERS}) WHERE day BETWEEN :since AND :today GROUP BY day, deck_id",
            params,
        ).fetchall()
        study_days = [date.fromisoformat(row[0]) for row in store.conn.execute(
            f"SELECT DISTINCT day FROM {days} ORDER BY day")]
        cram_answers, cram_today = store.conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE day = :today) FROM cram_answers", params
        ).fetchone()

    retention = {}
    for days in RETENTION_DAYS:
        start = (today - timedelta(days=days - 1)).isoformat()
        answers = sum(row[1] for day, row in per_day.items() if day >= start)
        correct = sum(row[2] for day, row in per_day.items() if day >= start)
        answers -= sum(row[2] for row in firsts if row[1] >= start)
        correct -= sum(row[3] for row in firsts if row[1] >= start)
        retention[f"{days}d"] = Retention(days=days, answers=answers, correct=correct,
                                          rate=rate(correct, answers))
    for row in firsts:
        if row[1] >= params["since30"] and row[0] in decks:
            decks[row[0]]["_answers"] -= row[2]
            decks[row[0]]["_correct"] -= row[3]
    schedulers = store.deck_schedulers()
    recall = _retrievability(store, today, schedulers)
    desired = store.config()["desired_retention"]
    deck_list = tuple(
        DeckFigures(name=deck["name"], **_card_counts(deck),
                    retention_30d=rate(deck["_correct"], deck["_answers"]),
                    scheduler=schedulers[deck_id].name,
                    desired_retention=desired if schedulers[deck_id].name == "fsrs" else None,
                    retrievability=recall.get(deck_id))
        for deck_id, deck in sorted(decks.items(), key=lambda item: item[1]["name"])
    )

    current, longest = streaks(study_days, today)
    today_row = per_day.get(params["today"], (0, 0, 0, 0.0))
    counts = {key: sum(deck[key] for deck in decks.values()) for key in _DECK_COUNTS}
    counts["reviews_today"] = today_row[0]  # from the log, as the heatmap's today
    totals = Totals(
        **_card_counts(counts),
        reviews=total_reviews,
        cram_answers=cram_answers,
        cram_today=cram_today,
        seconds_today=round(today_row[3] / 1000, 1),
        retention_7d=retention["7d"].rate,
        retention_30d=retention["30d"].rate,
        retention_365d=retention["365d"].rate,
        streak=current,
        longest_streak=longest,
        studied_today=today in study_days,
    )
    days_ahead = (today + timedelta(days=n) for n in range(FORECAST_DAYS))
    days_back = (since + timedelta(days=n) for n in range(HEATMAP_DAYS))
    return StatsFigures(
        today=today,
        rollover_hour=store.config()["rollover_hour"],
        totals=totals,
        decks=deck_list,
        retention=retention,
        forecast=tuple(ForecastDay(day=d, due=forecast.get(d.isoformat(), 0))
                       for d in days_ahead),
        heatmap=tuple(HeatmapDay(day=d, reviews=per_day.get(d.isoformat(), (0,))[0])
                      for d in days_back),
    )


# The first answer of every answered card, as the card caches it (migration 8): its study
# day, deck and grade; by day through an index.
FIRST_ANSWERS = (
    "SELECT first_day AS day, deck_id, first_quality AS quality FROM cards "
    "WHERE first_day IS NOT NULL"
)
_DECK_COUNTS = ("cards", *STATES, "due", "due_tomorrow", "reviews_today")


def _review_days(store: Store, total_reviews: int) -> str:
    """What the figures per study day and deck are read from: ``review_days``, which the
    store keeps as the log changes, or, when it does not count every answer of the log (a
    database written by something that did not keep it), the same figures from the whole
    log (``DAYS_FROM_LOG``, slower)."""
    (kept,) = store.conn.execute("SELECT coalesce(sum(reviews), 0) FROM review_days").fetchone()
    return "review_days" if kept == total_reviews else f"({DAYS_FROM_LOG}) AS review_days"


def _deck_figures(store: Store, params: dict[str, str],
                  days: str) -> dict[int, dict[str, Any]]:
    """Per deck id: cards by state, reviews today, and the raw 30-day answer counts (first
    answers are taken off by the caller; ``_forecast`` adds the due counts), the answers
    read from ``days`` (see ``_review_days``)."""
    decks = {
        deck_id: {"name": name, **dict.fromkeys(_DECK_COUNTS, 0), "_answers": 0, "_correct": 0}
        for deck_id, name in store.query("SELECT id, name FROM decks")
    }
    # A plain new card (``NOT_PLAIN_NEW``) is new: only the others are looked at one by one.
    for deck_id, unanswered in store.conn.execute(
            "SELECT deck_id, count(*) FROM cards WHERE due IS NULL GROUP BY deck_id"):
        decks[deck_id]["new"] = unanswered
    # Grouped by deck alone, the index's order, and the states counted here: grouping by
    # state too would sort every card (twice the time).
    rows = store.conn.execute(
        "SELECT deck_id, count(*) FILTER (WHERE due IS NULL), "
        f"group_concat({status_sql(split_review=True)}) FROM cards "
        f"WHERE {NOT_PLAIN_NEW} GROUP BY deck_id",
        params,
    )
    for deck_id, unanswered, states in rows:
        deck = decks[deck_id]
        deck["new"] -= unanswered  # counted by their state, just below
        for state, count in Counter(states.split(",")).items():
            deck[state] += count
    for deck in decks.values():
        deck["cards"] = sum(deck[state] for state in STATES if state != "retired")
    rows = store.conn.execute(
        "SELECT deck_id, coalesce(sum(reviews) FILTER (WHERE day = :today), 0), sum(answers), "
        f"sum(correct) FROM {days} WHERE day BETWEEN :since30 AND :today GROUP BY deck_id",
        params,
    )
    for deck_id, today, answers, correct in rows:
        decks[deck_id].update(reviews_today=today, _answers=answers, _correct=correct)
    return decks


def _forecast(store: Store, params: dict[str, str],
              decks: dict[int, dict[str, Any]]) -> dict[str, int]:
    """Cards falling due on each day of the forecast, by ISO day; adds each deck's due
    counts (``due``: the forecast's today, ``due_tomorrow``: its today and tomorrow)."""
    forecast: dict[str, int] = {}
    today, tomorrow, last = params["today"], params["tomorrow"], params["last"]
    rows = store.conn.execute(
        f"SELECT deck_id, due, buried_until, count(*) FROM cards WHERE {NOT_PLAIN_NEW} "
        "AND retired = 0 AND suspended = 0 AND due <= :last "
        "GROUP BY deck_id, due, buried_until",  # the index's order: nothing to sort
        params,
    )
    for deck_id, due, buried_until, count in rows:
        # Overdue cards count today, buried ones on the day they come back.
        day = max(due, today, buried_until or "")
        if day <= last:
            forecast[day] = forecast.get(day, 0) + count
        decks[deck_id]["due"] += count * (day == today)
        decks[deck_id]["due_tomorrow"] += count * (day <= tomorrow)
    return forecast


def _retrievability(store: Store, today: date,
                    schedulers: dict[int, Any]) -> dict[int, float]:
    """Per deck on FSRS, the average probability that its answered cards (not retired or
    suspended) are recalled today, to 4 places."""
    fsrs_decks = [deck_id for deck_id, scheduler in schedulers.items()
                  if scheduler.name == "fsrs"]
    if not fsrs_decks:
        return {}
    sums: dict[int, list[float]] = {}
    for deck_id, stability, last_day in store.conn.execute(
            f"SELECT deck_id, stability, {LAST_ANSWER_DAY} FROM cards "
            "WHERE stability IS NOT NULL AND retired = 0 AND suspended = 0 "
            f"AND deck_id IN ({','.join('?' * len(fsrs_decks))})",
            fsrs_decks):
        elapsed = max((today - date.fromisoformat(last_day)).days, 0)
        chance = schedulers[deck_id].model.retrievability(stability, elapsed)
        sums.setdefault(deck_id, []).append(chance)
    return {deck_id: round(sum(values) / len(values), 4) for deck_id, values in sums.items()}


def _card_counts(counts: dict[str, Any]) -> dict[str, Any]:
    """The fields of a ``CardCounts`` from counts by column name (``_DECK_COUNTS``)."""
    return {"cards": counts["cards"], "states": {state: counts[state] for state in STATES},
            "due": counts["due"], "due_tomorrow": counts["due_tomorrow"],
            "reviews_today": counts["reviews_today"]}


def rate(correct: int, answers: int) -> float | None:
    """The share of correct answers, to 4 places; None without answers."""
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

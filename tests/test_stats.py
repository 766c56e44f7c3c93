"""Stats: statuses, due and forecast, streaks across the rollover hour, retention, heatmap,
all checked against figures computed by hand; the `stats` command."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards import export, report, stats
from flashcards.cli import cli
from flashcards.history import import_reviews
from flashcards.model import HeatmapDay, Retention
from flashcards.report import heat_levels, heatmap_weeks
from flashcards.scheduling import ACTIONS, DAY_ACTIONS, LEECH_LAPSES
from flashcards.schema import DAYS_FROM_LOG, NOT_PLAIN_NEW
from flashcards.stats import card_status, compute_stats, streaks
from flashcards.store import Store, due_sql, status_sql
from flashcards.sync import import_files

TODAY = date(2026, 3, 10)  # conftest: FLASHCARDS_NOW = 2026-03-10T09:00:00+01:00, rollover 4


def at(day: str, time: str = "09:00") -> datetime:
    """A moment in the fixed clock's UTC offset."""
    return datetime.fromisoformat(f"{day}T{time}:00+01:00")


def deck_yaml(name: str, keys: list[str]) -> str:
    cards = "".join(f"  - id: {key}\n    front: q {key}\n    back: a {key}\n" for key in keys)
    return f"deck: '{name}'\ncards:\n{cards}"


def load(store: Store, write_deck, name: str, keys: list[str], file: str | None = None) -> dict:
    """Import one deck; returns its card ids by key."""
    import_files(store, [write_deck(deck_yaml(name, keys), file or f"{keys[0]}.yaml")])
    return dict(store.query(
        "SELECT cards.key, cards.id FROM cards JOIN decks ON decks.id = cards.deck_id "
        "WHERE decks.name = ?", (name,),
    ))


def answer(store: Store, card_id: int, *steps: tuple[str, int] | tuple[str, str, int]) -> None:
    for step in steps:
        day, *time, quality = step
        store.answer(card_id, quality, duration_ms=5000, at=at(day, *time))


# -- statuses, due, forecast -------------------------------------------------------------


@pytest.fixture
def one_of_each(store: Store, write_deck) -> dict[str, int]:
    """A deck with one card in each state, and what is due when (worked out by hand)."""
    keys = ["new", "learning", "young", "mature", "suspended", "buried", "leech", "retired"]
    ids = load(store, write_deck, "各种 [b]状态[/b]", keys, "states.yaml")
    answer(store, ids["learning"], ("2026-03-09", 4))  # 1 day: due 03-10
    answer(store, ids["young"], ("2026-03-03", 4), ("2026-03-04", 4))  # then 6 days: due 03-10
    # q5 x4: intervals 1, 6, ceil(6 * 2.7) = 17, ceil(17 * 2.8) = 48 -> due 03-21
    answer(store, ids["mature"], ("2025-12-01", 5), ("2025-12-02", 5), ("2025-12-08", 5),
           ("2026-02-01", 5))
    answer(store, ids["suspended"], ("2026-03-09", 4))
    store.act([ids["suspended"]], "suspend")
    answer(store, ids["buried"], ("2026-03-09", 4))  # due 03-10, hidden until 03-11
    store.act([ids["buried"]], "bury", date(2026, 3, 11))
    day = date(2026, 1, 1)
    for _ in range(LEECH_LAPSES):  # good, then wrong the next day: one lapse each time
        answer(store, ids["leech"], (day.isoformat(), 4), ((day + timedelta(1)).isoformat(), 1))
        day += timedelta(days=2)
    answer(store, ids["retired"], ("2026-03-09", 4))
    load(store, write_deck, "各种 [b]状态[/b]", keys[:-1], "states.yaml")  # retires the last
    return ids


def test_each_card_gets_the_status_of_the_definition(store, one_of_each):
    expected = {"new": "new", "learning": "learning", "young": "review", "mature": "review",
                "suspended": "suspended", "buried": "buried", "leech": "leech",
                "retired": "retired"}
    for key, status in expected.items():
        assert card_status(store, one_of_each[key]) == status, key
    assert store.card(one_of_each["mature"]).interval == 48
    assert card_status(store, one_of_each["buried"], today=date(2026, 3, 11)) == "learning"


def test_cards_by_state_due_and_forecast_match_the_hand_count(store, one_of_each):
    figures = compute_stats(store)
    (deck,) = figures.decks
    assert deck.name == "各种 [b]状态[/b]"
    for state in stats.STATES:
        assert deck.states[state] == 1, state
    assert deck.cards == 7  # retired cards are not counted as the deck's cards
    assert deck.due == 2  # learning and young; the buried card comes back tomorrow
    assert deck.due_tomorrow == 3
    assert (deck.due, deck.due_tomorrow) == (
        store.count_due(TODAY), store.count_due(TODAY + timedelta(days=1))
    )
    forecast = {entry.day.isoformat(): entry.due for entry in figures.forecast}
    assert len(forecast) == 30 and min(forecast) == "2026-03-10" and max(forecast) == "2026-04-08"
    assert {day: n for day, n in forecast.items() if n} == {
        "2026-03-10": 2, "2026-03-11": 1, "2026-03-21": 1,
    }
    totals = figures.totals
    assert (totals.cards, totals.states["new"], totals.due, totals.due_tomorrow) == (7, 1, 2, 3)


def test_overdue_cards_count_today_in_the_forecast(store, write_deck):
    ids = load(store, write_deck, "d", ["a", "b"])
    answer(store, ids["a"], ("2026-02-01", 4))  # due 02-02: long overdue
    forecast = compute_stats(store).forecast
    assert forecast[0].as_json() == {"date": "2026-03-10", "due": 1}
    assert sum(day.due for day in forecast) == 1


# -- streaks across the rollover hour ------------------------------------------------------


def test_streak_counts_study_days_not_calendar_days(store, write_deck):
    ids = load(store, write_deck, "d", ["a", "b", "c"])
    answer(store, ids["c"], ("2026-03-05", 4), ("2026-03-06", 4))  # an older streak of 2
    answer(store, ids["a"], ("2026-03-08", "10:00", 4))
    # 02:30 on the 9th is before the 4 am rollover: still study day the 8th.
    answer(store, ids["b"], ("2026-03-09", "02:30", 4))
    figures = compute_stats(store)
    # Both answers are on study day the 8th and yesterday (the 9th) has none: no streak.
    # (Counted by calendar date, the 02:30 answer would have made it 2.)
    assert figures.totals.streak == 0
    answer(store, ids["b"], ("2026-03-09", "23:00", 4))
    # 03:59 on the 10th is still study day the 9th; today has nothing yet, so the streak
    # ends yesterday and is not broken in the morning.
    answer(store, ids["a"], ("2026-03-10", "03:59", 4))
    totals = compute_stats(store).totals
    assert (totals.streak, totals.studied_today, totals.reviews_today) == (2, False, 0)
    answer(store, ids["c"], ("2026-03-10", "04:00", 4))
    totals = compute_stats(store).totals
    assert (totals.streak, totals.studied_today, totals.reviews_today) == (3, True, 1)
    assert totals.longest_streak == 3


def test_streak_is_zero_after_a_missed_day():
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 8)]
    assert streaks(days, date(2026, 3, 10)) == (0, 3)
    assert streaks(days, date(2026, 3, 9)) == (1, 3)
    assert streaks(days, date(2026, 3, 8)) == (1, 3)
    assert streaks([], date(2026, 3, 8)) == (0, 0)
    assert streaks([date(2026, 3, 11)], date(2026, 3, 10)) == (0, 0)  # a clock ahead


# -- retention --------------------------------------------------------------------------


def test_retention_counts_review_answers_only(store, write_deck):
    ids = load(store, write_deck, "语言", ["a", "b"], "lang.yaml")
    other = load(store, write_deck, "数学", ["c"], "math.yaml")
    # a: first answer (new: not counted), 03-02 right, 03-08 wrong, then a same-day repeat.
    answer(store, ids["a"], ("2026-03-01", 4), ("2026-03-02", 5), ("2026-03-08", 2),
           ("2026-03-08", "09:05", 4))
    # b: new on 03-09 (not counted), right today.
    answer(store, ids["b"], ("2026-03-09", 1), ("2026-03-10", "05:00", 3))
    # c: new before the year; wrong on the first day of the 365-day window, right in January.
    answer(store, other["c"], ("2025-01-10", 4), ("2025-03-11", 2), ("2026-01-16", 4))
    figures = compute_stats(store)
    retention = figures.retention
    assert retention["7d"] == Retention(days=7, answers=2, correct=1, rate=0.5)
    assert retention["30d"] == Retention(days=30, answers=3, correct=2, rate=0.6667)
    assert retention["365d"] == Retention(days=365, answers=5, correct=3, rate=0.6)
    totals = figures.totals
    assert (totals.retention_7d, totals.retention_30d, totals.retention_365d) == (
        0.5, 0.6667, 0.6)
    assert totals.reviews == 9 and totals.reviews_today == 1
    assert totals.seconds_today == 5.0
    decks = {deck.name: deck for deck in figures.decks}
    assert decks["语言"].retention_30d == 0.6667 and decks["语言"].reviews_today == 1
    assert decks["数学"].retention_30d is None and decks["数学"].reviews_today == 0


def test_an_empty_database_has_zero_figures_and_no_rates(store):
    figures = compute_stats(store)
    assert figures.decks == ()
    assert figures.totals.cards == 0 and figures.totals.streak == 0
    assert figures.totals.retention_30d is None
    assert len(figures.heatmap) == 365 and not any(d.reviews for d in figures.heatmap)


# -- heatmap --------------------------------------------------------------------------------


def test_heatmap_is_the_last_365_study_days(store, write_deck):
    ids = load(store, write_deck, "d", ["a", "b"])
    answer(store, ids["a"], ("2025-03-10", 4))  # 365 days ago: just outside
    answer(store, ids["a"], ("2025-03-11", 4), ("2025-03-11", "10:00", 4))
    answer(store, ids["b"], ("2026-03-10", "02:00", 4))  # study day 03-09
    heatmap = compute_stats(store).heatmap
    assert heatmap[0].as_json() == {"date": "2025-03-11", "reviews": 2}
    assert heatmap[-1].as_json() == {"date": "2026-03-10", "reviews": 0}
    assert heatmap[-2].as_json() == {"date": "2026-03-09", "reviews": 1}
    assert sum(day.reviews for day in heatmap) == 3


def test_heat_levels_are_quartiles_of_the_busy_days():
    assert heat_levels([0, 0]) == [0, 0]
    assert heat_levels([0, 1, 2, 3, 4, 100]) == [0, 1, 1, 2, 3, 4]
    assert heat_levels([5, 5, 5]) == [1, 1, 1]


def test_heatmap_weeks_are_columns_monday_first():
    heatmap = [HeatmapDay(day=date(2026, 3, 4) + timedelta(n), reviews=n)
               for n in range(7)]  # Wednesday 03-04 .. Tuesday 03-10
    weeks = heatmap_weeks(heatmap)
    assert len(weeks) == 2 and all(len(week) == 7 for week in weeks)
    assert weeks[0][:2] == [None, None]  # Monday and Tuesday before the range
    assert weeks[0][2][:2] == (date(2026, 3, 4), 0)
    assert weeks[1][1][:2] == (date(2026, 3, 10), 6)
    assert weeks[1][2:] == [None] * 5


def test_heatmap_text_draws_each_day_with_its_shade():
    heatmap = [HeatmapDay(day=date(2025, 3, 11) + timedelta(n), reviews=n % 5)
               for n in range(365)]
    text = report.heatmap_text(heatmap, width=80)
    lines = text.plain.splitlines()
    assert lines[1].startswith("Mon ") and lines[7].startswith("Sun ")
    cells = "".join(line[4:] for line in lines[1:8])
    assert sum(cells.count(char) for char in report.HEAT_CHARS) == 365
    narrow = report.heatmap_text(heatmap, width=30).plain.splitlines()
    assert max(len(line) for line in narrow[:8]) <= 30


# -- the command ------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_stats_json_has_the_documented_shape(store, one_of_each):
    result = run("stats", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["today"] == "2026-03-10"
    assert set(figures["totals"]) >= {"cards", "new", "due", "reviews", "retention_30d", "streak"}
    assert set(figures["decks"][0]) >= {"name", "cards", "new", "due"}
    assert set(figures["forecast"][0]) == {"date", "due"} and len(figures["forecast"]) == 30
    assert set(figures["heatmap"][0]) == {"date", "reviews"} and len(figures["heatmap"]) == 365
    assert figures == json.loads(json.dumps(compute_stats(store).as_json(), ensure_ascii=False))


def test_as_json_is_exactly_what_stats_json_prints(store, one_of_each):
    """The typed figures give the command's JSON to the byte, and the JSON keeps the keys
    and the order it has always had (a published format: scripts read it)."""
    result = run("stats", "--json")
    figures = compute_stats(store).as_json()
    assert result.output == json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
    printed = json.loads(result.output)
    counts = ["cards", *stats.STATES, "due", "due_tomorrow", "reviews_today"]
    assert list(printed) == ["today", "rollover_hour", "totals", "decks", "retention",
                             "forecast", "heatmap"]
    assert list(printed["totals"]) == [*counts, "reviews", "cram_answers", "cram_today",
                                       "seconds_today", "retention_7d",
                                       "retention_30d", "retention_365d", "streak",
                                       "longest_streak", "studied_today"]
    assert [list(deck) for deck in printed["decks"]] == [
        ["name", *counts, "retention_30d", "scheduler", "desired_retention", "retrievability"]]
    assert [(window, list(entry)) for window, entry in printed["retention"].items()] == [
        (window, ["days", "answers", "correct", "rate"]) for window in ("7d", "30d", "365d")]
    assert (list(printed["forecast"][0]), list(printed["heatmap"][0])) == (
        ["date", "due"], ["date", "reviews"])
    assert printed["rollover_hour"] == 4 and printed["totals"]["studied_today"] is False
    assert '"seconds_today": 0.0,' in result.output  # a float, even when it is whole


def test_stats_prints_tables_with_deck_names_as_literal_text(store, one_of_each):
    result = run("stats")
    assert result.exit_code == 0, result.output
    assert "各种 [b]状态[/b]" in result.output  # markup in a deck name stays text
    for word in ("streak", "retention", "mature", "due in the next 30 days", "less", "more"):
        assert word in result.output


def test_stats_on_an_empty_database_says_how_to_start():
    result = run("stats")
    assert result.exit_code == 0
    assert "flashcards import" in result.output


def test_stats_module_loads_no_ui():
    code = ("import sys, flashcards.stats; "
            "print(sorted(m for m in ('textual', 'rich', 'sqlite_utils') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- scale: the plans that keep a million reviews fast ----------------------------------------


def test_figures_read_the_log_only_through_covering_indexes(store, one_of_each):
    """Every query of compute_stats and of the daily export reads reviews from an index
    that holds all it needs (no lookup per review into the table): what makes 1M fast."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    compute_stats(store)
    "".join(export.export_text(store, "daily", "csv"))
    store.conn.set_trace_callback(None)
    selects = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) >= 8
    for sql in selects:
        plan = [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        for step in plan:
            if " reviews" in step and ("SCAN" in step or "SEARCH" in step):
                assert "COVERING INDEX" in step, (sql, plan)


def test_a_version_1_database_gets_the_new_indexes(tmp_path):
    import sqlite3

    import sqlite_utils

    from flashcards.schema import SCHEMA_VERSION, _migration_1

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    _migration_1(sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.version == SCHEMA_VERSION
    indexes = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_reviews_card_history", "idx_reviews_day_stats", "idx_cards_identity"} <= indexes
    assert not {"idx_reviews_card_id_ts", "idx_reviews_day"} & indexes  # their prefixes
    store.close()


# -- the figures kept on the cards equal the whole log's -----------------------------------------

# The queries the figures used before migration 8, over the whole log and every card: what the
# cached first answers and the index of the cards that are not plain new ones must give.
FULL_STATES = (
    f"SELECT decks.name, {status_sql(split_review=True)} AS state, count(*), "
    f"count(*) FILTER (WHERE {due_sql(':today')}), "
    f"count(*) FILTER (WHERE {due_sql(':tomorrow')}) "
    "FROM cards NOT INDEXED JOIN decks ON decks.id = cards.deck_id GROUP BY decks.name, state"
)
FULL_FIRSTS = (
    "SELECT decks.name, first.day, count(*), count(*) FILTER (WHERE first.quality >= 3) FROM "
    "(SELECT card_id, day, quality, row_number() OVER (PARTITION BY card_id ORDER BY ts, id) "
    "AS n FROM reviews) AS first JOIN cards ON cards.id = first.card_id JOIN decks ON "
    "decks.id = cards.deck_id WHERE first.n = 1 GROUP BY decks.name, first.day"
)
FULL_FORECAST = (
    "SELECT max(due, :today, coalesce(buried_until, '')) AS day, count(*) FROM cards "
    "WHERE retired = 0 AND suspended = 0 AND due IS NOT NULL AND day <= :last GROUP BY day"
)


def figures_from_the_whole_log(store: Store, today: date) -> tuple:
    """(cards by deck and state, with due today and tomorrow; first answers by deck and day;
    the forecast) by the full queries."""
    params = {"today": today.isoformat(), "tomorrow": (today + timedelta(days=1)).isoformat(),
              "last": (today + timedelta(days=stats.FORECAST_DAYS - 1)).isoformat()}
    states: dict[str, dict[str, int]] = {}
    for deck, state, count, due, due_tomorrow in store.query(FULL_STATES, params):
        counts = states.setdefault(deck, {"due": 0, "due_tomorrow": 0})
        counts[state] = count
        counts["due"] += due
        counts["due_tomorrow"] += due_tomorrow
    forecast = dict(store.query(FULL_FORECAST, params))
    return states, sorted(store.query(FULL_FIRSTS)), forecast


def figures_kept(store: Store, today: date) -> tuple:
    """The same figures as ``compute_stats`` gives them, and the cached first answers."""
    figures = compute_stats(store, today)
    states = {deck.name: {**{state: count for state, count in deck.states.items() if count},
                          "due": deck.due, "due_tomorrow": deck.due_tomorrow}
              for deck in figures.decks if deck.cards or deck.states["retired"]}
    firsts = store.query(
        f"SELECT decks.name, first.day, count(*), count(*) FILTER (WHERE quality >= 3) "
        f"FROM ({stats.FIRST_ANSWERS}) AS first JOIN decks ON decks.id = first.deck_id "
        "GROUP BY decks.name, first.day")
    forecast = {day.day.isoformat(): day.due for day in figures.forecast if day.due}
    return states, sorted(firsts), forecast


def review_line(key: str, moment: datetime, quality: int, number: int) -> str:
    return json.dumps({"review_id": f"merged-{number}", "deck": "图", "card_key": key,
                       "reviewed_at": moment.isoformat(), "quality": quality})


# One step of a random history: an answer (card, grade, hours after the last step), an
# action (card, action, days ahead), undoing the latest answer or action, a merge of another
# device's answer (card, grade, days before the last step: it may come before every answer
# of the card), an import of the deck file (one card more, one less), or a scheduler switch.
HISTORY_STEP = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from("abcd"), st.integers(0, 5),
              st.integers(0, 60)),
    st.tuples(st.just("act"), st.sampled_from("abcd"), st.sampled_from(ACTIONS),
              st.integers(0, 9)),
    st.tuples(st.just("undo"), st.none(), st.none(), st.none()),
    st.tuples(st.just("merge"), st.sampled_from("abcd"), st.integers(0, 5),
              st.integers(0, 20)),
    st.tuples(st.just("import"), st.sampled_from("abcd"), st.none(), st.none()),
    st.tuples(st.just("scheduler"), st.sampled_from(("sm2", "fsrs")), st.none(), st.none()),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(HISTORY_STEP, max_size=25), today_offset=st.integers(-3, 40))
def test_the_kept_figures_equal_the_whole_logs_after_any_history(tmp_path, write_deck, steps,
                                                                 today_offset):
    """Answers, undos, card actions, merged answers (also before a card's first), deck
    imports that add and retire cards, scheduler switches: the first answers cached on the
    cards, the card counts, the forecast and the figures per day (``review_days``) always
    equal the full queries over the log, and every card's cache equals its replay."""
    path = tmp_path / f"history-{uuid.uuid4().hex}.db"
    store = Store.open(path)
    try:
        deck = write_deck(deck_yaml("图", ["a", "b", "c"]), "history.yaml")
        import_files(store, [deck])
        moment, entries, numbers = datetime(2026, 1, 1, 9, tzinfo=UTC), [], iter(range(99))
        for kind, key, what, number in steps:
            ids = dict(store.query("SELECT key, id FROM cards"))
            if kind == "answer" and key in ids:
                moment += timedelta(hours=number)
                entries.append((store.undo_answer, store.answer(ids[key], what, at=moment)
                                .review_id))
            elif kind == "act" and key in ids:
                until = (moment + timedelta(days=number)).date() if what in DAY_ACTIONS else None
                moment += timedelta(minutes=1)
                entries.append((store.undo_action, store.act([ids[key]], what, until,
                                                             at=moment)[0]))
            elif kind == "undo" and entries:
                undo, entry_id = entries.pop()
                undo(entry_id)
            elif kind == "merge" and key in ids:
                merged = tmp_path / "merged.jsonl"
                merged.write_text(review_line(key, moment - timedelta(days=number), what,
                                              next(numbers)) + "\n", encoding="utf-8")
                import_reviews(store, merged)
            elif kind == "import":  # the deck file now has ``key`` and loses another
                keys = sorted({"a", "b", "c", "d"} - {chr(ord(key) % 4 + ord("a"))})
                deck.write_text(deck_yaml("图", keys), encoding="utf-8")
                import_files(store, [deck])
            elif kind == "scheduler":
                store.set_config("scheduler", key)
        today = moment.date() + timedelta(days=today_offset)
        assert figures_kept(store, today) == figures_from_the_whole_log(store, today)
        assert sorted(store.query("SELECT * FROM review_days")) == sorted(
            store.query(DAYS_FROM_LOG))
        for card_id in dict(store.query("SELECT id, 1 FROM cards")):
            assert store.cached_row(card_id) == store.replay(card_id).card_row()
    finally:
        store.close()


def test_fresh_cards_enter_neither_index_of_the_figures(store, write_deck):
    """Importing new cards writes nothing to the indexes of migration 8 (an import's cost
    stays as it was); their first answer puts a card in both."""
    ids = load(store, write_deck, "新", [f"k{n}" for n in range(50)])
    first_answers = ("SELECT count(*) FROM cards INDEXED BY idx_cards_first_answer "
                     "WHERE first_day IS NOT NULL")
    figured = f"SELECT count(*) FROM cards INDEXED BY idx_cards_figures WHERE {NOT_PLAIN_NEW}"
    assert store.query(first_answers) == store.query(figured) == [(0,)]
    answer(store, ids["k7"], ("2026-03-09", 4))
    assert store.query(first_answers) == store.query(figured) == [(1,)]
    assert compute_stats(store, TODAY).decks[0].states["new"] == 49


def test_answers_written_by_another_program_are_counted_from_the_log(store, write_deck):
    """An answer added or removed behind the store's back (another program, a hand edit)
    leaves ``review_days`` short: the figures then come from the whole log, and are right."""
    ids = load(store, write_deck, "外", ["a", "b"])
    answer(store, ids["a"], ("2026-03-08", 4), ("2026-03-09", 2))
    answer(store, ids["b"], ("2026-03-09", 5))
    kept = compute_stats(store, TODAY)
    assert kept.totals.reviews == 3 and kept.heatmap[-2].reviews == 2
    with store.write():
        store.conn.execute("DELETE FROM reviews WHERE card_id = ? AND day = '2026-03-09'",
                           (ids["b"],))
    figures = compute_stats(store, TODAY)
    assert figures.totals.reviews == 2 and figures.heatmap[-2].reviews == 1
    assert figures.totals.streak == kept.totals.streak == 2

"""FSRS-6 as the second scheduler: the library's own steps, lossless switching, determinism."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import fsrs_rs_python as lib
import pytest

from flashcards import fsrs, scheduling
from flashcards.backup import list_backups
from flashcards.session import Session
from flashcards.store import Store
from flashcards.sync import import_files

DECK = """\
deck: 记忆
cards:
""" + "".join(f"  - front: 问题 {n} [bold]<T>\n    back: 答案 {n}\n" for n in range(12))

START = datetime.fromisoformat("2025-01-06T09:00:00+08:00")


def ids(store: Store) -> list[int]:
    return [row[0] for row in store.query("SELECT id FROM cards ORDER BY id")]


def random_history(store: Store, seed: int = 3, answers: int = 120) -> None:
    """Answers over a few months, some the same day, some after midnight before rollover."""
    rng = random.Random(seed)
    cards = ids(store)
    moment = START
    for _ in range(answers):
        moment += timedelta(hours=rng.choice((0.1, 0.5, 3, 17, 20, 30, 70, 200)))
        store.answer(rng.choice(cards), rng.choice((0, 1, 2, 3, 4, 4, 5)), at=moment)


def cached(store: Store) -> list[tuple]:
    return store.query("SELECT * FROM cards ORDER BY id")


def test_grades_map_to_ratings_as_the_fsrs_authors_map_supermemo_grades():
    assert fsrs.RATING == (1, 1, 1, 2, 3, 4)


def test_a_cards_state_equals_the_librarys_step_by_step_result(loaded):
    """Study days from the rollover hour (4 am): 02:00 counts for the day before, so the
    third answer is a same-day one (0 days elapsed, FSRS's short-term rule)."""
    loaded.set_config("scheduler", "fsrs")
    card_id = ids(loaded)[0]
    times_grades = [("2025-01-06T09:00", 2), ("2025-01-06T09:10", 4), ("2025-01-07T02:00", 3),
                    ("2025-01-09T21:00", 5), ("2025-01-20T08:00", 0), ("2025-01-20T08:05", 4),
                    ("2025-03-01T12:00", 4)]
    study_days = [0, 0, 0, 3, 14, 14, 54]  # days since 2025-01-06
    model = lib.FSRS(lib.DEFAULT_PARAMETERS)
    memory, last_day = None, None
    for (when, grade), day in zip(times_grades, study_days, strict=True):
        answer = loaded.answer(card_id, grade, at=datetime.fromisoformat(when + "+08:00"))
        states = model.next_states(memory, 0.9, 0 if last_day is None else day - last_day)
        expected = getattr(states, ("again", "again", "again", "hard", "good", "easy")[grade])
        memory, last_day = expected.memory, day
        card = loaded.card(card_id)
        assert (card.stability, card.difficulty) == (memory.stability, memory.difficulty)
        assert card.interval == answer.state.interval == max(1, round(expected.interval))
        assert card.due == (START.date() + timedelta(days=day + card.interval)).isoformat()


def test_every_answer_moves_fsrs_but_only_the_first_of_a_day_moves_sm2(loaded):
    card_id = ids(loaded)[0]
    loaded.answer(card_id, 4, at=START)
    sm2 = loaded.card(card_id)
    loaded.set_config("scheduler", "fsrs")
    first = loaded.card(card_id)
    loaded.answer(card_id, 1, at=START + timedelta(minutes=5))
    again = loaded.card(card_id)
    assert again.stability < first.stability and again.lapses == 0
    loaded.set_config("scheduler", "sm2")
    assert loaded.card(card_id) == sm2


def test_switching_to_fsrs_and_back_to_sm2_is_lossless(loaded):
    """Actions in the log too: a forgotten card starts over under either scheduler."""
    random_history(loaded)
    first, second = ids(loaded)[:2]
    loaded.act([first], "forget", at=START + timedelta(days=400))
    loaded.act([second], "reschedule", START.date() + timedelta(days=500),
               at=START + timedelta(days=400))
    loaded.answer(first, 4, at=START + timedelta(days=401))
    cards, log = cached(loaded), loaded.query("SELECT * FROM reviews ORDER BY id")
    assert loaded.set_config("scheduler", "fsrs")
    assert len(list_backups(loaded.path)) == 1  # a backup first
    fsrs_cards = cached(loaded)
    assert fsrs_cards != cards
    assert all(card.stability for card in loaded.iter_cards("cards.due IS NOT NULL"))
    assert loaded.query("SELECT * FROM reviews ORDER BY id") == log  # the log stays SM-2's
    assert loaded.card(second).due == (START.date() + timedelta(days=500)).isoformat()
    assert loaded.card(first).stability == fsrs.Model().step(None, 4, 0)[0].stability
    loaded.set_config("desired_retention", "0.8")
    loaded.set_config("scheduler", "sm2")
    assert cached(loaded) == cards
    loaded.set_config("scheduler", "fsrs")
    loaded.set_config("desired_retention", "0.9")
    assert cached(loaded) == fsrs_cards


def test_setting_the_same_value_again_replays_nothing(loaded):
    random_history(loaded, answers=10)
    assert not loaded.set_config("scheduler", "sm2")
    assert list_backups(loaded.path) == []


@pytest.mark.parametrize("fuzz", ["off", "on"])
def test_replay_is_deterministic(loaded, fuzz):
    """Answering, a full rebuild of the log, and a reschedule all give the same cards."""
    loaded.set_config("scheduler", "fsrs")
    loaded.set_config("fuzz", fuzz)
    random_history(loaded, answers=200)
    answered = cached(loaded)
    loaded.rebuild_history(ids(loaded))
    assert cached(loaded) == answered
    with loaded.write():
        loaded.reschedule()
    assert cached(loaded) == answered
    for card_id in ids(loaded):
        assert loaded.replay(card_id).card_row() == loaded.cached_row(card_id)


def random_answers(rng: random.Random, count: int) -> list[tuple[int, date]]:
    """(grade, study day) in log order: same-day repeats, long gaps, many failures."""
    day, answers = START.date(), []
    for _ in range(count):
        day += timedelta(days=rng.choice((0, 0, 1, 3, 10, 40, 400)))
        answers.append((rng.choice((0, 1, 2, 3, 3, 4, 5)), day))
    return answers


@pytest.mark.parametrize("fuzz", [False, True])
def test_answering_a_whole_history_at_once_equals_answering_one_by_one(fuzz):
    """``Progress.answer_all`` (the replay's one library call per card) against ``answer``
    on each: the same memory, interval, due day, repetitions, lapses and leech flag."""
    rng = random.Random(12)
    schedulers = [scheduling.make_scheduler("sm2"),
                  scheduling.make_scheduler("fsrs", desired_retention=0.8, fuzz=fuzz,
                                            max_interval=300)]
    leeches = 0
    for card_id in range(300):
        answers = random_answers(rng, rng.randint(1, 60))
        for scheduler in schedulers:
            one_by_one = scheduling.Progress(scheduler, card_id=card_id)
            for grade, day in answers:
                one_by_one.answer(grade, day)
            at_once = scheduling.Progress(scheduler, card_id=card_id)
            at_once.answer_all(answers)
            assert at_once.card_row() == one_by_one.card_row()
            assert ((at_once.last_day, at_once.answers, at_once.state) ==
                    (one_by_one.last_day, one_by_one.answers, one_by_one.state))
            leeches += one_by_one.is_leech
    assert leeches  # the histories reach the leech threshold too


def test_the_librarys_memory_over_a_history_equals_its_steps():
    """``fsrs.Model.memory`` (one call) against ``step`` on each answer, from a new card and
    from a state the card already had."""
    rng = random.Random(4)
    model = fsrs.Model(tuple(value * rng.uniform(0.9, 1.1)
                             for value in fsrs.DEFAULT_PARAMETERS))
    for _ in range(200):
        history = [(rng.randrange(6), rng.choice((0, 0, 1, 2, 9, 50, 3000)))
                   for _ in range(rng.randint(1, 40))]
        start = rng.choice((None, fsrs.Memory(rng.uniform(0.1, 300), rng.uniform(1, 10))))
        memory = start
        for index, (grade, elapsed) in enumerate(history):
            memory = model.step(memory, grade, 0 if index == 0 and start is None else elapsed)[0]
        history[0] = (history[0][0], 0 if start is None else history[0][1])
        got = model.memory(fsrs.history_of(history), start)
        assert (got.stability, got.difficulty) == (memory.stability, memory.difficulty)


def test_fuzz_spreads_long_intervals_within_ankis_range(loaded):
    loaded.set_config("scheduler", "fsrs")
    for card_id in ids(loaded):
        loaded.answer(card_id, 5, at=START)
    plain = {card.id: card.interval for card in loaded.iter_cards("1")}
    loaded.set_config("fuzz", "on")
    fuzzed = {card.id: card.interval for card in loaded.iter_cards("1")}
    assert len(set(fuzzed.values())) > 1 and len(set(plain.values())) == 1
    model = fsrs.Model()
    exact = model._fsrs.next_states(None, 0.9, 0).easy.interval
    low, high = fsrs.fuzz_range(exact, 36_500)
    assert all(low <= days <= high for days in fuzzed.values())


def test_the_maximum_interval_caps_both_schedulers_and_rewrites_the_log(loaded):
    card_id = ids(loaded)[0]
    moment = START
    for _ in range(6):
        loaded.answer(card_id, 5, at=moment)
        moment += timedelta(days=loaded.card(card_id).interval)
    loaded.set_config("max_interval", "30")
    assert loaded.card(card_id).interval == 30
    assert max(row[0] for row in loaded.query("SELECT interval FROM reviews")) == 30
    loaded.set_config("scheduler", "fsrs")
    assert loaded.card(card_id).interval == 30


def test_the_grade_footer_previews_the_active_scheduler(loaded):
    card_id = ids(loaded)[0]
    loaded.answer(card_id, 4, at=START - timedelta(days=3))
    loaded.set_config("scheduler", "fsrs")
    session = Session(loaded)
    assert session.current.id == card_id
    previews = session.intervals()
    for grade in (1, 3, 5):
        progress = loaded.replay(card_id)
        assert previews[grade] == progress.preview(loaded.today())[grade]
    answer = session.answer(5)
    assert answer.state.interval == previews[5] > previews[3] >= previews[1]


def synthetic_history(store: Store, parameters: list[float], answers_per_card: int = 10,
                      seed: int = 5) -> None:
    """Every card's log as a memory that follows FSRS with ``parameters`` would answer it:
    recalled with the model's retrievability at each review, at varied intervals."""
    rng = random.Random(seed)
    truth, model = lib.FSRS(parameters), fsrs.Model(parameters)
    rows = []
    for card_id in ids(store):
        memory, day = None, 0
        for number in range(answers_per_card):
            if memory is None:
                elapsed, grade = 0, rng.choice((1, 3, 4, 4, 5))
            else:
                elapsed = max(1, round(memory.stability * rng.uniform(0.3, 3)))
                recalled = rng.random() < model.retrievability(memory.stability, elapsed)
                grade = rng.choice((3, 4, 4, 5)) if recalled else 1
            day += elapsed
            outcome = getattr(truth.next_states(memory, 0.9, elapsed),
                              ("again", "again", "again", "hard", "good", "easy")[grade])
            memory = outcome.memory
            at = START + timedelta(days=day, minutes=card_id)
            rows.append((f"{card_id:08x}{number:08x}", card_id, at.isoformat(),
                         int(at.timestamp() * 1000), at.date().isoformat(), grade))
    with store.write():
        store.conn.executemany(
            "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repetitions, "
            "interval, easiness, due) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 2.5, '')", rows)
    store.rebuild_history(ids(store))


@pytest.fixture
def many(store: Store, write_deck) -> Store:
    cards = "".join(f"  - front: 卡 {n}\n    back: 答 {n}\n" for n in range(300))
    import_files(store, [write_deck(f"deck: 多\ncards:\n{cards}")])
    return store


def test_optimize_on_a_history_from_known_parameters_beats_the_defaults(many):
    from flashcards.optimize import optimize

    known = list(fsrs.DEFAULT_PARAMETERS)
    known[0:4] = [value * 4 for value in known[0:4]]  # remembers 4x longer after learning
    known[8] += 0.6  # and stability grows faster
    synthetic_history(many, known)
    many.set_config("scheduler", "fsrs")
    before = cached(many)
    report = optimize(many)
    assert report.items == 300 * 9 and report.answers == 3000
    assert report.fitted[0] < report.default[0]
    assert report.parameters == many.fsrs_parameters() != fsrs.DEFAULT_PARAMETERS
    assert cached(many) != before  # replayed under the fitted parameters
    card_id = ids(many)[0]
    assert many.replay(card_id).card_row() == many.cached_row(card_id)


def test_optimize_keeps_the_defaults_and_says_so_with_too_little_history(loaded):
    from flashcards.optimize import optimize

    random_history(loaded, answers=30)
    report = optimize(loaded)
    assert report.fitted is None and report.parameters is None
    assert "too little history" in report.reason
    assert loaded.fsrs_parameters() is None


def test_fitting_filters_items_without_a_later_day_answer():
    """The library panics (a BaseException, not an Exception) on such an item."""
    same_day = lib.FSRSItem([lib.FSRSReview(3, 0), lib.FSRSReview(3, 0)])
    with pytest.raises(BaseException) as raised:
        lib.FSRS(lib.DEFAULT_PARAMETERS).compute_parameters([same_day])
    assert not isinstance(raised.value, Exception)
    assert fsrs.fit([same_day]) == fsrs.DEFAULT_PARAMETERS
    assert fsrs.training_items([(1, 0, 10, 1), (1, 1, 10, 4), (1, 2, 10, 1)]) == []


def test_a_deck_may_choose_its_scheduler_in_its_file(loaded, write_deck):
    random_history(loaded, answers=40)
    sm2 = cached(loaded)
    path = write_deck(DECK.replace("deck: 记忆\n", "deck: 记忆\nscheduler: fsrs\n"))
    import_files(loaded, [path])
    assert all(card.stability for card in loaded.iter_cards("cards.due IS NOT NULL"))
    card_id = ids(loaded)[0]
    assert loaded.replay(card_id).card_row() == loaded.cached_row(card_id)
    import_files(loaded, [write_deck(DECK)])  # the line removed: the global scheduler again
    assert cached(loaded) == sm2


def test_an_unknown_scheduler_in_a_deck_file_is_one_line_naming_file_and_line(loaded,
                                                                              write_deck):
    from flashcards.decks import DeckError

    path = write_deck(DECK.replace("deck: 记忆\n", "deck: 记忆\nscheduler: '[bold]fsrs'\n"))
    before = cached(loaded)
    with pytest.raises(DeckError) as raised:
        import_files(loaded, [path])
    assert raised.value.errors == [
        f"{path}:2: scheduler must be one of: sm2, fsrs, not '[bold]fsrs'"]
    assert cached(loaded) == before


def test_the_cards_export_adds_memory_and_recall_today_only_under_fsrs(loaded):
    import json

    from flashcards.export import export_columns, export_text

    random_history(loaded, answers=40)
    assert "stability" not in export_columns("cards", store=loaded)
    loaded.set_config("scheduler", "fsrs")
    assert export_columns("cards", store=loaded)[-3:] == (
        "stability", "difficulty", "retrievability")
    records = json.loads("".join(export_text(loaded, "cards", "json")))
    answered = [record for record in records if record["due"]]
    assert answered and all(0 < record["retrievability"] <= 1 for record in answered)
    card = loaded.card(answered[0]["card_id"])
    progress = loaded.replay(card.id)
    assert answered[0]["stability"] == card.stability
    assert answered[0]["retrievability"] == round(fsrs.Model().retrievability(
        progress.memory.stability, (loaded.today() - progress.last_day).days), 4)
    assert all(record["stability"] is None for record in records if not record["due"])
    header = "".join(export_text(loaded, "cards", "csv", raw=True)).splitlines()[0]
    assert header.endswith(",stability,difficulty,retrievability")


def test_stats_show_recall_today_and_desired_retention_per_deck_on_fsrs(loaded):
    from flashcards.stats import compute_stats

    random_history(loaded, answers=40)
    (deck,) = compute_stats(loaded).as_json()["decks"]
    assert (deck["scheduler"], deck["desired_retention"], deck["retrievability"]) == (
        "sm2", None, None)
    loaded.set_config("scheduler", "fsrs")
    loaded.set_config("desired_retention", "0.85")
    (deck,) = compute_stats(loaded).as_json()["decks"]
    assert deck["scheduler"] == "fsrs" and deck["desired_retention"] == 0.85
    assert 0 < deck["retrievability"] < 1


def cli_run(*args: str):
    from click.testing import CliRunner

    from flashcards.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_the_commands_optimize_simulate_and_config(store, write_deck):
    assert cli_run("import", str(write_deck(DECK))).exit_code == 0
    random_history(store, answers=60)
    result = cli_run("optimize")
    assert result.exit_code == 0 and "too little history" in result.output
    assert "FSRS defaults" in result.output  # the default's log-loss and RMSE
    result = cli_run("optimize", "--deck", "[bold]无")
    assert (result.exit_code, result.output) == (1, "error: no deck named '[bold]无'\n")
    result = cli_run("simulate", "--days", "40")
    assert result.exit_code == 0, result.output
    assert "SM-2" in result.output and "FSRS, default parameters" in result.output
    assert "FSRS, fitted" not in result.output  # nothing fitted yet
    assert cli_run("simulate", "--days", "40").output == result.output  # seeded
    result = cli_run("config", "scheduler", "fsrs")
    assert (result.exit_code, result.output) == (0, "scheduler = fsrs\n")
    assert [path for path in list_backups(store.path) if "before-scheduler-fsrs" in path.name]
    assert store.card(ids(store)[0]).stability is not None


def test_simulate_adds_the_fitted_parameters_once_there_are_some(many):
    from flashcards.simulate import simulate

    known = list(fsrs.DEFAULT_PARAMETERS)
    known[0:4] = [value * 4 for value in known[0:4]]
    synthetic_history(many, known, answers_per_card=6)
    with many.write():
        many.set_fsrs_parameters(known)
    outcomes = simulate(many, days=60)
    assert [outcome.name for outcome in outcomes] == [
        "SM-2", "FSRS, default parameters", "FSRS, fitted"]
    for outcome in outcomes:
        assert len(outcome.reviews) == 60 and outcome.per_day > 0
        assert 0 < outcome.retention <= 1


def test_a_forgotten_cards_history_starts_over_for_training(loaded):
    from flashcards.optimize import training_items

    card_id = ids(loaded)[0]
    for days in (0, 2, 5):
        loaded.answer(card_id, 4, at=START + timedelta(days=days))
    assert len(training_items(loaded)[0][-1].reviews) == 3
    loaded.act([card_id], "forget", at=START + timedelta(days=6))
    for days in (7, 9):
        loaded.answer(card_id, 4, at=START + timedelta(days=days))
    items, answers = training_items(loaded)
    assert answers == 2 and len(items) == 1
    assert [repr(review) for review in items[0].reviews] == [
        "FSRSReview { rating: 3, delta_t: 0 }", "FSRSReview { rating: 3, delta_t: 2 }"]


def test_undo_under_fsrs_gives_back_the_state_before(loaded):
    loaded.set_config("scheduler", "fsrs")
    card_id = ids(loaded)[0]
    loaded.answer(card_id, 4, at=START)
    loaded.answer(card_id, 2, at=START + timedelta(days=3))
    before = loaded.cached_row(card_id)
    answer = loaded.answer(card_id, 5, at=START + timedelta(days=3, hours=1))
    assert loaded.cached_row(card_id) != before  # a same-day answer moves FSRS
    loaded.undo_answer(answer.review_id)
    assert loaded.cached_row(card_id) == before


def test_optimize_keeps_the_defaults_and_says_so_when_the_fit_is_no_better(many, monkeypatch):
    from flashcards import optimize as optimizing

    synthetic_history(many, list(fsrs.DEFAULT_PARAMETERS), answers_per_card=4)
    bad = list(fsrs.DEFAULT_PARAMETERS)
    bad[0:4] = [100.0, 100.0, 100.0, 100.0]  # a "fit" that forgets nothing for months
    monkeypatch.setattr(optimizing.fsrs, "fit", lambda items: tuple(bad))
    report = optimizing.optimize(many)
    assert report.fitted[0] > report.default[0]
    assert report.parameters is None and many.fsrs_parameters() is None
    assert "no better than the defaults" in report.reason

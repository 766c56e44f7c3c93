"""``flashcards optimize`` done in two processes (the fit and its evaluation in a forked
child) and with the log read ahead for the replay: the same results as one process doing
one thing after another, and nothing half-written when anything fails."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import replace
from datetime import timedelta

import pytest
from test_fsrs import DECK, START, cached, cli_run, ids, random_answers, synthetic_history

from flashcards import fsrs, optimize, scheduling
from flashcards.backup import backup_dir, list_backups
from flashcards.store import Store
from flashcards.sync import import_files

__all__ = ["DECK"]  # the ``loaded`` fixture's deck


@pytest.fixture
def fitted(store: Store, write_deck) -> Store:
    """300 cards with a log from known non-default parameters (the fit beats the defaults),
    on FSRS."""
    cards = "".join(f"  - front: 卡 {n} [bold]\n    back: 答 {n}\n" for n in range(300))
    import_files(store, [write_deck(f"deck: 多\ncards:\n{cards}")])
    known = list(fsrs.DEFAULT_PARAMETERS)
    known[0:4] = [value * 4 for value in known[0:4]]
    synthetic_history(store, known, answers_per_card=6)
    store.set_config("scheduler", "fsrs")
    return store


def state(store: Store) -> tuple:
    return store.fsrs_parameters(), cached(store)


def test_the_forked_fit_gives_what_one_process_gives(fitted, monkeypatch):
    """The child's fit and evaluation, and the replay of the log read ahead, against the
    same steps one after another in this process (as where there is no ``fork``)."""
    before = state(fitted)
    in_two = optimize.optimize(fitted)
    after = state(fitted)
    with fitted.write():
        fitted.set_fsrs_parameters(None)
    assert state(fitted) == before
    monkeypatch.delattr(os, "fork")
    in_one = optimize.optimize(fitted)
    # The library's RMSE over bins varies in its 8th digit from call to call, in one
    # process too (it sums in the order of a hash map): compared to a precision.
    assert replace(in_one, default=None, fitted=None) == replace(in_two, default=None,
                                                                  fitted=None)
    assert in_one.default == pytest.approx(in_two.default, rel=1e-6)
    assert in_one.fitted == pytest.approx(in_two.fitted, rel=1e-6)
    assert in_two.parameters is not None
    assert state(fitted) == after
    for card_id in ids(fitted)[::37]:
        assert fitted.replay(card_id).card_row() == fitted.cached_row(card_id)


@pytest.mark.parametrize("fuzz", [False, True])
def test_a_history_read_ahead_gives_what_answering_it_all_gives(fuzz):
    """``scheduling.read_ahead`` under one set of parameters, then ``progress`` under
    others, against ``answer_all`` under those."""
    rng = random.Random(7)
    first = scheduling.make_scheduler("fsrs", fuzz=fuzz)
    other = scheduling.make_scheduler(
        "fsrs", tuple(value * rng.uniform(0.8, 1.2) for value in fsrs.DEFAULT_PARAMETERS),
        0.85, 400, fuzz)
    for card_id in range(200):
        answers = random_answers(rng, rng.randint(2, 50))
        ahead = scheduling.read_ahead(first, card_id, answers)
        at_once = scheduling.Progress(other, card_id=card_id)
        at_once.answer_all(answers)
        for progress in (ahead.progress(other), ahead.progress(other)):  # ahead stays as read
            assert progress.card_row() == at_once.card_row()
            assert ((progress.last_day, progress.answers, progress.state, progress.due) ==
                    (at_once.last_day, at_once.answers, at_once.state, at_once.due))


def test_a_log_read_ahead_is_read_again_after_another_connection_wrote(fitted):
    logs = fitted.answer_logs()
    card_id = ids(fitted)[0]
    other = Store.open(fitted.path)
    other.answer(card_id, 1, at=START + timedelta(days=400))
    other.close()
    with fitted.write():
        fitted.set_fsrs_parameters(fsrs.DEFAULT_PARAMETERS[:-1] + (0.2,), logs=logs)
    assert fitted.replay(card_id).card_row() == fitted.cached_row(card_id)


def test_a_failed_fit_is_one_error_and_changes_nothing(fitted, monkeypatch):
    def refuse(items):
        raise fsrs.FitError("FSRS-6 needs 21 finite parameters, not 3")

    before = state(fitted)
    monkeypatch.setattr(optimize.fsrs, "fit", refuse)
    with pytest.raises(fsrs.FitError, match="not 3"):
        optimize.optimize(fitted)
    monkeypatch.setattr(optimize.fsrs, "fit", lambda items: os._exit(3))  # the child dies
    with pytest.raises(OSError, match="ended unexpectedly"):
        optimize.optimize(fitted)
    assert state(fitted) == before


def test_an_interrupted_optimize_leaves_the_database_as_it_was(fitted, monkeypatch):
    """Ctrl-C while the fit is evaluated, the cards already replayed under it: the savepoint
    and the write are rolled back, and the child is stopped."""
    def interrupt(self):
        raise KeyboardInterrupt

    before = state(fitted)
    monkeypatch.setattr(optimize._Fit, "evaluation", interrupt)
    with pytest.raises(KeyboardInterrupt):
        optimize.optimize(fitted)
    assert state(fitted) == before
    with pytest.raises(ChildProcessError):  # reaped: no child left behind
        os.waitpid(-1, os.WNOHANG)


def test_the_command_makes_the_days_backup_while_fitting(fitted):
    shutil.rmtree(backup_dir(fitted.path))  # the switch to FSRS made today's
    result = cli_run("optimize")
    assert result.exit_code == 0, result.output
    assert "predict your log better" in result.output
    assert [path for path in list_backups(fitted.path) if "daily" in path.name]

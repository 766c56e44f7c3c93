"""SM-2 as published: the rules, the exact arithmetic, and a reference model."""

from fractions import Fraction
from math import ceil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashcards.sm2 import SM2State, review


def reference(grades: list[int]) -> tuple[int, int, Fraction]:
    """SM-2 computed with exact fractions, straight from the published rules."""
    repetitions, interval, ef = 0, 0, Fraction(5, 2)
    for q in grades:
        if q >= 3:
            interval = 1 if repetitions == 0 else 6 if repetitions == 1 else ceil(interval * ef)
            repetitions += 1
        else:
            repetitions, interval = 0, 1
        ef = max(Fraction(13, 10), ef + Fraction(1, 10) - (5 - q) * (Fraction(8, 100) + (5 - q) * Fraction(2, 100)))
    return repetitions, interval, ef


def test_defaults():
    assert SM2State() == SM2State(repetitions=0, interval=0, easiness=2.5)


@pytest.mark.parametrize("bad", [-1, 6, 3.0, True, "4", None])
def test_quality_must_be_an_int_from_0_to_5(bad):
    with pytest.raises(ValueError):
        review(SM2State(), bad)


def test_first_intervals_are_1_then_6_then_interval_times_ef():
    state = review(SM2State(), 4)
    assert (state.repetitions, state.interval, state.easiness) == (1, 1, 2.5)
    state = review(state, 4)
    assert (state.repetitions, state.interval) == (2, 6)
    state = review(state, 4)
    assert (state.repetitions, state.interval) == (3, 15)  # 6 * 2.5


def test_interval_uses_ef_from_before_the_review():
    state = review(SM2State(2, 6, 2.5), 5)  # EF becomes 2.6, but 6 * 2.5 is used
    assert (state.interval, state.easiness) == (15, 2.6)


def test_interval_is_rounded_up():
    assert review(SM2State(2, 6, 2.36), 4).interval == 15  # 14.16 -> 15


def test_failure_restarts_repetitions_and_still_moves_ef():
    state = review(SM2State(5, 100, 2.5), 2)
    assert (state.repetitions, state.interval, state.easiness) == (0, 1, 2.18)
    assert review(SM2State(5, 100, 2.5), 0).easiness == 1.7


@pytest.mark.parametrize("q, ef", [(5, 2.6), (4, 2.5), (3, 2.36), (2, 2.18), (1, 1.96), (0, 1.7)])
def test_ef_change_for_every_quality(q, ef):
    assert review(SM2State(), q).easiness == ef


def test_ef_is_floored_at_1_3():
    state = SM2State()
    for _ in range(10):
        state = review(state, 0)
    assert state.easiness == 1.3


def test_max_interval_caps_only_the_interval():
    state = review(SM2State(5, 30_000, 2.5), 5, max_interval=36_500)
    assert (state.repetitions, state.interval, state.easiness) == (6, 36_500, 2.6)
    assert review(SM2State(5, 30_000, 2.5), 5).interval == 75_000


def test_float_drift_never_changes_an_interval():
    # 50 * 2.18 is 109.00000000000001 in floats: a naive ceil gives 110.
    assert review(SM2State(2, 50, 2.18), 4).interval == 109


@given(st.lists(st.integers(0, 5), max_size=40))
def test_matches_exact_reference_for_any_grade_sequence(grades):
    state = SM2State()
    for q in grades:
        state = review(state, q)
    repetitions, interval, ef = reference(grades)
    assert (state.repetitions, state.interval) == (repetitions, interval)
    assert Fraction(state.ef100, 100) == ef
    assert state.easiness == float(ef)

"""SM-2, exactly as published by P. A. Wozniak (1990), with its ambiguities resolved.

``review(state, quality)`` is one pure step:

* quality is an int 0..5 (0 blackout ... 5 perfect); anything else raises ``ValueError``.
* q >= 3: the interval becomes 1 day if ``repetitions == 0``, 6 days if ``repetitions == 1``,
  else ``ceil(previous interval * EF)`` with EF as it was *before* this review;
  then ``repetitions += 1``.
* q < 3: ``repetitions = 0`` and the interval is 1 day.
* Then, for every q: ``EF' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))``, floored at 1.3.

Ambiguities of the published text, and how we resolve them:

* Which EF multiplies the interval: the one before this review (the text computes I(n)
  from the current EF, and only then modifies it in step 5).
* "Rounded": we round up (``ceil``), as the text's "round up" example for fractional
  intervals; an exact product stays as it is (50 * 2.2 = 110).
* Failed answers: the text says to start over "without changing the E-Factor" but
  also to modify EF "after each repetition". We modify EF for every quality, failures
  included, as SuperMemo's own SM-2 implementations and most ports do.
* Step 7 (repeat items scored below 4 on the same day) is a session rule, not a state
  change: see ``flashcards.session``; repeats are logged but do not call ``review``.

Exact arithmetic: EF only ever moves in steps of 0.02 from 2.5, so it is kept as an
integer number of hundredths. Float drift can therefore never change an interval
(50 days at EF 2.18 is 109 days, not 110).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_EF100 = 130
# EF change in hundredths for quality 0..5: 100 * (0.1 - (5-q) * (0.08 + (5-q) * 0.02)).
EF100_DELTA = tuple(10 - (5 - q) * (8 + (5 - q) * 2) for q in range(6))
QUALITY_LABELS = ("blackout", "wrong", "hard wrong", "hard", "good", "perfect")


@dataclass(frozen=True, slots=True)
class SM2State:
    """A card's SM-2 state: successful repetitions in a row, interval in days, easiness."""

    repetitions: int = 0
    interval: int = 0
    easiness: float = 2.5

    @property
    def ef100(self) -> int:
        """Easiness in exact hundredths."""
        return round(self.easiness * 100)


def review(state: SM2State, quality: int, max_interval: int | None = None) -> SM2State:
    """The state after answering with ``quality`` (0..5).

    ``max_interval`` caps the interval (in days) as Anki's "maximum interval" does; without
    it the interval grows as published, past any calendar after ~30 perfect answers.
    """
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 5:
        raise ValueError(f"quality must be an int from 0 to 5, not {quality!r}")
    ef100 = state.ef100
    if quality >= 3:
        if state.repetitions == 0:
            interval = 1
        elif state.repetitions == 1:
            interval = 6
        else:
            interval = -(-state.interval * ef100 // 100)  # ceil in integers
        repetitions = state.repetitions + 1
    else:
        repetitions, interval = 0, 1
    if max_interval is not None:
        interval = min(interval, max_interval)
    new_ef100 = max(MIN_EF100, ef100 + EF100_DELTA[quality])
    return SM2State(repetitions, interval, new_ef100 / 100)

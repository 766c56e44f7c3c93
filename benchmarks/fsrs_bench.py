"""FSRS at scale (issue 12): switching the scheduler, fitting FSRS, and answering under it.

Used by ``benchmarks/run.py --only fsrs``. Each figure sits next to a floor measured in the
same run:

* switching the scheduler (``flashcards config scheduler fsrs``, then back to ``sm2``, each
  way a median of its own: the day's first backup, the backup before the switch, and a full
  replay) next to the least a replay must do: read each card's answers from the log's index
  and take one library step per answer, in a fresh process;
* ``flashcards optimize`` (each run from FSRS with no fitted parameters, so that it stores
  the fit and replays the cards) next to the library alone fitting and evaluating the same
  items;
* an answer (``Store.answer`` and the footer's previews) under FSRS next to SM-2.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from benchmarks.stats_export import PEAK, run, run_python
from flashcards import fsrs
from flashcards.optimize import training_items
from flashcards.session import Session
from flashcards.store import Store

# The least a replay of the log under FSRS must do: every answer read in order from the
# index, one library step each.
REPLAY_FLOOR = PEAK + """
import sqlite3
import fsrs_rs_python as lib
conn = sqlite3.connect(sys.argv[1])
model, memory, last, day0 = lib.FSRS(lib.DEFAULT_PARAMETERS), {}, {}, None
for card, ts, day, quality in conn.execute(
        "SELECT card_id, ts, day, quality FROM reviews ORDER BY card_id, ts"):
    states = model.next_states(memory.get(card), 0.9, 0)
    memory[card] = (states.again if quality < 3 else states.good).memory
"""


def measure_fsrs(work: Path, db: Path, runs: int) -> list[tuple]:
    """Rows (figure, measured, floor, compared, target, ok) of the FSRS figures."""
    copy = work / "fsrs" / "flashcards.db"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, copy)
    rows = []
    switches: dict[str, list[float]] = {"fsrs": [], "sm2": []}
    floors = []
    for _ in range(runs):  # there and back each time
        for scheduler, seconds in switches.items():
            floors.append(run_python(REPLAY_FLOOR, [str(copy)])[0])
            seconds.append(run(["config", "scheduler", scheduler], copy)[0])
            shutil.rmtree(copy.parent / "backups", ignore_errors=True)
    floor = statistics.median(floors)
    for scheduler, label in (("fsrs", "SM-2 to FSRS"), ("sm2", "back to SM-2")):
        seconds = statistics.median(switches[scheduler])
        what = f"switch the scheduler, {label} (backups + full replay), 1M reviews [{runs} runs]"
        rows.append((what, f"{seconds:.2f} s", f"{floor:.2f} s (n)", f"{seconds / floor:.2f}x",
                     "<= 10 s", seconds <= 10))

    # Each fit starts from FSRS with no fitted parameters, so each stores what it fits and
    # replays the cards (a second fit of the same log would find nothing to change).
    run(["config", "scheduler", "fsrs"], copy)
    unfitted = copy.with_name("unfitted.db")
    shutil.copyfile(copy, unfitted)
    fits, libs = [], []
    for _ in range(runs):
        shutil.copyfile(unfitted, copy)
        shutil.rmtree(copy.parent / "backups", ignore_errors=True)
        fits.append(run(["optimize"], copy)[0])
        store = Store.open(copy)
        items, _ = training_items(store)
        store.close()
        started = time.perf_counter()
        parameters = fsrs.fit(items)
        fsrs.Model().evaluate(items)
        fsrs.Model(parameters).evaluate(items)
        libs.append(time.perf_counter() - started)
    seconds, floor = statistics.median(fits), statistics.median(libs)
    rows.append((f"flashcards optimize, 1M reviews [{len(fits)} runs]", f"{seconds:.2f} s",
                 f"{floor:.2f} s (o)", f"{seconds - floor:+z.2f} s", "a few s", None))
    rows += _answer_latency(copy)
    return rows


def _answer_latency(db: Path, answers: int = 200) -> list[tuple]:
    """Median time of an answer plus the next card's footer previews, SM-2 then FSRS, on
    the same due cards (each scheduler on its own copy of the database)."""
    medians = {}
    for scheduler in ("sm2", "fsrs"):
        copy = db.with_name(f"latency-{scheduler}.db")
        shutil.copyfile(db, copy)
        store = Store.open(copy)
        store.set_config("scheduler", scheduler)
        shutil.rmtree(copy.parent / "backups", ignore_errors=True)
        session = Session(store)
        times = []
        for _ in range(answers):
            if session.current is None:
                break
            started = time.perf_counter()
            session.answer(4)
            session.intervals()
            times.append(time.perf_counter() - started)
        store.close()
        medians[scheduler] = statistics.median(times) * 1000
        copy.unlink()
    return [(f"answer + next card's previews, in process, median of {answers}",
             f"{medians['fsrs']:.2f} ms FSRS", f"{medians['sm2']:.2f} ms SM-2",
             f"{medians['fsrs'] / medians['sm2']:.2f}x", "~1x", None)]

"""How fast the review app feels, measured the way a user sees it: bytes on a terminal.

    python benchmarks/tui_latency.py [--cards 100000] [--runs 10] [--grades 200]

1. Builds (once, cached in the temp dir) a database of ``--cards`` cards with a review log
   spread over two years (``generate.build_db``).
2. Start-up: launches ``flashcards --db DB review`` in a pseudo-terminal (120x40,
   xterm-256color) and times process launch -> the first card's front text arriving on
   the terminal. Next to it, the same for a minimal Textual app that shows one line.
   Each run uses a fresh copy of the database with no backup yet (the day's first
   launch, the slowest); the median and the best of ``--runs``.
3. Grade -> next card: in one of those sessions, for ``--grades`` cards: press space,
   wait for the back to arrive, then time writing "4" to the pty -> the next card's
   front arriving. The queue order is known in advance (a Session over the same
   database), so each wait is for one exact text. Median and 95th percentile.

The app is unchanged: nothing in it knows it is being measured.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import build_db
from flashcards.session import Session
from flashcards.store import Store
from tests.pty_app import COLUMNS, LINES, Terminal

NOW = "2026-03-10T09:00:00+08:00"  # the day build_db's review log ends
BASELINE = """\
from textual.app import App
from textual.widgets import Static

class Baseline(App):
    def compose(self):
        yield Static("baseline: one line of text")

Baseline().run()
"""


# The app of this tree, run by the interpreter running the benchmark: not whatever
# `flashcards` comes first on PATH (another install, or none in an unactivated venv).
APP = [sys.executable, "-m", "flashcards", "review"]


def environment(db: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES),
               FLASHCARDS_NOW=NOW, PYTHONPATH=str(ROOT))
    if db:
        env["FLASHCARDS_DB"] = str(db)
        env["FLASHCARDS_DECKS"] = str(db.parent / "decks")  # never the user's own folder
    return env


def marker(front: str) -> str:
    """A piece of the front that is drawn as one run of text: "第 245 题"."""
    return front.split("：")[0]


def queue_fronts(db: Path) -> list[str]:
    """The fronts of the review's queue, in order, if every card is graded 4."""
    store = Store.open(db)
    session = Session(store)
    fronts = [store.card(card_id).front for card_id, _ in session.queue]
    store.close()
    return fronts


def startup(argv: list[str], env: dict[str, str], text: str) -> tuple[float, Terminal]:
    terminal = Terminal(argv, env)
    arrived = terminal.wait_for(text)
    return arrived - terminal.started, terminal


def fresh_copy(db: Path, work: Path) -> Path:
    """A copy of the database with no backup yet: every launch is the day's first, which
    also makes the daily backup (in the background, after the first card is shown)."""
    copy = work / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.rmtree(work / "backups", ignore_errors=True)
    shutil.copyfile(db, copy)
    return copy


FRAME_APP = """\
from textual.app import App
from textual.widgets import Static

class Presses(App):
    presses = 0

    def compose(self):
        yield Static("presses: 0")

    def on_key(self, event):
        self.presses += 1
        self.query_one(Static).update(f"presses: {self.presses}")

Presses().run()
"""


def launch_times(db: Path, work: Path, fronts: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Seconds from process launch to the first card (``flashcards review`` on a fresh copy
    of ``db``) and to the minimal Textual app's line, ``runs`` of each, interleaved."""
    baseline = work / "baseline_app.py"
    baseline.write_text(BASELINE)
    app_times, base_times = [], []
    for _ in range(runs):
        seconds, terminal = startup([sys.executable, str(baseline)], environment(),
                                    "baseline: one line")
        terminal.close()
        base_times.append(seconds)
        copy = fresh_copy(db, work)
        seconds, terminal = startup(APP, environment(copy),
                                    marker(fronts[0]))
        terminal.close()
        app_times.append(seconds)
    return app_times, base_times


def open_review(db: Path, work: Path, fronts: list[str]) -> tuple[Terminal, Path]:
    """``flashcards review`` on a fresh copy of ``db``, its first card on screen and the
    day's backup (made in the background) done; the terminal and the copy it uses."""
    copy = fresh_copy(db, work)
    _, terminal = startup(APP, environment(copy),
                          marker(fronts[0]))
    time.sleep(1)
    return terminal, copy


def grade_times(terminal: Terminal, copy: Path, fronts: list[str],
                count: int) -> tuple[list[float], list[float]]:
    """Milliseconds from "4" to the next card's front and from space to the back, for
    ``count`` cards of an open review (``open_review``)."""
    grade_ms, reveal_ms = [], []
    for index in range(min(count, len(fronts) - 1)):
        back = Store.open(copy)  # what the back starts with, read as the app would
        answer = back.query("SELECT back FROM cards WHERE front = ?", (fronts[index],))
        back.close()
        time.sleep(0.25)  # a person reads the front first: the app is idle when space comes
        sent = terminal.press(b" ")
        reveal_ms.append((terminal.wait_for(answer[0][0].splitlines()[0]) - sent) * 1000)
        time.sleep(0.25)  # and reads the back before grading
        sent = terminal.press(b"4")
        grade_ms.append((terminal.wait_for(marker(fronts[index + 1])) - sent) * 1000)
    return grade_ms, reveal_ms


def frame_times(work: Path, count: int) -> list[float]:
    """Milliseconds from a key to the changed line on screen in a minimal Textual app (one
    ``Static`` updated on every key), in the same kind of pty: the cost of one frame."""
    script = work / "frame_app.py"
    script.write_text(FRAME_APP)
    _, terminal = startup([sys.executable, str(script)], environment(), "presses: 0")
    times = []
    for index in range(count):
        time.sleep(0.25)  # idle between keys, as in grade_times
        sent = terminal.press(b"4")
        times.append((terminal.wait_for(f"presses: {index + 1}") - sent) * 1000)
    terminal.close()
    return times


class InTmux:
    """A program in a tmux session of its own (own server socket), watched through a tmux
    client on a pseudo-terminal: the bytes that client gets are what a user's terminal
    shows of the app, tmux's redraw included. Keys go through the client too."""

    def __init__(self, argv: list[str], env: dict[str, str], work: Path) -> None:
        self.socket = f"flashcards-bench-{os.getpid()}"
        command = " ".join(shlex.quote(part) for part in
                           ["env", *(f"{key}={value}" for key, value in env.items()), *argv])
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(COLUMNS), "-y", str(LINES), "-c", str(work), command],
                       check=True, env=env)
        self.client = Terminal(["tmux", "-L", self.socket, "attach"], env)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False,
                       capture_output=True)
        self.client.close()


def tmux_times(db: Path, work: Path, fronts: list[str],
               count: int) -> tuple[list[float], list[float]]:
    """Milliseconds from "4" to the next card's front in ``flashcards review`` run in tmux,
    and from a key to the changed line in the minimal Textual app run in tmux, ``count``
    of each: the same measures as ``grade_times`` and ``frame_times``, through tmux."""
    script = work / "frame_app.py"
    script.write_text(FRAME_APP)
    floor = InTmux([sys.executable, str(script)], environment(), work)
    try:
        floor.client.wait_for("presses: 0")
        frame_ms = []
        for index in range(count):
            time.sleep(0.25)
            sent = floor.client.press(b"4")
            frame_ms.append((floor.client.wait_for(f"presses: {index + 1}") - sent) * 1000)
    finally:
        floor.close()
    copy = fresh_copy(db, work)
    app = InTmux(APP, environment(copy), work)
    try:
        app.client.wait_for(marker(fronts[0]))
        time.sleep(1)  # the day's backup, in the background, is done
        grade_ms, _ = grade_times(app.client, copy, fronts, count)
    finally:
        app.close()
    return grade_ms, frame_ms


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0.95 for p95) of ``values``."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--grades", type=int, default=200)
    args = parser.parse_args()

    work = Path(tempfile.gettempdir()) / "flashcards-tui-bench"
    work.mkdir(exist_ok=True)
    db = work / f"cards-{args.cards}-{args.reviews}.db"
    if not db.exists():
        started = time.perf_counter()
        os.environ["FLASHCARDS_NOW"] = NOW
        build_db(db, args.cards, args.reviews)
        print(f"built {db} in {time.perf_counter() - started:.1f} s")
    os.environ["FLASHCARDS_NOW"] = NOW
    fronts = queue_fronts(db)

    app_times, base_times = launch_times(db, work, fronts, args.runs)
    terminal, copy = open_review(db, work, fronts)
    grade_ms, reveal_ms = grade_times(terminal, copy, fronts, args.grades)
    terminal.close()
    count = len(grade_ms)
    store = Store.open(copy)
    saved = store.query("SELECT count(*) FROM reviews WHERE day = '2026-03-10'")[0][0]
    store.close()
    frame_ms = frame_times(work, min(count, 50))

    print(f"database: {args.cards} cards, {args.reviews} reviews; terminal {COLUMNS}x{LINES}")
    print(f"start-up to first card, {args.runs} runs (median / best):")
    print(f"  flashcards review    {statistics.median(app_times) * 1000:6.0f} ms"
          f" / {min(app_times) * 1000:.0f} ms")
    print(f"  minimal Textual app  {statistics.median(base_times) * 1000:6.0f} ms"
          f" / {min(base_times) * 1000:.0f} ms")
    extra = statistics.median(app_times) - statistics.median(base_times)
    print(f"  difference           {extra * 1000:6.0f} ms")
    print(f"grade key -> next card on the terminal, {count} cards:")
    print(f"  median {statistics.median(grade_ms):.1f} ms, p95 {quantile(grade_ms, 0.95):.1f} ms, "
          f"max {max(grade_ms):.1f} ms")
    print(f"space -> back on the terminal: median {statistics.median(reveal_ms):.1f} ms, "
          f"p95 {quantile(reveal_ms, 0.95):.1f} ms")
    print(f"key -> changed line in a minimal Textual app: median {statistics.median(frame_ms):.1f}"
          f" ms, p95 {quantile(frame_ms, 0.95):.1f} ms")
    print(f"answers saved in the database: {saved} (expected {count})")


if __name__ == "__main__":
    main()

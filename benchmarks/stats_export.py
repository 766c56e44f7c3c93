"""Stats and exports at scale (issue 4): 100,000 cards and 1,000,000 reviews by default.

    python benchmarks/stats_export.py [--cards N] [--reviews N] [--dir DIR] [--import]

The database comes from ``benchmarks/generate.py`` (cached in DIR). generate.py writes the
log card by card; a real log is appended answer by answer, so the reviews are also measured
in a copy whose table is stored in time order. Each command runs in its own process: wall
time and peak RSS (``wait4``), next to the start-up alone. Then, in this process: the
figures without start-up, the streaming export's peak of Python allocations (tracemalloc),
and two floors for the CSV export: reading the same rows from SQLite, and the csv module
writing the same rows from a list already in memory.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import build_db
from flashcards import export, history, stats
from flashcards.store import Store

NOW = "2026-03-10T09:00:00+01:00"  # the last day of generate.py's log


def prepare(directory: Path, n_cards: int, n_reviews: int) -> tuple[Path, Path]:
    """The generated database (migrated) and its copy with the log in time order."""
    generated = directory / f"bench-{n_cards}-{n_reviews}.db"
    ordered = directory / f"bench-{n_cards}-{n_reviews}-time-ordered.db"
    if not generated.exists():
        started = time.perf_counter()
        build_db(generated, n_cards, n_reviews)
        print(f"built {generated.name} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    Store.open(generated).close()  # applies migration 2 (its indexes) once
    print(f"opened (and migrated if needed) in {time.perf_counter() - started:.1f} s")
    if not ordered.exists():
        started = time.perf_counter()
        _copy_in_time_order(generated, ordered)
        print(f"wrote {ordered.name} in {time.perf_counter() - started:.1f} s")
    return generated, ordered


def _copy_in_time_order(source: Path, target: Path) -> None:
    import sqlite3

    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(source, isolation_level=None)
    db.execute("VACUUM INTO ?", (str(tmp),))
    db.close()
    db = sqlite3.connect(tmp, isolation_level=None)
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
    indexes = [row[0] for row in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' "
        "AND sql IS NOT NULL"
    )]
    db.execute("BEGIN")
    db.execute("ALTER TABLE reviews RENAME TO reviews_by_card")
    db.execute(table)
    db.execute("INSERT INTO reviews SELECT * FROM reviews_by_card ORDER BY ts, id")
    db.execute("DROP TABLE reviews_by_card")
    for sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("VACUUM")
    db.close()
    tmp.rename(target)


# Reports the process's own peak RSS when it exits. (VmHWM is per process image; wait4's
# ru_maxrss would start at the size of the process that forked it.)
PEAK = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK_KB " + line.split()[1] + "\\n")
atexit.register(peak)
"""
# Runs the command line in this process, as the ``flashcards`` script does.
LAUNCH = PEAK + """
import runpy
sys.argv = ["flashcards", *sys.argv[1:]]
runpy.run_module("flashcards", run_name="__main__")
"""


def run_python(code: str, args: list[str], env: dict[str, str] | None = None,
               what: str = "python") -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``python -c CODE ARGS`` in a fresh process;
    ``code`` starts with ``PEAK``."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    wall = time.perf_counter() - started
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK_KB")]
    if done.returncode != 0 or not peaks:
        raise SystemExit(f"{what} {' '.join(args)} failed:\n{done.stderr}")
    return wall, int(peaks[-1]) / 1024


def run(args: list[str], db: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``flashcards ARGS`` in a fresh process."""
    env = {**os.environ, "FLASHCARDS_NOW": NOW, "FLASHCARDS_DB": str(db),
           "FLASHCARDS_DECKS": str(db.parent / "decks")}  # never the user's own folder
    return run_python(LAUNCH, args, env, what="flashcards")


def best(function, repeat: int = 3) -> tuple[float, float]:
    """(first, best) seconds of calling ``function``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times[0], min(times)


def consume(store: Store, what: str, fmt: str, out_path: Path) -> None:
    with out_path.open("w", encoding="utf-8", newline="") as out:
        for chunk in export.export_text(store, what, fmt):
            out.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "flashcards-bench")
    parser.add_argument("--import", dest="with_import", action="store_true",
                        help="also time import-reviews of the whole log (slow)")
    options = parser.parse_args()
    options.dir.mkdir(parents=True, exist_ok=True)
    os.environ["FLASHCARDS_NOW"] = NOW
    generated, ordered = prepare(options.dir, options.cards, options.reviews)
    out = options.dir / "export.out"

    print(f"\n{options.cards:,} cards, {options.reviews:,} reviews; each command in a new process")
    print(f"{'command':<58} {'wall s':>7} {'peak MB':>8}")  # wall: start-up included
    commands = [
        ["--version"],
        ["config"],  # start-up with the store opened: the floor of every command below
        ["stats", "--json"],
        ["export", "--what", "daily"],
        ["export", "--what", "cards", "-o", str(out), "--force"],
        ["export", "--what", "reviews", "--format", "csv", "-o", str(out), "--force"],
        ["export", "--what", "reviews", "--format", "fsrs", "-o", str(out), "--force"],
        ["export", "--what", "reviews", "--format", "jsonl", "-o", str(out), "--force"],
    ]
    for db, label in ((generated, "generated"), (ordered, "time-ordered")):
        for args in commands:
            if db is ordered and "reviews" not in args:
                continue
            wall, rss = run(args, db)
            if wall < 2:  # quick ones: the best of three, as the in-process timings
                for _ in range(2):
                    again, rss_again = run(args, db)
                    wall, rss = min(wall, again), max(rss, rss_again)
            shown = " ".join(a if a != str(out) else "FILE" for a in args)
            print(f"{shown + f'  [{label}]':<58} {wall:7.2f} {rss:8.1f}")
    print()

    store = Store.open(generated)
    print("in process, without start-up (first / best of 3):")
    first, fastest = best(lambda: stats.compute_stats(store))
    print(f"  compute_stats                        {first:6.3f} / {fastest:6.3f} s")
    first, fastest = best(lambda: consume(store, "daily", "csv", out))
    print(f"  export daily                         {first:6.3f} / {fastest:6.3f} s")
    for db, label in ((generated, "generated"), (ordered, "time-ordered")):
        here = Store.open(db)
        started = time.perf_counter()
        consume(here, "reviews", "csv", out)
        seconds = time.perf_counter() - started
        print(f"  export reviews csv [{label}]  {seconds:6.2f} s, "
              f"{out.stat().st_size / 1e6:.0f} MB written")
        started = time.perf_counter()
        count = sum(1 for _ in export._review_rows(here))
        fetch = time.perf_counter() - started
        rows = list(export._review_rows(here))
        started = time.perf_counter()
        with out.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(export.export_columns("reviews"))
            writer.writerows(rows)
        floor = time.perf_counter() - started
        del rows
        print(f"    floors: reading the {count:,} rows from SQLite {fetch:.2f} s; the csv "
              f"module writing them from a list {floor:.2f} s")
        here.close()
    # Allocation tracing slows Python down several times: a separate run, not timed.
    tracemalloc.start()
    consume(store, "reviews", "csv", out)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"  export reviews csv: peak of Python allocations while streaming {peak:.1f} MB")

    if options.with_import:
        jsonl = options.dir / "reviews.jsonl"
        consume(store, "reviews", "jsonl", jsonl)
        target = options.dir / "import-target.db"
        target.unlink(missing_ok=True)
        store.conn.execute("VACUUM INTO ?", (str(target),))
        empty = Store.open(target)
        empty.conn.execute("DELETE FROM reviews")
        started = time.perf_counter()
        report = history.import_reviews(empty, jsonl)
        print(f"  import-reviews of {report.lines:,} lines into a log without them: "
              f"{time.perf_counter() - started:.1f} s ({report.added:,} added, "
              f"{report.cards:,} cards rebuilt)")
        started = time.perf_counter()
        report = history.import_reviews(empty, jsonl)
        print(f"  the same file again (all present): {time.perf_counter() - started:.1f} s")
        empty.close()
    store.close()


if __name__ == "__main__":
    main()

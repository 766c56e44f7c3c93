"""Every performance target of issues 6 and 10 in one table, each figure next to its floor.

    python benchmarks/run.py [--quick] [--dir DIR]

Builds its own data in DIR (default ``benchmarks/out/``, gitignored): decks with Chinese
text and code (``generate.write_deck``, 10,000 and 100,000 cards) and a database of
100,000 cards and 1,000,000 reviews over two years (``generate.build_db``, ~30 s, cached
until generate.py changes). Every floor is measured in the same run, interleaved with the
figure it is compared with, so the ratio holds on a noisy machine. Every command runs in
a fresh process, as a user starts it. ``--quick``: 10,000 cards and 100,000 reviews, fewer runs.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import tui_latency
from benchmarks.anki_package import write_package
from benchmarks.generate import build_db, write_deck
from benchmarks.stats_export import PEAK, run, run_python
from flashcards import export
from flashcards.search import find_cards
from flashcards.store import Store

# What a user would write to load a deck and store it: PyYAML's C loader, then one
# executemany in one transaction.
IMPORT_FLOOR = PEAK + """
import json, sqlite3, yaml
deck_path, db_path = sys.argv[1:]
with open(deck_path, encoding="utf-8") as file:
    deck = yaml.load(file, Loader=yaml.CSafeLoader)
conn = sqlite3.connect(db_path)
conn.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, key TEXT, front TEXT, back TEXT, "
             "tags TEXT)")
with conn:
    conn.executemany(
        "INSERT INTO cards (key, front, back, tags) VALUES (?, ?, ?, ?)",
        [(card.get("id"), card["front"], card.get("back"),
          json.dumps(card.get("tags", []), ensure_ascii=False)) for card in deck["cards"]],
    )
conn.close()
"""

# The export's own query on the same database, written with csv.writer to a file.
EXPORT_FLOOR = PEAK + """
import csv, sqlite3
db_path, out_path, query, *columns = sys.argv[1:]
conn = sqlite3.connect(db_path)
with open(out_path, "w", encoding="utf-8", newline="") as out:
    writer = csv.writer(out, lineterminator="\\n")
    writer.writerow(columns)
    writer.writerows(conn.execute(query))
conn.close()
"""


@dataclass
class Row:
    """One line of the table."""

    figure: str
    measured: str
    floor: str
    compared: str
    target: str
    ok: bool | None


def median(values: list[float]) -> float:
    return statistics.median(values)


def times(runs: int) -> str:
    """How many runs a median is of, for the figure's label."""
    return f" [{runs} run{'s' * (runs != 1)}]"


def interleaved(runs: int, *steps: Callable[[], tuple[float, float]]) -> list[list[tuple]]:
    """Results of each step, ``runs`` times, the steps taking turns (noise hits them alike)."""
    results: list[list[tuple]] = [[] for _ in steps]
    for _ in range(runs):
        for index, step in enumerate(steps):
            results[index].append(step())
    return results


def review_query() -> str:
    """The SQL the reviews export runs (``export._review_rows``), for the floor to run too."""
    recorder = SimpleNamespace(conn=SimpleNamespace(execute=lambda sql, *params: sql))
    return export._review_rows(recorder)  # type: ignore[arg-type]


def big_database(directory: Path, n_cards: int, n_reviews: int) -> Path:
    """The generated database, rebuilt when generate.py changes; migrated to this schema."""
    source = (ROOT / "benchmarks" / "generate.py").read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:8]
    db = directory / f"big-{n_cards}-{n_reviews}-{tag}.db"
    if not db.exists():
        for old in directory.glob(f"big-{n_cards}-{n_reviews}-*.db"):
            old.unlink()
        started = time.perf_counter()
        print(f"building a database of {n_cards:,} cards and {n_reviews:,} reviews...",
              file=sys.stderr)
        partial = db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build_db(partial, n_cards, n_reviews)
        partial.rename(db)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    Store.open(db).close()  # migrates a database built by an older schema, once
    shutil.rmtree(directory / "backups", ignore_errors=True)
    return db


def fresh(directory: Path, name: str) -> Path:
    """A path for a new database in its own empty folder (its backups land there too)."""
    folder = directory / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder / "flashcards.db"


def measure_imports(work: Path, decks: dict[int, Path], runs: dict[int, int]) -> list[Row]:
    rows = []
    last_db = None
    for n, deck in decks.items():
        def app(n: int = n, deck: Path = deck) -> tuple[float, float]:
            nonlocal last_db
            last_db = fresh(work, f"import-{n}")
            return run(["import", str(deck)], last_db)

        def floor(n: int = n, deck: Path = deck) -> tuple[float, float]:
            return run_python(IMPORT_FLOOR, [str(deck), str(fresh(work, f"floor-{n}"))])

        floors, apps = interleaved(runs[n], floor, app)
        seconds, base = median([t for t, _ in apps]), median([t for t, _ in floors])
        peak, base_peak = max(m for _, m in apps), max(m for _, m in floors)
        rows.append(Row(
            f"flashcards import, {n:,} cards, fresh database{times(runs[n])}",
            f"{seconds:.2f} s, {peak:.0f} MB", f"{base:.2f} s, {base_peak:.0f} MB (a)",
            f"{seconds / base:.2f}x", "<= 1.2x", seconds / base <= 1.2,
        ))
    # The last database has the big deck; add the small one so both are re-imported.
    run(["import", str(decks[min(decks)])], last_db)
    deck_args = ["import", *map(str, decks.values())]
    starts, again = interleaved(
        7, lambda: run(["--version"], last_db), lambda: run(deck_args, last_db))
    extra = median([t for t, _ in again]) - median([t for t, _ in starts])
    rows.append(Row(
        f"re-import, decks unchanged ({' + '.join(f'{n:,}' for n in decks)} cards){times(7)}",
        f"{median([t for t, _ in again]):.2f} s", f"{median([t for t, _ in starts]):.2f} s (b)",
        f"+{extra:.2f} s", "<= +0.30 s", extra <= 0.3,
    ))
    rows.append(source_check(f"{' + '.join(f'{n:,}' for n in decks)} cards", last_db, 0.3))
    bundled_db = fresh(work, "bundled")  # as a first run leaves it: the user's own copies
    run(["init", "--bundled", str(bundled_db.parent / "decks")], bundled_db)
    run(["import", str(bundled_db.parent / "decks")], bundled_db)
    rows.append(source_check("the bundled decks", bundled_db, 0.05))
    return rows


def source_check(what: str, db: Path, target: float) -> Row:
    """What checking the sources adds to a start (``flashcards sync`` with every file
    unchanged: the check each launch of the app makes), against start-up alone."""
    starts, syncs = interleaved(7, lambda: run(["--version"], db), lambda: run(["sync"], db))
    extra = median([t for t, _ in syncs]) - median([t for t, _ in starts])
    return Row(
        f"source check at start, {what} unchanged{times(7)}",
        f"{median([t for t, _ in syncs]):.2f} s", f"{median([t for t, _ in starts]):.2f} s (b)",
        f"+{extra:.2f} s", f"<= +{target:.2f} s", extra <= target,
    )


def measure_stats_export(work: Path, db: Path, runs: int) -> list[Row]:
    starts, figures = interleaved(
        runs, lambda: run(["--version"], db), lambda: run(["stats", "--json"], db))
    extra = median([t for t, _ in figures]) - median([t for t, _ in starts])
    rows = [Row(
        f"flashcards stats --json, big database{times(runs)}",
        f"{median([t for t, _ in figures]):.2f} s", f"{median([t for t, _ in starts]):.2f} s (b)",
        f"+{extra:.2f} s", "<= +0.30 s", extra <= 0.3,
    )]
    out = work / "export.csv"
    query = review_query()
    columns = list(export.export_columns("reviews"))
    floors, exports = interleaved(
        max(1, runs // 2),
        lambda: run_python(EXPORT_FLOOR, [str(db), str(out), query, *columns]),
        lambda: run(["export", "--what", "reviews", "--format", "csv", "-o", str(out),
                     "--force"], db),
    )
    seconds, base = median([t for t, _ in exports]), median([t for t, _ in floors])
    peak, base_peak = max(m for _, m in exports), max(m for _, m in floors)
    out.unlink(missing_ok=True)
    rows.append(Row(
        f"flashcards export --what reviews --format csv{times(max(1, runs // 2))}",
        f"{seconds:.2f} s", f"{base:.2f} s (c)", f"{seconds / base:.2f}x", "<= 1.5x",
        seconds / base <= 1.5,
    ))
    rows.append(Row(
        "  its peak memory (VmHWM)", f"{peak:.0f} MB", f"{base_peak:.0f} MB (c)", "",
        "< 100 MB", peak < 100,
    ))
    return rows


def with_cpu(step: Callable[[], tuple[float, float]]) -> Callable[[], tuple[float, float, float]]:
    """The step, with the CPU seconds (user + system) of the processes it ran: on a busy
    machine they move less than wall time."""

    def measured() -> tuple[float, float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, peak = step()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return seconds, peak, cpu

    return measured


def measure_anki(work: Path, package: Path, runs: int) -> list[Row]:
    """import-anki of 10,000 notes and 100,000 reviews, next to importing the deck file it
    writes (so the difference is reading Anki, converting HTML and merging the history)."""
    out = work / "anki-decks"

    def app() -> tuple[float, float]:
        shutil.rmtree(out, ignore_errors=True)
        return run(["import-anki", str(package), "--out", str(out)], fresh(work, "anki"))

    app()  # the floor imports what this writes
    floors, apps = interleaved(
        runs, with_cpu(lambda: run(["import", str(out)], fresh(work, "anki-floor"))),
        with_cpu(app))
    seconds, base = median([t for t, _, _ in apps]), median([t for t, _, _ in floors])
    cpu, base_cpu = median([c for _, _, c in apps]), median([c for _, _, c in floors])
    return [Row(
        f"flashcards import-anki, 10,000 notes + 100,000 reviews{times(runs)}",
        f"{seconds:.2f} s ({cpu:.2f} s CPU), {max(m for _, m, _ in apps):.0f} MB",
        f"{base:.2f} s ({base_cpu:.2f} s CPU) (f)", f"+{seconds - base:.2f} s", "<= 6 s",
        seconds <= 6,
    )]


def measure_app(work: Path, db: Path, runs: int, grades: int) -> list[Row]:
    os.environ["FLASHCARDS_NOW"] = tui_latency.NOW
    fronts = tui_latency.queue_fronts(db)
    app_times, base_times = tui_latency.launch_times(db, work, fronts, runs)
    extra = median(app_times) - median(base_times)
    terminal, copy = tui_latency.open_review(db, work, fronts)
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{terminal.pid}/status").read_text().splitlines())
    rss, hwm = (int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
    grade_ms, _ = tui_latency.grade_times(terminal, copy, fronts, grades)
    terminal.close()
    frame_ms = tui_latency.frame_times(work, len(grade_ms))
    p95 = tui_latency.quantile(grade_ms, 0.95)
    frame_p95 = tui_latency.quantile(frame_ms, 0.95)
    return [
        Row(f"flashcards review: launch to first card, big database{times(runs)}",
            f"{median(app_times):.2f} s", f"{median(base_times):.2f} s (d)", f"+{extra:.2f} s",
            "<= +0.15 s", extra <= 0.15),
        Row(f"grade key to next card on screen, median [{len(grade_ms)} cards]",
            f"{median(grade_ms):.1f} ms", f"{median(frame_ms):.1f} ms (e)",
            f"{median(grade_ms) / median(frame_ms):.1f}x", "<= 16 ms", median(grade_ms) <= 16),
        Row("  p95", f"{p95:.1f} ms", f"{frame_p95:.1f} ms (e)", f"{p95 / frame_p95:.1f}x",
            "<= 33 ms", p95 <= 33),
        Row("app memory, first card on screen, big database", f"{hwm:.0f} MB",
            "", f"now {rss:.0f} MB", "< 150 MB", hwm < 150),
    ]


# Searches of the big database (generate.build_db: fronts "第 i 题：TOPIC 是什么？", backs with
# Python code, tags 基础 and t0..t9), each with how many of its cards match.
SEARCHES = {
    "题": "one Chinese character, every card",
    "鲸": "one Chinese character, no card",
    "梯度": "two Chinese characters, 1 card in 8",
    "是什么": "three Chinese characters, every card",
    "长颈鹿": "three Chinese characters, no card",
    "python": "an English word, every card",
    "tag:t3": "tag:, 1 card in 10",
    "is:due": "is:due",
}


def measure_search(db: Path, runs: int) -> list[Row]:
    """Each search's first page (50 cards): in this process, and as `flashcards cards QUERY
    --json` beyond the start-up of a fresh process."""
    os.environ["FLASHCARDS_NOW"] = tui_latency.NOW
    store = Store.open(db)
    rows = []
    for query, what in SEARCHES.items():
        list(find_cards(store, query, limit=50))  # the pages it reads are in the cache
        work = []
        for _ in range(20):
            started = time.perf_counter()
            list(find_cards(store, query, limit=50))
            work.append(time.perf_counter() - started)
        starts, pages = interleaved(runs, lambda: run(["--version"], db),
                                    lambda q=query: run(["cards", q, "--json", "--limit", "50"], db))
        extra = median([t for t, _ in pages]) - median([t for t, _ in starts])
        rows.append(Row(
            f"search {query!r}, first page: {what}{times(runs)}",
            f"{median(work) * 1000:.1f} ms (g)", f"{median([t for t, _ in starts]):.2f} s (b)",
            f"cards {extra * 1000:+.0f} ms", "<= 50 ms", max(median(work), extra) <= 0.05,
        ))
    store.close()
    return rows


def print_table(rows: list[Row], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in ("figure", "measured", "floor", "ratio/extra", "target", "ok"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for row in rows:
        ok = "" if row.ok is None else "[green]pass[/]" if row.ok else "[red]MISS[/]"
        table.add_row(row.figure, row.measured, row.floor, row.compared, row.target, ok)
    width = max(shutil.get_terminal_size().columns, 150)
    console = Console(width=width)
    console.print(table)
    console.print(
        "(a) PyYAML's C loader (yaml.load, CSafeLoader) + one executemany into SQLite, fresh "
        "process.  (b) process start-up: flashcards --version.\n"
        "(c) the export's query on the same database written with csv.writer to a file, "
        "fresh process.  (d) a minimal Textual app showing one line.\n"
        "(e) one Textual frame: key -> changed line on screen in a minimal Textual app, same "
        "pty.  Memory: peak RSS (VmHWM); 'now' is VmRSS.\n"
        "(f) flashcards import of the deck file import-anki wrote, fresh database; Anki's "
        "own import of the package: ~1.4 s. CPU: user + system seconds of the process.\n"
        "(g) the first page (50 cards) of the search alone, in a process that has the database "
        "open, median of 20; 'cards': `flashcards cards QUERY --json --limit 50` minus (b).\n"
        "Time is wall time in a fresh process, median of the runs; memory the largest peak.",
        highlight=False, markup=False, soft_wrap=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 cards and 100,000 reviews, fewer runs (under a minute)")
    parser.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "out",
                        help="where the data goes (default: benchmarks/out/)")
    groups_known = ("import", "app", "stats", "anki", "search")
    parser.add_argument("--only", choices=groups_known, action="append",
                        help="measure only these groups of figures (repeatable)")
    options = parser.parse_args()
    groups = set(options.only or groups_known)
    scale = 10 if options.quick else 1
    n_cards, n_reviews = 100_000 // scale, 1_000_000 // scale
    options.dir.mkdir(parents=True, exist_ok=True)
    started, load = time.perf_counter(), os.getloadavg()[0]

    # An installed app runs from bytecode (pip compiles it): so does the one measured, even
    # where PYTHONDONTWRITEBYTECODE is set (every start would compile the package again).
    compileall.compile_dir(ROOT / "flashcards", quiet=1)
    sizes = (10_000,) if options.quick else (10_000, 100_000)
    decks = {n: write_deck(options.dir / f"deck-{n}.yaml", n) for n in sizes}
    db = big_database(options.dir, n_cards, n_reviews)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=options.dir))
    try:
        rows = []
        if "import" in groups:
            rows += measure_imports(work, decks, {10_000: 2 if options.quick else 5, 100_000: 3})
        if "app" in groups:
            rows += measure_app(work, db, 3 if options.quick else 7,
                                40 if options.quick else 200)
        if "stats" in groups:
            rows += measure_stats_export(work, db, 3 if options.quick else 5)
        if "anki" in groups:
            package = options.dir / "anki-10000-100000.apkg"
            if not package.exists():
                write_package(package, 10_000, 100_000)
            rows += measure_anki(work, package, 1 if options.quick else 3)
        if "search" in groups:
            rows += measure_search(db, 3 if options.quick else 7)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, f"flashcards benchmarks: big database = {n_cards:,} cards, "
                      f"{n_reviews:,} reviews; {os.cpu_count()} cores, load average "
                      f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
                      f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Concurrency: one database, several writers and readers at once, and nobody is told
"database is locked".

The review app answers cards in a pseudo-terminal while other processes import a deck of
thousands of cards, re-import it changed, merge a review log and export: every command
succeeds, the app shows no error, every answer it showed as saved is in the log, and the
imports are all there. Then the library alone: threads and processes answering and
importing on one file, and a write lock held by someone else, which a writer waits for.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pilot_helpers import wait_until
from pty_app import ReviewDriver, app_env, marked_deck

from flashcards.session import Session
from flashcards.stats import compute_stats
from flashcards.store import Store
from flashcards.sync import import_files

REVIEW_DECK = "复习"
BIG_DECK = "大牌组"
BIG = 3000
TODAY = "2026-03-10"  # conftest's clock
# Not "busy": on a loaded machine another process may hold the write lock past the app's
# short busy timeout, and the review then says it is trying again, which is what it should do.
PROBLEM_WORDS = ("error", "locked", "traceback", "failed", "exception")


def big_deck(changed: bool = False) -> str:
    """A deck of ``BIG`` cards; changed: the first 100 gone, every 10th back edited, 200 new."""
    lines = [f"deck: {BIG_DECK}", "cards:"]
    numbers = range(101, BIG + 201) if changed else range(1, BIG + 1)
    for n in numbers:
        edit = " (修订)" if changed and n % 10 == 0 else ""
        lines += [
            f"  - id: b{n}",
            f"    front: \"大模型第 {n} 问：`torch.no_grad()` 有什么用？\"",
            "    back: |",
            f"      推理时关闭梯度记录{edit}，省显存 {n}。",
            "      ```python",
            "      with torch.no_grad():",
            f"          logits = model(batch_{n})",
            "      ```",
        ]
    return "\n".join(lines) + "\n"


def merged_reviews() -> list[dict]:
    """Another machine's answers (on earlier days) for cards of both decks."""
    records = []
    keys = [(BIG_DECK, f"b{n}") for n in range(201, 701)]
    keys += [(REVIEW_DECK, f"rc{n}") for n in range(1, 11)]
    for deck, key in keys:
        for day, quality in (("01", 4), ("05", 3)):
            records.append({
                "review_id": f"merged-{key}-{day}", "deck": deck, "card_key": key,
                "reviewed_at": f"2026-03-{day}T20:00:00+01:00", "quality": quality,
            })
    return records


def flashcards(db: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the command line in a process of its own."""
    return subprocess.run([sys.executable, "-m", "flashcards", "--db", str(db), *args],
                          capture_output=True, text=True, env=app_env(), timeout=120,
                          check=False)


def test_review_goes_on_while_other_processes_import_merge_and_export(tmp_path, write_deck):
    db = tmp_path / "shared.db"
    store = Store.open(db)
    import_files(store, [write_deck(marked_deck(40, REVIEW_DECK, "r"), "review.yaml")])
    store.set_config("new_per_day", 1000)
    store.close()
    big = tmp_path / "big" / "big.yaml"
    big.parent.mkdir()
    big.write_text(big_deck(), encoding="utf-8")
    merged = tmp_path / "merged.jsonl"
    merged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in merged_reviews()),
                      encoding="utf-8")

    saved: list[tuple[int, int]] = []  # the app's answers, confirmed on its screen
    results: list[tuple[str, subprocess.CompletedProcess, int, int]] = []
    # The merge touches the review deck's first ten cards once the app has answered them:
    # a new card answered elsewhere before the app reaches it is skipped there (item 7).
    first_ten_answered = threading.Event()

    def other_process() -> None:
        steps = [
            ("import", lambda: flashcards(db, "import", str(big))),
            ("export reviews csv", lambda: flashcards(db, "export")),
            ("import-reviews", lambda: (first_ten_answered.wait(120),
                                        flashcards(db, "import-reviews", str(merged)))[1]),
            ("re-import changed", lambda: (big.write_text(big_deck(True), encoding="utf-8"),
                                           flashcards(db, "import", str(big)))[1]),
            ("export cards jsonl", lambda: flashcards(db, "export", "--what", "cards",
                                                      "--format", "jsonl")),
            ("import-reviews again", lambda: flashcards(db, "import-reviews", str(merged))),
            ("export reviews json", lambda: flashcards(db, "export", "--format", "json")),
        ]
        for name, step in steps:
            before = len(saved)
            done = step()
            results.append((name, done, before, len(saved)))

    driver = ReviewDriver(db, tmp_path / "mirror.db", app_env())
    worker = threading.Thread(target=other_process)
    try:
        driver.confirm()
        worker.start()
        grades = "2344555"  # some come back again
        index = 0
        while worker.is_alive() or len(saved) < 20:
            if not driver.revealed:
                driver.send(" ")
                driver.confirm()
                continue
            # The last few cards come back again: the sitting never runs out, however fast
            # the answers come next to the other process.
            quality = grades[index % len(grades)] if len(driver.session.queue) > 3 else "2"
            index += 1
            answer = (driver.session.current.id, int(quality))
            driver.send(quality)
            driver.confirm()
            saved.append(answer)
            if len({card_id for card_id, _ in saved}) >= 10:
                first_ten_answered.set()
        driver.terminal.press(b"q")  # the review -> home
        driver.terminal.wait_for("quit")
        driver.terminal.press(b"q")
        exit_code = driver.terminal.wait_exit()
    finally:
        worker.join()
        driver.close()

    screen = driver.terminal.text(everything=True)
    assert exit_code == 0, driver.terminal.tail()
    assert not [word for word in PROBLEM_WORDS if word in screen.lower()], driver.terminal.tail()
    for name, done, _, _ in results:
        assert (done.returncode, done.stderr) == (0, ""), (name, done.stderr)
    overlapped = sum(after > before for _, _, before, after in results)
    assert overlapped, "no answer was saved while another process was at work"

    store = Store.open(db)
    try:
        assert store.integrity_check() == []
        merged_ids = {r["review_id"] for r in merged_reviews()}
        log = store.query("SELECT id, card_id, quality FROM reviews ORDER BY rowid")
        assert [row[1:] for row in log if row[0] not in merged_ids] == saved
        assert {row[0] for row in log} >= merged_ids
        assert len(log) == len(saved) + len(merged_ids)
        counts = dict(store.query(
            "SELECT retired, count(*) FROM cards JOIN decks ON decks.id = deck_id "
            "WHERE decks.name = ? GROUP BY retired", (BIG_DECK,)))
        assert counts == {0: BIG + 100, 1: 100}
        assert store.query("SELECT count(*) FROM cards WHERE back LIKE '%(修订)%'") == [(310,)]
        for card in store.iter_cards("1"):  # every card's state is what its whole log gives
            assert store.replay(card.id).card_row() == store.cached_row(card.id), card
    finally:
        store.close()

    outputs = {name: (done.stdout, before, after) for name, done, before, after in results}
    assert "3000" in outputs["import"][0]
    assert "added 1020 reviews to 510 cards; 0 already here" in outputs["import-reviews"][0]
    assert "added 0 reviews to 0 cards; 1020 already here" in outputs["import-reviews again"][0]
    # Each export is one consistent moment: every answer saved before it began, and at
    # most the one being saved when it ended.
    text, before, after = outputs["export reviews csv"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert before <= len(rows) <= after + 1
    text, before, after = outputs["export reviews json"]
    rows = json.loads(text)
    assert before + len(merged_ids) <= len(rows) <= after + 1 + len(merged_ids)
    cards = [json.loads(line) for line in outputs["export cards jsonl"][0].splitlines()]
    assert len(cards) == 40 + BIG + 200


# -- the library alone -----------------------------------------------------------------------

HAMMER = """
import json, random, sys
from flashcards.store import Store
store = Store.open(sys.argv[1])
rng = random.Random(sys.argv[2])
ids = []
for _ in range(int(sys.argv[3])):
    ids.append(store.answer(rng.randint(1, 30), rng.randint(0, 5)).review_id)
print(json.dumps(ids))
"""


def test_threads_and_processes_answering_and_importing_on_one_file(tmp_path, write_deck):
    db = tmp_path / "hammer.db"
    deck = write_deck(marked_deck(30, REVIEW_DECK, "r"))
    other = tmp_path / "other.yaml"
    store = Store.open(db)
    import_files(store, [deck])
    store.close()

    def answering(seed: int) -> list[str]:
        rng = random.Random(seed)
        own = Store.open(db)
        kept = []
        for _ in range(60):
            kept.append(own.answer(rng.randint(1, 30), rng.randint(0, 5)).review_id)
            if rng.random() < 0.2:
                own.undo_answer(kept.pop())
        own.close()
        return kept

    def importing(rounds: int) -> list[str]:
        own = Store.open(db)
        for round_ in range(rounds):
            other.write_text(marked_deck(200 + 50 * (round_ % 2), "另一个牌组", "o"),
                             encoding="utf-8")
            import_files(own, [deck, other])
        own.close()
        return []

    def reading() -> list[str]:
        own = Store.open(db)
        for _ in range(10):
            Session(own)
            compute_stats(own)
        own.close()
        return []

    processes = [
        subprocess.Popen([sys.executable, "-c", HAMMER, str(db), str(seed), "60"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(answering, seed) for seed in (3, 4, 5)]
        futures += [pool.submit(importing, 6), pool.submit(reading)]
        kept = [review_id for future in futures for review_id in future.result()]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        kept += json.loads(out)

    store = Store.open(db)
    try:
        assert store.integrity_check() == []
        assert sorted(row[0] for row in store.query("SELECT id FROM reviews")) == sorted(kept)
        for card in store.iter_cards("1"):
            assert store.replay(card.id).card_row() == store.cached_row(card.id), card
        # The last import (250 cards) is what the other deck holds.
        assert store.query("SELECT count(*) FROM cards WHERE retired = 0") == [(30 + 250,)]
    finally:
        store.close()


def test_a_writer_waits_for_a_lock_held_elsewhere_instead_of_failing(store, write_deck):
    import_files(store, [write_deck(marked_deck(3, REVIEW_DECK))])
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    holder.execute("UPDATE config SET value = value")
    reader = sqlite3.connect(store.path, isolation_level=None)
    reader.execute("BEGIN")  # and a long read (an export), which never blocks a writer
    reader.execute("SELECT count(*) FROM reviews").fetchall()
    released = threading.Timer(0.3, holder.execute, ("COMMIT",))
    released.start()
    started = time.perf_counter()
    try:
        answer = store.answer(1, 5)
    finally:
        released.join()
    waited = time.perf_counter() - started
    assert waited >= 0.2  # it did wait for the lock ...
    assert store.query("SELECT id FROM reviews") == [(answer.review_id,)]  # ... and saved
    assert reader.execute("SELECT count(*) FROM reviews").fetchall() == [(0,)]  # its snapshot
    reader.execute("COMMIT")
    reader.close()
    holder.close()


async def test_the_app_keeps_the_card_when_the_database_stays_locked_too_long(store, write_deck):
    """Issue 16, item 16: a key while another process holds the write lock freezes nothing;
    the write is tried again in the background and lands once the lock is gone."""
    from flashcards.tui.app import make_app
    from flashcards.tui.screens import review
    from flashcards.tui.widgets.card_view import CardView

    import_files(store, [write_deck(marked_deck(3, REVIEW_DECK))])
    holder = sqlite3.connect(store.path, isolation_level=None)
    app = make_app(store, start="review")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await pilot.press("space")
        holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
        await pilot.press("4")
        messages = [notification.message for notification in app._notifications]
        assert any(m.startswith("The database is busy") for m in messages), messages
        assert screen.session.current.id == 1 and screen.query_one(CardView).revealed
        assert not screen.check_action("grade", (4,))  # keys wait; q still leaves
        await pilot.pause(3 * review.BUSY_RETRY_SECONDS)  # tried again, told only once
        messages = [notification.message for notification in app._notifications]
        assert sum(m.startswith("The database is busy") for m in messages) == 1, messages
        holder.execute("COMMIT")
        await wait_until(pilot, lambda: screen.session.current.id == 2)
        holder.execute("BEGIN IMMEDIATE")
        await pilot.press("u")
        assert screen.session.current.id == 2 and screen.session.can_undo()
        holder.execute("COMMIT")
        await wait_until(pilot, lambda: screen.session.current.id == 1)
        await pilot.press("space", "5")
        holder.execute("BEGIN IMMEDIATE")
        await pilot.press("space", "3", "q")  # leaving while it waits: told, nothing written
        messages = [notification.message for notification in app._notifications]
        assert any(m.startswith("Left without saving") for m in messages), messages
        assert screen._retry is None
        holder.execute("COMMIT")
    holder.close()
    assert store.query("SELECT card_id, quality FROM reviews") == [(1, 5)]

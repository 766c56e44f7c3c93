"""Exports parsed back (csv, json, jsonl, fsrs), safe output files, and import-reviews:
idempotent merges that leave two databases with the same states, errors by line."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from flashcards import export
from flashcards.cli import UserError, cli, write_output
from flashcards.export import export_text
from flashcards.history import ReviewImportError, import_reviews
from flashcards.scheduling import LEECH_LAPSES
from flashcards.store import Store
from flashcards.sync import import_files

DECK = """\
deck: 语言 [b]x[/b]
cards:
  - id: a
    front: "Quote \\" comma, newline\\n第二行 [red]x[/red]"
    back: 答案
    tags: [基础, two words]
  - id: b
    front: q b
    back: a b
  - id: gone
    front: q gone
    back: a gone
"""
OTHER = "deck: other\ncards:\n" + "".join(
    f"  - id: o{i}\n    front: q{i}\n    back: a{i}\n" for i in range(5)
)


def at(day: str, time: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00+01:00")


def ids(store: Store, deck: str = "语言 [b]x[/b]") -> dict[str, int]:
    return dict(store.query(
        "SELECT cards.key, cards.id FROM cards JOIN decks ON decks.id = cards.deck_id "
        "WHERE decks.name = ?", (deck,),
    ))


def text(store: Store, what: str, fmt: str) -> str:
    return "".join(export_text(store, what, fmt))


def csv_rows(store: Store, what: str, fmt: str = "csv") -> list[dict[str, str]]:
    """The rows of a CSV export, read as pandas or ``open(encoding="utf-8-sig")`` read a file
    (the BOM of the spreadsheet CSV is not part of the first column's name)."""
    data = text(store, what, fmt).encode("utf-8").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


@pytest.fixture
def reviewed(store: Store, write_deck) -> Store:
    """Three cards, a few days of answers (with a same-day repeat), a card action and a cram
    answer, one card retired."""
    path = write_deck(DECK)
    import_files(store, [path])
    card = ids(store)
    store.answer(card["a"], 4, duration_ms=4000, at=at("2026-03-01"))
    store.answer(card["a"], 2, duration_ms=6000, at=at("2026-03-02"))
    store.answer(card["a"], 4, duration_ms=3000, at=at("2026-03-02", "09:10"))  # repeat
    store.answer(card["b"], 5, at=at("2026-03-02", "08:00"))
    store.answer(card["gone"], 3, duration_ms=1000, at=at("2026-03-09", "23:30"))
    store.act([card["b"]], "bury", date(2026, 3, 10), at=at("2026-03-09"))  # over by today
    store.answer(card["b"], 1, duration_ms=2000, at=at("2026-03-09"), cram=True)
    path.write_text(DECK[:DECK.index("  - id: gone")], encoding="utf-8")
    import_files(store, [path])
    return store


# -- exports ------------------------------------------------------------------------------


def test_cli_choices_are_the_library_ones():
    choices = {option.name: tuple(option.type.choices) for option in cli.commands["export"].params
               if option.name in ("what", "fmt")}
    assert choices == {"what": export.EXPORTS,
                       "fmt": (*export.EXPORT_FORMATS, export.ANKI_FORMAT)}


def test_reviews_csv_reads_back_in_time_order(reviewed):
    rows = csv_rows(reviewed, "reviews")
    assert list(rows[0]) == list(export.export_columns("reviews"))
    assert [(r["card_key"], r["quality"], r["repeat"]) for r in rows] == [
        ("a", "4", "0"), ("b", "5", "0"), ("a", "2", "0"), ("a", "4", "1"), ("gone", "3", "0"),
    ]
    times = [datetime.fromisoformat(r["reviewed_at"]) for r in rows]
    assert times == sorted(times) and all(t.utcoffset() is not None for t in times)
    first = rows[0]
    assert first["deck"] == "语言 [b]x[/b]" and first["day"] == "2026-03-01"
    assert (first["repetitions"], first["interval"], first["easiness"], first["due"]) == (
        "1", "1", "2.5", "2026-03-02")
    assert rows[1]["duration_ms"] == ""  # unknown, not zero
    assert rows[-1]["day"] == "2026-03-09"  # 23:30 is the same study day


def test_json_and_jsonl_hold_the_same_records_as_csv(reviewed):
    for what in export.EXPORTS:
        listed = json.loads(text(reviewed, what, "json"))
        lines = [json.loads(line) for line in text(reviewed, what, "jsonl").splitlines()]
        assert isinstance(listed, list) and listed == lines
        rows = csv_rows(reviewed, what)
        assert len(rows) == len(listed) and list(rows[0]) == list(listed[0])
    reviews = json.loads(text(reviewed, "reviews", "json"))
    assert [r["repeat"] for r in reviews] == [False, False, False, True, False]
    assert reviews[1]["duration_ms"] is None and isinstance(reviews[0]["easiness"], float)


def test_an_empty_export_is_still_valid(store):
    assert json.loads(text(store, "reviews", "json")) == []
    assert text(store, "reviews", "jsonl") == ""
    header = ",".join(export.export_columns("reviews")) + "\n"
    assert text(store, "reviews", "csv") == export.BOM + header


def test_cards_export_has_every_card_with_status_tags_and_source(reviewed, tmp_path):
    rows = csv_rows(reviewed, "cards")
    by_key = {row["card_key"]: row for row in rows}
    assert set(by_key) == {"a", "b", "gone"}
    assert by_key["gone"]["status"] == "retired"
    assert by_key["a"]["status"] == "learning" and by_key["a"]["lapses"] == "1"
    assert by_key["b"]["status"] == "learning" and by_key["b"]["due"] == "2026-03-03"
    a = by_key["a"]
    assert a["front"] == 'Quote " comma, newline\n第二行 [red]x[/red]'  # survives CSV quoting
    assert json.loads(a["tags"]) == ["基础", "two words"]
    assert a["type"] == "basic" and a["deck"] == "语言 [b]x[/b]"
    assert a["source"] == f"{(tmp_path / 'decks' / 'deck.yaml').resolve()}:3"
    cards = {card["card_key"]: card for card in json.loads(text(reviewed, "cards", "json"))}
    assert cards["a"]["tags"] == ["基础", "two words"]
    assert cards["a"]["buried_until"] is None


def test_daily_export_is_one_row_per_study_day(reviewed):
    rows = csv_rows(reviewed, "daily")
    assert [row["date"] for row in rows] == ["2026-03-01", "2026-03-02", "2026-03-09"]
    second = rows[1]  # a wrong (review), its repeat, b new and right
    assert {key: second[key] for key in export.export_columns("daily")} == {
        "date": "2026-03-02", "reviews": "3", "repeats": "1", "correct": "2", "new_cards": "1",
        "review_answers": "1", "review_correct": "0", "retention": "0.0", "seconds": "9.0",
    }
    assert rows[0]["new_cards"] == "1" and rows[0]["retention"] == ""


def test_fsrs_export_maps_grades_and_states(store, write_deck):
    import_files(store, [write_deck(DECK)])
    card = ids(store)
    days = [("2026-02-01", 4), ("2026-02-02", 5), ("2026-02-08", 3), ("2026-02-20", 1),
            ("2026-02-21", 4), ("2026-02-22", 4), ("2026-02-28", 0)]
    for day, quality in days:
        store.answer(card["a"], quality, duration_ms=2500, at=at(day))
    store.answer(card["a"], 4, at=at("2026-02-28", "09:30"))  # a same-day repeat
    store.answer(card["b"], 2, at=at("2026-02-01"))  # failed when new: learning, not relearning
    store.answer(card["b"], 4, at=at("2026-02-02"))
    rows = list(csv.DictReader(io.StringIO(text(store, "reviews", "fsrs"))))
    assert list(rows[0]) == ["card_id", "review_time", "review_rating", "review_state",
                             "review_duration"]
    a = [(r["review_rating"], r["review_state"]) for r in rows if r["card_id"] == str(card["a"])]
    # ratings: 4->3 5->4 3->2 1->1 4->3 4->3 0->1 4->3; states before each answer:
    # new, learning (1 rep), review (2), review (3: the lapse), relearning x2, review, relearning
    assert a == [("3", "0"), ("4", "1"), ("2", "2"), ("1", "2"), ("3", "3"), ("3", "3"),
                 ("1", "2"), ("3", "3")]
    b = [(r["review_rating"], r["review_state"]) for r in rows if r["card_id"] == str(card["b"])]
    assert b == [("1", "0"), ("3", "1")]
    first = rows[0]
    assert int(first["review_time"]) == int(at("2026-02-01").timestamp() * 1000)
    assert first["review_duration"] == "2500"
    assert rows[7]["review_duration"] == "0"  # unknown durations are 0 for the optimizer


def test_fsrs_needs_the_review_log():
    result = CliRunner().invoke(cli, ["export", "--what", "cards", "--format", "fsrs"])
    assert result.exit_code == 1 and "--what reviews" in result.output


# -- the command and its output file ----------------------------------------------------------


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_export_to_stdout_by_default(reviewed):
    result = run("export", "--what", "reviews", "--format", "jsonl")
    assert result.exit_code == 0
    assert [json.loads(line)["card_key"] for line in result.output.splitlines()] == [
        "a", "b", "a", "a", "gone"]


def test_export_to_a_file_never_overwrites_without_force(reviewed, tmp_path):
    target = tmp_path / "out.csv"
    assert run("export", "-o", str(target)).exit_code == 0
    assert len(list(csv.DictReader(target.open(encoding="utf-8-sig")))) == 5
    target.write_text("mine", encoding="utf-8")
    result = run("export", "--what", "cards", "-o", str(target))
    assert result.exit_code == 1 and "exists; use --force" in result.output
    assert target.read_text(encoding="utf-8") == "mine"
    assert run("export", "--what", "cards", "-o", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8-sig").startswith("card_id,deck,")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_symlink_is_replaced_not_written_through(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(precious)
    with pytest.raises(UserError):
        write_output("new", str(link), force=False)
    write_output("new", str(link), force=True)
    assert precious.read_text(encoding="utf-8") == "keep"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "new"


def test_a_failed_export_leaves_no_file(tmp_path):
    def chunks():
        yield "half,"
        raise RuntimeError("disk on fire")

    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        write_output(chunks(), str(target), force=False)
    assert list(tmp_path.iterdir()) == []
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        write_output(chunks(), str(target), force=True)
    assert target.read_text(encoding="utf-8") == "old" and len(list(tmp_path.iterdir())) == 1


# -- import-reviews -------------------------------------------------------------------------------


def two_machines(tmp_path: Path, write_deck) -> tuple[Store, Store]:
    """Two databases with the same deck; the second has another deck first, so the same
    card has another card_id there."""
    deck = write_deck(DECK)
    first = Store.open(tmp_path / "laptop.db")
    import_files(first, [deck])
    second = Store.open(tmp_path / "desktop.db")
    import_files(second, [write_deck(OTHER, "other.yaml")])
    import_files(second, [deck])
    assert ids(first) != ids(second)
    return first, second


def export_file(store: Store, path: Path) -> Path:
    path.write_text(text(store, "reviews", "jsonl"), encoding="utf-8")
    return path


def state(store: Store, deck: str = "语言 [b]x[/b]") -> tuple[list, list]:
    """Everything the log decides about a deck, by portable identity (not card id or ts)."""
    cards = store.query(
        "SELECT decks.name, cards.key, repetitions, interval, easiness, due, lapses, leech, "
        "suspended FROM cards JOIN decks ON decks.id = cards.deck_id WHERE decks.name = ? "
        "ORDER BY 1, 2", (deck,),
    )
    log = store.query(
        "SELECT reviews.id, decks.name, cards.key, reviewed_at, day, quality, repeat, "
        "reviews.repetitions, reviews.interval, reviews.easiness, reviews.due, duration_ms "
        "FROM reviews JOIN cards ON cards.id = reviews.card_id "
        "JOIN decks ON decks.id = cards.deck_id ORDER BY reviews.id"
    )
    return cards, log


def test_merging_both_ways_gives_both_machines_the_same_states(tmp_path, write_deck):
    laptop, desktop = two_machines(tmp_path, write_deck)
    on_laptop, on_desktop = ids(laptop), ids(desktop)
    laptop.answer(on_laptop["a"], 4, duration_ms=1000, at=at("2026-03-01"))
    laptop.answer(on_laptop["a"], 5, at=at("2026-03-03"))
    desktop.answer(on_desktop["a"], 2, at=at("2026-03-02"))  # offline, in between
    desktop.answer(on_desktop["a"], 4, at=at("2026-03-03", "22:00"))  # the 3rd again: a repeat
    desktop.answer(on_desktop["b"], 3, at=at("2026-03-04"))
    from_laptop = export_file(laptop, tmp_path / "laptop.jsonl")
    from_desktop = export_file(desktop, tmp_path / "desktop.jsonl")

    report = import_reviews(desktop, from_laptop)
    assert (report.added, report.present, report.cards) == (2, 0, 1)
    report = import_reviews(laptop, from_desktop)
    assert (report.added, report.present, report.cards) == (3, 0, 2)
    assert state(laptop) == state(desktop)

    # The merged card is what answering everything in time order on one machine gives.
    reference = Store.open(tmp_path / "reference.db")
    import_files(reference, [write_deck(DECK)])
    card = ids(reference)["a"]
    for moment, quality in (("2026-03-01", 4), ("2026-03-02", 2), ("2026-03-03", 5)):
        reference.answer(card, quality, at=at(moment))
    reference.answer(card, 4, at=at("2026-03-03", "22:00"))
    merged = laptop.card(ids(laptop)["a"])
    expected = reference.card(card)
    assert (merged.repetitions, merged.interval, merged.easiness, merged.due, merged.lapses) == (
        expected.repetitions, expected.interval, expected.easiness, expected.due, expected.lapses)
    repeats = laptop.query("SELECT day, quality, repeat FROM reviews WHERE card_id = ? "
                           "ORDER BY ts", (ids(laptop)["a"],))
    assert repeats == [("2026-03-01", 4, 0), ("2026-03-02", 2, 0), ("2026-03-03", 5, 0),
                       ("2026-03-03", 4, 1)]

    # Idempotent: the same files again change nothing, on either side.
    before = state(laptop)
    assert import_reviews(laptop, from_desktop).added == 0
    assert import_reviews(laptop, from_laptop).present == 2
    assert state(laptop) == before
    for store in (laptop, desktop, reference):
        store.close()


def test_lapses_from_both_machines_make_a_leech(tmp_path, write_deck):
    laptop, desktop = two_machines(tmp_path, write_deck)
    day = date(2026, 1, 1)
    for n in range(LEECH_LAPSES):  # good then wrong, alternating machines: one lapse each
        machine = laptop if n % 2 else desktop
        card = ids(machine)["a"]
        machine.answer(card, 4, at=at(day.isoformat()))
        machine.answer(card, 1, at=at((day + timedelta(days=1)).isoformat()))
        day += timedelta(days=2)
    assert not laptop.card(ids(laptop)["a"]).leech
    import_reviews(laptop, export_file(desktop, tmp_path / "d.jsonl"))
    import_reviews(desktop, export_file(laptop, tmp_path / "l.jsonl"))
    for machine in (laptop, desktop):
        card = machine.card(ids(machine)["a"])
        assert (card.lapses, card.leech, card.suspended) == (LEECH_LAPSES, True, True)
    assert state(laptop) == state(desktop)


def test_a_live_answer_with_sub_millisecond_time_merges_back_cleanly(tmp_path, write_deck):
    laptop, desktop = two_machines(tmp_path, write_deck)
    moment = at("2026-03-01").replace(microsecond=123_600)  # ts rounds up, the text truncates
    laptop.answer(ids(laptop)["a"], 4, at=moment)
    import_reviews(desktop, export_file(laptop, tmp_path / "l.jsonl"))
    report = import_reviews(laptop, export_file(desktop, tmp_path / "d.jsonl"))
    assert (report.added, report.present) == (0, 1)


def test_a_log_from_another_tool_needs_only_four_keys(store, write_deck, tmp_path):
    import_files(store, [write_deck(DECK)])
    card = ids(store)["b"]
    lines = [
        {"review_id": "x1", "card_id": card, "reviewed_at": "2026-03-05T08:00:00Z", "quality": 5},
        # 02:00 local time is before the rollover hour: study day the 5th again -> a repeat
        {"review_id": "x2", "card_id": card, "reviewed_at": "2026-03-06T02:00:00+01:00",
         "quality": 3, "duration_ms": 1500},
        {"review_id": "x3", "card_id": card, "reviewed_at": "2026-03-06T09:00:00+01:00",
         "quality": 4, "comment": "ignored"},
    ]
    path = tmp_path / "other-tool.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    report = import_reviews(store, path)
    assert (report.lines, report.added, report.cards) == (4, 3, 1)
    assert store.query("SELECT id, day, repeat, repetitions, interval FROM reviews ORDER BY ts") == [
        ("x1", "2026-03-05", 0, 1, 1), ("x2", "2026-03-05", 1, 1, 1),
        ("x3", "2026-03-06", 0, 2, 6),
    ]
    assert store.query("SELECT reviewed_at FROM reviews WHERE id = 'x1'") == [
        ("2026-03-05T08:00:00.000+00:00",)]
    merged = store.card(card)
    assert (merged.repetitions, merged.interval, merged.due) == (2, 6, "2026-03-12")


def test_every_bad_line_is_reported_and_nothing_is_written(reviewed, tmp_path):
    card = ids(reviewed)
    existing = reviewed.query("SELECT id FROM reviews ORDER BY ts LIMIT 1")[0][0]
    good = {"review_id": "g1", "card_id": card["a"], "reviewed_at": "2026-03-05T09:00:00+01:00",
            "quality": 4}
    lines = [
        json.dumps(good),
        "{not json",
        "[1, 2]",
        json.dumps({"review_id": "m1"}),
        json.dumps({**good, "review_id": "q1", "quality": 6}),
        json.dumps({**good, "review_id": "q2", "quality": True}),
        json.dumps({**good, "review_id": "k1", "card_id": None, "deck": "语言 [b]x[/b]",
                    "card_key": "nope"}),
        json.dumps({**good, "review_id": "c1", "card_id": 999}),
        json.dumps({**good, "review_id": "t1", "reviewed_at": "yesterday"}),
        json.dumps({"review_id": "u1", "card_id": card["a"], "reviewed_at": good["reviewed_at"],
                    "qualty": 4}),
        json.dumps({**good, "quality": 2}),  # the id of line 1 with another grade
        json.dumps({**good, "review_id": existing, "quality": 0}),
        json.dumps(good),  # an exact duplicate is fine
        "",
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = state(reviewed)
    with pytest.raises(ReviewImportError) as raised:
        import_reviews(reviewed, path)
    p = str(path)
    assert raised.value.errors == [
        f"{p}:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{p}:3: expected a JSON object, not a list",
        f"{p}:4: missing reviewed_at, quality, card_id (or deck and card_key)",
        f"{p}:5: quality must be an integer from 0 to 5, not 6",
        f"{p}:6: quality must be an integer from 0 to 5, not true",
        f"{p}:7: no card 'nope' in deck '语言 [b]x[/b]'",
        f"{p}:8: no card with card_id 999",
        f"{p}:9: reviewed_at: not an ISO 8601 time: 'yesterday'",
        f"{p}:10: missing quality",
        f"{p}:10: unknown key 'qualty' — did you mean 'quality'?",
        f"{p}:11: review_id 'g1' is also on line 1 with another card, time or quality",
        (f"{p}:12: review_id '{existing}' is already in the database with another card, "
         "time or quality"),
        "12 errors: nothing was written",
    ]
    assert state(reviewed) == before
    assert reviewed.query("SELECT name FROM sqlite_temp_master") == []


def test_records_are_checked_and_merged_as_their_json_lines_are(reviewed):
    """import-anki hands its records over without writing them as JSON lines first."""
    card = ids(reviewed)
    good = {"review_id": "g1", "card_id": card["a"], "reviewed_at": "2026-03-05T09:00:00+01:00",
            "quality": 4, "duration_ms": 1200}
    before = state(reviewed)
    with pytest.raises(ReviewImportError) as raised:
        import_reviews(reviewed, "anki revlog",
                       stream=[good, {**good, "review_id": "q1", "quality": 6}, {"review_id": "m"}])
    assert raised.value.errors == [
        "anki revlog:2: quality must be an integer from 0 to 5, not 6",
        "anki revlog:3: missing reviewed_at, quality, card_id (or deck and card_key)",
        "2 errors: nothing was written",
    ]
    assert state(reviewed) == before
    as_line = {**good, "review_id": "g2", "reviewed_at": "2026-03-06T09:00:00+01:00"}
    report = import_reviews(reviewed, "anki revlog",
                            stream=[good, json.dumps(as_line).encode("utf-8")])
    assert (report.lines, report.added) == (2, 2)
    assert reviewed.query("SELECT id, reviewed_at, quality, duration_ms FROM reviews "
                          "WHERE id LIKE 'g%' ORDER BY ts") == [
        ("g1", "2026-03-05T09:00:00.000+01:00", 4, 1200),
        ("g2", "2026-03-06T09:00:00.000+01:00", 4, 1200)]


def test_import_reviews_command(reviewed, tmp_path):
    path = export_file(reviewed, tmp_path / "all.jsonl")
    result = run("import-reviews", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "added 0 reviews to 0 cards; 5 already here\n"
    other = tmp_path / "other.db"
    result = run("--db", str(other), "import-reviews", "--dry-run", str(path))
    assert result.exit_code == 1 and f"{path}:1: no card 'a' in deck" in result.output
    assert result.output.rstrip().endswith("5 errors: nothing was written")


def test_import_reviews_dry_run_and_stdin(tmp_path, write_deck):
    laptop, desktop = two_machines(tmp_path, write_deck)
    laptop.answer(ids(laptop)["a"], 4, at=at("2026-03-01"))
    data = text(laptop, "reviews", "jsonl").encode("utf-8")
    result = run("--db", str(desktop.path), "import-reviews", "--dry-run", "-", input=data)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("dry run: nothing written; would add 1 review to 1 card")
    assert desktop.query("SELECT count(*) FROM reviews") == [(0,)]
    result = run("--db", str(desktop.path), "import-reviews", "-", input=data)
    assert result.output.startswith("added 1 review to 1 card")
    assert desktop.card(ids(desktop)["a"]).due == "2026-03-02"


def test_rebuilding_a_live_log_changes_nothing(store, write_deck):
    """The replay of import-reviews agrees with Store.answer, repeats and leeches included."""
    import_files(store, [write_deck(DECK)])
    rng = random.Random(4)
    cards = list(ids(store).values())
    moment = at("2025-06-01")
    for _ in range(300):  # now and then the clock goes back (a time zone, a wrong clock)
        moment += timedelta(hours=rng.choice((1, 3, 7, 20, 30, -2, -30)))
        store.answer(rng.choice(cards), rng.choice((0, 1, 2, 3, 4, 4, 5)), at=moment)
    before = state(store)
    assert store.rebuild_history(cards) == 0
    assert state(store) == before


def test_the_export_streams(reviewed, monkeypatch):
    """Chunks come from the cursor as it is read, not from a list of every row."""
    monkeypatch.setattr(export, "_CHUNK_ROWS", 2)
    chunks = export_text(reviewed, "reviews", "csv")
    first = next(chunks)
    assert first.count("\n") == 3  # the header and the first two rows
    assert len(list(chunks)) == 2


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_every_export_writes_utf8_files(reviewed, tmp_path, fmt):
    for what in export.EXPORTS:
        target = tmp_path / f"{what}.{fmt}"
        assert run("export", "--what", what, "--format", fmt, "-o", str(target)).exit_code == 0
        assert target.read_bytes().decode("utf-8")
        assert os.stat(target).st_size > 0


@pytest.mark.parametrize("seed", range(5))
def test_random_offline_sessions_merge_to_the_one_true_history(tmp_path, write_deck, seed):
    """Both machines answer at random (same days, repeats, lapses); after merging both ways
    each equals a third database that got every answer live, in time order."""
    rng = random.Random(seed)
    laptop, desktop = two_machines(tmp_path, write_deck)
    reference = Store.open(tmp_path / "reference.db")
    import_files(reference, [write_deck(DECK)])
    answers = []
    minute = 0
    for _ in range(60):
        minute += rng.choice((7, 61, 300, 1440, 2000))  # distinct moments, some same-day
        moment = at("2025-12-01") + timedelta(minutes=minute)
        answers.append((moment, rng.choice("ab"), rng.choice((0, 2, 3, 4, 4, 5)),
                        rng.choice((laptop, desktop))))
    for moment, key, quality, machine in answers:
        machine.answer(ids(machine)[key], quality, at=moment)
        reference.answer(ids(reference)[key], quality, at=moment)
    import_reviews(laptop, export_file(desktop, tmp_path / "d.jsonl"))
    import_reviews(desktop, export_file(laptop, tmp_path / "l.jsonl"))
    cards, log = state(laptop)
    assert (cards, log) == state(desktop)
    reference_cards, reference_log = state(reference)
    assert cards == reference_cards
    # Review ids differ (the reference answered itself); everything else matches.
    assert sorted(row[1:] for row in log) == sorted(row[1:] for row in reference_log)


def test_export_into_a_missing_directory_says_so(tmp_path):
    result = run("export", "-o", str(tmp_path / "nope" / "out.csv"))
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path / 'nope' / 'out.csv'}: directory " \
                            f"{tmp_path / 'nope'} does not exist\n"


def test_a_clock_that_went_back_on_one_machine_still_merges_both_ways(tmp_path, write_deck):
    laptop, desktop = two_machines(tmp_path, write_deck)
    card = ids(laptop)["a"]
    laptop.answer(card, 4, at=at("2026-03-05", "10:00"))
    laptop.answer(card, 4, at=at("2026-03-04", "10:00"))  # the clock went back a day
    laptop.answer(card, 2, at=at("2026-03-06", "10:00"))
    desktop.answer(ids(desktop)["a"], 5, at=at("2026-03-05", "12:00"))
    desktop.answer(ids(desktop)["a"], 3, at=at("2026-03-07", "12:00"))
    import_reviews(desktop, export_file(laptop, tmp_path / "l.jsonl"))
    import_reviews(laptop, export_file(desktop, tmp_path / "d.jsonl"))
    assert state(laptop) == state(desktop)
    for machine in (laptop, desktop):  # again, both ways: nothing new, no conflict
        other = desktop if machine is laptop else laptop
        report = import_reviews(machine, export_file(other, tmp_path / "again.jsonl"))
        assert (report.added, report.present) == (0, 5)
    # In log order; the answer given when the clock said the 4th counts on the 5th, as live.
    assert laptop.query("SELECT substr(reviewed_at, 1, 16), day, repeat FROM reviews "
                        "WHERE card_id = ? ORDER BY ts", (card,)) == [
        ("2026-03-05T10:00", "2026-03-05", 0), ("2026-03-04T10:00", "2026-03-05", 1),
        ("2026-03-05T12:00", "2026-03-05", 1), ("2026-03-06T10:00", "2026-03-06", 0),
        ("2026-03-07T12:00", "2026-03-07", 0),
    ]


# -- numbers and dates out of range, answers from the future (issue 16, items 9 and 10) ---------


def import_lines(store: Store, tmp_path: Path, records: list) -> list[str]:
    """The errors of importing these lines (a dict is dumped as JSON, text kept as it is)."""
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records),
                    encoding="utf-8")
    before = state(store)
    with pytest.raises(ReviewImportError) as raised:
        import_reviews(store, path)
    assert state(store) == before
    return [error.replace(f"{path}:", "") for error in raised.value.errors]


def test_an_answer_dated_after_now_plus_the_clock_skew_is_refused(reviewed, tmp_path):
    """Now is 2026-03-10 09:00 +01:00 (conftest); another clock may be an hour fast."""
    card = ids(reviewed)["b"]
    line = {"review_id": "f1", "card_id": card, "quality": 5,
            "reviewed_at": "2026-03-10T10:00:00.001+01:00"}
    assert import_lines(reviewed, tmp_path, [line, {**line, "review_id": "f2",
                                                     "reviewed_at": "2027-01-01T09:00:00Z"}]) == [
        ("1: reviewed_at must be at most 1 hour after now (2026-03-10T09:00:00.000+01:00), "
         "not '2026-03-10T10:00:00.001+01:00'"),
        ("2: reviewed_at must be at most 1 hour after now (2026-03-10T09:00:00.000+01:00), "
         "not '2027-01-01T09:00:00Z'"),
        "2 errors: nothing was written",
    ]
    future_ts = int(at("2026-03-10", "10:00").timestamp() * 1000) + 1
    assert import_lines(reviewed, tmp_path, [
        {**line, "reviewed_at": "2026-03-10T09:30:00+01:00", "ts": future_ts}]) == [
        (f"1: ts must be whole milliseconds since 1970, at most {future_ts - 1} (now plus "
         f"1 hour), not {future_ts}"),
        "1 error: nothing was written",
    ]
    # Within the skew it is an answer like any other; the card is due after it, not gone.
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({**line, "reviewed_at": "2026-03-10T10:00:00+01:00"}),
                    encoding="utf-8")
    assert import_reviews(reviewed, path).added == 1
    assert reviewed.card(card).due == "2026-03-16"


def test_numbers_and_dates_out_of_range_are_one_line_each(reviewed, tmp_path):
    good = {"review_id": "r", "card_id": ids(reviewed)["b"], "quality": 4,
            "reviewed_at": "2026-03-05T09:00:00+01:00"}
    huge = 2**64
    lines = [
        {**good, "card_id": huge},
        {**good, "card_id": 0},
        {**good, "ts": huge},
        {**good, "ts": -1},
        {**good, "duration_ms": huge},
        {**good, "duration_ms": 24 * 3600 * 1000 + 1},
        {**good, "reviewed_at": "0001-01-01T00:00:00+14:00"},
        {**good, "reviewed_at": "9999-12-31T23:59:59-12:00"},
        {**good, "reviewed_at": "0001-01-01T00:00:00"},
        {**good, "reviewed_at": "1969-12-31T23:59:59Z"},
        '{"review_id": "r", "card_id": ' + "9" * 5000 + "}",
        "[" * 100_000,
        {**good, "quality": 10**30},
        {**good, "review_id": "x\r=cmd"},  # a bare CR would start a new row in a spreadsheet
    ]
    most = f"an integer from 1 to {2**63 - 1}"
    assert import_lines(reviewed, tmp_path, lines) == [
        f"1: card_id must be {most}, not 18446744073709551616",
        f"2: card_id must be {most}, not 0",
        ("3: ts must be whole milliseconds since 1970, at most 1773133200000 (now plus 1 hour), "
         "not 18446744073709551616"),
        ("4: ts must be whole milliseconds since 1970, at most 1773133200000 (now plus 1 hour), "
         "not -1"),
        ("5: duration_ms must be whole milliseconds from 0 to 86400000 (a day), "
         "not 18446744073709551616"),
        "6: duration_ms must be whole milliseconds from 0 to 86400000 (a day), not 86400001",
        "7: reviewed_at must be a time from 1970 to 2199, not '0001-01-01T00:00:00+14:00'",
        "8: reviewed_at must be a time from 1970 to 2199, not '9999-12-31T23:59:59-12:00'",
        "9: reviewed_at must be a time from 1970 to 2199, not '0001-01-01T00:00:00'",
        "10: reviewed_at must be a time from 1970 to 2199, not '1969-12-31T23:59:59Z'",
        "11: not valid JSON: a number with too many digits",
        "12: not valid JSON: lists or objects nested too deeply",
        "13: quality must be an integer from 0 to 5, not 1000000000000000000000000000000",
        '14: review_id must hold no control character, not "x\\r=cmd"',
        "14 errors: nothing was written",
    ]
    assert import_lines(reviewed, tmp_path, [{**good, "card_id": 10**50}]) == [
        f"1: card_id must be {most}, not 1000000000000000000000000000000000000000…",
        "1 error: nothing was written",
    ]


# -- CSV for spreadsheets (issue 16, item 17) -------------------------------------------------

HOSTILE = """\
deck: '=HYPERLINK("http://evil.example","x")'
cards:
  - id: '-k'
    front: '=1+1'
    back: '+1'
    source: '@SUM(A1)'
    tags: [t]
  - id: tab
    front: "\\tx"
    back: "@x"
  - id: plain
    front: a-b=c
    back: "-5"
"""


@pytest.fixture
def hostile(store: Store, write_deck, tmp_path: Path) -> Store:
    """A deck whose name and cards start like formulas, and a review whose id does."""
    import_files(store, [write_deck(HOSTILE)])
    card = dict(store.query("SELECT key, id FROM cards"))
    store.answer(card["-k"], 4, duration_ms=1500, at=at("2026-03-01"))
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(
        json.dumps({"review_id": review_id, "card_id": card["tab"], "quality": 3,
                    "reviewed_at": f"2026-03-0{day}T09:00:00+01:00"})
        for day, review_id in ((2, "=cmd|' /C calc'!A0"), (3, "\t=1"))
    ), encoding="utf-8")
    import_reviews(store, path)
    return store


def test_text_that_a_spreadsheet_would_run_is_made_text_in_csv(hostile):
    reviews = csv_rows(hostile, "reviews")
    assert {r["deck"] for r in reviews} == {'\'=HYPERLINK("http://evil.example","x")'}
    assert [(r["review_id"][:5], r["card_key"]) for r in reviews] == [
        (reviews[0]["review_id"][:5], "'-k"), ("'=cmd", "tab"), ("'\t=1", "tab")]
    cards = {row["card_key"]: row for row in csv_rows(hostile, "cards")}
    assert set(cards) == {"'-k", "tab", "plain"}
    assert [(c["front"], c["back"], c["card_source"]) for c in cards.values()] == [
        ("'=1+1", "'+1", "'@SUM(A1)"), ("'\tx", "'@x", ""), ("a-b=c", "'-5", "")]
    assert cards["'-k"]["note_key"] == "'-k" and cards["'-k"]["tags"] == '["t"]'
    # Numbers and dates are as they were: the JSON export holds the same values.
    records = {r["card_key"]: r for r in json.loads(text(hostile, "cards", "json"))}
    for key, row in cards.items():
        record = records[key.removeprefix("'")]
        for column in set(row) - export.TEXT_COLUMNS:
            assert row[column] == ("" if record[column] is None else str(record[column]))
    assert records["-k"]["front"] == "=1+1"  # JSON is exact


def test_every_text_column_is_known_as_text(hostile):
    """A column added later holding text must be neutralised too: every column whose values
    are text, other than ISO dates, is in TEXT_COLUMNS."""
    iso_date = r"\d{4}-\d{2}-\d{2}(T[\d:.]+[+-]\d{2}:\d{2})?"
    for what in export.EXPORTS:
        for record in json.loads(text(hostile, what, "json")):
            for column, value in record.items():
                if isinstance(value, str) and not re.fullmatch(iso_date, value):
                    assert column in export.TEXT_COLUMNS, (what, column, value)


def test_raw_csv_has_exact_cells_and_no_bom(hostile, tmp_path):
    assert text(hostile, "cards", "csv").startswith(export.BOM + "card_id,deck,")
    raw = "".join(export_text(hostile, "cards", "csv", raw=True))
    assert raw.startswith("card_id,deck,")
    fronts = [row["front"] for row in csv.DictReader(io.StringIO(raw))]
    assert fronts == ["=1+1", "\tx", "a-b=c"]
    target = tmp_path / "raw.csv"
    assert run("export", "--what", "cards", "--raw", "-o", str(target)).exit_code == 0
    assert target.read_bytes() == raw.encode("utf-8")
    assert run("export", "--what", "cards", "-o", str(tmp_path / "x.csv")).exit_code == 0
    assert (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbfcard_id,")


def test_fsrs_and_json_exports_have_no_bom(hostile):
    """The fsrs CSV is for the optimizer (numbers only): as a program reads it, no BOM."""
    assert text(hostile, "reviews", "fsrs").startswith("card_id,review_time,")
    for fmt in ("json", "jsonl"):
        assert not text(hostile, "reviews", fmt).startswith(export.BOM)

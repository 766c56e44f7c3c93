"""export --format apkg: the package's tables, read with sqlite3 as Anki would find them."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
from click.testing import CliRunner

from flashcards.cli import cli
from flashcards.store import Store

FIXTURES = Path(__file__).parent / "data" / "anki"
DECK = """\
deck: Lang::Français
cards:
  - id: hello
    front: "**bonjour**"
    back: hello
    tags: [basic words, fr]
  - id: cat
    front: chat
    back: cat
    reverse: true
  - cloze: "{{c1::Paris}} is the capital of {{c2::France::country}}"
    back: Geography
  - front: "`<div>` in code"
    back: |
      ```python
      print(1)
      ```
"""


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def collection(package: Path, tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
        assert archive.read("media") == b"{}"
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(tmp_path / "c.anki2")


def export(tmp_path: Path, *args: str) -> sqlite3.Connection:
    package = tmp_path / "out.apkg"
    result = run("export", "--format", "apkg", "-o", str(package), "--force", *args)
    assert result.exit_code == 0, result.output
    return collection(package, tmp_path)


def test_notes_cards_models_tags_and_decks(tmp_path, write_deck):
    run("import", str(write_deck(DECK)))
    conn = export(tmp_path)
    assert {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            } >= {"col", "notes", "cards", "revlog", "graves"}
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    names = {int(model_id): model["name"] for model_id, model in models.items()}
    notes = {fields.split("\x1f")[0]: (names[model], tags.split(), guid)
             for model, fields, tags, guid in conn.execute("SELECT mid, flds, tags, guid FROM notes")}
    assert notes["<p><strong>bonjour</strong></p>"][:2] == (
        genanki.BASIC_MODEL.name, ["basic_words", "fr"])
    assert notes["<p>chat</p>"][0] == genanki.BASIC_AND_REVERSED_CARD_MODEL.name
    cloze = "<p>{{c1::Paris}} is the capital of {{c2::France::country}}</p>"
    assert notes[cloze][0] == genanki.CLOZE_MODEL.name
    assert "<p><code>&lt;div&gt;</code> in code</p>" in notes  # no raw HTML, as in the app
    assert notes["<p><strong>bonjour</strong></p>"][2] == genanki.guid_for(
        "Lang::Français", "hello")
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert "Lang::Français" in {deck["name"] for deck in decks.values()}
    counts = dict(conn.execute(
        "SELECT notes.flds, count(*) FROM cards JOIN notes ON notes.id = cards.nid "
        "GROUP BY notes.id"))
    assert sorted(counts.values()) == [1, 1, 2, 2]  # basic, code; reversed, cloze c1 + c2
    code = next(flds for flds in counts if "print(1)" in flds)
    assert '<pre><code class="language-python">print(1)\n</code></pre>' in code


def test_guids_are_stable_across_exports(tmp_path, write_deck):
    run("import", str(write_deck(DECK)))
    first = dict(export(tmp_path).execute("SELECT flds, guid FROM notes"))
    (tmp_path / "c.anki2").unlink()
    assert dict(export(tmp_path).execute("SELECT flds, guid FROM notes")) == first


def test_with_history_adds_the_log_as_revlog_and_sets_sched_ver_2(tmp_path, write_deck):
    path = write_deck(DECK)
    run("import", str(path))
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("".join(json.dumps({
        "review_id": f"r{number}", "deck": "Lang::Français", "card_key": "hello",
        "reviewed_at": f"2026-03-0{number}T10:00:00+01:00", "quality": quality,
        "duration_ms": 4000}) + "\n" for number, quality in ((1, 2), (2, 3), (3, 4), (4, 5))),
        encoding="utf-8")
    assert run("import-reviews", str(reviews)).exit_code == 0
    run("export", "--format", "apkg", "-o", str(tmp_path / "bare.apkg"))
    bare = collection(tmp_path / "bare.apkg", tmp_path)
    assert bare.execute("SELECT count(*) FROM revlog").fetchone()[0] == 0
    bare.close()
    (tmp_path / "c.anki2").unlink()
    conn = export(tmp_path, "--with-history")
    assert json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])["schedVer"] == 2
    rows = conn.execute("SELECT ease, ivl, lastIvl, time, type FROM revlog ORDER BY id").fetchall()
    assert rows == [(1, 1, 0, 4000, 0), (2, 1, 1, 4000, 0), (3, 6, 1, 4000, 1),
                    (4, 13, 6, 4000, 1)]  # Again, Hard, Good, Easy
    card = conn.execute("SELECT cards.type, queue, cards.ivl, reps FROM cards JOIN revlog "
                        "ON revlog.cid = cards.id LIMIT 1").fetchone()
    assert card == (2, 2, 13, 4)


def test_suspended_cards_stay_suspended_and_a_deck_can_be_chosen(tmp_path, write_deck):
    run("import", str(write_deck(DECK)))
    run("import", str(write_deck("deck: Other\ncards:\n  - front: q\n    back: a\n",
                                 "other.yaml")))
    db = tmp_path / "test.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE cards SET suspended = 1 WHERE key = 'hello'")
    conn.commit()
    conn.close()
    exported = export(tmp_path, "--deck", "Lang")
    assert exported.execute("SELECT count(*) FROM notes").fetchone()[0] == 4  # Lang's subdeck
    assert exported.execute("SELECT count(*) FROM cards WHERE queue = -1").fetchone()[0] == 1
    missing = run("export", "--format", "apkg", "-o", str(tmp_path / "x.apkg"), "--deck", "Nope")
    assert missing.exit_code == 1 and missing.output == "error: no deck named 'Nope'\n"
    assert not (tmp_path / "x.apkg").exists()


def test_apkg_needs_a_file_and_apkg_options_need_apkg(tmp_path, write_deck):
    run("import", str(write_deck(DECK)))
    to_stdout = run("export", "--format", "apkg")
    assert to_stdout.exit_code == 1 and "give it with -o FILE.apkg" in to_stdout.output
    wrong = run("export", "--format", "csv", "--with-history")
    assert wrong.exit_code == 1 and "go with --format apkg" in wrong.output


def test_a_deck_from_anki_goes_back_with_its_anki_guids(tmp_path):
    run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(tmp_path / "decks"))
    guids = {guid for (guid,) in export(tmp_path).execute("SELECT guid FROM notes")}
    assert {"~tilde", "two::colons"} <= guids


def test_export_then_import_gives_back_the_same_cards(tmp_path, write_deck):
    """Our package read back by our importer (Anki's own backend: see the report)."""
    run("import", str(write_deck(DECK)))
    export(tmp_path)
    fresh = tmp_path / "fresh.db"
    result = run("import-anki", str(tmp_path / "out.apkg"), "--out", str(tmp_path / "back"),
                 "--db", str(fresh))
    assert result.exit_code == 0, result.output

    def faces(*db: str) -> list[tuple]:
        rows = run("export", "--what", "cards", "--format", "jsonl", *db).output.splitlines()
        return sorted((row["deck"], row["type"], row["front"], row["back"])
                      for row in map(json.loads, rows))

    assert faces("--db", str(fresh)) == faces()


def test_clozes_of_a_deck_file_changed_since_its_import_go_as_basic_notes(tmp_path, write_deck):
    path = write_deck(DECK)
    run("import", str(path))
    path.write_text(DECK + "# edited, not imported yet\n", encoding="utf-8")
    package = tmp_path / "out.apkg"
    result = run("export", "--format", "apkg", "-o", str(package))
    assert "2 cloze cards whose deck file changed since its import went as basic notes" in (
        result.output)
    models = {model for (model,) in collection(package, tmp_path).execute(
        "SELECT DISTINCT mid FROM notes")}
    assert genanki.CLOZE_MODEL.model_id not in models


def test_a_deck_from_anki_goes_there_and_back_without_doubling_its_history(tmp_path):
    """import-anki, an answer here, export with history, import-anki of that: same cards,
    no answer twice (Anki's by review id, ours by card and millisecond)."""
    out, db = tmp_path / "decks", tmp_path / "test.db"
    run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(out))
    store = Store.open(db)
    card = store.query("SELECT id FROM cards WHERE front = 'maison'")[0][0]
    store.answer(card, 2, duration_ms=5000)
    reviews = store.query("SELECT count(*) FROM reviews")[0][0]
    store.close()
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    export(tmp_path, "--with-history")
    again = run("import-anki", str(tmp_path / "out.apkg"), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"0 reviews added, {reviews} already here" in again.output
    after = {path.name: path.read_bytes() for path in out.iterdir()}
    assert after == before

"""Write the Anki packages in tests/data/anki/ with Anki's own backend (the `anki` package).

Not part of the suite and not a dependency of the project: the backend is heavy. Run it in a
throwaway environment, then commit what it writes:

    python -m venv /tmp/ankivenv && /tmp/ankivenv/bin/pip install anki
    /tmp/ankivenv/bin/python tests/make_anki_fixtures.py

It makes one small collection (Basic, Basic and reversed, optional reversed, Cloze and a
note type of its own; tags; a deck hierarchy; an image and a sound; a suspended and a buried
card; answers with every button and a manual reschedule) and exports it four ways: .apkg and
.colpkg, each modern (collection.anki21b, schema 18) and legacy (schema 11). Review times
are moved to fixed days in February 2026, before the tests' clock.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from anki.collection import Collection, ExportAnkiPackageOptions

OUT = Path(__file__).resolve().parent / "data" / "anki"
FIRST_REVIEW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
REVIEW_SPACING_MS = 6 * 3600 * 1000  # one answer every six hours
# A 1x1 PNG and a few bytes standing in for an MP3: the importer only keeps their names.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"
# Button presses per card, in order (1 Again, 2 Hard, 3 Good, 4 Easy).
ANSWERS = [3, 3, 4, 1, 2, 3, 3, 4]


def add(col: Collection, notetype: str, deck: str, fields: list[str], tags: list[str],
        guid: str | None = None) -> int:
    """Add one note of a stock note type to a deck (made if missing); returns its id."""
    model = col.models.by_name(notetype)
    note = col.new_note(model)
    for index, value in enumerate(fields):
        note.fields[index] = value
    note.tags = tags
    col.add_note(note, col.decks.id(deck))
    if guid is not None:
        col.db.execute("UPDATE notes SET guid = ? WHERE id = ?", guid, note.id)
    return note.id


def vocab_notetype(col: Collection) -> None:
    """A note type of the user's own: three fields, one card."""
    models = col.models
    model = models.new("Vocab")
    for name in ("Word", "Meaning", "Example"):
        models.add_field(model, models.new_field(name))
    template = models.new_template("Recognition")
    template["qfmt"] = "{{Word}}"
    template["afmt"] = "{{FrontSide}}<hr id=answer>{{Meaning}}<br>{{Example}}"
    models.add_template(model, template)
    models.add(model)


def fill(col: Collection) -> None:
    """The notes, the suspended and buried cards, and the answers."""
    col.media.write_data("cat.png", PNG)
    col.media.write_data("bonjour.mp3", MP3)
    vocab_notetype(col)
    add(col, "Basic", "Languages::French", ["<b>bonjour</b>", "hello<br>good day"],
        ["french", "lang::fr"])
    add(col, "Basic", "Languages::French",
        ['What is this? <img src="cat.png">', "a cat [sound:bonjour.mp3]"], ["french"])
    add(col, "Basic (and reversed card)", "Languages::French", ["chat", "cat"], ["french"],
        guid="~tilde")
    add(col, "Basic (optional reversed card)", "Languages::French", ["chien", "dog", "y"], [])
    add(col, "Basic (optional reversed card)", "Languages::French", ["oiseau", "bird", ""], [],
        guid="two::colons")
    add(col, "Cloze", "Languages",
        ["{{c1::Paris}} is the capital of {{c2::France::country}}", "Geography"],
        ["geo"])
    add(col, "Basic", "Programming",
        ["Python: a function returning 1",
         "<pre><code>def one():\n    return 1</code></pre>"], ["python"])
    add(col, "Vocab", "Languages::French", ["maison", "house", "<i>la</i> maison"], ["french"])
    cards = {col.get_card(cid).question(): cid for cid in col.find_cards("")}
    col.sched.suspend_cards([cid for question, cid in cards.items() if "chien" in question])
    col.sched.bury_cards([cid for question, cid in cards.items() if "oiseau" in question])
    answered = 0
    for deck in ("Languages", "Programming"):
        col.decks.select(col.decks.id(deck))
        while (card := col.sched.getCard()) is not None and answered < 40:
            col.sched.answerCard(card, ANSWERS[answered % len(ANSWERS)])
            answered += 1
    programming = col.find_cards('"deck:Programming"')
    col.sched.set_due_date(programming, "3")  # a manual reschedule: ease 0 in the revlog
    ids = col.db.list("SELECT id FROM revlog ORDER BY id")
    first = int(FIRST_REVIEW.timestamp() * 1000)
    for index, old in enumerate(ids):
        col.db.execute("UPDATE revlog SET id = ?, time = CASE WHEN ease THEN ? ELSE 0 END "
                       "WHERE id = ?", first + index * REVIEW_SPACING_MS, 2000 + 500 * index, old)


def main() -> None:
    """Build the collection in a temporary folder and write the four packages."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "collection.anki2")
        col = Collection(path)
        fill(col)
        for legacy, name in ((False, "modern.apkg"), (True, "legacy.apkg")):
            options = ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False,
                                               with_media=True, legacy=legacy)
            col.export_anki_package(out_path=str(OUT / name), options=options, limit=None)
        col.export_collection_package(str(OUT / "modern.colpkg"), include_media=True,
                                      legacy=False)
        col = Collection(path)
        col.export_collection_package(str(OUT / "legacy.colpkg"), include_media=True,
                                      legacy=True)
        col.close()
    for package in sorted(OUT.glob("*pkg")):
        print(f"{package.relative_to(OUT.parent.parent.parent)}: {package.stat().st_size} bytes",
              file=sys.stderr)


if __name__ == "__main__":
    main()

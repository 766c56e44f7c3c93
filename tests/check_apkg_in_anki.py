"""Open an .apkg of ours in Anki's own backend, then hand it back as Anki exports it.

Not part of the suite: it needs the `anki` package, which is heavy (see
tests/make_anki_fixtures.py for the throwaway environment). The round trip:

    flashcards export --format apkg --with-history -o ours.apkg
    /tmp/ankivenv/bin/python tests/check_apkg_in_anki.py ours.apkg back.apkg
    flashcards import-anki back.apkg --out /tmp/back --db /tmp/back.db

It imports the package into a new collection and prints what Anki sees (notes, cards,
decks, note types, the review log by button, the scheduler version), runs Anki's "Check
Database", imports the package a second time (it must add no note), and exports the
collection as a modern package (collection.anki21b) to the second path.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)


def main(package: str, back: str) -> None:
    """Import ``package`` into a new collection, report, and export it to ``back``."""
    with tempfile.TemporaryDirectory() as folder:
        col = Collection(str(Path(folder) / "collection.anki2"))
        request = ImportAnkiPackageRequest(
            package_path=package,
            options=ImportAnkiPackageOptions(with_scheduling=True, merge_notetypes=True))
        log = col.import_anki_package(request).log
        print(f"imported: {len(log.new)} new notes, {len(log.updated)} updated, "
              f"{len(log.duplicate)} duplicates, {len(log.conflicting)} conflicting")
        print(f"notes {col.note_count()}, cards {col.card_count()}")
        print("decks:", sorted(deck.name for deck in col.decks.all_names_and_ids()))
        print("note types:", col.db.all("SELECT notetypes.name, count(*) FROM notes JOIN "
                                        "notetypes ON notetypes.id = notes.mid GROUP BY mid"))
        print("revlog by button:", col.db.all("SELECT ease, count(*) FROM revlog GROUP BY ease"))
        print("cards by type and queue:",
              col.db.all("SELECT type, queue, count(*) FROM cards GROUP BY type, queue"))
        print("schedVer:", col.get_config("schedVer", None), "v3:", col.v3_scheduler())
        print("check database:", " | ".join(col.fix_integrity()[0].splitlines()))
        again = col.import_anki_package(request).log
        print(f"imported again: {len(again.new)} new notes, {len(again.duplicate)} unchanged; "
              f"notes {col.note_count()}")
        col.export_anki_package(
            out_path=back, limit=None,
            options=ExportAnkiPackageOptions(with_scheduling=True, with_media=True,
                                             legacy=False))
        col.close()
    print(f"exported {back}")


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""A big Anki package for the import-anki benchmark, made without Anki: genanki writes the
notes (schema 11, as ``collection.anki21``), and the review log is added to it directly.

    python benchmarks/anki_package.py OUT.apkg [--notes N] [--reviews N]

Notes: 60% Basic, 20% Basic and reversed, 20% Cloze; half the fields are HTML (divs,
line breaks, bold, an image now and then), one back in ten a code block, Chinese and
English text. Reviews: spread over the two years before 2026-03-10, every button, and one
manual reschedule (ease 0) in fifty. The same arguments always make the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki

LAST_REVIEW_MS = 1_773_100_000_000  # 2026-03-09, before the benchmark's clock
TWO_YEARS_MS = 2 * 365 * 86_400_000


def _field(rng: random.Random, number: int, code: bool) -> str:
    words = " ".join(rng.choice(("模型", "token", "缓存", "attention", "梯度", "layer", "推理"))
                     for _ in range(rng.randint(4, 14)))
    if code:
        return f"<pre><code>def f{number}(x):\n    return x * {number}</code></pre>"
    if rng.random() < 0.5:
        return f"{words} {number}"
    image = f'<img src="figure{number}.png">' if rng.random() < 0.05 else ""
    return f"<div><b>{number}</b> {words}</div><div>{words}<br>{image}&nbsp;end</div>"


def write_package(path: Path, notes: int, reviews: int, seed: int = 1) -> Path:
    """Write the package; returns its path."""
    rng = random.Random(seed)
    deck = genanki.Deck(1_700_000_000_001, "Benchmark::Anki")
    for number in range(notes):
        kind = rng.random()
        tags = [f"t{number % 7}", "bench"]
        if kind < 0.2:
            fields = [f"{{{{c1::{number}}}}} and {{{{c2::{_field(rng, number, False)}}}}}", ""]
            model = genanki.CLOZE_MODEL
        else:
            fields = [_field(rng, number, False), _field(rng, number, rng.random() < 0.1)]
            model = genanki.BASIC_AND_REVERSED_CARD_MODEL if kind < 0.4 else genanki.BASIC_MODEL
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags,
                                   guid=genanki.guid_for("bench", number)))
    handle, name = tempfile.mkstemp(suffix=".anki21")
    os.close(handle)
    try:
        conn = sqlite3.connect(name)
        with conn:
            genanki.Package(deck).write_to_db(conn.cursor(), 1_700_000_000, iter(
                range(1_700_000_000_000, 1 << 62)))
            card_ids = [card for (card,) in conn.execute("SELECT id FROM cards")]
            step = TWO_YEARS_MS // max(reviews, 1)
            first = LAST_REVIEW_MS - TWO_YEARS_MS
            conn.executemany(
                "INSERT INTO revlog VALUES (?, ?, -1, ?, 1, 0, 2500, ?, ?)",
                [(first + index * step, rng.choice(card_ids),
                  0 if index % 50 == 0 else rng.choice((1, 2, 3, 3, 3, 4)),
                  rng.randint(1000, 20_000), 1) for index in range(reviews)])
            conf = json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])
            conn.execute("UPDATE col SET conf = ?", (json.dumps({**conf, "schedVer": 2}),))
        conn.close()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(name, "collection.anki21")
            archive.writestr("media", "{}")
    finally:
        os.unlink(name)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    options = parser.parse_args()
    write_package(options.out, options.notes, options.reviews)


if __name__ == "__main__":
    main()

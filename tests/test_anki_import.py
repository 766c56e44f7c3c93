"""import-anki on packages Anki itself wrote (tests/make_anki_fixtures.py), and on bad ones."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
import zstandard
from bs4 import Tag
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdownify import MarkdownConverter

from flashcards import clock, history
from flashcards.anki import fields
from flashcards.anki.importer import MARKER, _moment, card_id
from flashcards.cli import cli
from flashcards.store import Store

FIXTURES = Path(__file__).parent / "data" / "anki"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["modern.apkg", "legacy.apkg", "modern.colpkg", "legacy.colpkg"]
REVIEWS = 23  # answered in the fixture; one more revlog row is a manual reschedule


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def stored(db: Path, sql: str) -> list[tuple]:
    """Rows of a query on a flashcards database."""
    store = Store.open(db)
    try:
        return store.query(sql)
    finally:
        store.close()


def cards(db: Path) -> dict[tuple[str, str], dict]:
    """(deck, front) -> the card as ``export --what cards`` gives it."""
    result = run("export", "--what", "cards", "--format", "jsonl", "--db", str(db))
    rows = [json.loads(line) for line in result.output.splitlines()]
    return {(row["deck"], row["front"]): row for row in rows}


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_anki_wrote_imports_with_its_texts_history_and_states(tmp_path, package):
    out, db = tmp_path / "decks", tmp_path / "a.db"
    result = run("import-anki", str(FIXTURES / package), "--out", str(out), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "Languages.yaml", "Languages_French.yaml", "Programming.yaml"]
    assert f"8 notes, 11 cards\n{REVIEWS} reviews added, 0 already here" in result.output
    assert "1 manual reschedules (ease 0) skipped" in result.output
    assert "1 notes of other note types" in result.output
    assert "2 images and sounds kept as references" in result.output
    found = cards(db)
    french = "Languages::French"
    assert found[(french, "**bonjour**")]["back"] == "hello\\\ngood day"  # <br>: a hard break
    assert found[(french, "**bonjour**")]["tags"] == ["french", "lang::fr"]
    assert found[(french, "What is this? [image: cat.png]")]["back"] == (
        "a cat [sound: bonjour.mp3]")
    assert found[(french, "cat")]["type"] == "reverse"  # Basic (and reversed card)
    assert found[(french, "dog")]["type"] == "reverse"  # optional reverse, asked for
    assert (french, "bird") not in found  # optional reverse, not asked for
    assert found[(french, "maison")]["back"] == "house\n\n*la* maison"  # Vocab: other type
    assert found[("Programming", "Python: a function returning 1")]["back"] == (
        "```\ndef one():\n    return 1\n```")
    assert found[("Languages", "[...] is the capital of France")]["back"] == (
        "**Paris** is the capital of France\n\nGeography")
    assert ("Languages", "Paris is the capital of [country]") in found
    assert found[(french, "chien")]["status"] == "suspended"
    assert found[(french, "oiseau")]["status"] == "buried"
    assert found[(french, "chat")]["card_key"] == "%7Etilde"  # GUIDs no id may be, encoded
    assert found[(french, "oiseau")]["card_key"] == "two%3A%3Acolons"
    assert stored(db, "SELECT count(*) FROM reviews WHERE duration_ms >= 2000") == [(REVIEWS,)]


def test_the_same_package_again_updates_instead_of_duplicating(tmp_path):
    out, db = tmp_path / "decks", tmp_path / "a.db"
    package = str(FIXTURES / "modern.apkg")
    run("import-anki", package, "--out", str(out), "--db", str(db))
    before = {path: path.read_bytes() for path in out.iterdir()}
    again = run("import-anki", package, "--out", str(out), "--db", str(db))
    assert again.exit_code == 0, again.output
    assert f"0 reviews added, {REVIEWS} already here" in again.output
    assert {path: path.read_bytes() for path in out.iterdir()} == before
    assert len(cards(db)) == 11
    # The legacy export of the same collection names the same notes and answers.
    legacy = run("import-anki", str(FIXTURES / "legacy.apkg"), "--out", str(out), "--db",
                 str(db))
    assert f"0 reviews added, {REVIEWS} already here" in legacy.output
    assert len(cards(db)) == 11


def test_the_written_files_are_deck_files_marked_as_ours(tmp_path):
    out = tmp_path / "decks"
    run("import-anki", str(FIXTURES / "legacy.apkg"), "--out", str(out))
    text = (out / "Languages_French.yaml").read_text(encoding="utf-8")
    assert text.startswith(MARKER + "\ndeck: Languages::French\n")
    assert "tags: [french, 'lang::fr']" in text
    assert run("check", str(out)).exit_code == 0


def test_grades_are_mapped_from_the_buttons(tmp_path):
    db = tmp_path / "a.db"
    run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(tmp_path / "d"), "--db",
        str(db))
    with zipfile.ZipFile(FIXTURES / "legacy.apkg") as archive:
        (tmp_path / "c.anki21").write_bytes(archive.read("collection.anki21"))
    anki = sqlite3.connect(tmp_path / "c.anki21")
    buttons = [ease for (ease,) in anki.execute("SELECT ease FROM revlog WHERE ease ORDER BY id")]
    anki.close()
    grades = [quality for (quality,) in stored(db, "SELECT quality FROM reviews ORDER BY ts")]
    assert grades == [{1: 1, 2: 3, 3: 4, 4: 5}[ease] for ease in buttons]
    assert set(buttons) == {1, 2, 3, 4}


def _rezip(tmp_path: Path, source: str, change) -> Path:
    """A copy of a fixture with its legacy collection changed by ``change(connection)``."""
    folder = tmp_path / "rezip"
    folder.mkdir()
    with zipfile.ZipFile(FIXTURES / source) as archive:
        archive.extractall(folder)
    collection = folder / "collection.anki21"
    conn = sqlite3.connect(collection)
    change(conn)
    conn.commit()
    conn.close()
    target = tmp_path / "changed.apkg"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return target


def test_a_v1_collection_has_three_buttons_while_learning(tmp_path):
    def to_v1(conn: sqlite3.Connection) -> None:
        conf = json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])
        conf.pop("schedVer", None)
        conn.execute("UPDATE col SET conf = ?", (json.dumps(conf),))

    db = tmp_path / "a.db"
    package = _rezip(tmp_path, "legacy.apkg", to_v1)
    assert run("import-anki", str(package), "--out", str(tmp_path / "d"), "--db",
               str(db)).exit_code == 0
    anki = sqlite3.connect(tmp_path / "rezip" / "collection.anki21")
    rows = anki.execute("SELECT ease, type FROM revlog WHERE ease ORDER BY id").fetchall()
    unmatched = sum(1 for ease, kind in rows if kind in (0, 2) and ease == 4)
    anki.close()
    grades = [quality for (quality,) in stored(db, "SELECT quality FROM reviews ORDER BY ts")]
    expected = [({1: 1, 2: 4, 3: 5} if kind in (0, 2) else {1: 1, 2: 3, 3: 4, 4: 5})[ease]
                for ease, kind in rows if not (kind in (0, 2) and ease == 4)]
    assert grades == expected and len(grades) == REVIEWS - unmatched


def _nothing_written(tmp_path: Path, result, message: str) -> None:
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert stored(tmp_path / "test.db", "SELECT count(*) FROM decks") == [(0,)]
    assert stored(tmp_path / "test.db", "SELECT count(*) FROM cards") == [(0,)]


def _zip(tmp_path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    path = tmp_path / "bad.apkg"
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _legacy_collection() -> bytes:
    with zipfile.ZipFile(FIXTURES / "legacy.apkg") as archive:
        return archive.read("collection.anki21")


@pytest.mark.parametrize("case", [
    "not a zip", "truncated", "zip bomb", "zstd bomb", "escaping member", "no collection",
    "not sqlite", "newer schema", "corrupt zstd",
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, case):
    Store.open(tmp_path / "test.db").close()
    fixture = (FIXTURES / "modern.apkg").read_bytes()
    if case == "not a zip":
        package, message = tmp_path / "x.apkg", "not a zip file"
        package.write_bytes(b"hello, not a zip")
    elif case == "truncated":
        package, message = tmp_path / "x.apkg", "not a zip file"
        package.write_bytes(fixture[: len(fixture) // 2])
    elif case == "zip bomb":
        package = _zip(tmp_path, {"collection.anki21": bytes(64 * 1024**2)})
        message = "zip bomb"
    elif case == "zstd bomb":
        bomb = zstandard.ZstdCompressor().compress(bytes(64 * 1024**2))
        package, message = _zip(tmp_path, {"collection.anki21b": bomb}), "zip bomb"
    elif case == "escaping member":
        package = _zip(tmp_path, {"collection.anki21": _legacy_collection(),
                                  "../../evil.yaml": b"deck: x"})
        message = "would be written outside its folder"
    elif case == "no collection":
        package, message = _zip(tmp_path, {"hello.txt": b"hi"}), "not an Anki package"
    elif case == "not sqlite":
        package = _zip(tmp_path, {"collection.anki21": b"SQLite? no" * 1000})
        message = "not an Anki package"
    elif case == "corrupt zstd":
        package = _zip(tmp_path, {"collection.anki21b": b"\x28\xb5\x2f\xfd" + b"junk" * 100})
        message = "collection.anki21b is damaged"
    else:
        package = _rezip(tmp_path, "legacy.apkg",
                         lambda conn: conn.execute("UPDATE col SET ver = 19"))
        message = "made by a newer Anki (collection schema 19"
    result = run("import-anki", str(package), "--out", str(tmp_path / "out"))
    _nothing_written(tmp_path, result, message)


@pytest.mark.parametrize("tag", ["b", "pre"])  # the fast path's and markdownify's
def test_html_nested_too_deeply_is_one_line_and_writes_nothing(tmp_path, tag):
    Store.open(tmp_path / "test.db").close()
    deep = f"<{tag}>" * 5000 + "x" + f"</{tag}>" * 5000
    package = _rezip(tmp_path, "legacy.apkg",
                     lambda conn: conn.execute("UPDATE notes SET flds = ?", (f"{deep}\x1fy",)))
    result = run("import-anki", str(package), "--out", str(tmp_path / "out"))
    _nothing_written(tmp_path, result, "a field's HTML is nested too deeply")


def test_reviews_from_the_future_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-01-15T09:00:00+01:00")  # before the answers
    Store.open(tmp_path / "test.db").close()
    result = run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "revlog:1: reviewed_at must be at most 1 hour after now" in result.output
    assert "nothing was written" in result.output
    assert not (tmp_path / "out").exists()
    assert stored(tmp_path / "test.db", "SELECT count(*) FROM cards") == [(0,)]


def test_a_file_not_written_by_import_anki_is_never_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "Programming.yaml"
    mine.write_text("deck: mine\ncards: []\n", encoding="utf-8")
    Store.open(tmp_path / "test.db").close()
    result = run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(out))
    assert result.exit_code == 1
    assert "Programming.yaml exists and was not written by import-anki" in result.output
    assert [path.name for path in out.iterdir()] == ["Programming.yaml"]
    assert mine.read_text(encoding="utf-8") == "deck: mine\ncards: []\n"


def test_a_failed_import_puts_the_files_back(tmp_path, monkeypatch):
    out, db = tmp_path / "out", tmp_path / "test.db"
    run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(out))
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    edited = out / "Programming.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    before["Programming.yaml"] = edited.read_bytes()
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-01-15T09:00:00+01:00")
    assert run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(out)).exit_code == 1
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert stored(db, "SELECT count(*) FROM reviews") == [(REVIEWS,)]


def test_the_default_output_folder_is_the_users_decks_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHCARDS_DECKS", str(tmp_path / "mine"))
    assert run("import-anki", str(FIXTURES / "legacy.colpkg")).exit_code == 0
    assert (tmp_path / "mine" / "Programming.yaml").exists()


@pytest.mark.parametrize("guid", ["abcDEF123", "~tilde", "a::b", "50%", "~%::~", "a:b"])
def test_card_ids_give_back_their_guid(guid):
    ident = card_id(guid)
    assert "::" not in ident and not ident.startswith("~")
    assert (unquote(ident) if "%" in ident else ident) == guid


@pytest.mark.parametrize("text", ["plain", "two  spaces\tand tab", "line\nbreak", " x \r\n y ",
                                  "a_b", "[sound: x.mp3]", "中文 文本", "  ", "#1 - (2) [3]"])
def test_plain_text_skips_the_converter_with_the_same_result(text):
    converter = MarkdownConverter(newline_style="backslash", heading_style="atx", bullets="-",
                                  escape_underscores=False)
    assert fields.FieldConverter().markdown(text) == converter.convert(text).strip()


def test_html_becomes_markdown_with_media_references():
    converter = fields.FieldConverter()
    assert converter.markdown('<div>a<br>b</div><img src="x.png"> [sound:y.mp3]') == (
        "a\\\nb\n\n[image: x.png] [sound: y.mp3]")
    assert converter.markdown("<pre>if a &lt; b:\n    pass</pre>") == (
        "```\nif a < b:\n    pass\n```")
    assert converter.markdown('x<img src="data:image/png;base64,AAAA">\x07') == (
        "x[image: embedded]")
    assert converter.media == 3


# Text as Anki's fields hold it: every kind of blank, markdown's special characters,
# control characters, Chinese; and anything else now and then.
FIELD_TEXT = st.lists(st.one_of(
    st.sampled_from([" ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\xa0", "\u3000",
                     "\x85", "\u2028", "\x00", "\x07", "*", "**", "_", "#", "-", "1.", "`",
                     "[", "]", "\\", ">", "|", "~", "=", "+", "{{c1::", "}}", "[sound:a.mp3]",
                     "a", "word", "中文", "😀", "&", "&amp", "&lt;", "<"]),
    st.characters(codec="utf-8"),  # SQLite's text: no lone surrogates
), max_size=40).map("".join)


def nested_html(leaves: st.SearchStrategy, tags: list[str], max_leaves: int):
    """HTML of these tags (with their attributes) nested around and between the leaves."""
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3).map("".join),
        st.tuples(st.sampled_from(tags), st.lists(inner, max_size=3)).map(
            lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0].split()[0]}>"),
    ), max_leaves=max_leaves)


# HTML as Anki's editor writes it, nested, with text of the kind above between the tags.
_TAGS = ["div", "b", "i", "u", "span", "p", "pre", "code", "li", "ul", "blockquote", "h1",
         "sub", "a href=x", 'code class="language-py"']
FIELD_HTML = nested_html(
    st.one_of(FIELD_TEXT, st.sampled_from(["<br>", "&nbsp;", "&lt;", "&amp;", "&", "<",
                                           '<img src="x.png">', "</b>", "<!-- c -->"])),
    _TAGS, max_leaves=20)


@settings(max_examples=2000, deadline=None)
@given(FIELD_TEXT)
def test_the_plain_text_fast_path_is_what_markdownify_makes(text):
    """Text without '<' or '&' skips markdownify: the same text, to the character."""
    fast = fields.FieldConverter().markdown(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fields, "_NEEDS_CONVERTER", re.compile(""))  # every field to markdownify
        assert fields.FieldConverter().markdown(text) == fast


@settings(max_examples=300, deadline=None)
@given(FIELD_HTML, st.sampled_from(["pre", "code", "div", "b", "[document]", "x"]))
def test_our_soup_finds_the_parents_bs4_finds(html, name):
    soup = fields._Soup(html, "html.parser", element_classes={Tag: fields._Tag})
    for node in [soup, *soup.find_all(True)]:
        assert node.find_parent(name) is Tag.find_parent(node, name)


@settings(max_examples=1000, deadline=None)
@given(FIELD_HTML)
@example("<pre><code><b><div>a</div><div>b</div></b></code></pre>")  # newlines deep in a pre
def test_html_converts_as_with_markdownifys_own_soup(html):
    """Our soup only finds a parent faster: the Markdown is markdownify's, to the character."""
    converter = fields._Converter()
    assert converter.convert(html) == MarkdownConverter.convert(converter, html)


# The HTML of Anki's editor that ``_simple_markdown`` converts itself, nested, with text of
# every kind between the tags; now and then something it leaves to markdownify.
SIMPLE_HTML = nested_html(
    st.one_of(FIELD_TEXT.map(lambda text: text.replace("<", "").replace("&", "")),
              st.sampled_from(["<br>", "<br/>", "<br />", "&nbsp;", "&amp;", "&lt;", "&gt;",
                               "&quot;", " ", "\n", '<img src="x.png">', '<img src="">',
                               '<img src="data:x">'])),
    ["div", "b", "strong", "i", "em", "u", "span"], max_leaves=25)


@settings(max_examples=3000, deadline=None)
@given(SIMPLE_HTML)
@example('<div><b>1</b> 模型 token</div><div>a<br><img src="f.png">&nbsp;end</div>')
@example("<div> <b> a </b> </div>\x0c<i>\xa0</i> *x* <div></div>")
def test_simple_html_converts_without_a_soup_as_markdownify_does(html):
    """The fast path takes Anki's everyday HTML and gives markdownify's Markdown, to the
    character, with the same count of images."""
    fast, slow = fields._Converter(), fields._Converter()
    markdown = fields._simple_markdown(html, fast)
    assert markdown is not None
    assert markdown == MarkdownConverter.convert(slow, html)
    assert fast.images == slow.images


@settings(max_examples=1000, deadline=None)
@given(st.one_of(FIELD_HTML, SIMPLE_HTML.map(lambda html: html.replace("</b>", "</i>", 1))))
@example("<div>a</div")  # an unfinished tag
@example("<b>a")  # an unclosed one
@example("a &copy; b")  # another entity
def test_fields_convert_as_markdownify_converts_them(html):
    """Whatever a field holds, the fast path gives markdownify's Markdown or leaves the
    field to it (HTML it does not know, tags closed out of order)."""
    fast = fields.FieldConverter()
    markdown = fast.markdown(html)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fields, "_simple_markdown", lambda html, converter: None)
        slow = fields.FieldConverter()
        assert slow.markdown(html) == markdown
    assert slow.media == fast.media


_MS_2200 = 7_258_118_400_000  # clock.LATEST in ms since 1970
# A revlog id: (0, ms), or (1, ms from the last millisecond an answer may be dated).
_REVLOG_ID = st.one_of(
    st.tuples(st.just(0), st.one_of(
        st.integers(-2, 2), st.integers(1_700_000_000_000, 1_800_000_000_000),
        st.integers(_MS_2200 - 2, _MS_2200 + 2), st.integers(-2**63, 2**63))),
    st.tuples(st.just(1), st.integers(-2, 2)),
)


@settings(max_examples=2000, deadline=None)
@given(_REVLOG_ID, st.sampled_from([1, 3, 4, 5, 0, -1, 6]),
       st.one_of(st.integers(-1, 2), st.integers(history.MAX_DURATION_MS - 1,
                                                 history.MAX_DURATION_MS + 1)),
       st.sampled_from(["anki:d:k:1", " ", "", "a\x07b", "a\u2028b", "中文"]),
       st.sampled_from(["2026-03-10T09:00:00.000+08:00", "2023-11-14T22:13:20.000500+00:00",
                        "2199-12-31T23:30:00.000250+00:00", "2023-11-14T22:13:20.001+00:00"]))
def test_an_answer_is_staged_as_its_record_would_be(revlog_id, quality, duration, review_id,
                                                    now):
    """import-anki's answers skip the record's checks only where those would take the
    record as it is: the same staged row, or the same problems."""
    latest = clock.parse_moment(now) + history.CLOCK_SKEW
    relative, ms = revlog_id
    if relative:
        ms += (latest - clock.EARLIEST) // history.timedelta(milliseconds=1)
    answer = history.Answer(review_id, "deck", "key", _moment(ms), ms, quality, duration)
    fast_errors, slow_errors = [], []
    fast = history._answer_row(answer, 7, fast_errors, latest)
    assert fast == history._review_row(answer.record(), 7, slow_errors, latest)
    assert fast_errors == slow_errors


def test_a_stored_zip_of_a_modern_collection_is_streamed(tmp_path):
    """Anki writes collection.anki21b without a content size: read as a stream."""
    with zipfile.ZipFile(FIXTURES / "modern.apkg") as archive:
        frame = archive.read("collection.anki21b")
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    copy = tmp_path / "copy.apkg"
    shutil.copy(FIXTURES / "modern.apkg", copy)
    result = run("import-anki", str(copy), "--out", str(tmp_path / "d"))
    assert result.exit_code == 0, result.output
    assert io.BytesIO(frame).read(4) == b"\x28\xb5\x2f\xfd"


def test_the_anki_modules_never_import_textual():
    modules = sorted(f"flashcards.anki.{path.stem}" for path in
                     (Path(fields.__file__).parent).glob("*.py"))
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert len(modules) == 6 and result.stdout.strip() == "[]"


def test_a_deck_name_another_file_holds_writes_nothing(tmp_path, write_deck):
    mine = write_deck("deck: Programming\ncards:\n  - front: q\n    back: a\n")
    assert run("import", str(mine)).exit_code == 0
    result = run("import-anki", str(FIXTURES / "modern.apkg"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "deck 'Programming' is already defined in" in result.output
    assert "nothing was changed" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert stored(tmp_path / "test.db", "SELECT name FROM decks") == [("Programming",)]

"""Adding a card: appended to its deck file with every byte kept, a stable id, validated,
replaced atomically and synced at once; bad input changes nothing. And `flashcards add`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import authoring
from flashcards.authoring import AuthoringError, NewCard, add_card, read_template, template
from flashcards.cli import cli
from flashcards.decks import DeckError, load_deck
from flashcards.store import Store
from flashcards.sync import import_files, sync_sources

DECK = """\
# My deck: comments, odd quoting and order are mine.
deck: 基础
description: 'kept'
cards:
  - id: one   # the first
    front: "Front one"
    back: |
      Back one

  # a comment after the last card
tags: [t]
"""


def only_inserted(old: bytes, new: bytes) -> bytes:
    """Some bytes ``new`` adds to ``old`` in one place, failing if any old byte changed.
    (Where it starts is ambiguous when it begins as the old text goes on: see inserted.)"""
    start = 0
    while start < len(old) and old[start] == new[start]:
        start += 1
    added = len(new) - len(old)
    assert added > 0 and new[start + added:] == old[start:], "an existing byte changed"
    return new[start:start + added]


def inserted(old: bytes, new: bytes, chunk: str) -> None:
    """Assert that ``new`` is ``old`` with ``chunk`` inserted, every old byte kept."""
    data = chunk.encode()
    at = new.index(data)
    assert new[:at] + new[at + len(data):] == old


def cards(store: Store) -> list[tuple]:
    return store.query("SELECT key, kind, front, back, tags FROM cards ORDER BY id")


def snapshot(store: Store, path: Path) -> tuple:
    return path.read_bytes(), cards(store), store.query("SELECT * FROM decks")


# -- the file --------------------------------------------------------------------------------


def test_the_card_goes_after_the_last_entry_and_every_byte_is_kept(loaded, deck_path):
    old = deck_path.read_bytes()
    added = add_card(loaded, NewCard("基础", "What is SGD?", "梯度下降", ("opt", "数学")))
    entry = ("  - id: what-is-sgd\n"
             "    front: What is SGD?\n"
             "    back: 梯度下降\n"
             "    tags: [opt, 数学]\n")
    inserted(old, deck_path.read_bytes(), entry)
    # After the blank line that ends the last back, before the comment that follows.
    assert f"      Back one\n\n{entry}  # a comment" in deck_path.read_text()
    assert (added.deck, added.path, added.line, added.id, added.cards) == (
        "基础", deck_path, 10, "what-is-sgd", 1)
    assert deck_path.read_text().splitlines()[added.line - 1] == "  - id: what-is-sgd"
    assert cards(loaded)[-1] == ("what-is-sgd", "basic", "What is SGD?", "梯度下降",
                                 '["t", "opt", "数学"]')


def test_crlf_line_endings_are_kept_and_used_for_the_new_entry(store, write_deck):
    path = write_deck(DECK.replace("\n", "\r\n"))
    import_files(store, [path])
    old = path.read_bytes()
    add_card(store, NewCard("基础", "two\nlines", "b"))
    chunk = only_inserted(old, path.read_bytes())
    assert chunk.count(b"\r\n") == chunk.count(b"\n") == 5
    assert cards(store)[-1][2] == "two\nlines"


@pytest.mark.parametrize("last", ["    back: b", "    back: |\n      b", "    back: b  # note"])
def test_a_file_without_a_final_newline_gets_the_entry_on_a_line_of_its_own(
        store, write_deck, last):
    path = write_deck(f"deck: d\ncards:\n  - front: a\n{last}")
    import_files(store, [path])
    old = path.read_bytes()
    add_card(store, NewCard("d", "new", "card"))
    inserted(old, path.read_bytes(), "\n  - id: new\n    front: new\n    back: card\n")
    assert [spec.front for spec in load_deck(path).cards] == ["a", "new"]


@pytest.mark.parametrize(("text", "chunk"), [
    ("deck: d\ncards: []\n", "\n  {id: new, front: new, back: card}"),
    ("deck: d\ncards: [{front: a, back: b}]  # flow\n", ",\n  {id: new, front: new, back: card}"),
    ("deck: d\ncards:\n- front: a\n  back: b\n", "- id: new\n  front: new\n  back: card\n"),
    ("\ufeffdeck: d\ncards:\n    -   front: a\n        back: b\n",
     "    - id: new\n      front: new\n      back: card\n"),
    ("{deck: d, cards: [\n    {front: a, back: b}\n  ]}\n",
     ",\n  {id: new, front: new, back: card}"),
])
def test_any_way_of_writing_the_list_is_kept(store, write_deck, text, chunk):
    path = write_deck(text)
    import_files(store, [path])
    old = path.read_bytes()
    add_card(store, NewCard("d", "new", "card"))
    inserted(old, path.read_bytes(), chunk)
    assert load_deck(path).cards[-1].front == "new"


HOSTILE = [
    "[bold]x[/bold] [@click=app.quit]", "List<T> <div>", "---", "...", "# not a comment",
    "key: value", "- item", "中文", "梯", "  leading spaces", "two\n\nparagraphs\n  indented",
    "trailing spaces  \non a line", "no", "1.10", "null", "'single' \"double\"", "tab\there",
    "{{c1::not a cloze here}}", "a\\nb", "&anchor *alias !tag %", "```python\nx = 1\n```",
    "|", ">", "@", "`", "?", "a\u2028b\u2029c", "emoji 😀", str(2**64),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_reads_back_exactly_as_written(loaded, deck_path, text):
    old = deck_path.read_bytes()
    add_card(loaded, NewCard("基础", text, text + " back", (text.strip() or "x",),
                             "reverse"))
    assert only_inserted(old, deck_path.read_bytes())
    card, reverse = cards(loaded)[-2:]
    assert card[2:4] == (text.rstrip(), text + " back")
    assert reverse[1:4] == ("reverse", text + " back", text.rstrip())


def test_a_cloze_makes_a_card_per_deletion(loaded, deck_path):
    added = add_card(loaded, NewCard("基础", "{{c1::北京}} is the capital of {{c2::China}}",
                                     kind="cloze"))
    assert added.cards == 2 and added.id == "q-" + added.id[2:]  # not ASCII: a hash
    assert [row[:3] for row in cards(loaded)[-2:]] == [
        (f"{added.id}::c1", "cloze", "[...] is the capital of China"),
        (f"{added.id}::c2", "cloze", "北京 is the capital of [...]")]
    assert "cloze: '{{c1::北京}} is the capital of {{c2::China}}'" in deck_path.read_text()


def test_the_id_is_stable_unique_and_keeps_the_card_when_its_front_is_edited(
        loaded, deck_path):
    first = add_card(loaded, NewCard("基础", "What is SGD?", "a"))
    second = add_card(loaded, NewCard("基础", "What is SGD", "b"))  # the same slug
    assert first.id == "what-is-sgd" and second.id.startswith("what-is-sgd-")
    row = loaded.query("SELECT id FROM cards WHERE key = ?", (first.id,))
    deck_path.write_text(deck_path.read_text().replace("What is SGD?", "SGD, reworded?"))
    sync_sources(loaded)
    assert loaded.query("SELECT id, front FROM cards WHERE key = ?", (first.id,)) == [
        (row[0][0], "SGD, reworded?")]


def test_an_id_a_draft_holds_is_not_given_again(store, write_deck):
    path = write_deck("deck: d\ncards:\n  - id: hello\n    front: hi\n    draft: true\n")
    import_files(store, [path])
    assert add_card(store, NewCard("d", "Hello", "world")).id.startswith("hello-")


def test_the_deck_is_synced_with_the_new_file_and_the_next_start_has_nothing_to_do(
        loaded, deck_path):
    add_card(loaded, NewCard("基础", "q", "a"))
    report = sync_sources(loaded)
    assert [deck.unchanged for deck in report.decks] == [2] and not report.problems


def test_the_file_mode_is_kept_and_a_symlink_stays_a_link(store, deck_path, tmp_path):
    deck_path.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(deck_path)
    import_files(store, [link])
    add_card(store, NewCard("基础", "q", "a"))
    assert link.is_symlink() and "front: q" in deck_path.read_text()
    assert stat.S_IMODE(deck_path.stat().st_mode) == 0o640
    assert not [name for name in os.listdir(deck_path.parent) if name.startswith(".")]


# -- nothing changes -------------------------------------------------------------------------


@pytest.mark.parametrize(("card", "message"), [
    (NewCard("基础", " \n", "b"), "the front is empty"),
    (NewCard("基础", "f", ""), "the back is empty"),
    (NewCard("基础", "no deletion", kind="cloze"), "cloze has no deletion"),
    (NewCard("基础", "{{c0::x}}", kind="cloze"), "must be c1 or higher"),
    (NewCard("基础", "f", "b", kind="both"), "unknown card type 'both'"),
    (NewCard("基础", "\x1b[2J", "b"), "control character U+001B"),
    (NewCard("基础", "f", "b", ("ok", "\x07")), "the tag holds the control character U+0007"),
    (NewCard("基础", "Front one", "b"), ": the new card: duplicate front (first at line 6)"),
    (NewCard("基础", "x", "Front one", kind="reverse"), "the new card: the reverse card's front"),
    (NewCard("基础", "x" * 100_001, "b"), "front is 100,001 characters long"),
    (NewCard("nope", "f", "b"), "no deck named 'nope' (decks with a file: 基础)"),
])
def test_bad_input_is_one_line_and_changes_nothing(loaded, deck_path, card, message):
    before = snapshot(loaded, deck_path)
    with pytest.raises(AuthoringError) as error:
        add_card(loaded, card)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert snapshot(loaded, deck_path) == before


def test_a_read_only_file_is_an_error(loaded, deck_path):
    deck_path.chmod(0o444)
    before = snapshot(loaded, deck_path)
    with pytest.raises(AuthoringError, match="the file is read-only"):
        add_card(loaded, NewCard("基础", "f", "b"))
    assert snapshot(loaded, deck_path) == before


def test_a_retired_deck_or_a_deleted_file_is_an_error(store, deck_path):
    import_files(store, [deck_path.parent])
    loaded = store
    deck_path.unlink()
    with pytest.raises(AuthoringError, match="cannot be read: No such file"):
        add_card(loaded, NewCard("基础", "f", "b"))
    sync_sources(loaded)  # the deck is retired: it has no file any more
    with pytest.raises(AuthoringError, match="deck '基础' has no file \\(it was retired\\)"):
        add_card(loaded, NewCard("基础", "f", "b"))


def test_a_deck_file_broken_since_its_sync_is_reported_where_it_is_broken(loaded, deck_path):
    deck_path.write_text(DECK.replace("back: |", "bakc: |"))
    before = snapshot(loaded, deck_path)
    with pytest.raises(DeckError) as error:
        add_card(loaded, NewCard("基础", "f", "b"))
    assert f"{deck_path}:7: card 1: unknown key 'bakc' (did you mean 'back'?)" in (
        error.value.errors)
    assert snapshot(loaded, deck_path) == before


@pytest.mark.parametrize("quick", [True, False])
def test_a_broken_file_is_reported_alike_whether_its_end_was_seen_at_a_glance(
        store, write_deck, monkeypatch, quick):
    """The glance puts the entry inside a list left open on the last line, where the error
    would blame the new card; what is said is the file's own error, as the parser says it."""
    path = write_deck("deck: d\ncards:\n  - front: a\n    back: b\n")
    import_files(store, [path])
    path.write_text("deck: d\ncards:\n  - front: a\n    back: b\n    tags: [a,\n")
    before = snapshot(store, path)
    if not quick:
        monkeypatch.setattr(authoring, "_cards_at_end", lambda text: None)
    with pytest.raises(DeckError) as error:
        add_card(store, NewCard("d", "f", "b"))
    with pytest.raises(DeckError) as own:
        load_deck(path)
    assert error.value.errors == own.value.errors  # the file's own error, not the new card's
    assert snapshot(store, path) == before


def test_a_file_that_renamed_its_deck_since_its_sync_is_an_error(loaded, deck_path):
    deck_path.write_text(DECK.replace("deck: 基础", "deck: other"))
    with pytest.raises(AuthoringError, match="now names deck 'other'"):
        add_card(loaded, NewCard("基础", "f", "b"))


def test_a_file_changed_while_adding_is_not_overwritten(loaded, deck_path, monkeypatch):
    real = authoring._validated

    def edited_meanwhile(*args):
        deck_path.write_text(DECK + "# edited\n")
        return real(*args)

    monkeypatch.setattr(authoring, "_validated", edited_meanwhile)
    with pytest.raises(AuthoringError, match="changed while the card was being added"):
        add_card(loaded, NewCard("基础", "f", "b"))
    assert deck_path.read_text() == DECK + "# edited\n"
    assert len(cards(loaded)) == 1


def test_lines_that_would_swallow_the_new_entry_are_caught_by_reading_it_back(store,
                                                                              write_deck):
    path = write_deck("deck: d\ncards:\n  - front: a\n    back: b\n        # deeper\n")
    import_files(store, [path])
    with pytest.raises(AuthoringError, match="would not read back as written"):
        add_card(store, NewCard("d", "f", "two\nlines"))
    assert path.read_text().endswith("# deeper\n")


# Pieces of deck files, plain and hostile, that the quick look at a file's end
# (authoring._cards_at_end) must either read as the parser does or leave to it.
_HEADS = ["deck: d\n", "---\ndeck: d\n", "# c\ndeck: d\n", "deck: d\n---\n", "",
          "deck: d\ncards: []\n", "x: |\n  cards:\n  - a\n"]
_KEYS = ["cards:\n", "cards:   # c\n", "cards: &a\n", "cards: !!seq\n", "cards:\n\n# c\n",
         "cards:\n  # c\n"]
_VALUES = ["x", "'q # not'", '"a\\nb"', "|\n{i}    lit\n\n{i}    more", "|+\n{i}    keep\n",
           "|-\n{i}    strip", ">\n{i}    fold\n{i}    # in text", "plain\n{i}    goes on",
           "[a,\n{i}    b]", "x  # c", "|\n{i}    # text, not a comment", "中文 [bold]",
           "x\n{i}        # deeper", "|\n{i}    a\n\n\n", "|\n{i}  too little"]
_TAILS = ["", "\n", "# c\n", "  # c\n", "\n\n", "tags: [t]\n", "...\n", "---\nx: 1\n",
          "  \n", "\t\n", "cards: []\n"]


@given(st.sampled_from(_HEADS), st.sampled_from(_KEYS), st.sampled_from(["", "  ", "    "]),
       st.lists(st.tuples(st.sampled_from(_VALUES), st.sampled_from(_VALUES)), min_size=1,
                max_size=3), st.sampled_from([""] * len(_TAILS) + _TAILS),  # mostly plain
       st.booleans())
@settings(max_examples=3000, deadline=None)
def test_the_quick_look_at_the_end_finds_what_the_parser_finds(head, key, indent, entries,
                                                                tail, final_break):
    body = "".join(f"{indent}- front: {front}\n{indent}  back: {back}\n".format(i=indent)
                   for front, back in entries)
    text = head + key + body + tail
    if not final_break:
        text = text.rstrip("\n")
    quick = authoring._cards_at_end(text)
    try:
        found = authoring._find_cards(text)
    except yaml.YAMLError:  # the add then tells the parser's error (the quick look's
        return              # new file does not read back, so it asks the parser too)
    assert quick is None or quick == found


def test_a_second_add_finds_the_end_at_a_glance_and_both_cards_are_kept(store, write_deck,
                                                                       monkeypatch):
    path = write_deck("deck: d\ncards:\n  - front: a\n    back: |\n      b\n")
    import_files(store, [path])
    add_card(store, NewCard("d", "one", "1"))
    monkeypatch.setattr(authoring, "_find_cards", None)  # the parser is not asked
    add_card(store, NewCard("d", "two", "2\nlines"))
    assert [(spec.front, spec.back) for spec in load_deck(path).cards] == [
        ("a", "b"), ("one", "1"), ("two", "2\nlines")]


# -- the editor's template -------------------------------------------------------------------


def test_the_template_filled_in_is_the_card():
    text = template("[bold]d", "reverse")
    assert "deck: '[bold]d'\ntype: reverse\n" in text
    assert read_template(text, "t.yaml") is None  # left as it is
    filled = text.replace("front: |\n  \n", "front: |\n  中文\n  [x]\n").replace(
        "tags: []", "tags: [a, b]")
    assert read_template(filled, "t.yaml") == NewCard("[bold]d", "中文\n[x]\n", "", ("a", "b"),
                                                      "reverse")


@pytest.mark.parametrize(("text", "message"), [
    ("front: [unclosed\n", "t.yaml:2: "),
    ("front: a\nbakc: b\n", "t.yaml:2: unexpected key 'bakc'"),
    ("front: a\nfront: b\n", "t.yaml:2: unexpected key 'front'"),
    ("front: {a: b}\n", "t.yaml:1: front must be text"),
    ("- a\n", "t.yaml:1: expected the keys deck, type, tags, front, back"),
])
def test_a_template_that_cannot_be_read_names_its_line(text, message):
    with pytest.raises(AuthoringError, match=message.replace("[", "\\[")):
        read_template(text, "t.yaml")


# -- flashcards add --------------------------------------------------------------------------


def test_add_from_the_command_line(loaded, deck_path):
    result = CliRunner().invoke(cli, ["add", "--deck", "基础", "--front", "[bold]x", "--back",
                                      "<T>", "--tags", "a, b,", "--type", "reverse"])
    assert result.exit_code == 0, result.output
    assert result.output == f"added 'bold-x' to 基础: {deck_path}:10 (2 cards)\n"
    assert cards(loaded)[-2][2:] == ("[bold]x", "<T>", '["t", "a", "b"]')


@pytest.mark.parametrize(("args", "message"), [
    (["--deck", "基础", "--front", "Front one", "--back", "b"],
     "error: {path}: the new card: duplicate front (first at line 6)\n"),
    (["--deck", "nope", "--front", "f", "--back", "b"],
     "error: no deck named 'nope' (decks with a file: 基础)\n"),
    (["--deck", "基础", "--front", "f", "--type", "cloze"],
     "error: the cloze text: cloze has no deletion (write {{{{c1::answer}}}})\n"),
    (["--front", "f"], "error: --deck is required with --front\n"),
])
def test_add_refuses_bad_input_in_one_line(loaded, deck_path, args, message):
    before = snapshot(loaded, deck_path)
    result = CliRunner().invoke(cli, ["add", *args])
    assert result.exit_code == 1
    assert result.output == message.format(path=deck_path)
    assert snapshot(loaded, deck_path) == before


@pytest.fixture
def editor(monkeypatch):
    """$EDITOR, as the test writes: ``edits`` maps the template to what is saved."""
    edits = []
    monkeypatch.setattr("flashcards.cli._can_edit", lambda: True)

    def edit(filename: str) -> None:
        path = Path(filename)
        path.write_text(edits.pop(0)(path.read_text()), encoding="utf-8")

    monkeypatch.setattr(click, "edit", edit)
    return edits


def test_add_without_a_front_opens_the_template_in_the_editor(loaded, editor, tmp_path,
                                                              monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    editor.append(lambda text: text.replace("front: |\n  \n", "front: |\n  上\n  下\n")
                  .replace("back: |\n  \n", "back: 'b: c'\n"))
    result = CliRunner().invoke(cli, ["add", "--deck", "基础"])
    assert result.exit_code == 0, result.output
    assert cards(loaded)[-1][2:4] == ("上\n下", "b: c")
    assert not list(tmp_path.glob("flashcards-card-*"))


def test_an_empty_template_aborts_and_a_broken_one_keeps_the_text(loaded, deck_path, editor,
                                                                 tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = snapshot(loaded, deck_path)
    editor.append(lambda text: text)
    result = CliRunner().invoke(cli, ["add"])
    assert (result.exit_code, result.output) == (
        1, "aborted: the template was left empty; nothing changed\n")
    editor.append(lambda text: text.replace("front: |\n  \n", "front: |\nunindented\n"))
    result = CliRunner().invoke(cli, ["add", "--deck", "基础"])
    kept = list(tmp_path.glob("flashcards-card-*"))
    assert result.exit_code == 1 and len(kept) == 1
    assert result.output.startswith(f"error: {kept[0]}:") and "kept there" in result.output
    assert snapshot(loaded, deck_path) == before


def test_add_without_a_front_needs_a_terminal(loaded):
    result = CliRunner().invoke(cli, ["add", "--deck", "基础"])
    assert (result.exit_code, result.output) == (
        1, "error: no --front given, and no terminal to open $EDITOR in\n")


def test_two_adds_at_once_take_turns_and_both_cards_are_kept(loaded, deck_path):
    def add_five(prefix: str) -> None:
        store = Store.open(loaded.path)
        try:
            for number in range(5):
                add_card(store, NewCard("基础", f"{prefix} {number}", "b"))
        finally:
            store.close()

    workers = [threading.Thread(target=add_five, args=(prefix,)) for prefix in ("左", "右")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(load_deck(deck_path).cards) == len(cards(loaded)) == 11


def test_adding_a_card_loads_no_ui():
    code = ("import sys, flashcards.authoring; "
            "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

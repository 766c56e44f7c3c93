"""The fast path (rapidyaml) reads exactly what the strict reader reads, or leaves the file to it.

Every test compares the two on the same bytes: the same deck, or the same errors. Where the
fast path must apply (the plain subset: the bundled decks, generated decks), the test also
checks that it did; where it must not (aliases, tags, ...), that it stepped aside.
"""

from __future__ import annotations

import dataclasses
import io
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile import yaml_documents

from benchmarks.generate import card_yaml
from flashcards import decks, heap, paths, yaml_fast
from flashcards.cli import cli
from flashcards.decks import DeckError, DeckFile, StreamFailed

PATH = Path("deck.yaml")


def read(data: bytes, fast: bool) -> DeckFile | list[str]:
    """The deck, or its errors, read by the fast path (where it applies) or the strict one."""
    try:
        return decks._parse(io.BytesIO(data), PATH, fast=fast)
    except DeckError as error:
        return error.errors


def fast_path_reads(data: bytes) -> bool:
    """Whether the fast path reads the file itself (not handing it to the strict reader)."""
    stream = io.BytesIO(data)
    stream.seek(3 if data.startswith(b"\xef\xbb\xbf") else 0)
    with heap.paused_gc():
        return decks._fast_reader(stream) is not None


def streamed(data: bytes) -> DeckFile | list[str] | None:
    """The deck read streamed, its cards all taken, or its errors; None where the stream
    stops (``StreamFailed``: the caller then reads the file again, whole)."""
    try:
        deck = decks._parse(io.BytesIO(data), PATH, streamed=True)
        return dataclasses.replace(deck, cards=list(deck.cards))
    except DeckError as error:
        return error.errors
    except StreamFailed:
        return None


def same(data: bytes) -> DeckFile | list[str]:
    """Read both ways, and streamed; they must agree."""
    fast, strict = read(data, fast=True), read(data, fast=False)
    assert fast == strict
    assert streamed(data) in (None, fast)
    return fast


def deck(body: str, head: str = "deck: d\n", tail: str = "") -> bytes:
    return (head + "cards:\n" + textwrap.indent(textwrap.dedent(body), "  ") + tail).encode()


def test_the_bundled_decks_read_the_same_and_by_the_fast_path() -> None:
    files = decks.find_deck_files([paths.bundled_decks_dir()])
    assert files
    for path in files:
        data = path.read_bytes()
        assert isinstance(same(data), DeckFile), path
        assert fast_path_reads(data), path
        assert streamed(data) == same(data), path


@pytest.mark.parametrize("more_code", [0, 3])
def test_generated_decks_with_chinese_and_code_read_the_same_by_the_fast_path(more_code) -> None:
    # Over 1 MB, so the entries come in several blocks.
    data = (
        "deck: 生成\ndescription: 测试\ncards:\n"
        + "".join(card_yaml(i, more_code) for i in range(4_000))
    ).encode()
    assert len(data) > 1 << 20
    result = same(data)
    assert isinstance(result, DeckFile) and len(result.cards) == 4_000
    assert [card.line for card in result.cards[:2]] == [4, 13 + more_code]
    assert fast_path_reads(data)
    assert streamed(data) == result


PLAIN = {
    "markup and markdown": """\
      - front: "[bold]a[0][/] <T> 中文"
        back: |
          ---
          - *not an alias*, `code`, [link](x) {x}
          ```python
          print("a: b")  # c
          ```
        tags: [粗体, "with space"]
    """,
    "every scalar style": """\
      - front: 'it''s'
        back: "tab\\there, \\u00e9 \\"q\\""
      - front: plain
          folded over lines
        back: >-
          folded
          text

          kept
      - front: keep
        back: |+
          trailing


      - front: strip
        back: |2-
            indented
    """,
    "flags, cloze, drafts, ids, sources": """\
      - id: one
        front: f
        back: b
        reverse: true
        source: book, p. 3
      - cloze: "{{c1::a}} and {{c2::b::hint}}"
        back: more
      - front: later
        draft: true
      - {front: flow, back: mapping}
    """,
    "comments and blank lines": """\
    # a comment at the left
      - front: a   # a comment
        back: b

    # another
      - front: c
        back: d
    """,
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_decks_read_the_same_by_the_fast_path(name: str) -> None:
    data = deck(PLAIN[name], head="# top\ndeck: d\ntags: [t]\n", tail="description: after\n")
    assert isinstance(same(data), DeckFile)
    assert fast_path_reads(data)


ELSEWHERE = {
    "an alias": "  - front: &f x\n    back: *f\n",
    "an alias in tags": "  - front: x\n    back: y\n    tags: [*t]\n",
    "a tag": "  - front: !!str 12\n    back: y\n",
    "an unknown tag": "  - front: !foo x\n    back: y\n",
    "a number": "  - front: 12\n    back: y\n",
    "a float": "  - front: 1e3\n    back: y\n",
    "null": "  - front: null\n    back: y\n",
    "an empty value": "  - front:\n    back: y\n",
    "a backtick start": "  - front: `x`\n    back: y\n",
    "a percent start": "  - front: %x\n    back: y\n",
    "a quoted percent start, then an alias": "  - front: '%x'\n    back: *t\n",
    "a yes flag": "  - front: x\n    back: y\n    reverse: yes\n",
    "a quoted flag": "  - front: x\n    back: y\n    reverse: 'true'\n",
    "a duplicate key": "  - front: x\n    front: z\n    back: y\n",
    "an unknown key": "  - front: x\n    bakc: y\n",
    "a tab": '  - front: x\n    back: "a\tb"\n',
    "a CR": "  - front: x\r\n    back: y\r\n",
    "an escaped control": '  - front: "a\\x1bb"\n    back: y\n',
    "an escaped DEL": '  - front: "a\\x7fb"\n    back: y\n',
    "an escaped C1": '  - front: "a\\x9bb"\n    back: y\n',
    "a NEL": "  - front: a\u0085b\n    back: y\n",
    "a line separator": "  - front: a\u2028b\n    back: y\n",
    "a dash alone": "  -\n    front: x\n    back: y\n",
    "a text entry": "  - just text\n",
    "a nested list": "  - - a\n",
    "a list as front": "  - front: [a]\n    back: y\n",
    "a mapping as back": "  - front: a\n    back: {x: 1}\n",
    "a blank tag": "  - front: a\n    back: y\n    tags: ['  ']\n",
    "a merge key": "  - <<: {front: a}\n    back: y\n",
    "a quote over lines": '  - front: "a\n  - b"\n    back: y\n',
    "a broken entry": "  - front: [a\n    back: y\n",
    "a second document": "  - front: a\n    back: y\n---\ndeck: e\n",
    "a duplicate front": "  - front: a\n    back: y\n  - front: a\n    back: z\n",
    "a bad cloze": "  - cloze: '{{c1::a'\n",
    "a blank back": "  - front: a\n    back: ' '\n",
}


@pytest.mark.parametrize("name", list(ELSEWHERE))
def test_what_the_fast_path_cannot_tell_goes_to_the_strict_reader(name: str) -> None:
    data = ("deck: d\ntags: &t [t]\ncards:\n" + ELSEWHERE[name]).encode()
    same(data)
    assert not fast_path_reads(data)


@pytest.mark.parametrize(
    "data",
    [
        b"deck: d\ncards:\n  - front: a\n    back: b\n",  # `cards:` found
        b"cards:\n  - front: a\n    back: b\ndeck: d\n",  # on the first line
        b"\xef\xbb\xbfdeck: d\ncards:\n  - front: a\n    back: b\n",  # after a BOM
        b"deck: d\ncards: # mine\n\n  # first\n  - front: a\n    back: b",  # no last newline
        b"deck: d\ncards:\n- front: a\n  back: b\n",  # not indented
        b'deck: d\ndescription: "a\ncards:\n  - front: x"\ncards: []\n',  # in a quoted text
        b"deck: d\ncards:\n  - front: a\n    back: b\ncards:\n  - front: c\n    back: d\n",
    ],
)
def test_where_the_cards_are_agrees_with_the_strict_reader(data: bytes) -> None:
    same(data)


def test_an_error_is_reported_by_the_strict_reader_with_its_line() -> None:
    data = deck("- front: a\n  back: b\n- front: c\n  bakc: d\n")
    assert same(data) == [
        "deck.yaml:5: card 2: missing 'back' (or mark the card 'draft: true')",
        "deck.yaml:6: card 2: unknown key 'bakc' (did you mean 'back'?)",
    ]


def test_rapidyaml_says_nothing_on_stderr_about_a_file_it_cannot_parse(capfd) -> None:
    data = deck("- front: [a\n  back: y\n")
    assert isinstance(same(data), list)
    assert capfd.readouterr().err == ""


def test_the_app_runs_with_the_fast_path_off_as_it_draws_on_stderr(monkeypatch, tmp_path):
    """The fast path silences file descriptor 2 while rapidyaml parses; a deck re-read in the
    app (an edit, the home screen's sync) must not cost the frames Textual writes there."""
    data = deck("- front: a\n  back: b\n")
    assert fast_path_reads(data)
    seen = []

    class App:
        return_code = 0

        def run(self) -> None:
            seen.append(fast_path_reads(data))

    monkeypatch.setattr("flashcards.tui.app.make_app", lambda *args, **kwargs: App())
    monkeypatch.setattr("flashcards.cli._require_terminal", lambda: None)
    assert CliRunner().invoke(cli, ["review"]).exit_code == 0
    assert seen == [False]
    assert fast_path_reads(data)  # on again once the app is closed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_documents())
def test_structured_yaml_documents_read_the_same_both_ways(text: str) -> None:
    same(text.encode("utf-8", "surrogatepass"))


ENTRY_PIECES = st.lists(
    st.sampled_from(
        [
            "  - front: a\n",
            "  - front: 'b'\n",
            '  - front: "c\\u00e9"\n',
            "    back: x\n",
            "    back: |\n      code: *x*\n      - y\n",
            "    back: >\n      f\n\n      g\n",
            "    back: |-\n      k\n",
            "    back: |+\n      k\n\n",
            "  - cloze: '{{c1::z}}'\n",
            "    reverse: true\n",
            "    reverse: no\n",
            "    draft: true\n",
            "    tags: [a, b]\n",
            "    tags:\n      - c\n",
            "    id: i\n",
            "    source: s\n",
            "  # c\n",
            "\n",
            "    front: d\n",
            "    back: e  # f\n",
            "  - {front: g, back: h}\n",
            "    x: 1\n",
        ]
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(ENTRY_PIECES, st.sampled_from(["", "tags: [t]\n", "new_per_day: 3\n"]))
def test_decks_glued_from_entry_pieces_read_the_same_both_ways(pieces, tail) -> None:
    same(("deck: d\ncards:\n" + "".join(pieces) + tail).encode())


@pytest.mark.parametrize("data", [
    b"deck: d\ncards: []\n",  # no block of entries
    b"deck: d\ndescription: " + b"x" * (1 << 20) + b"\ncards:\n  - front: a\n    back: b\n",
    b"deck: d\ncards:\n  - front: a\n    back: b\ndescription: " + b"x" * (1 << 20) + b"\n",
])
def test_the_fast_path_holds_no_more_than_a_block_of_the_deck_s_own_keys(data: bytes) -> None:
    """Outside the entries it would have to hold the text whole: the strict reader streams it."""
    with pytest.raises(yaml_fast.Unsupported):
        yaml_fast.split(io.BytesIO(data))
    same(data)

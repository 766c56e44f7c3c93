"""Tests for flashcards.decks: YAML deck files -> card records, and every error with its line."""

import hashlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import decks as decks_module
from flashcards import yaml_safe
from flashcards.decks import (
    CardSpec,
    DeckError,
    DeckFile,
    Draft,
    file_hash,
    find_deck_files,
    hash_file,
    load_deck,
    load_decks,
    normalize,
    parse_deck,
)

PATH = Path("deck.yaml")


def parse(source: str | bytes) -> DeckFile:
    data = source if isinstance(source, bytes) else textwrap.dedent(source).encode()
    return parse_deck(data, PATH)


def errors(source: str | bytes) -> list[str]:
    with pytest.raises(DeckError) as caught:
        parse(source)
    return caught.value.errors


def one_card(source: str) -> CardSpec:
    (card,) = parse(source).cards
    return card


# --- valid decks -------------------------------------------------------------------------


def test_basic_card_with_every_field() -> None:
    source = """\
        deck: 大模型基础
        description: |
          Notes on LLMs.
        tags: [llm]
        new_per_day: 20
        reviews_per_day: 200
        cards:
          - id: kv-cache
            front: 什么是 KV Cache？
            back: 缓存已算过的 key/value。
            tags: [inference]
            source: "notes §显卡消耗 https://example.com"
    """
    deck = parse(source)
    assert deck.path == PATH
    assert deck.name == "大模型基础"
    assert deck.description == "Notes on LLMs."
    assert deck.tags == ("llm",)
    assert (deck.new_per_day, deck.reviews_per_day) == (20, 200)
    assert deck.sha256 == hashlib.sha256(textwrap.dedent(source).encode()).hexdigest()
    assert deck.drafts == []
    assert deck.cards == [
        CardSpec(
            key="kv-cache",
            note_key="kv-cache",
            kind="basic",
            front="什么是 KV Cache？",
            back="缓存已算过的 key/value。",
            tags=("llm", "inference"),
            source="notes §显卡消耗 https://example.com",
            line=8,
            position=0,
            has_id=True,
        )
    ]


def test_optional_deck_fields_default_and_empty_cards() -> None:
    deck = parse("deck: x\ncards: []\n")
    assert (deck.description, deck.tags, deck.new_per_day, deck.reviews_per_day) == (
        "",
        (),
        None,
        None,
    )
    assert deck.cards == [] and deck.drafts == []


def test_card_without_id_is_keyed_by_its_normalized_front() -> None:
    card = one_card("deck: x\ncards:\n  - front: What is  KV\n      cache?\n    back: b\n")
    base = "~" + hashlib.sha1(b"What is KV cache?").hexdigest()[:16]
    assert (card.key, card.note_key, card.has_id) == (base, base, False)
    assert card.front == "What is  KV cache?"  # as written; only the key normalizes


def test_reverse_card_swaps_front_and_back() -> None:
    cards = parse(
        "deck: x\ncards:\n  - id: cap\n    front: France\n    back: Paris\n    reverse: true\n"
    ).cards
    assert [(c.key, c.note_key, c.kind, c.front, c.back, c.position) for c in cards] == [
        ("cap", "cap", "basic", "France", "Paris", 0),
        ("cap::reverse", "cap", "reverse", "Paris", "France", 0),
    ]


def test_cloze_makes_one_card_per_number_with_hints_and_repeats() -> None:
    source = """\
        deck: x
        cards:
          - id: vram
            cloze: "1B 参数 fp16 约需 {{c1::2 GB::显存}}，{{c2::fp16}} 每参数 2 字节，共 {{c1::2 GB}}"
            back: 参见 §显卡消耗
    """
    c1, c2 = parse(source).cards
    assert (c1.key, c1.note_key, c1.kind, c1.line, c1.position) == (
        "vram::c1",
        "vram",
        "cloze",
        3,
        0,
    )
    assert c1.front == "1B 参数 fp16 约需 [显存]，fp16 每参数 2 字节，共 [...]"
    assert (
        c1.back == "1B 参数 fp16 约需 **2 GB**，fp16 每参数 2 字节，共 **2 GB**\n\n参见 §显卡消耗"
    )
    assert (c2.key, c2.note_key) == ("vram::c2", "vram")
    assert c2.front == "1B 参数 fp16 约需 2 GB，[...] 每参数 2 字节，共 2 GB"
    assert c2.back == "1B 参数 fp16 约需 2 GB，**fp16** 每参数 2 字节，共 2 GB\n\n参见 §显卡消耗"


def test_cloze_without_back_and_without_id() -> None:
    cards = parse("deck: x\ncards:\n  - cloze: 'a {{c2:: b }} c'\n").cards
    base = "~" + hashlib.sha1(b"a {{c2:: b }} c").hexdigest()[:16]
    assert [(c.key, c.front, c.back) for c in cards] == [
        (base + "::c2", "a [...] c", "a  **b**  c")  # spaces outside ** so it stays bold
    ]


def test_drafts_are_listed_not_made_into_cards() -> None:
    deck = parse(
        """\
        deck: x
        cards:
          - front: 什么是 SOFA？
            draft: true
          - front: half done
            back: ""
            draft: yes
          - cloze: "{{c1::later}}"
            draft: true
          - front: real
            back: card
            draft: false
    """
    )
    assert deck.drafts == [
        Draft(3, "什么是 SOFA？"),
        Draft(5, "half done"),
        Draft(8, "{{c1::later}}"),
    ]
    assert [c.front for c in deck.cards] == ["real"]
    assert deck.cards[0].position == 3


def test_tags_merge_deck_then_card_without_duplicates_even_when_deck_tags_come_last() -> None:
    card = one_card(
        "deck: x\ncards:\n  - {front: a, back: b, tags: [c, llm, a, c]}\ntags: [llm, b]\n"
    )
    assert card.tags == ("llm", "b", "c", "a")


def test_yaml_11_values_stay_the_text_as_written() -> None:
    source = """\
        deck: 2024
        cards:
          - id: 007
            front: yes
            back: no
            tags: [on, 1.0, null]
            source: ~
          - front: 1.0
            back: 0x10
    """
    deck = parse(source)
    assert deck.name == "2024"
    first, second = deck.cards
    assert (first.key, first.front, first.back, first.tags, first.source) == (
        "007",
        "yes",
        "no",
        ("on", "1.0", "null"),
        "~",
    )
    assert (second.front, second.back) == ("1.0", "0x10")


def test_booleans_accept_yaml_spellings() -> None:
    source = """\
        deck: x
        cards:
          - {front: a, back: b, reverse: yes}
          - {front: c, back: d, reverse: On}
          - {front: e, back: f, reverse: !!bool "TRUE"}
          - {front: g, back: h, reverse: off}
    """
    assert [c.kind for c in parse(source).cards] == [
        "basic",
        "reverse",
        "basic",
        "reverse",
        "basic",
        "reverse",
        "basic",
    ]


def test_code_blocks_keep_inner_newlines_and_indentation_but_not_trailing_ones() -> None:
    source = (
        "deck: x\n"
        "cards:\n"
        "  - front: |\n"
        "      What does this print?\n"
        "\n"
        "          print(1)   \n"  # trailing spaces, dropped
        "    back: |\n"
        "      ```python\n"
        "      def f():\n"
        "          return 1\n"
        "      ```\n"
        "\n"
        "\n"
        "  - front: b\n"
        '    back: "  indented  \\n\\n"\n'
    )
    first, second = parse(source.encode()).cards
    assert first.front == "What does this print?\n\n    print(1)"
    assert first.back == "```python\ndef f():\n    return 1\n```"
    assert second.back == "  indented"


def test_utf8_bom_is_accepted_and_lines_are_unchanged() -> None:
    data = "\ufeffdeck: 中文\ncards:\n  - front: 问题\n    back: 答案\n".encode()
    deck = parse(data)
    assert deck.name == "中文"
    assert deck.cards[0].line == 3
    assert deck.sha256 == file_hash(data) == hashlib.sha256(data).hexdigest()


def test_aliases_are_followed_for_values() -> None:
    card = one_card("deck: x\ntags: &t [a]\ncards:\n  - {front: q, back: r, tags: *t}\n")
    assert card.tags == ("a",)


def test_pure_python_loader_gives_the_same_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    source = """\
        deck: x
        cards:
          - {id: a, front: q, back: r, reverse: true, tags: [t]}
          - cloze: "{{c1::x::h}} {{c2::y}}"
          - front: d
            draft: true
    """
    fast = parse(source)
    monkeypatch.setattr(yaml_safe, "_LOADER", yaml.SafeLoader)
    assert parse(source) == fast
    assert errors("deck: x\ncards:\n  - {front: q, bakc: r}\n") == [
        "deck.yaml:3: card 1: unknown key 'bakc' (did you mean 'back'?)",
        "deck.yaml:3: card 1: missing 'back' (or mark the card 'draft: true')",
    ]
    (syntax_error,) = errors("deck: x\ncards: [\n")
    assert syntax_error.startswith("deck.yaml:3: ")  # the wording differs from libyaml's


# --- stable keys -------------------------------------------------------------------------


def test_key_ignores_whitespace_differences_in_the_front() -> None:
    a = one_card('deck: x\ncards:\n  - front: "What  is\\tRAG?"\n    back: b\n')
    b = one_card("deck: x\ncards:\n  - front: |\n      What is\n        RAG?\n    back: b\n")
    assert a.key == b.key
    assert normalize(" What  is\tRAG?\n") == "What is RAG?"


def test_key_does_not_change_when_the_back_changes() -> None:
    a = one_card("deck: x\ncards:\n  - {front: q, back: old}\n")
    b = one_card("deck: x\ncards:\n  - {front: q, back: new, tags: [t]}\n")
    assert a.key == b.key


def test_id_keeps_the_key_when_the_front_changes() -> None:
    a = parse("deck: x\ncards:\n  - {id: k, front: old, back: b, reverse: true}\n").cards
    b = parse("deck: x\ncards:\n  - {id: k, front: new, back: b, reverse: true}\n").cards
    assert [c.key for c in a] == [c.key for c in b] == ["k", "k::reverse"]


# --- errors: the file as a whole ---------------------------------------------------------


def test_yaml_syntax_error_points_at_the_problem_line() -> None:
    assert errors("deck: x\ncards:\n  - front: a\n    back: [b\n  - front: c\n") == [
        "deck.yaml:5: did not find expected ',' or ']' (while parsing a flow sequence at line 4)"
    ]


@pytest.mark.parametrize("source", ["", "# only a comment\n", "---\n"])
def test_empty_document(source: str) -> None:
    assert errors(source) == ["deck.yaml:1: empty document (expected 'deck:' and 'cards:')"]


def test_top_level_must_be_a_mapping() -> None:
    assert errors("# deck\n- front: a\n  back: b\n") == [
        "deck.yaml:2: the top level must be a mapping with 'deck:' and 'cards:', not a list"
    ]


def test_more_than_one_document() -> None:
    assert errors("deck: x\ncards: []\n---\ndeck: y\ncards: []\n") == [
        "deck.yaml:3: more than one document (a deck file holds exactly one)"
    ]


def test_invalid_utf8_reports_the_line_and_byte() -> None:
    data = "deck: 中文\ncards:\n  - front: a\n".encode() + b"    back: caf\xe9\n"
    assert errors(data) == ["deck.yaml:4: not valid UTF-8 (byte 0xe9)"]


def test_a_deck_file_is_read_a_piece_at_a_time(tmp_path, monkeypatch) -> None:
    """Hashed, checked and parsed as a stream: a big file's bytes are never all held."""
    data = "\ufeffdeck: 中文\ncards:\n  - front: 问题 ☃\n    back: 答案\n".encode()
    path = tmp_path / "deck.yaml"
    path.write_bytes(data)
    monkeypatch.setattr(decks_module, "_CHUNK", 2)  # every character cut in two, BOM too
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read whole"))
    deck = load_deck(path)
    assert (deck.name, deck.cards[0].front, deck.cards[0].line) == ("中文", "问题 ☃", 3)
    assert deck.sha256 == hash_file(path) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data + "  - front: 二\n    back: caf".encode() + b"\xe9\n")
    with pytest.raises(DeckError) as caught:
        load_deck(path)
    assert caught.value.errors == [f"{path}:6: not valid UTF-8 (byte 0xe9)"]


def test_control_character_reports_its_line() -> None:
    assert errors("deck: x\ncards:\n  - front: 中文\x07\n    back: b\n") == [
        "deck.yaml:3: character U+0007 is not allowed in YAML"
    ]


def test_missing_deck_and_cards() -> None:
    assert errors("description: x\n") == [
        "deck.yaml:1: missing 'deck:' (the deck's name)",
        "deck.yaml:1: missing 'cards:' (write 'cards: []' for a deck with no cards yet)",
    ]


def test_blank_or_non_text_deck_name() -> None:
    assert errors("deck: ' '\ncards: []\n") == ["deck.yaml:1: the deck name is blank"]
    assert errors("cards: []\ndeck: [a]\n") == ["deck.yaml:2: deck must be text, not a list"]


def test_unknown_deck_keys_with_and_without_a_hint() -> None:
    assert errors("deck: x\ndescripton: y\nfoo: 1\ncards: []\n") == [
        "deck.yaml:2: unknown key 'descripton' (did you mean 'description'?)",
        (
            "deck.yaml:3: unknown key 'foo' (expected one of: deck, description, tags, new_per_day,"
            " reviews_per_day, scheduler, cards)"
        ),
    ]


def test_duplicate_deck_key() -> None:
    assert errors("deck: x\ncards: []\ndeck: y\n") == [
        "deck.yaml:3: duplicate key 'deck' (first at line 1)"
    ]


def test_deck_level_wrong_types() -> None:
    source = """\
        deck: x
        description: [a]
        tags: llm
        new_per_day: -1
        reviews_per_day: 1.5
        cards:
    """
    assert errors(source) == [
        "deck.yaml:2: description must be text, not a list",
        "deck.yaml:3: tags must be a list like [a, b], not 'llm'",
        "deck.yaml:4: new_per_day must be a whole number >= 0, not '-1'",
        "deck.yaml:5: reviews_per_day must be a whole number >= 0, not '1.5'",
        "deck.yaml:6: cards must be a list, not an empty value (write 'cards: []' for none)",
    ]


@pytest.mark.parametrize("value", ["0x10", "1_000", "'20'", "1:30", "twenty"])
def test_counts_must_be_plain_decimal_integers(value: str) -> None:
    (message,) = errors(f"deck: x\nnew_per_day: {value}\ncards: []\n")
    assert message.startswith("deck.yaml:2: new_per_day must be a whole number >= 0, not ")


def test_unknown_tags_are_errors_and_nothing_is_constructed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    deck = tmp_path / "evil.yaml"
    deck.write_text(
        "deck: evil\n"
        'cards: !!python/object/apply:os.system ["touch X"]\n'
        'extra: !!python/object/apply:os.system ["touch X"]\n'
    )
    with pytest.raises(DeckError) as caught:
        load_decks([tmp_path])
    assert caught.value.errors == [
        f"{deck}:2: unknown tag '!!python/object/apply:os.system'",
        f"{deck}:2: card 1: must be a mapping with 'front' and 'back' (or 'cloze'), not 'touch X'",
        (
            f"{deck}:3: unknown key 'extra' (expected one of: deck, description, tags, new_per_day,"
            " reviews_per_day, scheduler, cards)"
        ),
        f"{deck}:3: unknown tag '!!python/object/apply:os.system'",
    ]
    assert not (tmp_path / "X").exists()


def test_unknown_local_tag_on_a_card_value() -> None:
    assert errors("deck: x\ncards:\n  - front: a\n    back: !foo b\n") == [
        "deck.yaml:4: unknown tag '!foo'"
    ]


def test_alias_bomb_is_not_expanded() -> None:
    lines = ['deck: x\nlol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 8)}]\n" for i in range(1, 12)]
    lines.append("cards:\n  - front: *l11\n    back: b\n    tags: *l11\n")
    started = time.perf_counter()
    found = errors("".join(lines))
    assert time.perf_counter() - started < 1
    # Aliases share what they repeat, but what they would repeat is counted: lol6 (line 7)
    # would make eight copies of lol5's 8**5 items, and the reading ends there.
    assert found == [
        *[f"deck.yaml:{n + 2}: unknown key 'lol{n}' (expected one of: deck, description, tags,"
          " new_per_day, reviews_per_day, scheduler, cards)" for n in range(6)],
        ("deck.yaml:7: aliases repeat more than 1,000,698 characters of text"
        " (at most the file's size plus 1,000,000)"),
    ]


def test_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    source = "deck: x\ncards:\n  - front: " + "[" * 5000 + "]" * 5000 + "\n    back: b\n"
    found = errors(source)
    if "exceeded maximum nesting depth" in found[0]:  # libyaml 0.2.6+ stops at 1,000 levels
        assert found == [
            "deck.yaml:3: exceeded maximum nesting depth (while increasing flow level at line 3)"
        ]
    else:
        assert found == [
            "deck.yaml:3: nested more than 50 levels deep",
            "deck.yaml:3: card 1: front must be text, not a list",
        ]


def test_undefined_alias() -> None:
    assert errors("deck: x\ncards:\n  - front: q\n    back: *nope\n") == [
        "deck.yaml:4: undefined alias '*nope'"
    ]


# --- errors: cards -----------------------------------------------------------------------


def test_unknown_card_key_with_a_hint() -> None:
    assert errors("deck: x\ncards:\n  - front: q\n    bakc: r\n    back: s\n") == [
        "deck.yaml:4: card 1: unknown key 'bakc' (did you mean 'back'?)"
    ]


def test_merge_keys_are_refused_plainly() -> None:
    assert errors("deck: x\ncards:\n  - <<: {front: q}\n    back: r\n")[0] == (
        "deck.yaml:3: card 1: unknown key '<<' (YAML merge keys are not supported)"
    )


def test_duplicate_card_key() -> None:
    source = "deck: x\ncards:\n  - front: q\n    back: r\n    front: s\n    back: t\n"
    assert errors(source) == [
        "deck.yaml:5: card 1: duplicate key 'front' (first at line 3)",
        "deck.yaml:6: card 1: duplicate key 'back' (first at line 4)",
    ]


def test_card_keys_must_be_text() -> None:
    assert errors("deck: x\ncards:\n  - {? [a]: b, front: c, back: d}\n") == [
        "deck.yaml:3: card 1: keys must be text, not a list"
    ]


def test_card_entry_must_be_a_mapping() -> None:
    assert errors("deck: x\ncards:\n  - {front: q, back: r}\n  - just text\n  - [a]\n") == [
        "deck.yaml:4: card 2: must be a mapping with 'front' and 'back' (or 'cloze'), not 'just text'",
        "deck.yaml:5: card 3: must be a mapping with 'front' and 'back' (or 'cloze'), not a list",
    ]


def test_card_field_wrong_types() -> None:
    source = """\
        deck: x
        cards:
          - front: [a, b]
            back: {a: b}
            tags: inference
            reverse: "yes"
            draft: 1
            source: [s]
            id: [i]
          - front: q
            back: r
            tags: [a, [b], ""]
    """
    assert errors(source) == [
        "deck.yaml:3: card 1: front must be text, not a list",
        "deck.yaml:4: card 1: back must be text, not a mapping",
        "deck.yaml:5: card 1: tags must be a list like [a, b], not 'inference'",
        "deck.yaml:6: card 1: reverse must be true or false, not 'yes'",
        "deck.yaml:7: card 1: draft must be true or false, not '1'",
        "deck.yaml:8: card 1: source must be text, not a list",
        "deck.yaml:9: card 1: id must be text, not a list",
        "deck.yaml:12: card 2: tags item 2 must be text, not a list",
        "deck.yaml:12: card 2: tags item 3 is blank",
    ]


def test_boolean_must_be_a_yaml_boolean() -> None:
    assert errors("deck: x\ncards:\n  - {front: q, back: r, reverse: tRUE}\n") == [
        "deck.yaml:3: card 1: reverse must be true or false, not 'tRUE'"
    ]
    assert errors("deck: x\ncards:\n  - {front: q, back: r, reverse: !!bool maybe}\n") == [
        "deck.yaml:3: card 1: reverse must be true or false, not 'maybe'"
    ]


def test_blank_front_blank_back_and_missing_back() -> None:
    source = """\
        deck: x
        cards:
          - front: "  "
            back: r
          - front: q
            back: |

          - front: s
    """
    assert errors(source) == [
        "deck.yaml:3: card 1: front is blank",
        "deck.yaml:6: card 2: back is blank",
        "deck.yaml:8: card 3: missing 'back' (or mark the card 'draft: true')",
    ]


def test_draft_may_lack_a_back_but_not_a_front() -> None:
    assert errors(
        "deck: x\ncards:\n  - back: r\n    draft: true\n  - front: ''\n    draft: true\n"
    ) == [
        "deck.yaml:3: card 1: needs a 'front' (or a 'cloze')",
        "deck.yaml:5: card 2: front is blank",
    ]


def test_card_needs_a_front_or_a_cloze() -> None:
    assert errors("deck: x\ncards:\n  - back: r\n") == [
        "deck.yaml:3: card 1: needs a 'front' (or a 'cloze')"
    ]


def test_cloze_with_front_or_reverse() -> None:
    source = """\
        deck: x
        cards:
          - front: q
            cloze: "{{c1::a}}"
          - cloze: "{{c1::b}}"
            reverse: true
    """
    assert errors(source) == [
        "deck.yaml:4: card 1: has both 'front' and 'cloze' (use one)",
        "deck.yaml:6: card 2: a cloze card cannot be reversed",
    ]


def test_cloze_without_deletion_and_malformed_deletions() -> None:
    source = """\
        deck: x
        cards:
          - cloze: no deletion here
          - cloze: "{{c0::zero}} and {{c1::}}"
          - cloze: "{{c1::ok}} then {{c2:one colon}}"
          - cloze: "{{c1::unclosed"
          - cloze: "{{c1::outer {{c2::inner}} }}"
    """
    assert errors(source) == [
        "deck.yaml:3: card 1: cloze has no deletion (write {{c1::answer}})",
        "deck.yaml:4: card 2: cloze deletion '{{c0::zero}}' must be c1 or higher",
        "deck.yaml:4: card 2: cloze deletion '{{c1::}}' has an empty answer",
        (
            "deck.yaml:5: card 3: malformed cloze deletion near '{{c2:one colon}}'"
            " (write {{c1::answer}} or {{c1::answer::hint}})"
        ),
        (
            "deck.yaml:6: card 4: malformed cloze deletion near '{{c1::unclosed'"
            " (write {{c1::answer}} or {{c1::answer::hint}})"
        ),
        "deck.yaml:7: card 5: nested cloze deletions are not supported",
    ]


def test_duplicate_ids() -> None:
    source = """\
        deck: x
        cards:
          - front: a
            back: b
            id: same
          - id: same
            front: c
            back: d
    """
    assert errors(source) == ["deck.yaml:6: card 2: duplicate id 'same' (first at line 5)"]


def test_ids_must_not_look_like_generated_keys() -> None:
    assert errors("deck: x\ncards:\n  - {id: 'a::reverse', front: q, back: r}\n") == [
        "deck.yaml:3: card 1: id 'a::reverse' must not contain '::' or start with '~'"
    ]
    assert errors("deck: x\ncards:\n  - {id: '', front: q, back: r}\n") == [
        "deck.yaml:3: card 1: id is blank"
    ]


def test_duplicate_fronts_compare_normalized_text() -> None:
    source = """\
        deck: x
        cards:
          - front: What is RAG?
            back: a
          - front: "What  is\\nRAG? "
            back: b
          - cloze: "{{c1::x}} y"
          - cloze: "{{c1::x}}  y"
    """
    assert errors(source) == [
        "deck.yaml:5: card 2: duplicate front (first at line 3)",
        "deck.yaml:8: card 4: duplicate cloze text (first at line 7)",
    ]


def test_reverse_card_front_colliding_with_another_front() -> None:
    source = """\
        deck: x
        cards:
          - front: Paris
            back: capital of France
          - front: France
            back: Paris
            reverse: true
          - front: same
            back: same
            reverse: true
    """
    assert errors(source) == [
        (
            "deck.yaml:6: card 2: the reverse card's front (this card's back) duplicates a front"
            " (first at line 3)"
        ),
        (
            "deck.yaml:9: card 3: the reverse card's front (this card's back) duplicates a front"
            " (first at line 8)"
        ),
    ]


def test_every_problem_in_a_file_is_reported_in_line_order() -> None:
    source = """\
        deck: x
        cards:
          - front: a
            bakc: b
          - front: c
            back: d
            reverse: maybe
          - cloze: none
        new_per_day: -3
    """
    assert errors(source) == [
        "deck.yaml:3: card 1: missing 'back' (or mark the card 'draft: true')",
        "deck.yaml:4: card 1: unknown key 'bakc' (did you mean 'back'?)",
        "deck.yaml:7: card 2: reverse must be true or false, not 'maybe'",
        "deck.yaml:8: card 3: cloze has no deletion (write {{c1::answer}})",
        "deck.yaml:9: new_per_day must be a whole number >= 0, not '-3'",
    ]


def test_errors_before_a_syntax_error_are_kept() -> None:
    assert errors("deck: x\ncards:\n  - {front: a, bakc: b}\n  - front: [c\n") == [
        "deck.yaml:3: card 1: unknown key 'bakc' (did you mean 'back'?)",
        "deck.yaml:3: card 1: missing 'back' (or mark the card 'draft: true')",
        "deck.yaml:5: did not find expected ',' or ']' (while parsing a flow sequence at line 4)",
    ]


# --- files -------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_deck_files_searches_directories_recursively(tmp_path: Path) -> None:
    b = write(tmp_path / "decks" / "b.yaml", "")
    a = write(tmp_path / "decks" / "sub" / "a.yml", "")
    write(tmp_path / "decks" / "notes.txt", "")
    write(tmp_path / "decks" / ".hidden" / "c.yaml", "")
    write(tmp_path / "decks" / ".#b.yaml", "")
    single = write(tmp_path / "one.txt", "")
    assert find_deck_files([single, str(tmp_path / "decks"), b]) == [single, b, a]


def test_find_deck_files_reports_every_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DeckError) as caught:
        find_deck_files([tmp_path / "nope", "also/missing.yaml"])
    assert caught.value.errors == [
        f"{tmp_path / 'nope'}: no such file or directory",
        "also/missing.yaml: no such file or directory",
    ]


def test_a_device_or_a_pipe_is_no_deck_file(tmp_path: Path) -> None:
    """Read as a file, /dev/zero would never end and a pipe nobody writes to never start."""
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with pytest.raises(DeckError) as caught:
        find_deck_files([pipe, "/dev/zero"])
    assert caught.value.errors == [f"{pipe}: not a file (a deck is a YAML file)",
                                   "/dev/zero: not a file (a deck is a YAML file)"]
    assert find_deck_files([tmp_path]) == []  # a folder's pipes were never read


def test_load_deck_reads_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "d.yaml", "deck: d\ncards:\n  - {front: q, back: r}\n")
    deck = load_deck(path)
    assert deck.path == path and deck.cards[0].front == "q"


def test_load_deck_turns_os_errors_into_one_line(tmp_path: Path) -> None:
    with pytest.raises(DeckError) as caught:
        load_deck(tmp_path)
    (message,) = caught.value.errors
    assert message.startswith(f"{tmp_path}: cannot read: ") and "\n" not in message


def test_load_decks_collects_errors_from_all_files(tmp_path: Path) -> None:
    good = write(tmp_path / "a_good.yaml", "deck: good\ncards: []\n")
    bad1 = write(tmp_path / "b_bad.yaml", "deck: b\ncards:\n  - {front: q}\n")
    bad2 = write(tmp_path / "c_bad.yml", "deck: c\ncards: [\n")
    same = write(tmp_path / "d_same.yaml", "# same name\ndeck: good\ncards: []\n")
    with pytest.raises(DeckError) as caught:
        load_decks([tmp_path, tmp_path / "missing"])
    assert caught.value.errors == [
        f"{tmp_path / 'missing'}: no such file or directory",
        f"{bad1}:3: card 1: missing 'back' (or mark the card 'draft: true')",
        f"{bad2}:3: did not find expected node content (while parsing a flow node at line 3)",
        f"{same}:2: deck 'good' is also defined in {good}",
    ]
    assert str(caught.value).count("\n") == 3


def test_load_decks_returns_all_decks(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "deck: a\ncards: []\n")
    write(tmp_path / "b" / "b.yaml", "deck: b\ncards: []\n")
    assert [deck.name for deck in load_decks([tmp_path])] == ["a", "b"]


def test_decks_module_does_not_import_textual() -> None:
    code = "import sys, flashcards.decks; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- property: whatever the bytes, only DeckError, and every message has path:line ------

MESSAGE = re.compile(r"deck\.yaml:[1-9][0-9]*: \S")

YAMLISH = st.lists(
    st.sampled_from(
        [
            "deck: x\n",
            "cards:\n",
            "  - front: a\n",
            "    back: b\n",
            "  - cloze: '{{c1::x}}'\n",
            "    reverse: true\n",
            "    draft: yes\n",
            "    tags: [a, b]\n",
            "    id: 007\n",
            "tags: [t]\n",
            "new_per_day: 3\n",
            "---\n",
            "&a ",
            "*a",
            "!!python/name:os.system ",
            "!foo ",
            "[",
            "]",
            "{",
            "}",
            ": ",
            "- ",
            "'",
            '"',
            "|\n",
            ">\n",
            "\t",
            "  ",
            "\n",
            "? ",
            "#",
            "\ufeff",
            "\x00",
            "é",
            "{{c",
            "::",
            "}}",
            "<<: ",
            "~",
            "\r\n",
        ]
    ),
    max_size=30,
).map("".join)


def check_only_deck_errors(data: bytes) -> None:
    try:
        parse_deck(data, PATH)
    except DeckError as error:
        assert error.errors
        for message in error.errors:
            assert MESSAGE.match(message), message
            assert "\n" not in message, message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_deck_errors(data: bytes) -> None:
    check_only_deck_errors(data)


@settings(max_examples=500, deadline=None)
@given(YAMLISH)
def test_random_yamlish_text_raises_only_deck_errors(text: str) -> None:
    check_only_deck_errors(text.encode("utf-8"))


def test_numbers_too_large_for_a_deck_are_one_line_each(write_deck):
    """Issue 16, item 10: these used to pass `check`, then crash `import`."""
    huge = "9" * 5000
    path = write_deck(
        f"deck: d\nnew_per_day: 99999999999999999999\nreviews_per_day: {huge}\ncards:\n"
        f"  - {{id: a, cloze: '{{{{c{huge}::x}}}} and {{{{c1::y}}}}'}}\n"
        "  - {id: b, front: q, back: r}\n"
    )
    with pytest.raises(DeckError) as error:
        load_decks([path])
    assert error.value.errors == [
        f"{path}:2: new_per_day must be at most 100000, not '99999999999999999999'",
        f"{path}:3: reviews_per_day must be at most 100000, not '{'9' * 39}…'",
        f"{path}:5: card 1: cloze deletion '{{{{c{'9' * 36}…' must be c1 to c999",
    ]

"""Hostile and broken input: decks that try to hang or blow up the loader, card text that
tries to act on the terminal, and `export -o` paths that try to make it write elsewhere.

Policy for control characters: card text (and every other text of a deck) may hold tab and
newline and no other C0 or C1 control character, nor DEL. YAML itself refuses them raw; an
escape in a double-quoted string ("\\e[2J", "\\x1b") is refused by the loader with a
one-line error. A database that holds them anyway (written before this rule, or by hand)
is shown inert: the app drops them from every line it draws, and error messages write them
as visible escapes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from textual.widgets import DataTable

from flashcards.cli import UserError, cli, write_output
from flashcards.decks import DeckError, DeckFile, parse_deck
from flashcards.draft import draft_deck
from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.text import CONTROL_CHARACTER, printable
from flashcards.tui.app import make_app
from flashcards.tui.screens.home import HomeScreen
from flashcards.tui.screens.stats import StatsScreen

PATH = Path("deck.yaml")
MESSAGE = re.compile(r"deck\.yaml:([1-9][0-9]*): \S")
YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def outcome(data: bytes) -> DeckFile | list[str]:
    """The deck, or the error messages, after checking what every deck and error promises:
    only DeckError is raised; each message is one printable line `deck.yaml:LINE: ...` with
    LINE in the file; cards have text, no control characters, and lines in the file."""
    # YAML counts CR, NEL, LS and PS as line breaks too.
    text = data.decode("utf-8", "replace")
    lines = max(data.count(b"\n"), len(YAML_BREAK.findall(text))) + 1
    try:
        deck = parse_deck(data, PATH)
    except DeckError as error:
        assert error.errors
        for message in error.errors:
            match = MESSAGE.match(message)
            assert match, message
            assert int(match[1]) <= lines, message
            assert "\n" not in message and printable(message) == message, message
        return error.errors
    texts = [deck.name, deck.description, *deck.tags]
    assert deck.name.strip()
    for card in deck.cards:
        assert card.front.strip() and card.back.strip() and card.key
        assert 1 <= card.line <= lines
        texts += [card.front, card.back, card.source, card.key, *card.tags]
    texts += [draft.front for draft in deck.drafts]
    assert not any(CONTROL_CHARACTER.search(text) for text in texts)
    assert len({card.key for card in deck.cards}) == len(deck.cards)
    return deck


# -- fuzzing the loader with structured documents ---------------------------------------------
#
# test_decks.py fuzzes with random bytes and with lines of YAML glued at random. Here whole
# documents are built as values (mappings, lists, scalars; keys near the real ones; shared
# values, which YAML writes as anchors and aliases, even cycles; tags), written by PyYAML's
# emitter in random styles (block, flow, canonical, every quoting), then perhaps damaged.

KEYS = ("deck", "description", "tags", "new_per_day", "reviews_per_day", "cards",
        "id", "front", "back", "cloze", "reverse", "source", "draft")
TAGS = (
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:python/object/apply:os.system", "tag:yaml.org,2002:python/name:eval",
    "!", "!foo", "!\x1b]0;PWNED\x07", "tag:example.com,2000:x",
)
AWKWARD = (
    "\x1b[2J", "\x1b]0;PWNED\x07", "\x1b[?1049l", "\x00", "\x07", "\x08", "\r", "\x7f", "\x85",
    "\x9b", "\u202e", "\u200d", "\u2028", "\ufeff", "\ufffe", "e\u0301", "👩‍👩‍👧", "🇨🇳",
    "مرحبا", "שלום", "汉字", "[bold]", "[/]", "[@click=app.quit]", "a[0]", "{{c1::", "{{c2::x}}",
    "}}", "::", "&a", "*a", "!!str", "- ", ": ", "? ", "#", "|", ">", "'", '"', "\\", "%", "@",
    "`", "\t", "\n", "  ", "yes", "no", "~", "null", "007", "0x10", ".nan",
)


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` seven times in eight, else ``odd``: enough valid decks to reach the code
    that makes cards, enough oddities to reach every error."""
    # Not n == 0: Hypothesis draws the ends of a range more often than the middle.
    return st.integers(0, 7).flatmap(lambda n: odd if n == 3 else usual)


# Mostly text a deck could hold, sometimes the awkward pieces above glued together.
nice = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
               min_size=1, max_size=8).filter(str.strip)
awkward = st.lists(
    st.one_of(st.sampled_from(AWKWARD), st.text(st.characters(codec="utf-8"), max_size=6)),
    max_size=4,
).map("".join)
texts = mostly(nice, awkward)
deletions = st.one_of(
    st.builds("{{{{c{}::{}{}}}}}".format, st.integers(1, 3), nice,
              st.sampled_from(["", "", "::", "::hint"])),
    st.builds("{{{{c{}::{}{}}}}}".format, st.integers(0, 3), texts,
              st.sampled_from(["", "::", "::hint"])),
)
around = st.lists(st.one_of(nice, awkward), max_size=2).map("".join)
cloze_texts = mostly(
    st.builds("{}{}{}{}".format, around, deletions, around, mostly(st.just(""), deletions)),
    st.lists(st.one_of(nice, deletions, awkward), min_size=1, max_size=4).map("".join),
)


def near(key: str, how: int, where: int) -> str:
    """A key as written by someone in a hurry: as is, a letter lost, two swapped, and so on."""
    i = where % len(key)
    return [key, key[:i] + key[i + 1:], key[:i] + key[i + 1:i + 2] + key[i:i + 1] + key[i + 2:],
            key.upper(), key + " ", key.capitalize(), key + "s", "<<"][how % 8]


keys = st.one_of(
    st.builds(near, st.sampled_from(KEYS), st.integers(0, 7), st.integers(0, 20)),
    texts,
    st.integers(-2, 2),
)
scalars = st.one_of(texts, cloze_texts, st.integers(), st.floats(), st.booleans(), st.none())


class Tagged:
    """A value written with an explicit tag."""

    def __init__(self, tag: str, value: object) -> None:
        self.tag, self.value = tag, value


class FuzzDumper(yaml.SafeDumper):
    """SafeDumper that also writes Tagged values, and any object as text."""

    def represent_tagged(self, data: Tagged) -> yaml.Node:
        if isinstance(data.value, dict):
            return self.represent_mapping(data.tag, data.value)
        if isinstance(data.value, list):
            return self.represent_sequence(data.tag, data.value)
        return self.represent_scalar(data.tag, str(data.value))


FuzzDumper.add_representer(Tagged, FuzzDumper.represent_tagged)

values = st.recursive(
    st.one_of(scalars, scalars, scalars, st.builds(Tagged, st.sampled_from(TAGS), scalars)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
        st.builds(Tagged, st.sampled_from(TAGS), st.lists(children, max_size=3)),
    ),
    max_leaves=12,
)
card_values = mostly(texts, values)
extras = mostly(st.just({}), st.dictionaries(keys, values, max_size=2))
common = {
    "id": mostly(nice, values), "reverse": mostly(st.booleans(), st.just("yes")),
    "draft": st.booleans(), "tags": st.lists(texts, max_size=3), "source": texts,
}
cards = st.builds(
    lambda fields, extra: {**fields, **extra},
    mostly(
        st.one_of(
            st.fixed_dictionaries({"front": card_values, "back": card_values}, optional=common),
            st.fixed_dictionaries({"cloze": cloze_texts},
                                  optional={k: v for k, v in common.items() if k != "reverse"}),
        ),
        st.fixed_dictionaries({}, optional={
            **common, "front": card_values, "back": card_values, "cloze": cloze_texts}),
    ),
    extras,
)
decks = st.builds(
    lambda fields, extra: {**fields, **extra},
    st.fixed_dictionaries({
        "deck": mostly(nice, values),
        "cards": st.lists(mostly(cards, values), min_size=1, max_size=6),
    }, optional={
        "tags": st.lists(texts, max_size=3), "description": texts,
        "new_per_day": st.one_of(st.integers(-1, 30), texts),
    }),
    extras,
)
documents = mostly(decks, values)

DAMAGE = ("&a ", "*a", "&b ", "*b", "!foo ", "!!str ", "!!python/object:os.system ", "[", "]",
          "{", "}", ": ", "- ", "? ", "|", ">", "'", '"', "\n", "  ", "\t", "#", "---\n",
          "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "\\e", "\\x1b", "\\0", "\\N",
          "\\u202e", "\x00", "\ufeff", "\x85", "\u2028", "\r", "{{c1::", "é", "😀")


def share(value: object, picks: list[int]) -> object:
    """The same value with some containers put in a second place too (aliases), one of
    them perhaps inside itself (a cycle, which YAML can write and a deck must refuse)."""
    containers: list[list | dict] = []

    def collect(node: object) -> None:
        if isinstance(node, (list, dict)) and all(node is not c for c in containers):
            containers.append(node)
            for child in node if isinstance(node, list) else node.values():
                collect(child)

    collect(value)
    for pick in picks:
        if not containers:
            break
        source = containers[pick % len(containers)]
        target = containers[(pick // 7) % len(containers)]
        if isinstance(target, list):
            target.insert(pick % (len(target) + 1), source)
        else:
            target[f"k{pick}"] = source
    return value


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    shared = st.one_of(st.just([]), st.lists(st.integers(0, 10_000), max_size=3))
    value = share(draw(documents), draw(shared))
    try:
        text = yaml.dump(
            value,
            Dumper=FuzzDumper,
            sort_keys=False,
            default_flow_style=draw(st.sampled_from([False, True, None])),
            default_style=draw(st.sampled_from([None, None, '"', "'", "|", ">"])),
            allow_unicode=draw(st.booleans()),
            width=draw(st.sampled_from([20, 80, 10_000])),
            indent=draw(st.integers(2, 9)),
            explicit_start=draw(st.booleans()),
            canonical=draw(st.booleans()),
        )
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        assume(False)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        at = draw(st.integers(0, len(text)))
        token = draw(st.sampled_from(DAMAGE))
        if draw(st.booleans()):
            text = text[:at] + token + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_documents())
def test_structured_yaml_documents_give_valid_cards_or_one_line_errors(text: str) -> None:
    result = outcome(text.encode("utf-8", "surrogatepass"))
    # Seen with --hypothesis-show-statistics: how often the fuzzing gets past YAML.
    event("cards" if isinstance(result, DeckFile) and result.cards else
          "a deck without cards" if isinstance(result, DeckFile) else
          "a YAML error" if len(result) == 1 and ("expected" in result[0] or "found" in result[0])
          else "deck errors")


VALID = textwrap.dedent("""\
    deck: 语言 👩‍👩‍👧
    tags: &t [llm, "e\u0301"]
    cards:
      - id: kv
        front: 什么是 KV Cache？ مرحبا
        back: |
          缓存 key/value。
          ```python
          cache = {}
          ```
        tags: *t
      - cloze: "{{c1::预填充::阶段}} 与 {{c2::解码}}"
      - {front: "[bold]a[0][/]", back: '[@click=app.quit]', reverse: yes}
""").encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=3),
                          st.integers(0, 4)), min_size=1, max_size=5))
def test_a_valid_deck_damaged_byte_by_byte_gives_cards_or_one_line_errors(edits) -> None:
    """Bytes replaced, inserted or cut in a deck of multi-byte text: broken UTF-8 in the
    middle of a character, stray BOMs and NULs, a cut-off file."""
    data = VALID
    for where, new, cut in edits:
        at = int(where * len(data))
        data = data[:at] + new + data[at + cut:]
    outcome(data)


def test_the_valid_deck_used_for_damage_is_valid() -> None:
    deck = outcome(VALID)
    assert isinstance(deck, DeckFile) and len(deck.cards) == 5


# -- inputs that must neither hang nor eat the memory ------------------------------------------
#
# Each runs `flashcards check` in a child process with a 20 s timeout and 1 GB of address
# space: a hang or a blow-up fails the test instead of freezing the suite.

CHILD = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from flashcards.cli import main
sys.argv = ["flashcards", "check", sys.argv[1]]
main()
"""


def laughs(levels: int, width: int, use: str) -> str:
    lines = ["deck: x", f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n" + use.format(last=f"*l{levels - 1}") + "\n"


BIG = 10_000_000
# Our own limit, or libyaml's (0.2.6 and later stop at 1,000 levels while parsing).
TOO_DEEP = ("nested more than 50 levels deep", "exceeded maximum nesting depth")
HOSTILE = {
    "billion_laughs": (
        laughs(10, 10, "tags: {last}\ncards:\n  - {{front: {last}, back: {last}}}"),
        "aliases repeat more than"),
    "laughs_as_the_cards": (laughs(9, 10, "cards: {last}"), "aliases repeat more than"),
    "one_big_value_aliased_everywhere": (
        "deck: x\ndescription: &big " + "x" * 99_000 + "\ncards:\n"
        + "".join(f"  - {{front: *big, back: {n}}}\n" for n in range(20_000)),
        "aliases repeat more than"),
    "deep_brackets": ("deck: x\ncards: " + "[" * 10_000 + "]" * 10_000 + "\n", TOO_DEEP),
    "deep_braces": ("deck: x\ncards: " + "{a: " * 10_000 + "}" * 10_000 + "\n", TOO_DEEP),
    "deep_and_never_closed": ("deck: x\ncards: " + "[{" * 10_000 + "\n", ""),
    "deep_block_lists": ("deck: x\ncards:\n" + "- " * 10_000 + "x\n", ""),
    "huge_plain_scalar": ("deck: x\ncards:\n  - front: " + "a" * BIG + "\n    back: b\n",
                          "front is 10,000,000 characters long (at most 100,000)"),
    "huge_quoted_scalar": ('deck: x\ncards:\n  - front: "' + "汉" * BIG + '"\n    back: b\n',
                           "front is 10,000,000 characters long"),
    "huge_block_scalar": ("deck: x\ncards:\n  - back: b\n    front: |\n      "
                          + "b " * (BIG // 2) + "\n", "front is 10,000,001 characters long"),
    "huge_complex_key": ("deck: x\ncards: []\n? " + "k" * BIG + "\n: 1\n", "unknown key 'kkk"),
    "huge_tag": ("deck: x\ncards: !" + "t" * BIG + " []\n", "unknown tag '!ttt"),
    "cloze_with_ten_thousand_deletions": (
        'deck: x\ncards:\n  - cloze: "'
        + "".join(f"{{{{c{n}::a}}}}" for n in range(1, 10_001)) + '"\n',
        "characters long (at most 100,000)"),
    "cloze_making_too_much_text": (
        'deck: x\ncards:\n  - cloze: "'
        + "".join(f"{{{{c{n}::a}}}} " + "x" * 200 for n in range(1, 401)) + '"\n',
        "cloze makes 400 cards of"),
    "fifty_thousand_unknown_keys_in_one_card": (  # each once compared with all: minutes
        "deck: x\ncards:\n  - {front: a, back: b, "
        + ", ".join(f"k{n}: 1" for n in range(50_000)) + "}\n",
        "card 1: unknown key 'k0'"),
    "fifty_thousand_unknown_deck_keys": (
        "deck: x\ncards: []\n" + "".join(f"k{n}: 1\n" for n in range(50_000)),
        "unknown key 'k0'"),
    "a_long_line_of_anchors": ("deck: x\ncards: " + "&a " * 1_000_000 + "[]\n", ""),
    "the_same_anchor_defined_again_and_again": (
        "deck: x\ntags: [" + ", ".join(f"&a t{n}" for n in range(300_000)) + "]\ncards: []\n",
        None),
    "a_long_line_of_aliases": (
        "deck: x\ndescription: &a d\ntags: [" + ", ".join(["*a"] * 300_000) + "]\ncards: []\n",
        None),
    "a_hundred_thousand_tiny_cards": (
        "deck: x\ncards:\n" + "".join(f"  - {{front: q{n}, back: a}}\n" for n in range(100_000)),
        None),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_decks_finish_quickly_in_bounded_memory(name: str, tmp_path: Path) -> None:
    text, expected = HOSTILE[name]
    deck = tmp_path / f"{name}.yaml"
    deck.write_text(text, encoding="utf-8")
    try:
        result = subprocess.run([sys.executable, "-c", CHILD, str(deck)], capture_output=True,
                                timeout=20, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: still parsing after 20 s")
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr[-2000:]
    if expected is None:
        assert result.returncode == 0 and stdout.startswith("ok: 1 decks"), stderr[-2000:]
        return
    assert result.returncode == 1
    *messages, summary = stderr.splitlines()
    assert re.fullmatch(r"[0-9]+ errors?: nothing was changed", summary)
    assert all(line.startswith(f"{deck}:") for line in messages)
    alternatives = expected if isinstance(expected, tuple) else (expected,)
    assert any(text in stderr for text in alternatives), stderr[-2000:]


# -- control characters and other awkward text: the loader ----------------------------------

ESCAPES = ["\\e", "\\x1b", "\\0", "\\a", "\\b", "\\v", "\\f", "\\r", "\\x7f", "\\N", "\\x9b",
           "\\u009b", "\\x01"]


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("where", ["deck", "description", "id", "front", "back", "cloze",
                                   "source", "tags", "key", "tagged"])
def test_escaped_control_characters_are_refused_with_their_line(escape: str, where: str) -> None:
    evil = f'"x{escape}[2J"'
    fields = {
        "deck": "x", "description": "d", "id": "i", "front": "f", "back": "b", "source": "s",
        "tags": "[t]",
    }
    if where in ("cloze",):
        fields.pop("front")
        fields.pop("back")
        evil = f'"{{{{c1::a}}}}{escape}"'
    if where == "key":
        fields[evil] = "1"
    elif where == "tagged":
        fields["front"] = f"!!str {evil}"
    elif where == "tags":
        fields["tags"] = f"[ok, {evil}]"
    else:
        fields[where] = evil
    deck_fields = {k: v for k, v in fields.items() if k in ("deck", "description")}
    card_fields = {k: v for k, v in fields.items() if k not in deck_fields}
    source = "".join(f"{k}: {v}\n" for k, v in deck_fields.items()) + "cards:\n  -\n"
    source += "".join(f"    {k}: {v}\n" for k, v in card_fields.items())
    errors = outcome(source.encode())
    assert isinstance(errors, list)
    line = next(n for n, text in enumerate(source.splitlines(), 1) if escape in text)
    code = ord(yaml.safe_load(f'"{escape}"'))
    assert (f"deck.yaml:{line}: control character U+{code:04X} in a double-quoted string "
            "(text may hold tabs and newlines, no other control characters)") in errors


def test_tabs_newlines_and_other_awkward_text_are_kept_as_written() -> None:
    awkward = [
        "[bold]x[/] a[0] [@click=app.quit]q[/]",  # markup-like
        "مرحبا بالعالم",  # Arabic
        "שלום \u202eevil\u202c",  # Hebrew, a right-to-left override
        "👩‍👩‍👧 🇨🇳 🏳️‍🌈",  # ZWJ sequences, flags
        "e\u0301 Z\u0351\u0352\u0353\u0354a\u0300\u0301\u0302\u0303\u0304lgo",  # combining
        "汉字かなカナ한글",  # wide
        "tab\there\nnewline \u00a0 \u200b \ufeff",  # spaces that are no whitespace to YAML
    ]
    cards = "".join(f"  - front: {json.dumps(text, ensure_ascii=False)}\n"
                    f"    back: {json.dumps(text[::-1], ensure_ascii=False)}\n"
                    for text in awkward)
    deck = outcome(f"deck: 😀\ncards:\n{cards}".encode())
    assert [card.front for card in deck.cards] == awkward


def test_messages_that_quote_the_deck_write_control_characters_as_escapes() -> None:
    errors = outcome(b'deck: x\ncards:\n  - front: a\n    back: b\n    "\\e]0;PWNED\\a": 1\n'
                     b'    tags: [!<tag:%1B]0;T%07%0Ax> t]\n')
    assert errors == [
        ("deck.yaml:5: control character U+001B in a double-quoted string (text may hold tabs"
         " and newlines, no other control characters)"),
        ("deck.yaml:5: card 1: unknown key '\\x1b]0;PWNED\\x07' (expected one of: id, front,"
         " back, cloze, reverse, tags, source, draft)"),
        "deck.yaml:6: unknown tag 'tag:\\x1b]0;T\\x07 x'",
    ]


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_the_command_line_never_prints_a_control_character(tmp_path: Path) -> None:
    """Errors about a file whose name holds ESC, and about a key that holds one."""
    evil = tmp_path / "evil\x1b]0;PWNED\x07.yaml"
    evil.write_bytes(b'deck: x\ncards:\n  - {front: a, back: b, "\\e[2J": 1}\n')
    result = run("check", str(evil))
    assert result.exit_code == 1
    assert not CONTROL_CHARACTER.search(result.output)
    assert "evil\\x1b]0;PWNED\\x07.yaml:3: card 1: unknown key '\\x1b[2J'" in result.output
    result = run("import", str(evil))
    assert result.exit_code == 1 and not CONTROL_CHARACTER.search(result.output)


def test_import_reviews_quotes_what_it_cannot_find_as_escapes(store: Store, tmp_path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"review_id": "r1", "deck": "\x1b]0;PWNED\x07",
                               "card_key": "\x1b[2J", "reviewed_at": "2026-03-10T09:00:00+01:00",
                               "quality": 4}) + "\n", encoding="utf-8")
    result = run("import-reviews", str(log))
    assert result.exit_code == 1 and "PWNED" in result.output
    assert not CONTROL_CHARACTER.search(result.output)


def test_a_draft_never_carries_control_characters_into_a_deck(tmp_path: Path) -> None:
    notes = "# ?what \x1b[2J is\x07 it\n- why\x1b]0;PWNED\x07?\nhttps://example.com/\x1b[0m\n"
    deck = outcome(draft_deck(notes, "\x1b]0;PWNED\x07notes").encode())
    assert deck.name == "]0;PWNEDnotes"
    assert [draft.front for draft in deck.drafts] == [
        "what [2J is it?", "what [2J is it：why]0;PWNED?"]
    named = tmp_path / "\x1b[2J.md"
    named.write_text(notes, encoding="utf-8")
    result = run("draft", str(named), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 0
    assert isinstance(outcome((tmp_path / "out.yaml").read_bytes()), DeckFile)


def test_a_draft_from_a_file_whose_name_makes_no_deck_name_is_a_one_line_error(tmp_path):
    blank = tmp_path / "  .md"
    blank.write_text("# ?q\n", encoding="utf-8")
    result = run("draft", str(blank))
    assert result.exit_code == 1
    assert result.output == f"error: {blank}: the file's name makes no deck name; rename it\n"


# -- control characters that reach the app anyway: Pilot and a real terminal -----------------

# What an old database may hold: every kind of awkward text, terminal sequences included.
EVIL = ("A\x1b[2J B\x1b]0;PWNED\x07 C\x1b[?1049l D\r E\x07 F\x00 G\x08 H\x9b2J I\x85 J\x7f "
        "[bold]K[/] a[0] [@click=app.quit]L[/] שלום \u202eMN\u202c مرحبا 👩‍👩‍👧 🇨🇳 "
        "e\u0301 Z\u0351\u0352a\u0300lgo 漢字")
# The card's own sequences (the app's own escape sequences look like some of them, so these
# are looked for with the letter before them).
SEQUENCES = ["A\x1b[2J", "\x1b]0;", "C\x1b[?1049l", "D\r", "E\x07", "\x00", "G\x08", "\x9b",
             "\x85", "J\x7f"]
VISIBLE = ["PWNED", "[bold]K[/] a[0] [@click=app.quit]L[/]", "שלום", "\u202eMN\u202c",
           "مرحبا", "👩\u200d👩\u200d👧", "🇨🇳", "e\u0301", "Z\u0351\u0352a\u0300lgo", "漢字"]


@pytest.fixture
def evil_store(store: Store, write_deck) -> Store:
    """A card, deck, tag and source holding EVIL, put straight into the database (the
    loader would refuse it)."""
    import_files(store, [write_deck(
        "deck: d\ncards:\n  - {id: a, front: FRONT, back: BACK, tags: [t], source: s}\n")])
    store.conn.execute("UPDATE cards SET front = ?, back = ?, tags = ?, source = ?",
                       ("FRONT " + EVIL, "BACK " + EVIL, json.dumps([EVIL]), EVIL))
    store.conn.execute("UPDATE decks SET name = ?", ("DECK " + EVIL,))
    return store


def drawn(app) -> str:
    """Everything the app would write to the terminal to draw its current screen."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def assert_inert(output: str, visible: list[str] = VISIBLE) -> None:
    for sequence in SEQUENCES:
        assert sequence not in output, repr(sequence)
    for text in visible:
        assert text in output, text


async def test_the_review_shows_control_characters_inert(evil_store: Store) -> None:
    app = make_app(evil_store, start="review")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await pilot.press("space")
        await pilot.pause()
        output = drawn(app)
        assert_inert(output)
        assert output.count("PWNED") >= 5  # header, tags, front, back, source
        await pilot.press("s")  # suspended: the notification quotes the front
        await pilot.pause()
        assert_inert(drawn(app), ["FRONT A[2J B]0;PWNED"])
        assert app.is_running


async def test_home_and_stats_show_control_characters_inert(evil_store: Store) -> None:
    app = make_app(evil_store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one(DataTable).get_row_at(0)[0]).startswith("DECK A\x1b")
        assert_inert(drawn(app), ["DECK A[2J B]0;PWNED"])
        app.push_screen(StatsScreen(evil_store))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert_inert(drawn(app), ["DECK A[2J B]0;PWNED"])


def test_the_command_line_tables_show_control_characters_as_escapes(evil_store: Store) -> None:
    for command in ("decks", "stats"):
        result = run(command)
        assert result.exit_code == 0 and "DECK A\\x1b[2J" in result.output
        assert not CONTROL_CHARACTER.search(result.output)


def test_a_real_terminal_never_receives_the_cards_sequences(evil_store: Store) -> None:
    """`flashcards review` in a pseudo-terminal: the raw bytes it writes hold the card's
    text but none of its sequences (no screen clear, no window title, no leaving the
    alternate screen, no 8-bit CSI)."""
    from pty_app import Terminal, app_env

    evil_store.conn.execute("PRAGMA wal_checkpoint")
    terminal = Terminal([sys.executable, "-m", "flashcards", "--db", str(evil_store.path),
                         "review"], app_env())
    try:
        terminal.wait_for("FRONT A[2J")
        terminal.press(b" ")
        terminal.wait_for("BACK A[2J")
        terminal.read_for(0.3)
        output = terminal.history
    finally:
        terminal.close()
    assert b"PWNED" in output and "👩‍👩‍👧".encode() in output
    for sequence in SEQUENCES:
        assert sequence.encode() not in output, repr(sequence)
    assert not re.search(rb"\x1b\][012];", output)  # no window or icon title at all
    assert b"\x1b[?1049l" not in output  # the app is still running: the screen is its own
    assert b"\xc2\x9b" not in output and b"\xc2\x85" not in output


# -- export -o: no overwriting without --force, no writing where the user did not point ------


@pytest.fixture
def reviewed(store: Store, write_deck) -> Store:
    import_files(store, [write_deck("deck: d\ncards:\n  - {id: a, front: q, back: r}\n")])
    store.answer(store.query("SELECT id FROM cards")[0][0], 4)
    return store


def test_export_through_a_symlink_on_the_command_line(reviewed: Store, tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(precious)
    result = run("export", "-o", str(link))
    assert result.exit_code == 1 and result.output == (
        f"error: {link} exists; use --force to overwrite it\n")
    assert run("export", "-o", str(link), "--force").exit_code == 0
    assert precious.read_text(encoding="utf-8") == "keep"
    assert not link.is_symlink() and link.read_text(encoding="utf-8-sig").startswith("review_id,")


def test_a_dangling_symlink_is_not_followed_to_create_a_file(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "out.csv"
    link.symlink_to(elsewhere / "created.csv")
    with pytest.raises(UserError, match="exists; use --force"):
        write_output("data", str(link), force=False)
    assert list(elsewhere.iterdir()) == []
    write_output("data", str(link), force=True)
    assert list(elsewhere.iterdir()) == [] and link.read_text(encoding="utf-8") == "data"


def test_a_symlink_planted_at_the_temporary_name_is_not_followed(tmp_path, monkeypatch):
    """The file is first written under a temporary name beside the target, created with
    O_EXCL: even a name guessed in advance cannot make it write through a link."""
    fixed = uuid.UUID("12345678123456781234567812345678")
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep", encoding="utf-8")
    planted = tmp_path / f".out.csv.{fixed.hex[:12]}.tmp"
    planted.symlink_to(precious)
    with pytest.raises(FileExistsError):
        write_output("data", str(tmp_path / "out.csv"), force=True)
    assert precious.read_text(encoding="utf-8") == "keep"
    assert planted.is_symlink() and not (tmp_path / "out.csv").exists()
    result = run("export", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert "Traceback" not in result.output and precious.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("force", [False, True])
def test_export_to_a_directory_is_refused(tmp_path: Path, force: bool) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "inside.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(UserError, match="is a directory"):
        write_output("data", str(target), force=force)
    result = run("export", "-o", str(target), *(["--force"] if force else []))
    assert result.exit_code == 2 and "is a directory" in result.output  # click's own check
    assert "Traceback" not in result.output
    assert [p.name for p in target.iterdir()] == ["inside.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

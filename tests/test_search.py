"""The search language against a fixture of every kind of card, the index kept in step with
the cards, and `flashcards cards`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pty_app import Terminal, app_env
from rich.cells import cell_len
from rich.console import Console

from flashcards import schema
from flashcards import sync as sync_module
from flashcards.cli import cli
from flashcards.export import export_text
from flashcards.report import print_cards
from flashcards.search import SearchError, card_ids, compile_search, find_cards
from flashcards.store import Store
from flashcards.sync import import_files

ZH = """\
deck: 中文 基础
tags: [基础]
cards:
  - id: grad
    front: 梯度消失是什么？
    back: 梯度在反向传播中越来越小。
    tags: [深度学习]
  - id: kv
    front: KV Cache 的作用？
    back: 缓存已算过的 K 和 V，避免重复计算。
  - id: whale
    front: 鲸
    back: 一种哺乳动物
  - id: attn
    front: 注意力
    back: attention
    reverse: true
  - id: lora
    cloze: "LoRA 只训练 {{c1::低秩矩阵}}"
"""
GONE = """\
  - id: gone
    front: 退休的卡
    back: 旧
"""
JAVA = """\
deck: Java / Spring
tags: [backend]
cards:
  - id: list
    front: "`List<String>` 里的 `<String>` 是什么？"
    back: 泛型参数。
  - id: arr
    front: "a[0] 的值？"
    back: "1"
  - id: inc
    front: "#include <stdio.h> 做什么？"
    back: 引入头文件。
  - id: quote
    front: 'print("hi") 输出什么？'
    back: hi
  - id: pct
    front: 100% 和 snake_case
    back: 百分号与下划线
  - id: http
    front: What is HTTP?
    back: Hypertext Transfer Protocol
    tags: [web, net-proto]
"""
# The cards of each deck, in file order; a search lists them in the order they were added.
JAVA_KEYS = ["list", "arr", "inc", "quote", "pct", "http"]
ZH_KEYS = ["grad", "kv", "whale", "attn", "attn::reverse", "lora::c1"]
ALL = JAVA_KEYS + ZH_KEYS


def at(day: str, time: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00+01:00")


def ids(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT key, id FROM cards"))


@pytest.fixture
def cards(store: Store, write_deck, monkeypatch) -> Store:
    """Today is 2026-03-10. The Java deck was added on 2026-02-01, the Chinese one today.

    kv: review, due (6 days from 03-02); grad: review, due 03-15; arr: learning, due today;
    inc: lapsed once, learning; http: answered today, learning; list: suspended;
    quote: buried until tomorrow; pct: a leech (8 lapses), so suspended; gone: retired.
    """
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-02-01T09:00:00+01:00")
    import_files(store, [write_deck(JAVA, "java.yaml")])
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-10T09:00:00+01:00")
    zh = write_deck(ZH + GONE, "zh.yaml")
    import_files(store, [zh])
    zh.write_text(ZH, encoding="utf-8")
    import_files(store, [zh])
    card = ids(store)
    answers = [("kv", "2026-03-01", 4), ("kv", "2026-03-02", 4), ("grad", "2026-03-08", 5),
               ("grad", "2026-03-09", 4), ("arr", "2026-03-09", 4), ("inc", "2026-03-01", 4),
               ("inc", "2026-03-02", 4), ("inc", "2026-03-08", 1), ("http", "2026-03-10", 5)]
    for key, day, grade in answers:
        store.answer(card[key], grade, at=at(day, "08:30" if day == "2026-03-10" else "09:00"))
    for number in range(8):  # learnt, then forgotten, eight times: a leech
        store.answer(card["pct"], 4, at=at((date(2026, 2, 1) + timedelta(2 * number)).isoformat()))
        store.answer(card["pct"], 1,
                     at=at((date(2026, 2, 2) + timedelta(2 * number)).isoformat()))
    store.act([card["list"]], "suspend")
    store.act([card["quote"]], "bury", date(2026, 3, 11))
    return store


def keys(store: Store, query: str) -> list[str]:
    return [row[2] for row in find_cards(store, query)]


QUERIES = {
    "": ALL,
    # Chinese: one, two and three characters, longer, and mixed with English
    "鲸": ["whale"],
    "梯": ["grad"],
    "梯度": ["grad"],
    "梯度消": ["grad"],
    "梯度消失是什么": ["grad"],
    "什么": ["grad", "list", "inc", "quote"],
    "是什么": ["grad", "list"],
    "的": ["kv", "list", "arr"],
    "KV Cache 的": ["kv"],  # three terms, each anywhere
    "KV 的作用 缓存": ["kv"],
    '"Cache 的作用"': ["kv"],
    '"kv cache 的"': ["kv"],
    "cache 作用": ["kv"],
    "K 和": ["pct", "kv"],  # the k of snake_case
    "基础": ZH_KEYS,  # a tag
    "深度": ["grad"],
    # Latin text is case-insensitive, and a substring
    "http": ["http"],
    "HyPerText": ["http"],
    "ten": ["attn", "attn::reverse"],
    "a": [*JAVA_KEYS, "kv", "attn", "attn::reverse", "lora::c1"],  # the Java tag: backend
    "zq": [],
    "xyzzy": [],
    # code: brackets, angle brackets, hash, quotes, LIKE's own wildcards taken literally
    "a[0]": ["arr"],
    "[0]": ["arr"],
    "<String>": ["list"],
    '"List<String>"': ["list"],
    "#include": ["inc"],
    "<stdio.h>": ["inc"],
    "#": ["inc"],
    '"print(\\"hi\\")"': ["quote"],
    'print("hi")': ["quote"],
    '"\\""': ["quote"],
    "100%": ["pct"],
    "%": ["pct"],
    "snake_case": ["pct"],
    "e_c": ["pct"],
    "_": ["pct"],
    "{{c1::": [],  # the cloze markup is not in the card's text
    "低秩": ["lora::c1"],
    # negation, or, parentheses, precedence
    "-a": ["grad", "whale"],
    "-基础 -http": ["list", "arr", "inc", "quote", "pct"],
    "梯度 or 鲸": ["grad", "whale"],
    "梯度 OR 鲸 or http": ["grad", "whale", "http"],
    "什么 是 or 鲸": ["grad", "list", "whale"],
    "什么 (是 or 鲸)": ["grad", "list"],
    "-(什么 or a)": ["whale"],
    "-什么 -(a or 鲸)": [],
    "-(-鲸)": ["whale"],
    "((鲸))": ["whale"],
    # fields
    "deck:java*": JAVA_KEYS,
    'deck:"Java / Spring"': JAVA_KEYS,
    'deck:"java / spring" 什么': ["list", "inc", "quote"],
    "deck:中文*": ZH_KEYS,
    "deck:*基础": ZH_KEYS,
    "deck:中文": [],
    "deck:*": ALL,
    "tag:基础": ZH_KEYS,
    "tag:深度学习": ["grad"],
    "tag:深度": [],
    "tag:深度*": ["grad"],
    "tag:*学习": ["grad"],
    "tag:*度学*": ["grad"],
    "tag:WEB": ["http"],
    "tag:net-proto": ["http"],
    "tag:net*": ["http"],
    "tag:*": ALL,
    "-tag:backend": ZH_KEYS,
    "is:new": ["whale", "attn", "attn::reverse", "lora::c1"],
    "is:learning": ["arr", "inc", "http"],
    "is:review": ["grad", "kv"],
    "is:due": ["kv", "arr", "inc"],
    "is:suspended": ["list"],
    "is:buried": ["quote"],
    "is:leech": ["pct"],
    "is:retired": ["gone"],
    "is:retired or 鲸": ["whale", "gone"],
    "退休": [],
    "退休 is:retired": ["gone"],
    "-is:new": ["grad", "kv", "list", "arr", "inc", "quote", "pct", "http"],
    "IS:DUE": ["kv", "arr", "inc"],
    "type:basic": ["grad", "kv", "whale", "attn", "list", "arr", "inc", "quote", "pct", "http"],
    "type:reverse": ["attn::reverse"],
    "type:cloze": ["lora::c1"],
    "prop:ivl>=6": ["grad", "kv"],
    "prop:ivl>6": [],
    "prop:ivl=1": ["arr", "inc", "pct", "http"],
    "prop:ivl!=1": ["grad", "kv", "whale", "attn", "attn::reverse", "lora::c1", "list",
                    "quote"],
    "prop:lapses>2": ["pct"],
    "prop:lapses>=1": ["inc", "pct"],
    "prop:lapses=0": ["grad", "kv", "whale", "attn", "attn::reverse", "lora::c1", "list", "arr",
                      "quote", "http"],
    "prop:ease<2.0": ["inc", "pct"],
    "prop:ease<2.5 prop:ease>=1.5": ["inc"],
    "prop:ease=2.5": ["kv", "whale", "attn", "attn::reverse", "lora::c1", "list", "arr",
                      "quote"],
    "prop:ease>2.5": ["grad", "http"],
    "prop:due<=0": ["kv", "arr", "inc", "pct"],  # the leech's day passed long ago
    "prop:due=1": ["http"],
    "prop:due<=5": ["grad", "kv", "arr", "inc", "pct", "http"],
    "prop:due>=5": ["grad"],
    "prop:due>5": [],
    "prop:due<-1": ["kv", "pct"],
    "-prop:due<=5": ["whale", "attn", "attn::reverse", "lora::c1", "list", "quote"],
    "rated:1": ["http"],
    "rated:2": ["grad", "arr", "http"],
    "rated:3": ["grad", "inc", "arr", "http"],
    "rated:10": ["grad", "kv", "arr", "inc", "http"],
    "added:1": ZH_KEYS,
    "added:37": ZH_KEYS,
    "added:38": ALL,  # the Java deck was added on 2026-02-01
    "-added:1 什么": ["list", "inc", "quote"],
}


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_a_query_finds_these_cards(cards, query):
    expected = QUERIES[query]
    assert keys(cards, query) == sorted(expected, key=[*ALL, "gone"].index)


def test_the_fixture_states(cards):
    status = {row[2]: row[8] for row in find_cards(cards, "is:retired or -is:retired")}
    assert status == {
        "grad": "review", "kv": "review", "whale": "new", "attn": "new", "attn::reverse": "new",
        "lora::c1": "new", "list": "suspended", "arr": "learning", "inc": "learning",
        "quote": "buried", "pct": "leech", "http": "learning", "gone": "retired",
    }



def test_card_ids_sorts_by_each_column_new_cards_last_either_way(cards):
    """The browser's order: by a column, ties by id; new cards (no due day) last."""
    key = {card_id: card_key for card_key, card_id in ids(cards).items()}

    def order(sort: str, descending: bool = False, query: str = "-is:new") -> list[str]:
        return [key[card_id] for card_id in card_ids(cards, query, sort, descending)]

    assert order("added", query="") == [row[2] for row in find_cards(cards, "")]
    assert order("added", True, "") == order("added", query="")[::-1]
    # list (suspended) and quote (buried) were never answered: no due day either
    assert order("due") == ["pct", "kv", "inc", "arr", "http", "grad", "list", "quote"]
    assert order("due", True) == ["grad", "http", "arr", "inc", "kv", "pct", "quote", "list"]
    assert order("due", query="tag:基础")[-4:] == ["whale", "attn", "attn::reverse",
                                                   "lora::c1"]
    assert order("due", True, "tag:基础")[-4:] == ["lora::c1", "attn::reverse", "attn",
                                                   "whale"]
    assert order("interval")[-2:] == ["grad", "kv"]  # 6 days both: by id
    assert order("lapses")[-2:] == ["inc", "pct"]
    assert order("ease")[0] == "pct"
    assert card_ids(cards, "", limit=2) == card_ids(cards, "")[:2]
    with pytest.raises(SearchError):
        card_ids(cards, "is:nwe")


BAD = {
    "is:nwe": "search: unknown is:'nwe' at column 4 (known: new, learning, review, due, "
              "suspended, buried, leech, retired)",
    "梯度 type:note": "search: unknown type:'note' at column 9 (known: basic, reverse, cloze)",
    "prop:size>1": "search: unknown prop:'size' at column 6 (known: ivl, lapses, ease, due)",
    "prop:>1": "search: unknown prop:'>1' at column 6 (known: ivl, lapses, ease, due)",
    "prop:ivl": "search: 'prop:ivl' needs a comparison and a number at column 6 "
                "(like prop:ivl>=3)",
    "prop:ivl>=x": "search: 'prop:ivl>=x' needs a comparison and a number at column 6 "
                   "(like prop:ivl>=3)",
    "prop:ivl>=9999999999": "search: 'prop:ivl>=9999999999' needs a comparison and a number "
                            "at column 6 (like prop:ivl>=3)",
    "prop:lapses>1.5": "search: 'prop:lapses>1.5' needs a whole number at column 6",
    "prop:due<=99999": "search: 'prop:due<=99999' is more than 36500 days away at column 6",
    "rated:0": "search: 'rated:0' needs a whole number of days at column 7 (like rated:7)",
    "rated:x": "search: 'rated:x' needs a whole number of days at column 7 (like rated:7)",
    "added:-1": "search: 'added:-1' needs a whole number of days at column 7 (like added:7)",
    "added:²": "search: 'added:²' needs a whole number of days at column 7 (like added:7)",
    "deck:": "search: 'deck:' needs a value at column 1",
    'a tag:""': "search: 'tag:' needs a value at column 3",
    "(梯度": "search: unmatched '(' at column 1",
    "(a (b)": "search: unmatched '(' at column 1",
    "梯度)": "search: unmatched ')' at column 3",
    ")": "search: unmatched ')' at column 1",
    "a ()": "search: empty parentheses at column 3",
    "or a": "search: 'or' needs a term on each side at column 1",
    "a or": "search: 'or' needs a term on each side at column 3",
    "a or or b": "search: 'or' needs a term on each side at column 3",
    "(a or)": "search: 'or' needs a term on each side at column 4",
    "a - b": "search: '-' needs a term right after it at column 3",
    "a -": "search: '-' needs a term right after it at column 3",
    "-or a": "search: '-' needs a term right after it at column 1",
    "(-)": "search: '-' needs a term right after it at column 2",
    'a "b c': "search: unterminated quote at column 3",
    'deck:"Java': "search: unterminated quote at column 6",
}


@pytest.mark.parametrize("query", BAD, ids=repr)
def test_a_query_that_does_not_parse_says_where(store, query):
    with pytest.raises(SearchError) as error:
        compile_search(store, query)
    assert str(error.value) == BAD[query]


def test_words_with_a_colon_that_name_no_field_are_text(cards):
    assert keys(cards, "std::vector") == []
    assert keys(cards, '"is:new"') == []  # quoted: text, not a field
    assert keys(cards, 'x:"y"') == []


def test_user_text_never_enters_the_sql(store):
    search = compile_search(store, "a'b \"c; DROP TABLE cards\" deck:x'y tag:'")
    assert "'b" not in search.where and "DROP" not in search.where and "x'y" not in search.where
    assert list(find_cards(store, "a'b \"c; DROP TABLE cards\" deck:x'y tag:'")) == []


# Texts of the fixture's cards and tags, to take substrings of.
TEXTS = ("梯度消失是什么？", "梯度在反向传播中越来越小。", "KV Cache 的作用？", "鲸",
         "缓存已算过的 K 和 V，避免重复计算。", "`List<String>` 里的 `<String>` 是什么？",
         "a[0] 的值？", "#include <stdio.h> 做什么？", 'print("hi") 输出什么？',
         "100% 和 snake_case", "Hypertext Transfer Protocol", "深度学习", "net-proto")


def substrings():
    """(text, start, length, upper-cased) for a substring of one of the TEXTS."""
    return st.sampled_from(TEXTS).flatmap(lambda text: st.tuples(
        st.just(text), st.integers(0, len(text) - 1), st.integers(1, 6), st.booleans()))


def ascii_fold(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(substrings())
def test_any_substring_finds_exactly_the_cards_that_hold_it(cards, case):
    text, start, length, upper = case
    needle = text[start:start + length]
    needle = needle.upper() if upper else needle
    quoted = '"' + needle.replace("\\", "\\\\").replace('"', '\\"') + '"'
    holders = [
        key for key, front, back, tags in cards.query(
            "SELECT key, front, back, tags FROM cards WHERE retired = 0 ORDER BY id")
        if any(ascii_fold(needle) in ascii_fold(part) for part in (front, back, *json.loads(tags)))
    ]
    assert keys(cards, quoted) == holders


# -- the index follows the cards ------------------------------------------------------------


def index_terms(store: Store) -> set[tuple[str, int]]:
    return set(store.query("SELECT term, doc FROM card_search_terms"))


def rebuilt_terms(store: Store) -> set[tuple[str, int]]:
    """The index a fresh build from today's cards would hold."""
    conn = store.conn
    conn.execute("CREATE VIRTUAL TABLE temp.fresh USING fts5(text, tokenize='trigram', "
                 "content='', detail='none', columnsize=0)")
    conn.execute("CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(temp, fresh, 'instance')")
    conn.execute(f"INSERT INTO temp.fresh (rowid, text) SELECT id, {schema.search_text('cards')} "
                 "FROM cards")
    terms = set(store.query("SELECT term, doc FROM temp.fresh_terms"))
    conn.execute("DROP TABLE temp.fresh_terms")
    conn.execute("DROP TABLE temp.fresh")
    return terms


def test_the_index_follows_an_import_that_edits_retires_and_adds(cards, write_deck):
    assert index_terms(cards) == rebuilt_terms(cards)
    edited = (ZH.replace("front: 鲸\n", "front: 海豚\n")
              .replace("tags: [深度学习]", "tags: [机器学习]")
              .replace("  - id: lora\n    cloze: \"LoRA 只训练 {{c1::低秩矩阵}}\"\n", "")
              + "  - id: new\n    front: 新卡 rare\n    back: 新\n")
    import_files(cards, [write_deck(edited, "zh.yaml")])
    assert index_terms(cards) == rebuilt_terms(cards)
    assert keys(cards, "鲸") == [] and keys(cards, "海豚") == ["whale"]
    assert keys(cards, "tag:深度学习") == [] and keys(cards, "tag:机器学习") == ["grad"]
    assert keys(cards, "低秩") == [] and keys(cards, "低秩 is:retired") == ["lora::c1"]
    assert keys(cards, "rare") == ["new"]
    import_files(cards, [write_deck(ZH, "zh.yaml")])  # back again, history and all
    assert index_terms(cards) == rebuilt_terms(cards)
    assert keys(cards, "鲸") == ["whale"] and keys(cards, "低秩") == ["lora::c1"]


def many_cards(n: int) -> str:
    """A deck of ``n`` cards, more than one statement writes (sync indexes them at the end)."""
    return "deck: 大\ntags: [大]\ncards:\n" + "".join(
        f"  - id: c{i}\n    front: 第 {i} 题 whale{i}\n    back: 答 {i}\n    tags: [t{i % 3}]\n"
        for i in range(n)
    )


def triggers(store: Store) -> list[tuple[str, str]]:
    return store.query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")


def test_a_big_new_deck_is_indexed_at_the_end_in_step_with_its_cards(cards, write_deck):
    before = triggers(cards)
    n = sync_module._ROWS_PER_STATEMENT * 2 + 1
    import_files(cards, [write_deck(many_cards(n), "big.yaml")])
    assert triggers(cards) == before  # the insert trigger is back, as it was
    assert index_terms(cards) == rebuilt_terms(cards)
    assert keys(cards, f"whale{n - 1}") == [f"c{n - 1}"]
    assert keys(cards, "第 题 tag:t2") == [f"c{i}" for i in range(2, n, 3)]
    import_files(cards, [write_deck(ZH + "  - id: one\n    front: 又一张\n    back: 卡\n", "zh.yaml")])
    assert keys(cards, "又一张") == ["one"]  # a small import: the trigger indexes it


def test_a_big_import_cut_short_leaves_the_trigger_and_the_index_as_they_were(
    cards, write_deck, monkeypatch
):
    before = (triggers(cards), index_terms(cards), cards.query("SELECT count(*) FROM cards"))
    write_rows = sync_module._write_rows
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C after the first rows went in
            raise KeyboardInterrupt
        write_rows(*args)

    monkeypatch.setattr(sync_module, "_write_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_files(cards, [write_deck(many_cards(sync_module._ROWS_PER_STATEMENT * 2 + 1))])
    after = (triggers(cards), index_terms(cards), cards.query("SELECT count(*) FROM cards"))
    assert after == before


def test_answers_and_flags_never_write_to_the_index(cards):
    def index_size():
        return cards.query("SELECT count(*), sum(length(block)) FROM card_search_data")

    before = index_size()
    card = ids(cards)["whale"]
    cards.answer(card, 4)
    cards.act([card], "suspend")
    cards.act([card], "bury", date(2026, 3, 12))
    assert index_size() == before


def test_deleting_a_card_takes_it_out_of_the_index(cards):
    with cards.write():
        cards.conn.execute("DELETE FROM reviews WHERE card_id = ?", (ids(cards)["kv"],))
        cards.conn.execute("DELETE FROM cards WHERE key = 'kv'")
    assert index_terms(cards) == rebuilt_terms(cards)
    assert keys(cards, "缓存") == []


OLD = sorted((Path(__file__).parent / "data").glob("schema-v*.db"))


@pytest.mark.parametrize("fixture", OLD, ids=lambda path: path.stem)
def test_an_old_database_is_searchable_once_migrated(fixture, tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(fixture, db)
    store = Store.open(db)
    assert index_terms(store) == rebuilt_terms(store)
    for query in ("缓", "缓存", "什么是", "KV", "kv cache", '"什么是 KV"'):
        assert keys(store, query) == ["kv"], query


def test_a_short_term_uses_the_index_unless_it_is_common(cards, monkeypatch):
    from flashcards import search

    rare = compile_search(cards, "鲸")
    assert "card_search_terms" in rare.where
    plan = " ".join(row[3] for row in cards.query(
        f"EXPLAIN QUERY PLAN SELECT id FROM cards WHERE {rare.where} ORDER BY id", rare.params))
    assert "SEARCH cards USING INTEGER PRIMARY KEY" in plan and "SCAN cards" not in plan
    monkeypatch.setattr(search, "COMMON_POSTINGS", 2)
    common = compile_search(cards, "什")
    assert "card_search" not in common.where  # a scan finds a page of a common term at once
    assert keys(cards, "什") == ["list", "inc", "quote", "grad"]


def test_search_loads_no_ui():
    code = ("import sys, flashcards.search; "
            "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- flashcards cards -----------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, ["cards", *args])


def test_cards_lists_one_line_per_card(cards):
    result = run("梯度 or is:leech")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["deck", "key", "status", "due", "ivl", "ease", "lapses", "front"]
    assert lines[1].split() == ["Java", "/", "Spring", "pct", "leech", "2026-02-17", "1", "1.30",
                                "8", "100%", "和", "snake_case"]
    assert lines[2].split() == ["中文", "基础", "grad", "review", "2026-03-15", "6", "2.60", "0",
                                "梯度消失是什么？"]
    assert len(lines) == 3


def test_cards_shows_card_text_literally_on_one_line(store, write_deck):
    deck = ('deck: "[bold]d[/]"\ncards:\n'
            '  - {id: a, front: "[red]x[/red] [/foo] [@click=app.quit]\\n第二行", back: b}\n')
    import_files(store, [write_deck(deck)])
    with store.write():  # written before the loader refused control characters
        store.conn.execute("UPDATE cards SET front = front || char(27) || '[2J'")
    lines = run().output.splitlines()
    assert "[bold]d[/]" in lines[1]
    assert lines[1].rstrip().endswith("[red]x[/red] [/foo] [@click=app.quit] 第二行\\x1b[2J")


def test_cards_cuts_the_front_to_the_width(cards):
    out = io.StringIO()
    print_cards(find_cards(cards, ""), Console(file=out, width=80))
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + len(ALL)
    assert all(Console().measure(line).maximum <= 80 for line in lines)
    assert lines[1].rstrip().endswith("  `List…")  # only the front is cut
    assert lines[1].split()[:9] == ["Java", "/", "Spring", "list", "suspended", "-", "0", "2.50",
                                    "0"]


def test_cards_on_a_terminal_lists_a_page_cut_to_its_width(store, write_deck):
    deck = "deck: d\ncards:\n" + "".join(
        f"  - {{id: c{i}, front: 第 {i} 个问题{'很长' * 40}, back: b}}\n" for i in range(60))
    import_files(store, [write_deck(deck)])
    terminal = Terminal([sys.executable, "-m", "flashcards", "cards"],
                        {**app_env(), "COLUMNS": "60"}, size=(60, 40))
    try:
        assert terminal.wait_exit() == 0
    finally:
        terminal.close()
    lines = terminal.text(everything=True).replace("\r\n", "\n").splitlines()
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "the first 50 cards; --limit 0 lists all"
    assert lines[1].split()[:3] == ["d", "c0", "new"] and lines[50].split()[1] == "c49"
    assert all(cell_len(line) <= 60 and line.rstrip().endswith("…") for line in lines[1:51])


def test_cards_json_has_the_columns_of_the_cards_export(cards):
    result = run("deck:java* -is:suspended", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.output)
    exported = {card["card_key"]: card for card in json.loads(
        "".join(export_text(cards, "cards", "json")))}
    assert [card["card_key"] for card in listed] == ["arr", "inc", "quote", "pct", "http"]
    assert listed == [exported[card["card_key"]] for card in listed]
    assert run("鲸鱼", "--json").output == "[]\n"


def test_cards_limit(cards):
    result = run("--limit", "2")
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == "the first 2 cards; --limit 0 lists all\n"
    assert [card["card_key"] for card in json.loads(run("--json", "--limit", "2").stdout)] == [
        "list", "arr"]
    every = run("--limit", "0")
    assert len(every.stdout.splitlines()) == 1 + len(ALL) and every.stderr == ""
    assert len(json.loads(run("--json", "--limit", "3").stdout)) == 3
    assert run("--limit", "-1").exit_code == 2
    too_many = run("--limit", str(2**64))
    assert too_many.exit_code == 2 and "Traceback" not in too_many.output
    assert "is not in the range 0<=x<=" in too_many.stderr
    assert len(run("--limit", str(2**63 - 2)).stdout.splitlines()) == 1 + len(ALL)


def test_cards_takes_a_query_that_starts_with_a_minus(cards):
    result = run("-tag:backend", "--json")
    assert [card["card_key"] for card in json.loads(result.output)] == ZH_KEYS


def test_a_bad_query_is_one_line_and_exit_1(cards):
    result = run("(is:nwe")
    assert result.exit_code == 1
    assert result.output == ("error: search: unknown is:'nwe' at column 5 (known: new, learning, "
                             "review, due, suspended, buried, leech, retired)\n")


def test_cards_on_an_empty_database():
    result = run()
    assert result.exit_code == 0 and result.output == "no cards match\n"

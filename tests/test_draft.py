"""draft_deck: notes -> a YAML deck of draft cards that the deck loader accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.decks import parse_deck
from flashcards.draft import draft_deck

SAMPLE = Path(__file__).parent / "data" / "notes_sample.md"
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def cards_of(notes: str, deck_name: str = "notes") -> list[dict]:
    data = yaml.safe_load(draft_deck(notes, deck_name))
    assert set(data) == {"deck", "cards"}
    return data["cards"]


@pytest.fixture(scope="module")
def sample_cards() -> list[dict]:
    return cards_of(SAMPLE.read_text(encoding="utf-8"), "notes_sample")


def by_front(cards: list[dict]) -> dict[str, dict]:
    return {card["front"]: card for card in cards}


def test_sample_questions_in_order(sample_cards: list[dict]) -> None:
    assert [card["front"] for card in sample_cards] == [
        "RAG 是什么？",
        "思维树和思维图有什么区别？",
        "梯度爆炸、梯度消失？",
        "损失函数的使用？",
        "backbone?",
        "知识密度：为什么小模型越来越强?",
        "向量表征模型 embedding？",
        "向量表征模型 embedding：tokenizer 分词和 embedding 是不是一个功能？",
        "python grpc 流式？",
        "python grpc 流式：原理是什么？",
        "kvCache beam search?",
        "学 C#：什么是委托？",
    ]


def test_every_card_is_a_draft_without_back(sample_cards: list[dict]) -> None:
    for card in sample_cards:
        assert card["draft"] is True
        assert "back" not in card
        assert set(card) <= {"id", "front", "tags", "source", "draft"}


def test_repeated_questions_appear_once(sample_cards: list[dict]) -> None:
    fronts = [card["front"] for card in sample_cards]
    # `## ？梯度爆炸、梯度消失` twice; `# ?backbone` and `# ？backbone` differ only in the mark.
    assert fronts.count("梯度爆炸、梯度消失？") == 1
    assert sum("backbone" in front.lower() for front in fronts) == 1


def test_repeat_merges_the_urls_of_both_places(sample_cards: list[dict]) -> None:
    card = by_front(sample_cards)["梯度爆炸、梯度消失？"]
    assert card["source"] == (
        "梯度爆炸、梯度消失 https://example.com/grad-explode https://example.com/grad-explode-2"
    )


def test_headings_become_tags(sample_cards: list[dict]) -> None:
    cards = by_front(sample_cards)
    assert cards["梯度爆炸、梯度消失？"]["tags"] == ["大图梳理"]
    assert cards["python grpc 流式：原理是什么？"]["tags"] == ["python-grpc-流式"]
    assert cards["学 C#：什么是委托？"]["tags"] == ["学-c"]
    # A question heading does not enclose the next heading: `## 知识密度` after `# ?backbone`.
    assert cards["知识密度：为什么小模型越来越强?"]["tags"] == ["知识密度"]
    for card in sample_cards:
        for tag in card.get("tags", []):
            assert "#" not in tag and "？" not in tag and "?" not in tag and " " not in tag


def test_url_under_question_becomes_source(sample_cards: list[dict]) -> None:
    cards = by_front(sample_cards)
    assert cards["损失函数的使用？"]["source"] == "损失函数的使用 https://example.com/loss"
    # URL on the question's own line, no heading above it.
    assert cards["RAG 是什么？"]["source"] == "https://example.com/rag"
    # A URL with a query string is a source, never a question of its own.
    assert cards["思维树和思维图有什么区别？"]["source"] == "https://example.com/search?q=cot"


def test_question_heading_without_url_has_no_source(sample_cards: list[dict]) -> None:
    cards = by_front(sample_cards)
    assert "source" not in cards["backbone?"]
    assert "source" not in cards["kvCache beam search?"]
    # A question line still says which heading it came from.
    assert cards["python grpc 流式：原理是什么？"]["source"] == "python grpc 流式"


def test_code_blocks_are_not_read(sample_cards: list[dict]) -> None:
    assert not any("问号" in card["front"] for card in sample_cards)


def test_ids_are_stable_unique_kebab_ascii(sample_cards: list[dict]) -> None:
    ids = [card["id"] for card in sample_cards]
    assert len(set(ids)) == len(ids)
    assert all(ID.match(card_id) for card_id in ids)
    assert by_front(sample_cards)["kvCache beam search?"]["id"] == "kvcache-beam-search"
    assert by_front(sample_cards)["RAG 是什么？"]["id"].startswith("q-")
    again = cards_of(SAMPLE.read_text(encoding="utf-8"), "notes_sample")
    assert [card["id"] for card in again] == ids


def test_same_ascii_slug_gets_distinct_ids() -> None:
    cards = cards_of("What is RAG?\nwhat is rag!?\n")
    assert [card["front"] for card in cards] == ["What is RAG?", "what is rag!?"]
    assert cards[0]["id"] == "what-is-rag"
    assert cards[1]["id"].startswith("what-is-rag-") and cards[1]["id"] != cards[0]["id"]


def test_output_validates_with_the_deck_loader() -> None:
    text = draft_deck(SAMPLE.read_text(encoding="utf-8"), "notes_sample")
    deck = parse_deck(text.encode("utf-8"), Path("notes_sample.yaml"))
    assert deck.name == "notes_sample"
    assert deck.cards == []  # drafts are listed, never scheduled
    assert [draft.front for draft in deck.drafts] == [
        card["front"] for card in yaml.safe_load(text)["cards"]
    ]


def test_text_yaml_would_misread_stays_text() -> None:
    notes = "## yes\n\n## 2024\n\nnull?\n\n# on\n\n: no #?\n"
    text = draft_deck(notes, "no")
    data = yaml.safe_load(text)
    assert data["deck"] == "no"
    assert [card["front"] for card in data["cards"]] == ["2024：null?", "on：: no #?"]
    assert data["cards"][0]["tags"] == ["2024"]
    deck = parse_deck(text.encode("utf-8"), Path("x.yaml"))
    assert deck.name == "no"
    assert [draft.front for draft in deck.drafts] == ["2024：null?", "on：: no #?"]


def test_notes_without_questions_give_an_empty_valid_deck() -> None:
    text = draft_deck("# 标题\n\nhttps://example.com\n- 列表\n", "空")
    assert yaml.safe_load(text) == {"deck": "空", "cards": []}
    assert parse_deck(text.encode("utf-8"), Path("x.yaml")).drafts == []


def test_blank_deck_name_is_refused() -> None:
    with pytest.raises(ValueError):
        draft_deck("问题？", "  ")


_PIECES = st.sampled_from(
    [
        "# ",
        "## ",
        "？",
        "?",
        "- ",
        "1. ",
        "https://example.com/a?b=1 ",
        "：",
        ": ",
        " #",
        "{",
        "[",
        "*",
        "&",
        "!",
        "%",
        "@",
        "`",
        "'",
        '"',
        "\\",
        "no",
        "yes",
        "~",
        "```",
        "梯度",
        "embedding",
        " ",
        "\t",
        "C#",
        "---",
        "...",
        "\u00a0",
        "\u3000",
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=8).map("".join)
# Most lines are shaped as questions, so most examples produce cards.
_LINE = st.one_of(
    _TEXT,
    _TEXT.map(lambda text: text + "？"),
    _TEXT.map(lambda text: "# ?" + text),
    _TEXT.map(lambda text: "- " + text + "? https://example.com/x"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=12))
def test_any_notes_give_a_deck_the_loader_accepts(lines: list[str]) -> None:
    notes = "\n".join(lines)
    text = draft_deck(notes, "notes")
    cards = yaml.safe_load(text)["cards"]
    deck = parse_deck(text.encode("utf-8"), Path("notes.yaml"))
    assert [draft.front for draft in deck.drafts] == [card["front"] for card in cards]
    ids = [card["id"] for card in cards]
    assert len(set(ids)) == len(ids) and all(ID.match(card_id) for card_id in ids)

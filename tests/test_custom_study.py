"""Custom study: a sitting over the cards of a search (due ones, as normal reviews), and
cramming (every matching card, answers logged apart, no schedule moved)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from flashcards import cli as cli_module
from flashcards.cli import cli
from flashcards.search import compile_search
from flashcards.session import NEW, REVIEW, Session
from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.tui.app import make_app
from flashcards.tui.widgets.card_view import CardView
from flashcards.tui.widgets.review_header import ReviewHeader

DECK = """\
deck: 面试
cards:
  - id: q1
    front: "开放问题：`a[0]` 与 [bold] 的区别？"
    back: 没有标准答案
    tags: [open-question]
  - id: q2
    front: List<String> 擦除后是什么？
    back: List
    tags: [open-question, java]
  - id: q3
    front: KV Cache 省了什么？
    back: 重复计算的 K、V
    tags: [llm]
  - id: q4
    front: 新卡：LoRA 的秩
    back: r
    tags: [open-question]
"""
LONG_AGO = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def studied(store: Store, write_deck) -> Store:
    """q1, q2, q3 answered a week ago (due again by today); q4 new."""
    import_files(store, [write_deck(DECK)])
    for key in ("q1", "q2", "q3"):
        store.answer(ids(store)[key], 4, at=LONG_AGO)
    return store


def ids(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT key, id FROM cards"))


def keys(store: Store, session: Session) -> list[tuple[str, str]]:
    names = {card_id: key for key, card_id in ids(store).items()}
    return [(names[card_id], kind) for card_id, kind in session.queue]


def every_state(store: Store) -> list[tuple]:
    return [store.cached_row(card_id) for card_id in sorted(ids(store).values())]


def test_a_custom_study_shows_the_due_matching_cards_whatever_the_limits(studied):
    studied.set_config("reviews_per_day", 0)
    studied.set_config("new_per_day", 0)
    assert Session(studied).queue == []  # the daily limit leaves nothing
    session = Session(studied, search=compile_search(studied, "tag:open-question"))
    assert keys(studied, session) == [("q1", REVIEW), ("q2", REVIEW)]
    answer = session.answer(2)  # a normal review: it moves the schedule
    assert not answer.repeat and studied.card(ids(studied)["q1"]).due == "2026-03-11"
    assert keys(studied, session) == [("q2", REVIEW), ("q1", "again")]
    # A new sitting of the same study brings back what was answered below 4 today.
    again = Session(studied, search=compile_search(studied, "tag:open-question"))
    assert keys(studied, again) == [("q2", REVIEW), ("q1", "again")]


def test_a_cram_sitting_shows_every_matching_card_and_leaves_every_state_unchanged(studied):
    before = every_state(studied)
    reviews = studied.query("SELECT * FROM reviews")
    session = Session(studied, search=compile_search(studied, "tag:open-question"), cram=True)
    assert keys(studied, session) == [("q1", REVIEW), ("q2", REVIEW), ("q4", NEW)]
    assert session.intervals() == {}  # no grade moves anything: nothing to preview
    grades = iter([1, 5, 5, 4])
    while session.current:
        assert session.answer(next(grades)).repeat
    assert every_state(studied) == before
    assert studied.query("SELECT * FROM reviews") == reviews
    crammed = studied.query("SELECT quality FROM cram_answers ORDER BY ts")
    assert crammed == [(1,), (5,), (5,), (4,)]  # q1 failed came back once
    assert session.summary().accuracy is None  # no first answer: no accuracy to claim
    assert session.undo() == "answer"
    assert len(studied.query("SELECT * FROM cram_answers")) == 3


def test_cram_answers_are_counted_apart_in_stats_and_exported_apart(studied):
    session = Session(studied, search=compile_search(studied, "\"KV Cache\""), cram=True)
    session.answer(5)
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert '"cram_answers": 1,' in result.output and '"reviews": 3,' in result.output
    exported = CliRunner().invoke(cli, ["export", "--what", "cram", "--format", "jsonl"])
    assert '"card_key": "q3"' in exported.output and '"quality": 5' in exported.output
    assert exported.output.count("\n") == 1


async def test_the_app_cram_sitting_says_cram_and_shows_no_intervals(studied):
    app = make_app(studied, start="review", search=compile_search(studied, "tag:open-question"),
                   cram=True)
    before = every_state(studied)
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.screen.query_one(ReviewHeader)
        assert header.text.startswith("cram 面试  1/3")
        assert app.screen.query_one(CardView).card.front.startswith("开放问题：`a[0]`")
        await pilot.press("space")
        good = app.screen.active_bindings["4"].binding
        assert app.screen.key_label(good) == "good"  # no interval: the schedule stays
        await pilot.press("4", "space", "5")
        assert app.screen.query_one(CardView).card.key == "q4"
    assert every_state(studied) == before
    assert len(studied.query("SELECT * FROM cram_answers")) == 2


def test_review_takes_a_deck_or_a_query_not_both(studied, monkeypatch):
    started = {}
    monkeypatch.setattr(cli_module, "_require_terminal", lambda: None)
    monkeypatch.setattr(cli_module, "_run_app",
                        lambda store, **kwargs: started.update(kwargs))
    both = CliRunner().invoke(cli, ["review", "面试", "--query", "tag:llm"])
    assert both.exit_code == 1
    assert both.output == "error: give a DECK or a --query, not both: deck:NAME goes in it\n"
    bad = CliRunner().invoke(cli, ["review", "--query", "tag:llm or"])
    assert bad.exit_code == 1 and bad.output.startswith("error: search: ")
    assert started == {}
    ok = CliRunner().invoke(cli, ["review", "--query", "tag:open-question", "--cram"])
    assert ok.exit_code == 0, ok.output
    assert started["cram"] and "open-question" in str(started["search"].params.values())
    assert started["start"] == "review" and started["deck"] is None

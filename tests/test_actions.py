"""Card actions (suspend, unsuspend, bury, unbury, forget, reschedule): entries in the log,
replayed with the answers, undone by removing them; and the commands that act on a search."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards.cli import cli
from flashcards.scheduling import ACTIONS, DAY_ACTIONS, LEECH_LAPSES
from flashcards.session import Session
from flashcards.store import Store

DECK = """\
deck: 动作
cards:
  - id: a
    front: "KV Cache 是什么？ `a[0]` [bold]"
    back: 缓存 K 和 V
    tags: [llm]
  - id: b
    front: List<String> 的类型擦除
    back: 运行时只剩 List
    tags: [java]
  - id: c
    front: 显存估算
    back: 参数量 × 2 字节
    tags: [llm, gpu]
"""
FIRST_DAY = datetime(2026, 3, 1, 9, tzinfo=UTC)


def ids(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT key, id FROM cards"))


def replays_to_its_cache(store: Store, card_id: int) -> bool:
    return store.replay(card_id).card_row() == store.cached_row(card_id)


def until_of(action: str) -> date | None:
    return date(2026, 3, 14) if action in DAY_ACTIONS else None


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_then_undo_then_replay_gives_the_same_state(loaded, action):
    card = ids(loaded)["a"]
    for days, grade in enumerate([5, 4, 1, 5]):
        loaded.answer(card, grade, at=FIRST_DAY + timedelta(days=days))
    loaded.act([card], "suspend" if action == "unsuspend" else "unbury", until_of("x"))
    if action == "unbury":
        loaded.act([card], "bury", date(2026, 3, 20))
    before = loaded.cached_row(card)

    (action_id,) = loaded.act([card], action, until_of(action))
    after = loaded.cached_row(card)
    assert after != before and replays_to_its_cache(loaded, card)
    loaded.rebuild_history([card])  # the full replay agrees with what the action wrote
    assert loaded.cached_row(card) == after

    loaded.undo_action(action_id)
    assert loaded.cached_row(card) == before and replays_to_its_cache(loaded, card)


def test_forget_makes_the_card_new_and_keeps_its_log(loaded):
    card = ids(loaded)["a"]
    for days in range(3):
        loaded.answer(card, 5, at=FIRST_DAY + timedelta(days=days))
    loaded.act([card], "forget")
    # New again, but its first answer (the figures' "answers on new cards") is the log's.
    assert loaded.cached_row(card) == (0, 0, 2.5, None, 0, 0, 0, None, None, None,
                                       "2026-03-01", 5)
    assert loaded.query("SELECT count(*) FROM reviews WHERE card_id = ?", (card,)) == [(3,)]
    # The first answer after it is the first of its day, even on a day already answered.
    loaded.answer(card, 4, at=FIRST_DAY + timedelta(days=2, hours=1))
    assert loaded.card(card).state.repetitions == 1 and replays_to_its_cache(loaded, card)


def test_a_leech_comes_back_with_unsuspend_and_is_shown_again(loaded):
    card = ids(loaded)["b"]
    grades = [5, 1] * LEECH_LAPSES
    for days, grade in enumerate(grades):
        loaded.answer(card, grade, at=FIRST_DAY - timedelta(days=len(grades) - days))
    assert loaded.card(card).leech and loaded.card(card).suspended
    assert card not in {card_id for card_id, _ in Session(loaded).queue}
    loaded.act([card], "unsuspend")
    assert card in {card_id for card_id, _ in Session(loaded).queue}
    assert replays_to_its_cache(loaded, card)


# One step of a random history: an answer (a grade, days after the last step), an action, or
# undoing the latest entry of the log.
STEP = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 5), st.integers(0, 3)),
    st.tuples(st.just("act"), st.sampled_from(ACTIONS), st.integers(0, 9)),
    st.tuples(st.just("undo"), st.none(), st.none()),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from("abc"), STEP), max_size=25))
def test_any_history_of_answers_actions_and_undos_replays_to_the_cache(loaded, steps):
    loaded.conn.execute("DELETE FROM reviews")
    loaded.conn.execute("DELETE FROM card_actions")
    loaded.rebuild_history(ids(loaded).values())
    moment, entries = FIRST_DAY, []
    for key, (kind, what, number) in steps:
        card = ids(loaded)[key]
        if kind == "answer":
            moment += timedelta(days=number, minutes=1)
            entries.append(("answer", loaded.answer(card, what, at=moment).review_id))
        elif kind == "act":
            moment += timedelta(minutes=1)
            until = (moment + timedelta(days=number)).date() if what in DAY_ACTIONS else None
            entries.append(("act", loaded.act([card], what, until, at=moment)[0]))
        elif entries:
            undone, entry_id = entries.pop()
            (loaded.undo_answer if undone == "answer" else loaded.undo_action)(entry_id)
        assert replays_to_its_cache(loaded, card)
    cached = {card: loaded.cached_row(card) for card in ids(loaded).values()}
    loaded.rebuild_history(cached)
    assert {card: loaded.cached_row(card) for card in cached} == cached


# -- the commands ------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def states(store: Store) -> dict[str, tuple]:
    return {key: store.cached_row(card) for key, card in ids(store).items()}


def test_an_action_on_several_cards_needs_yes_and_dry_run_only_counts(loaded):
    before = states(loaded)
    refused = run("suspend", "tag:llm")
    assert refused.exit_code == 1
    assert refused.output == ("error: 2 of 2 matching cards would be suspended: add --yes to "
                              "do it, or --dry-run to only count\n")
    counted = run("suspend", "tag:llm", "--dry-run")
    assert counted.exit_code == 0
    assert counted.output == ("2 of 2 matching cards would be suspended; "
                              "0 already are as asked\n")
    assert states(loaded) == before
    assert loaded.query("SELECT count(*) FROM card_actions") == [(0,)]

    done = run("suspend", "tag:llm", "--yes")
    assert (done.exit_code, done.output) == (0, "2 of 2 matching cards suspended\n")
    assert [key for key, row in states(loaded).items() if row[6]] == ["a", "c"]


def test_one_card_needs_no_yes_and_cards_already_as_asked_get_no_entry(loaded):
    assert run("suspend", "显存").output == "1 of 1 matching card suspended\n"
    again = run("suspend", "tag:llm", "--yes")
    assert again.output == "1 of 2 matching cards suspended\n"
    assert loaded.query("SELECT count(*) FROM card_actions") == [(2,)]
    assert run("unsuspend", "is:suspended", "--yes").output == "2 of 2 matching cards unsuspended\n"


def test_reschedule_sets_the_due_day_and_bury_hides_until_tomorrow(loaded):
    result = run("reschedule", "List<String>", "--days", "3")
    assert result.output == "1 of 1 matching card rescheduled (due 2026-03-13)\n"
    assert loaded.card(ids(loaded)["b"]).due == "2026-03-13"
    assert run("bury", "deck:动作", "--yes").exit_code == 0
    assert {row[7] for row in states(loaded).values()} == {"2026-03-11"}
    assert run("cards", "is:buried", "--json").output.count('"card_key"') == 3
    assert run("unbury", "is:buried", "--yes").output == "3 of 3 matching cards unburied\n"


@pytest.mark.parametrize(("args", "message"), [
    (("suspend", "nothing-like-this"), "error: no card matches 'nothing-like-this'\n"),
    (("forget", "(tag:llm"), "error: search: unmatched '(' at column 1\n"),
    (("reschedule", "tag:llm", "--yes"), "Missing option '--days'"),
    (("reschedule", "tag:llm", "--days", str(2**64)), "Invalid value for '--days'"),
    (("reschedule", "tag:llm", "--days", "-1"), "Invalid value for '--days'"),
])
def test_bad_actions_are_one_line_and_change_nothing(loaded, args, message):
    before = states(loaded)
    result = run(*args)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
    assert states(loaded) == before

"""The card browser, driven with Pilot: open, search, select, sort, mark, act, undo, edit,
study these, and the way back into a review; plus its table and history pieces alone."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import date
from pathlib import Path

from pilot_helpers import card_sides
from textual.widgets import Input, Static

from flashcards.model import LogEntry
from flashcards.store import Store
from flashcards.tui.app import FlashcardsApp, make_app
from flashcards.tui.screens.browser import BrowserScreen
from flashcards.tui.screens.home import HomeScreen
from flashcards.tui.screens.review import ReviewScreen
from flashcards.tui.widgets.card_history import (
    chart_values,
    due_label,
    history,
    interval_chart,
)
from flashcards.tui.widgets.card_table import CardTable, fit
from flashcards.tui.widgets.card_view import CardView
from flashcards.tui.widgets.key_footer import KeyFooter

TODAY = date(2026, 3, 10)
SIZE = (120, 36)

DECK = """\
deck: 基础
cards:
  - id: one
    front: Front one
    back: Back one
    tags: [alpha]
  - id: two
    front: "Why does `a[0]` differ from [bold]a[/bold]?"
    back: "[@click=app.quit]x[/] and List<T>"
    tags: [beta]
  - id: three
    front: 梯度是什么？
    back: "---"
    tags: [alpha, 中文]
"""


def key(store: Store, card_key: str) -> int:
    return store.query("SELECT id FROM cards WHERE key = ?", (card_key,))[0][0]


async def settle(pilot) -> None:
    """Let the workers (search, the card's render) finish and the screen show it."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_browser(pilot) -> BrowserScreen:
    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BrowserScreen)
    return pilot.app.screen


async def search(pilot, query: str) -> None:
    """Type a query in the search box and press enter."""
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).value = ""
    await pilot.press(*query, "enter")
    await settle(pilot)


def keys_of(app: FlashcardsApp) -> list[str]:
    table = app.screen.query_one(CardTable)
    return [table.row(card_id)["card_key"] for card_id in table.ids]


def status_text(app: FlashcardsApp) -> str:
    return str(app.screen.query_one("#browser-status", Static).render())


def footer_text(app: FlashcardsApp) -> str:
    return "\n".join(line.plain for line in app.screen.query_one(KeyFooter).lines(300))


def shown_front(app: FlashcardsApp) -> str:
    return card_sides(app.screen.query_one(CardView))[0]


def table_line(app: FlashcardsApp, y: int) -> str:
    return app.screen.query_one(CardTable).render_line(y).text


# -- opening, searching, selecting ---------------------------------------------------------


async def test_slash_on_home_opens_the_browser_with_the_search_box_focused(loaded):
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        screen = await open_browser(pilot)
        assert isinstance(screen.focused, Input)
        assert keys_of(app) == ["one", "two", "three"]
        assert status_text(app).startswith("3 cards")
        assert shown_front(app) == "Front one"
        assert footer_text(app) == "esc back"  # the search box has every other key
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_search_then_select_shows_the_card_its_facts_and_history(loaded):
    two = key(loaded, "two")
    loaded.answer(two, 4)
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "tag:alpha or tag:beta")
        assert keys_of(app) == ["one", "two", "three"]
        assert app.screen.focused is app.screen.query_one(CardTable)  # enter handed it over
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.query_one(CardTable).current_id == two
        # As written: no markup read, no character swallowed (the review's rules).
        assert shown_front(app) == "Why does a[0] differ from [bold]a[/bold]?"
        view = app.screen.query_one(CardView)
        assert view.revealed and view.card.id == two
        facts = str(app.screen.query_one("#card-facts", Static).render())
        assert "基础" in facts and f"{Path(loaded.card(two).file).name}:7" in facts
        assert "beta" in facts and "learning" in facts and "due 2026-03-11 (in 1d)" in facts
        answers = str(app.screen.query_one("#card-answers", Static).render())
        assert "2026-03-10  4 good" in answers and "→ 1d" in answers
        assert "Why does `a[0]` differ from [bold]a[/bold]?" in table_line(app, 2)


async def test_a_chinese_search_and_one_that_does_not_parse(loaded):
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "梯")
        assert keys_of(app) == ["three"]
        await search(pilot, "is:nwe")
        assert status_text(app).startswith("error: search: unknown is:'nwe' at column 4")
        assert keys_of(app) == ["three"]  # the last good search stays
        assert app.is_running


async def test_a_search_shows_its_first_page_before_every_card_is_counted(loaded,
                                                                          monkeypatch):
    from flashcards.tui.screens import browser

    monkeypatch.setattr(browser, "FIRST_PAGE", 2)
    seen = []
    found = BrowserScreen.on_cards_found

    def spy(screen, message):
        found(screen, message)
        seen.append((len(message.ids), message.complete, status_text(screen.app)))

    monkeypatch.setattr(BrowserScreen, "on_cards_found", spy)
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "-梯度")
    assert seen == [
        (2, False, "2+ cards, counting…"), (3, True, "3 cards  ·  sorted by added ▲"),
        (2, False, "2+ cards, counting…"), (2, True, "2 cards  ·  sorted by added ▲")]


async def test_o_sorts_by_due_interval_ease_lapses_and_O_reverses(loaded):
    loaded.answer(key(loaded, "three"), 5)  # due in 1 day
    loaded.answer(key(loaded, "two"), 1)  # due in 1 day too, ease lower
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "")
        await pilot.press("o")  # due: new cards last
        await settle(pilot)
        assert keys_of(app) == ["two", "three", "one"]
        assert "due ▲" in table_line(app, 0)
        await pilot.press("o", "o")  # interval, then ease
        await settle(pilot)
        assert "sorted by ease ▲" in status_text(app)
        assert keys_of(app) == ["two", "one", "three"]
        await pilot.press("O")
        await settle(pilot)
        assert keys_of(app) == ["three", "one", "two"]
        assert app.screen.query_one(CardTable).current_id == key(loaded, "one")  # kept


async def test_a_click_on_a_header_sorts_and_on_a_row_selects(loaded):
    loaded.answer(key(loaded, "three"), 5)
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await pilot.click(CardTable, offset=(26, 0))  # the header of the due column
        await settle(pilot)
        assert "sorted by due ▲" in status_text(app) and keys_of(app) == ["three", "one", "two"]
        await pilot.click(CardTable, offset=(26, 0))  # again: the other way
        await settle(pilot)
        assert "sorted by due ▼" in status_text(app)
        await pilot.click(CardTable, offset=(40, 3))  # the third row
        await settle(pilot)
        assert app.screen.query_one(CardView).card.id == app.screen.query_one(CardTable).ids[2]


async def test_space_marks_cards_and_the_status_counts_them(loaded):
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "")
        await pilot.press("space", "down", "space")
        table = app.screen.query_one(CardTable)
        assert table.selection() == [key(loaded, "one"), key(loaded, "three")]
        assert "2 marked" in status_text(app)
        assert table_line(app, 1).startswith("•") and table_line(app, 2).startswith(" ")


# -- actions and undo ----------------------------------------------------------------------


def state(store: Store, card_key: str) -> tuple:
    card = store.card(key(store, card_key))
    buried = store.query("SELECT buried_until FROM cards WHERE key = ?", (card_key,))[0][0]
    return card.suspended, buried, card.due, card.repetitions, card.lapses


async def test_unsuspend_a_suspended_card_then_undo(loaded):
    two = key(loaded, "two")
    loaded.act([two], "suspend")
    suspended = state(loaded, "two")
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "is:suspended")
        assert keys_of(app) == ["two"]
        text = footer_text(app)
        assert "s unsuspend" in text and "s suspend" not in text and "u undo" not in text
        await pilot.press("s")
        await settle(pilot)
        assert not loaded.card(two).suspended
        # Out of the search now, but still in view (as in Anki), its row read again.
        assert keys_of(app) == ["two"]
        assert "s suspend" in footer_text(app) and "u undo" in footer_text(app)
        await pilot.press("u")
        await settle(pilot)
        assert keys_of(app) == ["two"]
        assert "s unsuspend" in footer_text(app) and "u undo" not in footer_text(app)
        assert state(loaded, "two") == suspended
        await pilot.press("s")
        await settle(pilot)
        await search(pilot, "is:suspended")  # searching again leaves it out
        assert keys_of(app) == []
    assert not loaded.card(two).suspended


async def test_marked_cards_are_buried_together_and_one_undo_takes_it_back(loaded):
    before = [state(loaded, card_key) for card_key in ("one", "two", "three")]
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "")
        await pilot.press("space", "down", "space", "b")
        await settle(pilot)
        assert [state(loaded, k)[1] for k in ("one", "two", "three")] == [
            "2026-03-11", None, "2026-03-11"]
        await pilot.press("up", "up")  # on one, buried: b unburies
        assert "b unbury" in footer_text(app)
        await pilot.press("u")
        await settle(pilot)
    assert [state(loaded, card_key) for card_key in ("one", "two", "three")] == before


async def test_forget_and_a_new_due_day(loaded):
    one = key(loaded, "one")
    loaded.answer(one, 5)
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "tag:alpha")
        await pilot.press("space", "space", "d")  # one and three marked
        await pilot.press(*"12", "enter")
        await settle(pilot)
        assert loaded.card(one).due == "2026-03-22"
        assert loaded.card(key(loaded, "three")).due == "2026-03-22"
        await pilot.press("home", "f")
        await settle(pilot)
        assert "f forget" not in footer_text(app)  # new again: nothing left to forget
        answers = str(app.screen.query_one("#card-answers", Static).render()).splitlines()
        assert answers == ["1 answer", "2026-03-10  5 perfect     → 1d",
                           "2026-03-10  reschedule: due 2026-03-22", "2026-03-10  forget"]
    card = loaded.card(one)
    assert (card.due, card.repetitions, card.lapses) == (None, 0, 0)


async def test_a_due_day_that_is_not_a_number_is_refused(loaded):
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "")
        await pilot.press("d")
        await pilot.press(*"99999", "enter")
        assert "from 0 to 36500" in str(app.screen.query_one("#due-days-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
    assert loaded.card(key(loaded, "one")).due is None


# -- review -> browser -> review -------------------------------------------------------------


async def test_the_review_opens_the_browser_and_comes_back_to_the_same_card(loaded):
    app = make_app(loaded, start="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "4")  # one answered; two is on screen, revealed
        await pilot.press("space")
        review = app.screen
        session, card = review.session, review.session.current
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        await search(pilot, "tag:alpha")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review and review.session is session
        assert session.current == card and review.query_one(CardView).revealed
        await pilot.press("5")
    assert [row[0] for row in loaded.query("SELECT card_id FROM reviews ORDER BY ts")] == [
        key(loaded, "one"), card.id]


async def test_a_card_suspended_in_the_browser_leaves_the_sitting(loaded):
    app = make_app(loaded, start="review")
    async with app.run_test(size=SIZE) as pilot:
        review = app.screen
        await pilot.press("slash")
        await settle(pilot)
        await search(pilot, "Front")  # one, on the cursor: the review's current card
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review
        assert review.session.current.id == key(loaded, "two")
        assert review.query_one(CardView).card.id == key(loaded, "two")
        assert not review.query_one(CardView).revealed


async def test_a_card_edited_in_the_browser_is_shown_as_it_is_now_in_the_review(
        loaded, tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\npath = pathlib.Path(sys.argv[-1])\n"
                      "path.write_text(path.read_text().replace('Front one', 'Front 1'))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = make_app(loaded, start="review")
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", nullcontext)  # no terminal to hand over here
        await pilot.press("slash")
        await settle(pilot)
        await search(pilot, "")
        await pilot.press("e")
        await settle(pilot)
        assert shown_front(app) == "Front 1"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.query_one(CardView).card.front == "Front 1"


# -- study these ---------------------------------------------------------------------------


async def test_r_studies_the_due_cards_of_the_search(loaded, monkeypatch):
    for card_key in ("one", "two", "three"):
        loaded.answer(key(loaded, card_key), 4)
    monkeypatch.setenv("FLASHCARDS_NOW", "2026-03-11T09:00:00+01:00")  # all due today
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "tag:alpha")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert [card_id for card_id, _ in app.screen.session.queue] == [
            key(loaded, "one"), key(loaded, "three")]


async def test_a_opens_the_add_form_from_the_browser(loaded):
    from flashcards.tui.screens.add_card import AddCardScreen

    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot)
        await search(pilot, "")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddCardScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)


# -- the pieces ----------------------------------------------------------------------------


async def test_the_table_reads_only_the_pages_it_shows():
    """100,000 ids: drawing the screen and jumping to the end reads two pages, not 100,000
    rows."""
    asked: list[list[int]] = []

    def fetch(ids: list[int]) -> dict:
        asked.append(ids)
        return {card_id: {"front": f"card {card_id}", "card_key": str(card_id)}
                for card_id in ids}

    from textual.app import App

    class One(App):
        def compose(self):
            yield CardTable(fetch)

    app = One()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(CardTable)
        table.show(list(range(1, 100_001)), "added", False)
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert table.current_id == 100_000
        assert "card 100000" in table.render_line(table.size.height - 1).text
        assert sum(len(ids) for ids in asked) <= 4 * 64


def test_fit_counts_wide_characters_and_cuts_with_an_ellipsis():
    assert fit("梯度是什么", 6) == "梯度 …"  # six cells: a wide character does not fit in one
    assert fit("ab", 4) == "ab  " and fit("7", 3, right=True) == "  7"


def test_chart_values_keep_the_longest_interval_of_each_column():
    assert chart_values([1, 6, 15], 10) == [1, 6, 15]
    assert chart_values([1, 2, 3, 4, 5, 6], 3) == [2, 4, 6]


def test_history_lines_and_the_interval_chart():
    log = [LogEntry("2026-03-01", 4, interval=1), LogEntry("2026-03-01", 2, True, 1),
           LogEntry("2026-03-01", action="bury", until="2026-03-02"),
           LogEntry("2026-03-02", 5, interval=6), LogEntry("2026-03-03", 1, cram=True),
           LogEntry("2026-03-04", action="suspend")]
    lines = history(log).plain.splitlines()
    assert lines == ["4 answers", "2026-03-01  4 good        → 1d",
                     "2026-03-01  2 hard wrong  (repeat)", "2026-03-01  bury until 2026-03-02",
                     "2026-03-02  5 perfect     → 6d", "2026-03-03  1 wrong       (cram)",
                     "2026-03-04  suspend"]
    assert interval_chart(log, 20).plain.splitlines() == [
        "interval, up to 6d", " █", " █", "▄█"]
    assert due_label("2026-03-08", TODAY) == "2026-03-08 (2d overdue)"
    assert due_label(None, TODAY) == "-"


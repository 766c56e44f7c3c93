"""The add-a-card form, driven with Pilot: from home, from a review (the sitting goes on),
Chinese input, a card that cannot be added, leaving without adding."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import wait_until
from textual.widgets import Input, Select, TextArea

from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.tui.app import make_app
from flashcards.tui.screens.add_card import AddCardScreen
from flashcards.tui.screens.home import HomeScreen
from flashcards.tui.screens.review import ReviewScreen
from flashcards.tui.widgets.card_view import CardView

DECK = """\
deck: 基础
# a comment that stays
cards:
  - id: one
    front: Front one
    back: Back one
  - id: two
    front: Front two
    back: Back two
"""
OTHER = "deck: '[bold]other'\ncards:\n  - front: x\n    back: y\n"
SIZE = (100, 34)


@pytest.fixture
def loaded(store: Store, deck_path: Path, write_deck) -> Store:
    import_files(store, [deck_path, write_deck(OTHER, "other.yaml")])
    return store


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def fronts(store: Store, deck: str = "基础") -> list[str]:
    return [front for (front,) in store.query(
        "SELECT front FROM cards JOIN decks ON decks.id = deck_id WHERE decks.name = ? "
        "ORDER BY cards.id", (deck,))]


async def fill(pilot, front: str, back: str, tags: str = "") -> None:
    """Type into the form's boxes as a user would (a new line with enter)."""
    screen = pilot.app.screen
    assert isinstance(screen, AddCardScreen)
    screen.query_one("#add-front", TextArea).focus()
    await pilot.press(*keys(front))
    screen.query_one("#add-back", TextArea).focus()
    await pilot.press(*keys(back))
    screen.query_one("#add-tags", Input).focus()
    await pilot.press(*keys(tags))


def keys(text: str) -> list[str]:
    return ["enter" if char == "\n" else char for char in text]


async def test_a_on_home_adds_a_chinese_card_to_the_selected_deck(loaded, deck_path):
    before = deck_path.read_bytes()
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "a")  # the second deck, 基础 (sorted after "[bold]other")
        screen = app.screen
        assert isinstance(screen, AddCardScreen)
        assert screen.query_one("#add-deck", Select).value == "基础"
        assert screen.query_one("#add-front", TextArea).has_focus
        await fill(pilot, "什么是[bold]梯度?", "损失对参数的导数", "数学, 基础")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(pilot)
        assert fronts(loaded)[-1] == "什么是[bold]梯度?"
        text = deck_path.read_bytes()
        assert text.startswith(before)
        assert "tags: [数学, 基础]" in text.decode()
        total = app.screen.query_one("DataTable").get_row_at(1)[3]
        assert str(total) == "3"


async def test_a_in_a_review_adds_a_card_and_the_sitting_goes_on_with_the_same_card(loaded):
    app = make_app(loaded, deck="基础", start="review")
    async with app.run_test(size=SIZE) as pilot:
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("space")
        shown = review.query_one(CardView).card
        assert shown.front == "Front one" and review.revealed
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, AddCardScreen)
        assert form.query_one("#add-deck", Select).value == "基础"
        form.query_one("#add-type", Select).value = "reverse"
        await fill(pilot, "up\nline two", "down")  # enter makes a new line in the front
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is review)
        assert review.query_one(CardView).card.id == shown.id and review.revealed
        assert fronts(loaded)[-2:] == ["up\nline two", "down"]
        await pilot.press("4")  # the sitting goes on: the next card of the same queue
        assert review.query_one(CardView).card.front == "Front two"
        assert loaded.query("SELECT count(*) FROM reviews") == [(1,)]


async def test_a_card_that_cannot_be_added_is_said_in_the_form_and_nothing_changes(
        loaded, deck_path):
    before = deck_path.read_bytes()
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "a")
        await fill(pilot, "Front one", "again")  # that front is taken
        await pilot.press("ctrl+s")
        form = app.screen
        await wait_until(pilot, lambda: not form.adding)
        assert isinstance(app.screen, AddCardScreen)
        status = str(form.query_one("#add-status").render())
        assert "duplicate front (first at line 5)" in status
        form.query_one("#add-type", Select).value = "cloze"
        await pilot.pause()
        assert "{{c1::answer}}" in str(form.query_one("#add-front-label").render())
        await pilot.press("ctrl+s")  # a cloze without a deletion
        await wait_until(pilot, lambda: not form.adding)
        assert "cloze has no deletion" in str(form.query_one("#add-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    assert deck_path.read_bytes() == before
    assert fronts(loaded) == ["Front one", "Front two"]


async def test_the_deck_picker_shows_markup_as_written(loaded):
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        picker = app.screen.query_one("#add-deck", Select)
        assert picker.value == "[bold]other"
        assert "[bold]other" in str(picker.query_one("SelectCurrent Static").render())


async def test_with_no_deck_file_the_form_says_so_and_adds_nothing(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        assert "import one first" in str(app.screen.query_one("#add-status").render())
        await pilot.press("ctrl+s", "escape")
        assert isinstance(app.screen, HomeScreen)


async def test_the_form_hands_the_added_card_to_whoever_opened_it(loaded):
    got = []
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.add_card("基础", got.append)
        await pilot.pause()
        await fill(pilot, "hello", "world")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: got)
        app.add_card(None, got.append)
        await pilot.pause()
        await pilot.press("escape")
    assert got[0].id == "hello" and got[0].deck == "基础" and got[1] is None


def test_snapshot_of_the_form_over_a_review(loaded, snap_compare):
    async def fill_in(pilot) -> None:
        await pilot.press("space", "a")
        await fill(pilot, "什么是梯度\n[bold]not bold[/bold]", "损失对参数的导数", "数学, 基础")

    app = make_app(loaded, deck="基础", start="review")
    assert snap_compare(app, terminal_size=(90, 24), run_before=fill_in)

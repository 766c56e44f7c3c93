"""The review app, driven with Pilot: reveal, grades, undo, suspend, bury, edit, summary, home."""

from __future__ import annotations

import gc
import sqlite3
import sys
import threading
import time
from contextlib import nullcontext, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pilot_helpers import card_sides, wait_until
from textual.widgets import DataTable
from textual.worker import WorkerFailed

from flashcards import paths, schema
from flashcards.cli import cli
from flashcards.scheduling import LEECH_LAPSES
from flashcards.session import AGAIN, Session
from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.text import format_interval
from flashcards.tui.app import FlashcardsApp, make_app
from flashcards.tui.editing import editor_command
from flashcards.tui.screens.home import HomeScreen
from flashcards.tui.screens.review import YOUNG_OBJECTS, ReviewScreen
from flashcards.tui.screens.summary import SummaryScreen
from flashcards.tui.widgets.card_view import AHEAD_DELAY, CardView
from flashcards.tui.widgets.key_footer import KeyFooter
from flashcards.tui.widgets.review_header import ReviewHeader

TODAY = date(2026, 3, 10)  # conftest's FLASHCARDS_NOW, before the 4 am rollover: same day

DECK = """\
deck: 基础
cards:
  - id: one
    front: Front one
    back: Back one
  - id: two
    front: Front two
    back: Back two
  - id: three
    front: Front three
    back: Back three
"""

SIZE = (100, 30)


def review_app(store: Store, deck: str | None = None) -> FlashcardsApp:
    return make_app(store, deck=deck, start="review")


def front(app: FlashcardsApp) -> str:
    return app.screen.query_one(CardView).card.front


def footer_text(app: FlashcardsApp) -> str:
    return "\n".join(line.plain for line in app.screen.query_one(KeyFooter).lines(200))


async def settle(pilot) -> None:
    """Let the home screen's worker read the decks and the screen show them."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def log(store: Store) -> list[tuple]:
    return store.query(
        "SELECT cards.key, quality, repeat FROM reviews JOIN cards ON cards.id = card_id "
        "ORDER BY ts, reviews.rowid"
    )


# -- review: front, reveal, grades -----------------------------------------------------------


async def test_front_first_then_space_reveals_the_back(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(CardView)
        assert isinstance(app.screen, ReviewScreen)
        assert card_sides(view) == ("Front one", "")
        assert not view.revealed
        assert "show answer" in footer_text(app) and "good" not in footer_text(app)
        await pilot.press("space")
        assert view.revealed
        assert card_sides(view) == ("Front one", "Back one")
        assert "show answer" not in footer_text(app)


async def test_enter_reveals_too(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert app.screen.query_one(CardView).revealed


async def test_grades_are_refused_before_the_reveal(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"012345")
        assert log(loaded) == []
        assert front(app) == "Front one"


@pytest.mark.parametrize("quality", range(6))
async def test_every_grade_is_saved_and_shows_the_next_card(loaded, quality):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", str(quality))
        assert log(loaded) == [("one", quality, 0)]  # committed before the next card shows
        assert front(app) == "Front two"
        assert not app.screen.query_one(CardView).revealed
        session = app.screen.session
        assert session.counts()[AGAIN] == (1 if quality < 4 else 0)


async def test_footer_shows_each_grade_with_label_and_interval(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        text = footer_text(app)
        for item in ("0 blackout 1d", "1 wrong 1d", "2 hard wrong 1d", "3 hard 1d",
                     "4 good 1d", "5 perfect 1d", "s suspend", "b bury", "e edit"):
            assert item in text
        assert "u undo" not in text  # nothing to undo yet: the key is not offered


def test_interval_format():
    assert [format_interval(d) for d in (1, 6, 29, 45, 400)] == [
        "1d", "6d", "29d", "1.5mo", "1.1y"]


async def test_a_card_graded_below_4_comes_back_until_it_gets_4(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "2")  # one: again
        await pilot.press("space", "4", "space", "5")  # two, three
        assert front(app) == "Front one"
        assert app.screen.session.current_kind == AGAIN
        await pilot.press("space", "3")  # still below 4: again
        assert front(app) == "Front one"
        await pilot.press("space", "4")
        assert isinstance(app.screen, SummaryScreen)
    assert log(loaded) == [
        ("one", 2, 0), ("two", 4, 0), ("three", 5, 0), ("one", 3, 1), ("one", 4, 1)]
    card = next(loaded.iter_cards("cards.key = 'one'"))
    assert (card.repetitions, card.interval) == (0, 1)  # only the first answer moved it


async def test_header_shows_deck_position_and_counts(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        header = app.screen.query_one(ReviewHeader)
        assert header.text.startswith("基础  1/3 ")
        assert "new 3  review 0  again 0" in header.text
        await pilot.press("space", "1")
        assert "2/4 " in header.text
        assert "new 2  review 0  again 1" in header.text


async def test_header_fits_its_width_and_takes_a_new_theme_s_colours(store, write_deck):
    import_files(store, [write_deck(DECK.replace("基础", "机器学习基础 [bold] 很长的牌组名字"))])
    app = review_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.screen.query_one(ReviewHeader)
        line = header.render_line(0)
        assert line.cell_length == header.content_region.width
        assert header.text.startswith("机器学习基础 [bold] 很长的牌组名字  1/3 ━")
        again = next(segment for segment in line if segment.text == "0")
        await pilot.resize_terminal(44, 30)
        assert header.text.startswith("机器学习 …  1/3   new 3")  # no bar; the name cut
        assert header.render_line(0).cell_length == header.content_region.width == 42
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        await pilot.pause()
        repainted = next(segment for segment in header.render_line(0) if segment.text == "0")
        assert repainted.style != again.style


# -- undo, suspend, bury -------------------------------------------------------------------


async def test_undo_brings_the_card_back_with_its_state_and_log(loaded):
    before = next(loaded.iter_cards("cards.key = 'one'"))
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "5")
        assert front(app) == "Front two"
        assert "u undo" in footer_text(app)
        await pilot.press("u")
        assert front(app) == "Front one"
        assert not app.screen.query_one(CardView).revealed
        assert "u undo" not in footer_text(app)
    assert log(loaded) == []
    assert next(loaded.iter_cards("cards.key = 'one'")) == before


async def test_suspend_and_bury_take_the_card_out_and_can_be_undone(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert front(app) == "Front two"
        await pilot.press("b")
        assert front(app) == "Front three"
        rows = dict(loaded.query("SELECT key, suspended FROM cards"))
        assert rows == {"one": 1, "two": 0, "three": 0}
        buried = dict(loaded.query("SELECT key, buried_until FROM cards"))
        assert buried["two"] == "2026-03-11"
        await pilot.press("u")  # unbury two
        assert front(app) == "Front two"
        assert dict(loaded.query("SELECT key, buried_until FROM cards"))["two"] is None
    assert Session(loaded).counts()["new"] == 2  # one stays suspended, two is back


# -- limits, summary ------------------------------------------------------------------------


async def test_daily_new_limit_ends_the_review_early(loaded):
    loaded.set_config("new_per_day", 2)
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        assert "1/2 " in app.screen.query_one(ReviewHeader).text
        await pilot.press("space", "5", "space", "4")
        assert isinstance(app.screen, SummaryScreen)
    # a second sitting the same day has nothing left under the limit
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        text = str(app.screen.query_one("#summary Static").render())
        assert "Nothing to review right now" in text


async def test_summary_after_the_last_card(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "5", "space", "4", "space", "3", "space", "5")
        assert isinstance(app.screen, SummaryScreen)
        text = " ".join(str(app.screen.query_one("#summary Static").render()).split())
        assert "Cards reviewed 3 (4 answers)" in text
        assert "Accuracy 100%" in text
        assert "Due tomorrow 3" in text
        assert "5 perfect 2" in text and "4 good 1" in text and "3 hard 1" in text
        await pilot.press("u")  # back into the review to take the last answer back
        assert isinstance(app.screen, ReviewScreen) and front(app) == "Front three"
        await pilot.press("space", "5")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)


# -- home --------------------------------------------------------------------------------------


async def test_empty_state_says_how_to_add_a_deck(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen.has_class("-empty")
        assert "flashcards import DECK.yaml" in str(screen.query_one("#home-empty").render())
        assert "review" not in footer_text(app)
        await pilot.press("R")
        assert isinstance(app.screen, HomeScreen)


async def test_home_lists_decks_and_reviews_the_selected_one(loaded, write_deck):
    import_files(loaded, [write_deck(DECK.replace("基础", "other"), "other.yaml")])
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["other", "基础"]
        assert [str(cell) for cell in table.get_row_at(1)] == ["基础", "3", "0", "3", "-"]
        await pilot.press("down", "enter")
        assert isinstance(app.screen, ReviewScreen) and app.screen.session.deck == "基础"
        await pilot.press("space", "5", "q")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert [str(cell) for cell in table.get_row_at(1)] == [
            "基础", "2", "0", "3", "tomorrow (Mar 11)"]
        progress = str(app.screen.query_one("#home-progress").render())
        assert "1 card reviewed, 1 answer  ·  up next: 5 new, 0 due, 0 again" in progress
        await pilot.press("R")
        assert app.screen.session.deck is None and app.screen.session.counts()["new"] == 5
        await pilot.press("escape", "q")
    assert app.return_code == 0


async def test_home_tells_a_locked_database_and_reads_it_again_once_free(loaded, monkeypatch):
    """A read that waits past the busy timeout is a notification, not the end of the app.

    In WAL mode nothing locks a reader out, so the database is put back in rollback-journal
    mode (as the sqlite3 shell or another tool can leave it), where another connection's
    exclusive transaction does. The timeout is shortened so that the test takes no time.
    """
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_MS", 50)
    assert loaded.conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    holder = sqlite3.connect(loaded.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    app = make_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # the home screen is mounted and its worker started
        with suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]
        assert len(messages) == 1 and "\n" not in messages[0]
        assert messages[0].startswith("reading the decks failed: ")
        assert "database is locked" in messages[0] and "ctrl+r" in messages[0]
        assert isinstance(app.screen, HomeScreen) and app.is_running
        assert app.screen.query_one(DataTable).row_count == 0
        assert "read again" in footer_text(app)
        holder.execute("ROLLBACK")
        await pilot.press("ctrl+r")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(cell) for cell in table.get_row_at(0)] == ["基础", "3", "0", "3", "-"]
        assert "read again" not in footer_text(app)
        await pilot.press("enter")  # usable again: the deck opens
        assert isinstance(app.screen, ReviewScreen)
    holder.close()


async def test_leaving_a_review_started_from_the_command_line_goes_home(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, HomeScreen)
        await settle(pilot)
        await pilot.press("q")
    assert app.return_code == 0


# -- text is never markup -----------------------------------------------------------------

MARKUP = """\
deck: "[bold]牌[/] a[0]"
cards:
  - id: m
    front: "a[0] [bold]x [/] [@click=app.quit]q[/]"
    back: "[/] b[1] [@click=app.quit]click[/] `c[2]`"
    tags: ["[red]t[/]"]
"""


async def test_markup_in_cards_decks_and_tags_is_shown_literally(store, write_deck):
    import_files(store, [write_deck(MARKUP)])
    app = review_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = app.screen.query_one(CardView)
        assert card_sides(view)[0] == "a[0] [bold]x [/] [@click=app.quit]q[/]"
        assert app.screen.query_one(ReviewHeader).text.startswith("[bold]牌[/] a[0]")
        assert "[red]t[/]" in view.text.split("\n")[0]  # the kind and tags line
        await pilot.click(CardView, offset=(5, 3))
        await pilot.press("space")
        assert card_sides(view)[1] == "[/] b[1] [@click=app.quit]click[/] c[2]"
        await pilot.click(CardView, offset=(5, 7))
        assert app.is_running
        await pilot.press("s")  # the notification quotes the card
        await pilot.pause()
        toasts = toast_texts(app)
        assert any("a[0] [bold]x [/] [@click=app.quit]q[/]" in text for text in toasts)
        assert app.is_running


async def test_markup_deck_name_on_home(store, write_deck):
    import_files(store, [write_deck(MARKUP)])
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[0]) == "[bold]牌[/] a[0]"


async def test_cjk_wraps_on_cell_width(store, write_deck):
    text = "deck: 中文\ncards:\n  - front: " + "汉字" * 60 + "\n    back: 是\n"
    import_files(store, [write_deck(text)])
    app = review_app(store)
    async with app.run_test(size=(40, 30)):
        view = app.screen.query_one(CardView)
        front = card_sides(view)[0].split("\n")
        width = view.scrollable_content_region.width - 4  # the card's margins
        assert "".join(front) == "汉字" * 60
        assert len(front) == -(-240 // width)  # 120 wide characters, none cut
        assert all(line.cell_length == view.scrollable_content_region.width
                   for line in view.lines)


async def test_tiny_terminal_keeps_working(loaded):
    app = review_app(loaded)
    async with app.run_test(size=(24, 8)) as pilot:
        await pilot.press("space", "4")
        await pilot.resize_terminal(12, 4)
        await pilot.press("space", "5")  # too small to show the card: not taken
        await pilot.resize_terminal(80, 24)
        assert front(app) == "Front two"
        await pilot.press("space", "5")
        assert front(app) == "Front three"
        assert len(app.screen.query_one(KeyFooter).lines(24)) > 1  # keys wrap, none hidden


async def test_a_window_too_small_for_the_card_says_so_and_takes_no_grade(loaded):
    app = review_app(loaded)
    async with app.run_test(size=(20, 6)) as pilot:
        screen = app.screen
        await pilot.press("space", "4")
        assert log(loaded) == []  # no answer to a card nobody could see
        assert "Front" not in app.export_screenshot()
        notice = screen.query_one("#too-small")
        assert notice.display and not screen.query_one(CardView).display
        assert str(notice.render()) == "Window too small (20×6): the review needs 24×8."
        await pilot.resize_terminal(80, 24)
        assert not notice.display and app.focused is screen.query_one(CardView)
        await pilot.press("space", "4")
        assert log(loaded) == [("one", 4, 0)]
        await pilot.resize_terminal(23, 30)  # too narrow alone is too small too
        assert str(notice.render()).startswith("Window too small (23×30)")
        await pilot.press("space", "5")
        assert log(loaded) == [("one", 4, 0)] and front(app) == "Front two"


# -- leeches, edit --------------------------------------------------------------------------


def one_lapse_from_a_leech(store: Store, key: str) -> None:
    """Log answers that leave the card learnt, due, and one lapse short of a leech."""
    (card_id,) = store.query("SELECT id FROM cards WHERE key = ?", (key,))[0]
    grades = [5, 1] * (LEECH_LAPSES - 1) + [5]
    first = datetime(2026, 2, 20, 9, tzinfo=UTC)
    for days, grade in enumerate(grades):
        store.answer(card_id, grade, at=first + timedelta(days=days))


async def test_a_leech_is_suspended_and_the_user_is_told(loaded):
    one_lapse_from_a_leech(loaded, "two")
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert front(app) == "Front two"  # due cards come before new ones
        await pilot.press("space", "1")
        await pilot.pause()
        toasts = toast_texts(app)
        assert any("leech" in text and "Front two" in text for text in toasts)
        assert app.screen.session.counts()[AGAIN] == 0  # suspended: it does not come back
        await pilot.press("space", "5", "space", "5", "space", "5")
        assert isinstance(app.screen, SummaryScreen)
        assert "Leeches" in str(app.screen.query_one("#summary Static").render())
    card = next(loaded.iter_cards("cards.key = 'two'"))
    assert card.leech and card.suspended


async def test_the_leech_notice_tells_the_ways_back_and_they_work(loaded, write_deck):
    one_lapse_from_a_leech(loaded, "two")
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "1")
        notice = next(n.message for n in app._notifications if n.title == "leech")
        assert "Press u to undo; rewrite it, then bring it back with `flashcards unsuspend " \
               "is:leech`" in notice
        await pilot.press("u")  # the first way: the card is back, and no leech
        assert front(app) == "Front two"
        card = next(loaded.iter_cards("cards.key = 'two'"))
        assert not card.leech and not card.suspended
        await pilot.press("space", "1", "space", "5", "space", "5")
        assert isinstance(app.screen, SummaryScreen)
        assert "`flashcards unsuspend is:leech` brings them back" in str(
            app.screen.query_one("#summary Static").render())
    # The second way: rewritten (under its old id it stays suspended), then unsuspended.
    import_files(loaded, [write_deck(DECK.replace("Front two", "Front two, rewritten"))])
    assert next(loaded.iter_cards("cards.key = 'two'")).suspended
    result = CliRunner().invoke(cli, ["unsuspend", "is:leech"])
    assert result.output == "1 of 1 matching card unsuspended\n"
    session = Session(loaded)
    assert session.current.front == "Front two, rewritten"  # shown again today (step 7)


EDITOR = """\
import pathlib, sys
pathlib.Path(sys.argv[-1] + ".args").write_text(" ".join(sys.argv[1:]))
path = pathlib.Path(sys.argv[-1])
path.write_text(path.read_text().replace("Back one", "Back one, edited"))
"""


async def test_edit_opens_the_editor_at_the_card_line_and_reimports(loaded, deck_path,
                                                                    tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        # the headless test driver cannot hand the terminal over; the real one does
        monkeypatch.setattr(app, "suspend", nullcontext)
        await pilot.press("space", "e")
        await pilot.pause()
        view = app.screen.query_one(CardView)
        assert view.revealed
        assert card_sides(view)[1] == "Back one, edited"
    assert Path(str(deck_path.resolve()) + ".args").read_text() == f"+3 {deck_path.resolve()}"
    assert next(loaded.iter_cards("cards.key = 'one'")).back == "Back one, edited"


async def test_an_edit_that_breaks_the_deck_is_reported_and_changes_nothing(
        loaded, deck_path, tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\npathlib.Path(sys.argv[-1]).write_text('deck: [')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts = await press_edit(app, pilot, monkeypatch)
        assert any("deck not re-imported" in text for text in toasts)
        assert front(app) == "Front one" and app.is_running
    assert next(loaded.iter_cards("cards.key = 'one'")).back == "Back one"


async def test_a_reimport_the_database_refuses_is_told_and_e_tries_again(loaded, tmp_path,
                                                                          monkeypatch):
    """Another process holds the write lock past the (shortened) busy timeout."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(loaded.path, isolation_level=None)
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        holder.execute("BEGIN IMMEDIATE")
        await press_edit(app, pilot, monkeypatch)
        assert [notification.message for notification in app._notifications] == [
            "re-importing the deck failed: database is locked. Press e to try again."]
        assert front(app) == "Front one" and app.is_running
        assert next(loaded.iter_cards("cards.key = 'one'")).back == "Back one"
        holder.execute("COMMIT")
        monkeypatch.setenv("EDITOR", f"{sys.executable} -c pass")  # quit without a change
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.session.current.back == "Back one, edited"
    holder.close()
    assert next(loaded.iter_cards("cards.key = 'one'")).back == "Back one, edited"


@pytest.mark.parametrize(("refusal", "advice"), [
    ("database or disk is full", "Free some space on the disk, then press the key again."),
    ("disk I/O error", "Press the key again in a moment."),
])
async def test_a_grade_the_disk_refuses_is_told_with_what_to_do_and_kept_for_later(
        loaded, monkeypatch, refusal, advice):
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("space")
        with monkeypatch.context() as refused:
            def no_room(*args, **kwargs):
                raise sqlite3.OperationalError(refusal)

            refused.setattr(Store, "answer", no_room)
            await pilot.press("4")
            assert [notification.message for notification in app._notifications] == [
                f"Not saved ({refusal}): nothing changed. {advice}"]
            assert log(loaded) == [] and front(app) == "Front one"
        await pilot.press("4")
        assert log(loaded) == [("one", 4, 0)]


async def test_a_missing_editor_is_reported(loaded, monkeypatch):
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toasts = await press_edit(app, pilot, monkeypatch)
        assert any("cannot run /nonexistent/editor" in text for text in toasts)
        await pilot.press("space", "5")
    assert log(loaded) == [("one", 5, 0)]


async def test_an_answer_waits_for_another_writer_instead_of_failing(loaded, tmp_path):
    """Another process importing holds SQLite's write lock; the answer waits its turn."""
    holding = threading.Event()

    def other_writer() -> None:
        other = Store.open(tmp_path / "test.db")
        with other.write():
            other.conn.execute("UPDATE cards SET back = back || '!' WHERE key = 'three'")
            holding.set()
            time.sleep(0.3)  # not a timing assertion: the answer must wait, however long
        other.close()

    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "4", "space")
        writer = threading.Thread(target=other_writer)
        writer.start()
        holding.wait()
        await pilot.press("5")  # tried again in the background until the writer commits
        writer.join()
        await wait_until(pilot, lambda: front(app) == "Front three")
    assert log(loaded) == [("one", 4, 0), ("two", 5, 0)]
    assert next(loaded.iter_cards("cards.key = 'three'")).back == "Back three!"


def test_editor_command(monkeypatch):
    monkeypatch.setenv("EDITOR", "code --wait")
    assert editor_command("/d/x.yaml", 7) == ["code", "--wait", "+7", "/d/x.yaml"]
    monkeypatch.setenv("VISUAL", "nvim")
    assert editor_command("/d/x.yaml", None) == ["nvim", "/d/x.yaml"]


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def a_terminal(monkeypatch) -> None:
    """The command line as if in a terminal (CliRunner's streams are none)."""
    monkeypatch.setattr("flashcards.cli._require_terminal", lambda: None)


def test_review_of_an_unknown_deck_is_a_one_line_error(loaded, a_terminal):
    result = CliRunner().invoke(cli, ["review", "nope"])
    assert result.exit_code == 1
    assert result.output == "error: no deck named 'nope' (known: 基础)\n"


def test_first_run_imports_the_bundled_decks_then_opens_home(tmp_path, monkeypatch,
                                                             a_terminal):
    opened = []
    monkeypatch.setattr(FlashcardsApp, "run", lambda app: opened.append(app.start))
    result = CliRunner().invoke(cli, [], catch_exceptions=False)
    assert result.exit_code == 0 and opened == ["home"]
    store = Store.open(tmp_path / "test.db")
    bundled = sorted(paths.bundled_decks_dir().glob("*.yaml"))
    assert bundled and len(store.deck_names()) == len(bundled)
    counts = store.query("SELECT count(*) FROM cards")[0][0]
    CliRunner().invoke(cli, [], catch_exceptions=False)  # not empty now: no second import
    assert store.query("SELECT count(*) FROM cards")[0][0] == counts


async def test_the_app_makes_the_daily_backup_after_its_first_frame(loaded, tmp_path):
    app = make_app(loaded, start="review", daily_backup=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    assert [path.name for path in (tmp_path / "backups" / "test.db").iterdir()] == [
        "test-20260310-090000-daily.db"]


def test_review_command_opens_the_review(loaded, monkeypatch, a_terminal):
    opened = []
    monkeypatch.setattr(FlashcardsApp, "run", lambda app: opened.append((app.start, app.deck)))
    assert CliRunner().invoke(cli, ["review", "基础"]).exit_code == 0
    assert CliRunner().invoke(cli, ["review"]).exit_code == 0
    assert opened == [("review", "基础"), ("review", None)]


def test_a_newline_in_a_card_is_a_line_break():
    from flashcards.tui.widgets.card_markdown import card_parser

    (_, inline, _) = card_parser().parse("显存需求最大；\nPEFT 只训练少量参数。")
    assert [child.type for child in inline.children] == ["text", "hardbreak", "text"]


def toast_texts(app) -> list[str]:
    """The text of every notification on screen."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def press_edit(app, pilot, monkeypatch) -> list[str]:
    """Press e with the terminal hand-over stubbed (headless); the notifications it left."""
    monkeypatch.setattr(app, "suspend", nullcontext)
    await pilot.press("e")
    await pilot.pause()
    return toast_texts(app)


async def test_a_card_retired_in_another_terminal_is_skipped_with_a_notice(loaded, deck_path):
    """Issue 16, item 7: the app checks the card before it writes the answer."""
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert front(app) == "Front one"
        other = Store.open(loaded.path)
        deck_path.write_text(DECK.replace(
            "  - id: one\n    front: Front one\n    back: Back one\n", ""), encoding="utf-8")
        import_files(other, [deck_path])
        other.close()
        await pilot.press("space", "5")
        assert any("skipped" in text for text in toast_texts(app))
        assert front(app) == "Front two"
        assert loaded.query("SELECT count(*) FROM reviews") == [(0,)]


async def test_a_database_replaced_under_the_app_is_told_not_written_and_home_works(
        loaded, tmp_path):
    """Issue 16, item 11: no traceback, and no answer written to a file nobody reads."""
    app = review_app(loaded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        other = tmp_path / "other.db"
        Store.open(other).close()
        other.replace(tmp_path / "test.db")
        await pilot.press("space", "4")
        assert any("replaced or removed while open" in text for text in toast_texts(app))
        assert front(app) == "Front one"
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.is_running


async def test_a_revealed_cloze_answer_is_highlighted(store, write_deck):
    """Issue 15: the answer part stands out in accent colour, as Anki highlights it."""
    import_files(store, [write_deck(
        "deck: d\ncards:\n  - {id: c, cloze: '{{c1::LoRA}} 只训练低秩矩阵'}\n"
        "  - {id: b, front: 普通, back: '**粗体**'}\n")])
    app = review_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        view = app.screen.query_one(CardView)
        assert style_of(view, "LoRA") != style_of(view, "只训练低秩矩阵")
        assert style_of(view, "LoRA").bold and style_of(view, "LoRA").color == (
            view.get_component_rich_style("card-view--accent").color)
        await pilot.press("5", "space")  # an ordinary card: bold, but not in accent colour
        assert style_of(view, "粗体").bold
        assert style_of(view, "粗体").color == style_of(view, "普通").color


def style_of(view: CardView, text: str):
    """The style of the first piece of text drawn in the view that holds ``text``."""
    return next(segment.style for line in view.lines for segment in line
                if text in segment.text)


async def test_the_home_screen_does_not_sync_again_what_the_command_line_just_synced(
        loaded, monkeypatch):
    from flashcards.model import SyncReport
    from flashcards.tui.screens import home

    syncs = []
    monkeypatch.setattr(home, "sync_sources", lambda store: syncs.append(1) or SyncReport())
    app = make_app(loaded, synced=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.deck_count)
        assert syncs == []  # the first read only reads
        await pilot.press("R")
        await pilot.press("q")  # back home: the files may have changed meanwhile
        await wait_until(pilot, lambda: syncs)
        assert syncs == [1]


# -- the card's lines, rendered ahead -----------------------------------------------------------


async def read_a_while(pilot) -> None:
    """Let the view render ahead, as it does while someone reads the card."""
    await pilot.pause(AHEAD_DELAY + 0.05)


async def test_a_grade_shows_lines_rendered_while_the_last_card_was_read(loaded, monkeypatch):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(CardView)
        await read_a_while(pilot)
        renders = []
        real_render = CardView._render
        monkeypatch.setattr(CardView, "_render",
                            lambda self, *args: renders.append(1) or real_render(self, *args))
        screen = app.screen
        screen.action_reveal()  # called, not pressed: no time for rendering the next ahead
        await screen.action_grade(4)
        assert card_sides(view) == ("Front two", "")
        screen.action_reveal()
        assert card_sides(view) == ("Front two", "Back two")
        assert renders == []  # the back of one and all of two were ready


async def test_an_again_card_and_an_undo_show_their_own_text(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(CardView)
        for key in ("space", "1", "space", "4", "space", "4"):  # one comes back at the end
            await pilot.press(key)
            await read_a_while(pilot)
        assert card_sides(view) == ("Front one", "")
        assert view.text.split("\n")[0].strip() == "again (answered below 4 today)"
        await pilot.press("u")  # three again, as it was before its grade: back hidden
        assert card_sides(view) == ("Front three", "") and not view.revealed
        await pilot.press("space", "4", "space", "2")  # one, the only card left: again
        assert card_sides(view) == ("Front one", "") and not view.revealed


async def test_a_resize_renders_the_lines_for_the_new_width(store, write_deck):
    import_files(store, [write_deck("deck: d\ncards:\n  - {front: " + "字" * 80 + ", back: b}\n")])
    app = review_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(CardView)
        assert card_sides(view)[0].count("\n") == 1  # 160 cells on two lines
        await pilot.resize_terminal(60, 30)
        await pilot.pause()
        assert card_sides(view)[0].count("\n") == 3
        assert {line.cell_length for line in view.lines} == {view.scrollable_content_region.width}
        assert "".join(card_sides(view)[0].split("\n")) == "字" * 80


async def test_a_long_card_scrolls_and_the_next_starts_at_its_top(store, write_deck):
    back = "\\n".join(f"line {n}" for n in range(1, 61))
    import_files(store, [write_deck(f'deck: d\ncards:\n  - {{front: long, back: "{back}"}}\n'
                                    "  - {front: short, back: b}\n")])
    app = review_app(store)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(CardView)
        await pilot.press("space", "end")
        await pilot.pause()
        assert view.scroll_offset.y > 0
        shown = [view.render_line(y).text.strip() for y in range(view.size.height)]
        assert "line 60" in shown
        await pilot.press("4")
        await pilot.pause()
        assert view.scroll_offset.y == 0 and card_sides(view) == ("short", "")
        assert view.render_line(2).text.strip() == "short"


async def test_the_footer_keeps_its_height_from_front_to_back(loaded):
    """Two lines of grades, one of reveal: a footer that shrank back would relayout (and
    redraw) the whole screen on every key."""
    app = review_app(loaded)
    async with app.run_test(size=(60, 30)) as pilot:
        footer = app.screen.query_one(KeyFooter)
        await pilot.press("space")
        await pilot.pause()
        tall = footer.size.height
        assert tall > 1
        await pilot.press("4")
        await pilot.pause()
        assert footer.size.height == tall and "show answer" in footer_text(app)


async def test_the_footer_keys_kept_by_state_are_the_keys_the_bindings_give(loaded):
    """The review says what its keys depend on (``keys_state``); through every kind of key
    (reveal, grade, undo, a window too small, suspend) the footer shows what reading the
    bindings again gives."""
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.screen.query_one(KeyFooter)
        for keys in (["space"], ["4"], ["space"], ["1"], ["u"], ["space"], ["s"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert footer._shown() == footer._read_bindings()
        await pilot.resize_terminal(20, 6)
        await pilot.pause()
        assert footer._shown() == footer._read_bindings()
        assert "show answer" not in footer_text(app)


async def test_a_review_leaves_the_collector_to_its_idle_moments_and_gives_it_back(loaded):
    before = gc.get_threshold()
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
        await pilot.press("space", "4", "space", "4")
        await pilot.pause()
    assert gc.get_threshold() == before


async def test_a_theme_change_redraws_the_card_in_its_colours(store, write_deck):
    import_files(store, [write_deck("deck: d\ncards:\n  - {front: '**bold** `code`', back: b}\n")])
    app = review_app(store)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(CardView)
        before = style_of(view, "code")
        app.theme = "textual-light"
        await pilot.pause()
        assert style_of(view, "code") != before
        assert style_of(view, "code").color == view.get_component_rich_style(
            "card-view--code").color


def key_style(footer: KeyFooter, key: str):
    """The style the footer draws ``key`` (its first key item) in."""
    return next(segment.style for segment in footer.render_line(0) if segment.text == key)


async def test_a_theme_change_redraws_the_footer_keys_in_its_colours(loaded):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.screen.query_one(KeyFooter)
        before = key_style(footer, "space")  # drawn, and kept drawn for the next card
        app.theme = "textual-light"
        await pilot.pause()
        after = key_style(footer, "space")
        footer.notify_style_update()  # what a footer that kept nothing would draw
        assert after != before and after == key_style(footer, "space")


async def test_the_footer_redraws_once_per_change_of_keys(loaded, monkeypatch):
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.screen.query_one(KeyFooter)
        await pilot.pause()
        refreshes = []
        real_refresh = KeyFooter.refresh
        monkeypatch.setattr(KeyFooter, "refresh",
                            lambda self, *a, **k: refreshes.append(1) or real_refresh(self, *a, **k))
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()
        await pilot.pause()
        assert refreshes == []  # the same keys: nothing to draw
        await pilot.press("space", "4")  # the first reveal makes the footer taller
        refreshes.clear()
        await pilot.press("space")
        assert len(refreshes) == 1 and "4 good 1d" in footer_text(app)
        await pilot.press("4")  # the screen asks twice: after the write, and for the card
        assert len(refreshes) == 2 and "show answer" in footer_text(app)
        assert "show answer" in footer.render_line(0).text


async def test_the_grade_previews_are_the_shown_cards_after_again_and_undo(loaded):
    """The previews are worked out at the reveal, for the card then shown: a card back
    again, or back by an undo, with its own log, never the previews of the card before."""
    app = review_app(loaded)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen

        async def previews() -> str:
            await pilot.press("space")
            expected = screen.session.intervals()
            assert screen._intervals == expected
            return footer_text(app)

        assert "4 good 1d" in await previews()
        await pilot.press("5")  # one: 1 day
        assert "4 good 1d" in await previews()
        await pilot.press("1")  # two: again at the end
        await pilot.press("u")  # two, back as it was
        assert "4 good 1d" in await previews()
        await pilot.press("4", "space", "4")  # two, then three
        await pilot.press("u")  # three again: its previews, not those of two's last answer
        assert front(app) == "Front three" and "4 good 1d" in await previews()


"""The stats screen in a tiny app: the same figures as `flashcards stats`, user text literal."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import datetime

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Sparkline, Static
from textual.worker import WorkerFailed

from flashcards.model import StatsFigures
from flashcards.stats import compute_stats
from flashcards.store import Store
from flashcards.sync import import_files
from flashcards.tui.screens import stats as stats_screen
from flashcards.tui.screens.stats import StatsScreen

DECKS = {
    "markup.yaml": "deck: '[b]粗体[/b] [@click=app.quit]x'\ncards:\n"
                   "  - id: a\n    front: q\n    back: a\n  - id: b\n    front: q2\n    back: a2\n",
    "plain.yaml": "deck: plain\ncards:\n  - id: c\n    front: q\n    back: a\n",
}


class StatsApp(App[None]):
    """Just enough app to show the screen."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def on_mount(self) -> None:
        self.push_screen(StatsScreen(self.store))


def fill(store: Store, write_deck) -> None:
    import_files(store, [write_deck(text, name) for name, text in DECKS.items()])
    for card_id, quality, moment in ((1, 4, "2026-03-08T09:00"), (1, 4, "2026-03-09T09:00"),
                                     (3, 2, "2026-03-10T08:00")):
        store.answer(card_id, quality, at=datetime.fromisoformat(moment + ":00+01:00"))


async def shown(app: StatsApp, pilot) -> StatsScreen:
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, StatsScreen) and screen.figures is not None
    return screen


async def test_the_screen_shows_the_figures_with_deck_names_as_text(store, write_deck):
    fill(store, write_deck)
    figures = compute_stats(store)
    app = StatsApp(store)
    async with app.run_test(size=(110, 50)) as pilot:
        screen = await shown(app, pilot)
        assert screen.figures == figures
        table = screen.query_one("#stats-decks", DataTable)
        names = [table.get_row_at(row)[0] for row in range(table.row_count)]
        assert all(isinstance(name, Text) for name in names)
        assert [name.plain for name in names] == ["[b]粗体[/b] [@click=app.quit]x", "plain",
                                                   "total"]
        assert screen.query_one("#stats-forecast", Sparkline).data == [
            day.due for day in figures.forecast]
        heatmap = screen.query_one("#stats-heatmap", Static).content
        assert isinstance(heatmap, Text) and heatmap.plain.splitlines()[1].startswith("Mon")
        summary = str(screen.query_one("#stats-summary", Static).render())
        assert "streak" in summary and "Retention" in summary
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


async def test_refresh_reads_the_new_answers(store, write_deck):
    fill(store, write_deck)
    app = StatsApp(store)
    async with app.run_test(size=(110, 50)) as pilot:
        screen = await shown(app, pilot)
        assert screen.figures.totals.reviews == 3
        store.answer(2, 5)
        await pilot.press("r")
        screen = await shown(app, pilot)
        assert screen.figures.totals.reviews == 4


async def test_fsrs_decks_show_desired_and_expected_recall_and_cram_answers_apart(
        store, write_deck):
    fill(store, write_deck)
    store.answer(2, 3, cram=True)
    store.set_config("scheduler", "fsrs")
    app = StatsApp(store)
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await shown(app, pilot)
        table = screen.query_one("#stats-decks", DataTable)
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[-2:] == ["desired", "recall today"]
        first = [cell.plain for cell in table.get_row_at(0)]
        deck = screen.figures.decks[0]
        assert first[-2:] == ["90.0%", f"{deck.retrievability:.1%}"]
        summary = str(screen.query_one("#stats-summary", Static).render())
        assert "Cram answers  1 today, 1 in all" in summary
        store.set_config("scheduler", "sm2")
        await pilot.press("r")
        screen = await shown(app, pilot)
        assert [str(column.label) for column in table.ordered_columns][-1] == "retention 30d"
        assert len(table.get_row_at(0)) == len(table.ordered_columns)


async def test_an_empty_database_shows_zeros(store):
    app = StatsApp(store)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await shown(app, pilot)
        assert screen.query_one("#stats-decks", DataTable).row_count == 0
        assert "nothing due" in str(screen.query_one("#stats-forecast-legend", Static).render())


async def test_a_failure_is_told_in_one_line_and_r_computes_again(store, write_deck, monkeypatch):
    fill(store, write_deck)

    def locked(_store: Store) -> StatsFigures:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(stats_screen, "compute_stats", locked)
    app = StatsApp(store)
    async with app.run_test(size=(110, 50)) as pilot:
        await pilot.pause()  # the screen is mounted and its worker started
        with suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert [notification.message for notification in app._notifications] == [
            "computing the stats failed: database is locked. Press r to try again."]
        assert isinstance(app.screen, StatsScreen) and app.is_running
        assert "press r" in str(app.screen.query_one("#stats-summary", Static).render())
        monkeypatch.setattr(stats_screen, "compute_stats", compute_stats)
        await pilot.press("r")
        screen = await shown(app, pilot)
        assert screen.figures.totals.reviews == 3


async def test_s_on_the_home_screen_opens_the_stats_and_escape_comes_back(store, write_deck):
    from flashcards.tui.app import make_app
    from flashcards.tui.screens.home import HomeScreen

    fill(store, write_deck)
    app = make_app(store)
    async with app.run_test(size=(110, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("s")
        screen = await shown(app, pilot)
        assert screen.figures.totals.reviews == 3
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

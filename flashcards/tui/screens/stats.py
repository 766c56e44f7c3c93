"""The stats screen: totals, a year of reviews as a calendar, the 30-day forecast, the decks.

The figures are ``flashcards.stats.compute_stats``, the same as ``flashcards stats``. They
are computed in a thread worker on a connection of its own (a second reader is free in WAL
mode), so even a million reviews never freeze the screen.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Sparkline, Static
from textual.worker import Worker

from flashcards.model import ForecastDay, StatsFigures
from flashcards.report import heatmap_text, percent
from flashcards.stats import STATES, compute_stats
from flashcards.store import Store
from flashcards.tui.messages import StatsLoaded
from flashcards.tui.screens.base import BaseScreen
from flashcards.tui.widgets.key_footer import KeyFooter

DECK_COLUMNS = ("cards", *STATES, "due", "due_tomorrow", "reviews_today")
COLUMN_LABELS = {"due_tomorrow": "tomorrow", "reviews_today": "today"}
FSRS_COLUMNS = ("desired", "recall today")  # shown when a deck is on FSRS


def summary_content(figures: StatsFigures) -> Content:
    """The headline figures, as literal text with a little style."""
    totals = figures.totals
    retention = "  ".join(f"{window} {percent(entry.rate)}"
                          for window, entry in figures.retention.items())
    streak = totals.streak
    return Content("\n").join([
        Content.assemble(("Stats", "bold"), "  ", (figures.today.isoformat(), "dim")),
        Content.assemble(
            "Due ", (str(totals.due), "bold $text-success"), " today, ",
            (str(totals.due_tomorrow), "bold"), " by tomorrow  ·  ",
            (str(totals.reviews_today), "bold"), " answers today  ·  streak ",
            (f"{streak} day{'s' * (streak != 1)}", "bold"),
            f" (longest {totals.longest_streak})",
        ),
        Content.assemble("Retention  ", (retention, "bold"),
                         ("  (review answers graded 3 or better)", "dim")),
        *([Content.assemble("Cram answers  ", (str(totals.cram_today), "bold"), " today, ",
                            (str(totals.cram_answers), "bold"),
                            (" in all (in no other figure)", "dim"))]
          if totals.cram_answers else []),
    ])


def forecast_legend(forecast: tuple[ForecastDay, ...]) -> Content:
    """What the forecast bars add up to, and their busiest day."""
    counts = [day.due for day in forecast]
    if not any(counts):
        return Content.styled("nothing due in the next 30 days", "dim")
    peak = max(counts)
    return Content.styled(
        f"today → +{len(counts) - 1}d · {sum(counts)} cards · "
        f"peak {peak} on {forecast[counts.index(peak)].day}",
        "dim",
    )


class StatsScreen(BaseScreen):
    """Progress at a glance; r computes the figures again, escape goes back."""

    DEFAULT_CSS = """
    StatsScreen {
        #stats-body { padding: 1 2; }
        .stats-title { margin-top: 1; text-style: bold; }
        #stats-forecast { height: 4; max-width: 90; margin-top: 1; }
        #stats-decks { height: auto; max-height: 20; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "back"),
        Binding("r", "refresh", "refresh"),
    ]
    RETRY_KEY = "r"

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.figures: StatsFigures | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="stats-body"):
            yield Static(Content.styled("Computing the figures…", "dim"), id="stats-summary")
            yield Static(Content("Reviews in the last year"), classes="stats-title")
            yield Static(id="stats-heatmap")
            yield Static(Content("Due in the next 30 days"), classes="stats-title")
            yield Sparkline([], id="stats-forecast")
            yield Static(id="stats-forecast-legend")
            yield Static(Content("Decks"), classes="stats-title")
            table: DataTable = DataTable(id="stats-decks", zebra_stripes=True, cursor_type="row")
            table.add_column("deck", key="deck")
            for column in DECK_COLUMNS:
                table.add_column(COLUMN_LABELS.get(column, column), key=column)
            table.add_column("retention 30d", key="retention_30d")
            yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, name="computing the stats")
    def load(self) -> None:
        """Compute the figures off the UI thread, on a connection of the worker's own."""
        store = Store.open(self.store.path)
        try:
            figures = compute_stats(store)
        finally:
            store.close()
        self.post_message(StatsLoaded(figures))

    def worker_failed(self, worker: Worker) -> None:
        self.query_one("#stats-summary", Static).update(
            Content.styled("No figures: press r to try again.", "dim")
        )
        super().worker_failed(worker)

    def on_stats_loaded(self, message: StatsLoaded) -> None:
        self.figures = figures = message.figures
        self.query_one("#stats-summary", Static).update(summary_content(figures))
        heatmap = self.query_one("#stats-heatmap", Static)
        # Rich Text is never parsed as markup; the width leaves room for the padding.
        heatmap.update(heatmap_text(figures.heatmap, width=max(self.size.width - 4, 20)))
        self.query_one("#stats-forecast", Sparkline).data = [d.due for d in figures.forecast]
        self.query_one("#stats-forecast-legend", Static).update(
            forecast_legend(figures.forecast)
        )
        self._fill_decks(figures)

    def _fill_decks(self, figures: StatsFigures) -> None:
        """One row per deck and a total row; FSRS's desired and expected recall when a deck
        is on FSRS."""
        table = self.query_one("#stats-decks", DataTable)
        on_fsrs = any(deck.scheduler == "fsrs" for deck in figures.decks)
        table.clear()
        for label in FSRS_COLUMNS:
            if on_fsrs and label not in table.columns:
                table.add_column(label, key=label)
            elif not on_fsrs and label in table.columns:
                table.remove_column(label)
        for deck in figures.decks:
            counts = deck.by_column()
            rates = (deck.retention_30d, *((deck.desired_retention, deck.retrievability)
                                           if on_fsrs else ()))
            table.add_row(
                Text(deck.name),  # a bare str would be parsed as markup
                *(Text(str(counts[column]), justify="right") for column in DECK_COLUMNS),
                *(Text(percent(rate), justify="right") for rate in rates),
                key=deck.name,
            )
        totals = figures.totals
        if len(figures.decks) > 1:
            counts = totals.by_column()
            table.add_row(
                Text("total", style="bold"),
                *(Text(str(counts[column]), justify="right", style="bold")
                  for column in DECK_COLUMNS),
                Text(percent(totals.retention_30d), justify="right", style="bold"),
                *(Text("") for _ in FSRS_COLUMNS if on_fsrs),
                key="\0total",  # no deck name can collide with it
            )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.query_one("#stats-summary", Static).update(
            Content.styled("Computing the figures…", "dim")
        )
        self.load()

"""The progress figures as the terminal shows them: rich tables, a forecast, a heatmap.

Rendering only; the figures come from ``flashcards.stats``. Deck names are ``Text``,
never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flashcards.export import export_columns
from flashcards.model import ForecastDay, HeatmapDay, StatsFigures
from flashcards.optimize import FitReport
from flashcards.simulate import Outcome as SimulationOutcome
from flashcards.stats import STATES
from flashcards.text import format_duration, printable

# What a card's line shows, as columns of the cards export; the front comes last.
CARD_LINE = ("deck", "card_key", "status", "due", "interval", "easiness", "lapses")
HEAT_CHARS = "·░▒▓█"
HEAT_COLORS = ("grey35", "#0e4429", "#006d32", "#26a641", "#39d353")


def print_stats(figures: StatsFigures, console: Console) -> None:
    """The figures of ``compute_stats`` as tables, a forecast chart and a heatmap."""
    totals = figures.totals
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="dim")
    summary.add_column()
    summary.add_row("today", f"{figures.today} (days start at "
                             f"{figures.rollover_hour:02d}:00)")
    summary.add_row("due", f"{totals.due} today, {totals.due_tomorrow} by tomorrow")
    summary.add_row("reviews today", f"{totals.reviews_today} in "
                                     f"{format_duration(totals.seconds_today)}")
    if totals.cram_answers:
        summary.add_row("cram answers", f"{totals.cram_today} today, {totals.cram_answers} in "
                                        "all (not in the other figures)")
    summary.add_row("streak", f"{_days(totals.streak)} (longest {_days(totals.longest_streak)})"
                    + ("" if totals.studied_today or not totals.streak
                       else ": review today to keep it"))
    summary.add_row("retention", "   ".join(
        f"{window} {percent(entry.rate)}" + (f" of {entry.answers}" if entry.answers else "")
        for window, entry in figures.retention.items()
    ))
    console.print(summary)
    # Two narrow tables rather than one of 14 columns: each fits an 80-column terminal.
    progress = Table(box=None, show_footer=len(figures.decks) > 1, collapse_padding=True)
    progress.add_column("deck", footer="total")
    for header, total in (("due", totals.due), ("by tomorrow", totals.due_tomorrow),
                          ("answers today", totals.reviews_today), ("cards", totals.cards)):
        progress.add_column(header, justify="right", footer=str(total))
    progress.add_column("retention 30d", justify="right", footer=percent(totals.retention_30d))
    on_fsrs = any(deck.scheduler == "fsrs" for deck in figures.decks)
    if on_fsrs:
        progress.add_column("desired", justify="right")
        progress.add_column("recall today", justify="right")
    states = Table(box=None, show_footer=len(figures.decks) > 1, collapse_padding=True)
    states.add_column("deck", footer="total")
    for state in STATES:
        states.add_column(state, justify="right", footer=str(totals.states[state]))
    for deck in figures.decks:
        name = Text(printable(deck.name))  # never markup, no control characters
        progress.add_row(name, *(str(count) for count in (deck.due, deck.due_tomorrow,
                                                            deck.reviews_today, deck.cards)),
                         percent(deck.retention_30d),
                         *((percent(deck.desired_retention), percent(deck.retrievability))
                           if on_fsrs else ()))
        states.add_row(name, *(str(deck.states[state]) for state in STATES))
    console.print()
    console.print(progress)
    console.print()
    console.print(Text("cards by state", style="bold"))
    console.print(states)
    console.print()
    console.print(Text("due in the next 30 days", style="bold"))
    console.print(_forecast_chart(figures.forecast))
    console.print()
    console.print(Text(f"reviews in the last year ({sum(d.reviews for d in figures.heatmap)})",
                       style="bold"))
    console.print(heatmap_text(figures.heatmap, width=console.width))


def print_cards(rows: Iterable[tuple], console: Console) -> None:
    """Cards (rows of the cards export), one line each: deck, key, status, due, interval,
    ease, lapses, and the front on one line cut to the console's width. Card text is
    ``Text``, never markup, with control characters escaped."""
    columns = export_columns("cards")
    picks = [columns.index(name) for name in CARD_LINE]
    front = columns.index("front")
    table = Table(box=None)
    for name in ("deck", "key", "status", "due", "ivl", "ease", "lapses"):
        table.add_column(name, no_wrap=True,
                         justify="right" if name in ("ivl", "ease", "lapses") else "left")
    # The only column rich may narrow to fit; its text is cut, not wrapped.
    table.add_column("front")
    for row in rows:
        deck, key, status, due, interval, ease, lapses = (row[index] for index in picks)
        table.add_row(Text(printable(deck)), Text(printable(key)), status, due or "-",
                      str(interval), f"{ease:.2f}", str(lapses),
                      Text(printable(" ".join(row[front].split())), no_wrap=True,
                           overflow="ellipsis"))
    console.print(table if table.rows else "no cards match")


def bar_lines(values: Sequence[float], height: int) -> list[str]:
    """Values as vertical bars ``height`` lines tall, one column each, the tallest filling
    the height (in eighth blocks); the lines top first."""
    peak = max(values, default=0)
    lines = []
    for row in range(height, 0, -1):
        line = ""
        for value in values:
            eighths = round(value / peak * height * 8) if peak else 0
            filled = eighths - (row - 1) * 8
            line += "█" if filled >= 8 else " ▁▂▃▄▅▆▇"[max(filled, 0)]
        lines.append(line)
    return lines


def _forecast_chart(forecast: Sequence[ForecastDay], height: int = 4) -> Any:
    """Due cards per day as vertical bars (eighth blocks), today on the left."""
    counts = [day.due for day in forecast]
    peak = max(counts, default=0)
    text = Text()
    for row, line in enumerate(bar_lines(counts, height)):
        label = str(peak) if row == 0 else ""
        text.append(f"{label:>6} ", style="dim")
        text.append(line + "\n", style="cyan")
    peak_day = forecast[counts.index(peak)].day if peak else "-"
    text.append(f"{'':>7}today{'+29d':>{len(counts) - 5}}", style="dim")
    text.append(f"   total {sum(counts)}, peak {peak} on {peak_day}", style="dim")
    return text


def percent(rate: float | None) -> str:
    """A rate as ``91.7%``, or ``-`` when there was nothing to measure."""
    return "-" if rate is None else f"{rate:.1%}"


def _days(count: int) -> str:
    return f"{count} day{'s' * (count != 1)}"


def heatmap_text(heatmap: Sequence[HeatmapDay], width: int = 80) -> Text:
    """The heatmap drawn as rich ``Text``: weeks as columns like GitHub's, months on top,
    one shaded cell per day (the shade is in the character too, so it reads without colour)."""
    columns = heatmap_weeks(heatmap, weeks=max(1, width - 4))
    text = Text()
    months = [" "] * len(columns)
    for index, column in enumerate(columns):
        first = next((cell for cell in column if cell), None)
        if first and first[0].day <= 7 and index + 3 <= len(columns):
            label = first[0].strftime("%b")
            months[index:index + 3] = list(label)
    text.append("    " + "".join(months[:len(columns)]) + "\n", style="dim")
    for row, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        text.append(f"{name:<4}", style="dim")
        for column in columns:
            cell = column[row]
            if cell is None:
                text.append(" ")
            else:
                text.append(HEAT_CHARS[cell[2]], style=HEAT_COLORS[cell[2]])
        text.append("\n")
    text.append("    less ", style="dim")
    for level, char in enumerate(HEAT_CHARS):
        text.append(char, style=HEAT_COLORS[level])
    text.append(" more", style="dim")
    return text


def heat_levels(counts: Iterable[int]) -> list[int]:
    """Shade 0..4 for each count: 0 for none, else its quartile among the days with reviews
    (as GitHub does), so one huge day does not wash out the rest."""
    counts = list(counts)
    busy = sorted(c for c in counts if c > 0)
    if not busy:
        return [0] * len(counts)
    cuts = [busy[(len(busy) - 1) * q // 4] for q in (1, 2, 3)]
    return [0 if c <= 0 else 1 + sum(c > cut for cut in cuts) for c in counts]


def heatmap_weeks(heatmap: Sequence[HeatmapDay],
                  weeks: int | None = None) -> list[list[tuple[date, int, int] | None]]:
    """The heatmap as weeks (columns, oldest first) of 7 days Monday..Sunday, each cell
    (day, reviews, shade) or None outside the range; ``weeks`` keeps only the latest ones."""
    if not heatmap:
        return []
    days = [entry.day for entry in heatmap]
    levels = heat_levels(entry.reviews for entry in heatmap)
    start = days[0] - timedelta(days=days[0].weekday())
    columns: list[list[tuple[date, int, int] | None]] = []
    for day, entry, level in zip(days, heatmap, levels):
        column, row = divmod((day - start).days, 7)
        while len(columns) <= column:
            columns.append([None] * 7)
        columns[column][row] = (day, entry.reviews, level)
    return columns[-weeks:] if weeks else columns


def print_fit(report: FitReport, console: Console) -> None:
    """What ``flashcards optimize`` did: the items, log-loss and RMSE of the default and the
    fitted parameters, and which are kept."""
    where = f"the log of {report.deck}" if report.deck else "your log"
    console.print(Text(f"{report.items:,} training items from {report.answers:,} answers in "
                       f"{printable(where)}"))
    table = Table(box=None)
    for column in ("parameters", "log-loss", "RMSE"):
        table.add_column(column, justify="left" if column == "parameters" else "right")
    for name, figures in (("FSRS defaults", report.default), ("fitted", report.fitted)):
        if figures:
            table.add_row(name, f"{figures[0]:.4f}", f"{figures[1]:.4f}")
    if table.rows:
        console.print(table)
    console.print(Text(report.reason + "; the cards are replayed under them"))


SPARK_CHARS = " ▁▂▃▄▅▆▇█"


def print_simulation(outcomes: Sequence[SimulationOutcome], days: int,
                     console: Console) -> None:
    """``flashcards simulate``: a table per scheduler, and its answers per day as a chart
    (one column per stretch of days, all rows on one scale)."""
    table = Table(box=None, title=f"the next {days} days, simulated")
    for column in ("scheduler", "answers/day", "first 30 days", "retention",
                   "remembered at the end"):
        table.add_column(column, justify="left" if column == "scheduler" else "right")
    for outcome in outcomes:
        first = outcome.reviews[:30]
        table.add_row(outcome.name, f"{outcome.per_day:,.1f}", f"{sum(first) / len(first):,.1f}",
                      percent(outcome.retention), f"{outcome.remembered:,.0f} cards")
    console.print(table)
    width = max(10, min(days, console.width - 28, 72))
    top = max((max(outcome.reviews) for outcome in outcomes), default=0) or 1
    console.print()
    console.print(Text(f"answers per day (a column: {days / width:.1f} days' average; top "
                       f"= {top:,.0f})", style="bold"))
    for outcome in outcomes:
        columns = [outcome.reviews[int(i * days / width):max(int((i + 1) * days / width),
                                                              int(i * days / width) + 1)]
                   for i in range(width)]
        line = "".join(SPARK_CHARS[round(sum(column) / len(column) / top *
                                         (len(SPARK_CHARS) - 1))] for column in columns)
        console.print(Text(f"{outcome.name:<26}") + Text(line, style="cyan"))

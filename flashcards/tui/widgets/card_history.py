"""What the browser tells about one card besides its text: where it lives, its schedule,
and every answer it got, with a small chart of its interval over time."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from flashcards.model import LogEntry
from flashcards.report import bar_lines
from flashcards.scheduling import PASSING_GRADE
from flashcards.sm2 import QUALITY_LABELS
from flashcards.text import format_interval, printable

CHART_HEIGHT = 3


def chart_values(values: Sequence[int], width: int) -> list[int]:
    """At most ``width`` values: the longest of each run when there are more."""
    if len(values) <= width:
        return list(values)
    return [max(values[column * len(values) // width:(column + 1) * len(values) // width])
            for column in range(width)]


def due_label(due: str | None, today: date) -> str:
    """``2026-03-15 (in 5d)``, ``(today)``, ``(3d overdue)``; ``-`` for a new card."""
    if due is None:
        return "-"
    days = (date.fromisoformat(due) - today).days
    when = "today" if days == 0 else f"in {days}d" if days > 0 else f"{-days}d overdue"
    return f"{due} ({when})"


def short_path(source: str) -> str:
    """A deck file's path (``file:line``) relative to the working folder when it is inside
    it, else with ``~`` for the home folder, else as it is."""
    for base, shown in ((Path.cwd(), ""), (Path.home(), "~/")):
        if source.startswith(f"{base}{os.sep}"):
            return shown + source[len(str(base)) + 1:]
    return source


def facts(row: dict[str, Any], today: date) -> Content:
    """Deck, file:line, tags and the scheduling state of a card (a row of the cards export).
    User text is plain ``Content``: never markup."""
    tags = ", ".join(json.loads(row["tags"]))
    buried = row["buried_until"] if (row["buried_until"] or "") > today.isoformat() else None
    lines = [
        Content.assemble(("deck  ", "dim"), (printable(row["deck"]), "bold")),
        Content.assemble(("file  ", "dim"), printable(short_path(row["source"] or "-"))),
        Content.assemble(("tags  ", "dim"), printable(tags or "-")),
        Content.assemble(("state ", "dim"), (row["status"], "bold"),
                         f"  due {due_label(row['due'], today)}"
                         + (f"  buried until {buried}" if buried else "")),
        Content.assemble(("      ", "dim"),
                         f"interval {format_interval(row['interval'])}  "
                         f"ease {row['easiness']:.2f}"),
        Content.assemble(("      ", "dim"),
                         f"reps {row['repetitions']}  lapses {row['lapses']}"),
        Content.assemble(("added ", "dim"), (row["created_at"] or "")[:10]),
    ]
    return Content("\n").join(lines)


def entry_line(entry: LogEntry) -> Content:
    """One log entry: the day, then the grade and the interval it left (a repeat or a cram
    answer moves nothing, and says so), or the action."""
    if entry.action:
        until = f" until {entry.until}" if entry.action == "bury" else \
            f": due {entry.until}" if entry.until else ""
        return Content.assemble((entry.day, "dim"), "  ", (entry.action + until, "italic"))
    after = "(cram)" if entry.cram else "(repeat)" if entry.repeat else \
        f"→ {format_interval(entry.interval)}"
    style = "$text-error" if entry.grade < PASSING_GRADE else ""
    return Content.assemble((entry.day, "dim"), "  ",
                            (f"{entry.grade} {QUALITY_LABELS[entry.grade]:<10}", style), "  ",
                            after)


def history(log: Sequence[LogEntry]) -> Content:
    """Every entry of the log, oldest first, under how many answers it holds."""
    answers = sum(entry.grade is not None for entry in log)
    if not log:
        return Content.styled("never answered", "dim")
    title = Content.styled(f"{answers} answer{'s' * (answers != 1)}", "bold")
    return Content("\n").join([title, *map(entry_line, log)])


def interval_chart(log: Sequence[LogEntry], width: int) -> Content:
    """The interval after each answer that moved it, as bars (the latest on the right)."""
    intervals = [entry.interval for entry in log
                 if entry.interval is not None and not entry.repeat]
    if len(intervals) < 2:
        return Content()
    values = chart_values(intervals, max(width, 8))
    title = Content.styled(f"interval, up to {format_interval(max(intervals))}", "dim")
    bars = [Content.styled(line, "$text-success") for line in bar_lines(values, CHART_HEIGHT)]
    return Content("\n").join([title, *bars])


class CardHistory(VerticalScroll):
    """The facts, the interval chart and the answers of the card the browser is on."""

    DEFAULT_CSS = """
    CardHistory {
        height: 1fr;
        padding: 0 1;
        & > Static { margin-bottom: 1; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="card-facts")
        yield Static(id="card-chart")
        yield Static(id="card-answers")

    def show(self, row: dict[str, Any] | None, log: Sequence[LogEntry], today: date) -> None:
        """Show one card (a row of the cards export) and its log; nothing for None."""
        self.query_one("#card-facts", Static).update(facts(row, today) if row else Content())
        width = self.scrollable_content_region.width or 30
        self.query_one("#card-chart", Static).update(interval_chart(log, width))
        self.query_one("#card-answers", Static).update(history(log) if row else Content())
        self.scroll_home(animate=False)

"""The end of a sitting: what was reviewed, how it went, and what comes tomorrow."""

from __future__ import annotations

from typing import ClassVar

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from flashcards.session import Session, Summary
from flashcards.sm2 import QUALITY_LABELS
from flashcards.text import format_duration
from flashcards.tui.app import FlashcardsApp
from flashcards.tui.saving import NOT_SAVED, save
from flashcards.tui.screens.base import BaseScreen
from flashcards.tui.widgets.key_footer import KeyFooter


def summary_content(summary: Summary, deck: str | None) -> Content:
    """The figures of a sitting, as lines of literal text with a little style."""
    where = Content.assemble(" in ", (deck, "bold")) if deck else Content(" in all decks")
    if not summary.answers:
        return Content.assemble(
            ("Nothing to review right now", "bold"), where, ".\n\n",
            "Due tomorrow: ", (str(summary.due_tomorrow), "bold"), " cards.",
        )
    lines = [
        Content.assemble(("Done for now", "bold"), where, "."),
        Content(""),
        Content.assemble("Cards reviewed  ", (str(summary.cards), "bold"),
                         f"  ({summary.answers} answers)"),
        Content.assemble("Time            ", (format_duration(summary.seconds), "bold"),
                         f"  ({format_duration(summary.seconds / summary.answers)} per answer)"),
        Content.assemble("Accuracy        ", (
            "-" if summary.accuracy is None else f"{summary.accuracy:.0%}", "bold"),
            "  (first answers graded 3 or better)"),
        Content.assemble("Due tomorrow    ", (str(summary.due_tomorrow), "bold")),
        Content(""),
        Content("Grades"),
    ]
    most = max(summary.grades.values())
    for quality in range(5, -1, -1):
        count = summary.grades.get(quality, 0)
        bar = "█" * round(20 * count / most) if count else ""
        color = ("$text-success" if quality >= 4
                 else "$text-warning" if quality == 3 else "$text-error")
        lines.append(Content.assemble(
            f"  {quality} {QUALITY_LABELS[quality]:<10} ", (f"{count:>4} ", "bold"), (bar, color),
        ))
    if summary.leeches:
        heading = ("Leeches (suspended: rewrite each, then `flashcards unsuspend is:leech` "
                   "brings them back):")
        lines += [Content(""), Content.styled(heading, "$text-warning")]
        lines += [
            Content.assemble("  • ", (card.deck, "dim"), "  ", card.front.strip().splitlines()[0])
            for card in summary.leeches
        ]
    return Content("\n").join(lines)


class SummaryScreen(BaseScreen):
    """Shown in place of the review when its queue is empty; u goes back to undo."""

    app = getters.app(FlashcardsApp)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q,escape", "home", "home"),
        Binding("u", "undo", "undo last"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="summary"):
            yield Static(summary_content(self.session.summary(), self.session.deck))
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.session.can_undo()
        return True

    def action_home(self) -> None:
        self.app.go_home()

    def action_undo(self) -> None:
        if save(self, self.session.undo) is not NOT_SAVED:
            self.app.resume_review(self.session)

"""One card: its front, and after the reveal its back below a rule. Both are Markdown.

The Markdown widget builds its text as ``Content`` from the parsed tokens, so card text is
never read as Textual markup (``a[0]``, ``[/]`` and ``[@click=...]`` stay literal). The
back is rendered while it is still hidden, just after the front is on screen, so revealing
it only flips ``display``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Markdown, Rule, Static

from flashcards.model import Card
from flashcards.tui.widgets.card_markdown import CardMarkdown

BACK_DELAY = 0.03  # seconds after the front: its frame is written by then, and no one reads
# a card and presses space that fast (if someone does, the back is rendered right then)
KIND_LABELS = {"new": "new card", "review": "review", "again": "again (answered below 4 today)"}


class CardView(VerticalScroll):
    """Front, then (revealed) back and source of one card, updated in place card after card.

    It has the focus in a review, so arrows and page keys scroll a long card.

    Revealing and hiding set ``display`` on the back's container only: toggling a class on
    the whole view would restyle every block (and re-highlight every code block) each time.
    """

    DEFAULT_CSS = """
    CardView {
        height: 1fr;
        padding: 1 1 0 1;
        .card-view--meta, .card-view--source { color: $text-muted; padding: 0 2; }
        .card-view--meta { margin-bottom: 1; }
        Markdown { padding: 0 2; margin: 0; }
        Rule.-horizontal { margin: 0 2 1 2; color: $foreground 30%; }
        #back-side { height: auto; visibility: hidden; }
        /* A revealed cloze answer stands out, as in Anki: in accent colour, not only bold. */
        #back-side.-cloze MarkdownBlock > .strong { color: $text-accent; text-style: bold; }
    }
    """

    def __init__(self, card: Card | None = None, kind: str = "new", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.card = card
        self.kind = kind
        self._back_done = AwaitComplete.nothing()
        self._pending_back: str | None = None
        self._back_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        card = self.card
        yield Static(self._meta(), classes="card-view--meta")
        yield CardMarkdown(card.front if card else "", id="front")
        with Vertical(id="back-side", classes="-cloze" if card and card.kind == "cloze" else ""):
            yield Rule()
            # The back is rendered after the first frame: a code block in it would otherwise
            # load its highlighter before the front is on screen.
            yield CardMarkdown(id="back")
            yield Static(self._source(), classes="card-view--source")

    def on_mount(self) -> None:
        if self.card is not None:
            self._render_back_soon(self.card.back)

    def _render_back_soon(self, back: str) -> None:
        """Render the back a moment after the front is on screen, not at once: Textual
        writes a frame from a thread, which would wait for the GIL while the back renders."""
        self._pending_back = back
        if self._back_timer is not None:
            self._back_timer.stop()
        self._back_timer = self.set_timer(BACK_DELAY, self._render_back)

    def _render_back(self) -> None:
        if self._pending_back is not None:
            self._back_done = self.query_one("#back", Markdown).update(self._pending_back)
            self._pending_back = None

    @property
    def revealed(self) -> bool:
        """True when the back is shown."""
        return self.query_one("#back-side").visible

    async def show(self, card: Card, kind: str) -> None:
        """Show another card's front (or the same card again), its back hidden.

        Returns once the front is mounted; the back goes on rendering unseen.
        """
        back_side = self.query_one("#back-side")
        back_side.visible = False
        back_side.set_class(card.kind == "cloze", "-cloze")
        old = self.card
        same = old is not None and (old.front, old.back) == (card.front, card.back)
        self.card, self.kind = card, kind
        self.query_one(".card-view--meta", Static).update(self._meta())
        self.query_one(".card-view--source", Static).update(self._source())
        self.scroll_home(animate=False)
        if not same:
            await self._back_done
            await self.query_one("#front", Markdown).update(card.front)
            self._render_back_soon(card.back)

    async def reveal(self) -> None:
        """Show the back below the front (once it is rendered)."""
        self._render_back()  # if it was still waiting for its turn
        await self._back_done
        self.query_one("#back-side").visible = True

    def _meta(self) -> Content:
        if self.card is None:
            return Content()
        tags = ", ".join(self.card.tags)
        return Content.assemble(
            KIND_LABELS.get(self.kind, self.kind),
            ("  ·  " + tags) if tags else "",
        )

    def _source(self) -> Content:
        if self.card is None or not self.card.source:
            return Content()
        return Content("source: " + self.card.source)

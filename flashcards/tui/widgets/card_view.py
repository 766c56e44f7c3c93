"""One card: its front, and after the reveal its back below a rule, drawn as lines.

The card is one line-API widget, not a widget per Markdown block: a new card then costs
no mount, no CSS and no layout, only the lines on screen. Its lines are rendered ahead
(``prepare``): the back while the front is read, the next card while this one is read,
so a grade only swaps which lines are drawn. Lines are rendered for the view's width and
its theme's styles, and rendered again when either changes.

Card text goes through ``CardMarkdown`` (Rich over our markdown-it tokens): it is never
read as Textual or Rich markup, so ``a[0]``, ``[/]`` and ``[@click=...]`` stay literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from rich.console import RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from flashcards.model import Card

AHEAD_DELAY = 0.03  # seconds after a card is shown, the next lines are rendered: its frame is
# written by then (Textual writes from a thread, which would wait for the GIL), and no one
# reads a card and presses a key that fast (if someone does, the lines are rendered then)

# A text Markdown would draw as it is, line for line: no blank line, no character that can
# start markup anywhere, and no line that could start a block (list, quote, heading, rule,
# code). Such a text, as most fronts are, is drawn without loading the Markdown parser and
# the highlighter, which are 30-40 ms of the start-up, after the first card is on screen.
PLAIN = re.compile(r"(?:(?![-+*=>#~0-9\s])[^\\`*_\[\]<>&#~|!\n]*(?<!\s)(?:\n(?!\Z)|\Z))+")

KIND_LABELS = {"new": "new card", "review": "review", "again": "again (answered below 4 today)"}
CACHED_PARTS = 8  # the front and back of this card and of the next, and a few spare
MARGIN = (0, 2)  # around each part, as the header and footer are inset


class CardView(ScrollView, can_focus=True):
    """Front, then (revealed) back and source of one card, card after card.

    It has the focus in a review, so arrows and page keys scroll a long card.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card-view--muted", "card-view--rule", "card-view--heading", "card-view--code",
        "card-view--accent",
    }
    DEFAULT_CSS = """
    CardView {
        height: 1fr;
        padding: 1 1 0 1;
        overflow-x: hidden;  /* the lines are as wide as the view */
        scrollbar-gutter: stable;  /* a long card does not narrow (and re-render) its lines */
        & > .card-view--muted { color: $text-muted; }
        & > .card-view--rule { color: $foreground 30%; }
        & > .card-view--heading { color: $text-primary; text-style: bold; }
        & > .card-view--code { color: $text-warning; background: $warning-muted; }
        /* A revealed cloze answer stands out, as in Anki: in accent colour, not only bold. */
        & > .card-view--accent { color: $text-accent; text-style: bold; }
    }
    """

    def __init__(self, card: Card | None = None, kind: str = "new", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.card = card
        self.kind = kind
        self.revealed = False
        self._shown: list[Strip] = []  # the lines of the card as it is shown now
        self._shown_width = -1  # the width they were rendered for
        self._below = Strip([])  # what is drawn below the card
        self._parts: dict[tuple, list[Strip]] = {}  # rendered lines, by what they show
        self._rendered_for: tuple | None = None  # the width and styles of those lines
        self._style_set: tuple[str, tuple[Style, ...]] | None = None  # theme, its styles
        self._ahead: Timer | None = None
        # What gives the card most likely shown after this one, and its kind (if any).
        self._upcoming: Callable[[], tuple[Card, str] | None] = lambda: None

    # -- what is shown -------------------------------------------------------------------

    def show(self, card: Card, kind: str) -> None:
        """Show a card's front (another card, or the same again), its back hidden."""
        self.card, self.kind, self.revealed = card, kind, False
        if self.scroll_offset.y:  # a no-op scroll still costs a tenth of a millisecond
            self.scroll_home(animate=False)
        self._update()
        self._render_ahead_soon()

    def reveal(self) -> None:
        """Show the back below the front."""
        self.revealed = True
        self._update()

    def prepare(self, upcoming: Callable[[], tuple[Card, str] | None]) -> None:
        """Render the lines of the card ``upcoming`` gives (a card and its kind, or None)
        soon, unseen, so that showing it next is a swap. It is asked then, after each card
        shown, not in the key that shows one."""
        self._upcoming = upcoming
        self._render_ahead_soon()

    @property
    def lines(self) -> list[Strip]:
        """The lines of the card as it is shown now, scrolled out of sight or not."""
        return self._shown

    @property
    def text(self) -> str:
        """The plain text the view shows, every line of it (scrolled out of sight or not)."""
        return "\n".join(line.text.rstrip() for line in self._lines())

    def on_mount(self) -> None:
        self._render_ahead_soon()  # the first card's back, once its front is on screen

    def _update(self) -> None:
        """Draw the card as it is now: only the lines on screen that changed are drawn
        again (from one card to the next, most lines are the same blank ones)."""
        before = self._shown
        self._set_shown()
        height = self.content_region.height
        # A card that fits is given no height: then a new card changes nothing of the
        # layout (a new layout redraws the whole screen).
        self.virtual_size = Size(self._shown_width,
                                 len(self._shown) if len(self._shown) > height else 0)
        top = self.scroll_offset.y
        changed = [y for y in range(height)
                   if _line(before, top + y) != _line(self._shown, top + y)]
        if changed:  # in the coordinates of the content
            self.refresh(Region(0, changed[0], self._shown_width, changed[-1] - changed[0] + 1))

    def _set_shown(self) -> None:
        # Once per change, not per line drawn: a widget's style takes a walk up the DOM.
        self._shown, self._shown_width, self._below = self._lines(), self._width(), self._blank()

    def _lines(self) -> list[Strip]:
        """The lines of the card as it is shown now (front, or front and back)."""
        card = self.card
        if card is None:
            return []
        lines = self._front_lines(card, self.kind)
        if self.revealed:
            lines = lines + self._back_lines(card)
        return lines

    def render_line(self, y: int) -> Strip:
        """The ``y``-th line of the view, scrolled. The lines are as wide as the view."""
        if self._width() != self._shown_width:  # the first frame may come before a resize
            self._set_shown()
        index = self.scroll_offset.y + y
        return self._shown[index] if index < len(self._shown) else self._below

    def on_resize(self) -> None:
        if self._width() != self._shown_width:  # not when only the card's height changed
            self._update()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_set = None
        # After a change of theme the lines are drawn in its colours: not right now, while
        # the styles are being applied (the component styles may not be there yet).
        self._shown_width = -1
        self.call_later(self._update)

    # -- rendering ahead -------------------------------------------------------------------

    def _render_ahead_soon(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
        self._ahead = self.set_timer(AHEAD_DELAY, self._render_ahead)

    def _render_ahead(self) -> None:
        """This card's back, then the next card's front and back, into the cache."""
        self._ahead = None
        if self.card is not None:
            self._back_lines(self.card)
        upcoming = self._upcoming()
        if upcoming is not None:
            card, kind = upcoming
            self._front_lines(card, kind)
            self._back_lines(card)

    def _front_lines(self, card: Card, kind: str) -> list[Strip]:
        return self._part(partial(self._front, card, kind), ("front", kind, card.tags, card.front))

    def _back_lines(self, card: Card) -> list[Strip]:
        key = ("back", card.back, card.kind == "cloze", card.source)
        return self._part(partial(self._back, card), key)

    # -- rendering -------------------------------------------------------------------------

    def _part(self, build: Callable[[], list[Strip]], key: tuple) -> list[Strip]:
        """The lines of one part of a card, from the cache or built now."""
        rendered_for = (self._width(), self._styles())
        if self._rendered_for != rendered_for:
            self._parts.clear()
            self._rendered_for = rendered_for
        lines = self._parts.get(key)
        if lines is None:
            lines = self._parts[key] = build()
            while len(self._parts) > CACHED_PARTS:
                del self._parts[next(iter(self._parts))]
        return lines

    def _render(self, renderable: RenderableType, strong: Style | None = None) -> list[Strip]:
        """``renderable`` as lines as wide as the view, in the widget's colours (and
        ``strong`` for Markdown's bold)."""
        width = self._width()
        if width <= 0:
            return []
        console = self.app.console
        options = console.options.update(width=width, height=None)
        theme = _markdown_theme(self._styles(), strong)
        with console.use_theme(theme):
            lines = console.render_lines(renderable, options, style=self.rich_style)
        return [Strip(line, width) for line in lines]

    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 0)

    def _styles(self) -> tuple[Style, ...]:
        """The styles the lines are drawn with: a change of theme renders them again.

        Worked out once per theme and kept until the styles change (``notify_style_update``):
        each is a walk up the DOM, ~0.25 ms per card when asked on every one."""
        theme = self.app.theme
        if self._style_set is None or self._style_set[0] != theme:
            self._style_set = (theme, (self.rich_style, *(
                self.get_component_rich_style(name) for name in sorted(self.COMPONENT_CLASSES))))
        return self._style_set[1]

    def _front(self, card: Card, kind: str) -> list[Strip]:
        """The kind and tags line, a blank line, then the front."""
        tags = ", ".join(card.tags)
        meta = KIND_LABELS.get(kind, kind) + (("  ·  " + tags) if tags else "")
        return [*self._muted(meta), self._blank(), *self._markdown(card.front)]

    def _back(self, card: Card) -> list[Strip]:
        """A rule and a blank line, the back (a cloze answer in accent colour), the source."""
        rule = Rule(style=self.get_component_rich_style("card-view--rule"))
        accent = self.get_component_rich_style("card-view--accent")
        lines = [*self._render(Padding(rule, MARGIN)), self._blank()]
        lines += self._markdown(card.back, accent if card.kind == "cloze" else None)
        if card.source:
            lines += self._muted("source: " + card.source)
        return lines

    def _blank(self) -> Strip:
        """An empty line, as wide as the view."""
        return Strip.blank(self._width(), self._styles()[0])

    def _muted(self, text: str) -> list[Strip]:
        muted = self.get_component_rich_style("card-view--muted")
        return self._render(Padding(Text(text, style=muted), MARGIN))

    def _markdown(self, text: str, strong: Style | None = None) -> list[Strip]:
        """Card text as Markdown, without the blank lines Rich puts around some blocks."""
        if PLAIN.fullmatch(text):
            markdown: RenderableType = Text(text, justify="left")
        else:
            from flashcards.tui.widgets.card_markdown import CardMarkdown

            markdown = CardMarkdown(text, "monokai" if self.app.current_theme.dark else "default")
        lines = self._render(Padding(markdown, MARGIN), strong)
        shown = [i for i, line in enumerate(lines) if line.text.strip()]
        return lines[shown[0]:shown[-1] + 1] if shown else lines


def _line(lines: list[Strip], y: int) -> Strip | None:
    return lines[y] if y < len(lines) else None


def _markdown_theme(styles: tuple[Style, ...], strong: Style | None) -> Theme:
    """Rich's ``markdown.*`` styles in the colours of the app's theme."""
    _base, accent, code, heading, muted, rule = styles
    return Theme({
        "markdown.strong": strong or Style(bold=True),
        **{f"markdown.h{level}": heading for level in range(1, 8)},
        "markdown.code": code, "markdown.code_block": Style(), "markdown.block_quote": muted,
        "markdown.hr": rule, "markdown.list": accent, "markdown.item.number": accent,
        "markdown.item.bullet": accent, "markdown.link": accent,
        "markdown.link_url": accent + Style(underline=True),
        "markdown.table.border": rule, "markdown.table.header": Style(bold=True),
    }, inherit=True)

"""A footer of the keys that work right now, with labels a screen may compute per moment.

Textual's ``Footer`` shows each binding's fixed description. The review needs labels that
change with every card ("4 good 6d"), so this footer asks its screen for them through an
optional ``key_label(binding) -> str | None`` method, and wraps onto more lines when the
terminal is narrow (up to 40% of its height) instead of hiding keys.

At a given width the footer never gets shorter: in a review the keys alternate between one
line (show answer) and two (the grades), and a footer that followed them would move the
card up and down, redrawing the whole screen on every key.

Its lines are kept rendered by what they show, so a key that brings back keys shown before
(a review's front, the same for every card) costs no rendering; a screen that asks twice
for one change of keys gets one redraw. A screen may also say what its keys depend on
(``keys_state() -> tuple``): for a state seen before, the keys are not read again (reading
them asks every binding of the focus chain whether it may run).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual
from textual.widget import Widget

SEPARATOR = "  "
CACHED = 8  # sets of keys kept built and rendered: the front's, and a few cards' grades
Entries = tuple[tuple[Binding, str], ...]  # the binding and label of each key shown


class KeyFooter(Widget):
    """The enabled, shown bindings of the screen, one ``key label`` item each."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        max-height: 40%;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        background: $footer-background;
        color: $footer-description-foreground;
        link-style: none;
        link-style-hover: reverse;
        link-background-hover: transparent;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-footer--key"}
    ALLOW_SELECT = False

    def __init__(self, immediate: bool = False, **kwargs: object) -> None:
        """``immediate``: the keys are read in the screen's ``refresh_bindings()`` call
        itself, not once the message at hand is handled: for a screen that calls it only
        when its state is settled (the review does, on every key: a step less per key)."""
        super().__init__(**kwargs)
        self._immediate = immediate
        self._tallest: dict[int, int] = {}  # width -> the most lines shown at that width
        self._entries: Entries | None = None  # what is shown now (None: not read yet)
        # Built items and rendered lines by what they show (and width): a review's footer
        # alternates between the front's keys, the same for every card, and the grades.
        self._items: dict[Entries, list[Content]] = {}
        self._lines: dict[tuple[Entries, int], list[Content]] = {}  # packed, by width
        self._strips: dict[tuple[Entries, int], list[Strip]] = {}
        self._by_state: dict[tuple, Entries] = {}  # keys read, by focus and screen state

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed,
                                                      immediate=self._immediate)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def notify_style_update(self) -> None:
        self._items.clear()  # a theme change recolours the keys
        self._lines.clear()
        self._strips.clear()
        super().notify_style_update()

    def _bindings_changed(self, _screen: object) -> None:
        entries = self._read_entries()
        if entries == self._entries:  # a screen may ask twice for one change: drawn once
            return
        self._entries = entries
        # A new layout (costly: the whole screen) only when the footer changes height.
        width = self.content_region.width
        self.refresh(layout=not width or self._height(width) != self.size.height)

    def _read_entries(self) -> Entries:
        """The key and label of each action that can run now, in the screen's order."""
        screen = self.screen
        keys_state = getattr(screen, "keys_state", None)
        if keys_state is None:
            return self._read_bindings()
        state = (screen.focused, keys_state())
        entries = self._by_state.get(state)
        if entries is None:
            entries = self._by_state[state] = self._read_bindings()
            _trim(self._by_state)
        return entries

    def _read_bindings(self) -> Entries:
        """The key and label of each action that can run now, read from the bindings."""
        screen = self.screen
        key_label = getattr(screen, "key_label", None)
        seen: set[str] = set()
        entries = []
        for active in screen.active_bindings.values():
            binding: Binding = active.binding
            if not (binding.show and active.enabled) or binding.action in seen:
                continue
            seen.add(binding.action)
            entries.append((binding,
                            (key_label(binding) if key_label else None) or binding.description))
        return tuple(entries)

    def items(self) -> list[Content]:
        """One item per action that can run now: its first key and its label."""
        entries = self._shown()
        items = self._items.get(entries)
        if items is None:
            items = self._items[entries] = self._build_items(entries)
            _trim(self._items)
        return items

    def _shown(self) -> Entries:
        if self._entries is None:
            self._entries = self._read_entries()
        return self._entries

    def _build_items(self, entries: Entries) -> list[Content]:
        key_style = self.get_visual_style("key-footer--key")
        items = []
        for binding, label in entries:
            item = Content.assemble((self.app.get_key_display(binding), key_style), " ", label)
            click = Style.from_meta({"@click": f"app.simulate_key({binding.key!r})"})
            items.append(item.stylize(click))
        return items

    def lines(self, width: int) -> list[Content]:
        """The items packed into lines of at most ``width`` cells, never splitting one."""
        key = (self._shown(), width)
        lines = self._lines.get(key)
        if lines is None:
            lines = self._lines[key] = self._pack(width)
            _trim(self._lines)
        return lines

    def _pack(self, width: int) -> list[Content]:
        lines: list[Content] = []
        line = Content()
        for item in self.items():
            if line.cell_length and line.cell_length + len(SEPARATOR) + item.cell_length > width:
                lines.append(line)
                line = Content()
            line = line + SEPARATOR + item if line.cell_length else item
        lines.append(line)
        return lines

    def _height(self, width: int) -> int:
        """Lines for the keys at ``width``, or more if it ever needed more there."""
        tallest = self._tallest[width] = max(len(self.lines(width)), self._tallest.get(width, 0))
        return tallest

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self._height(width)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the keys, from the lines rendered for what is shown at this size."""
        size = self.size
        key = (self._shown(), size)
        strips = self._strips.get(key)
        if strips is None:
            keys = Content("\n").join(self.lines(size.width))
            strips = self._strips[key] = Visual.to_strips(self, keys, size.width, size.height,
                                                          self.visual_style)
            _trim(self._strips)
        return strips[y] if y < len(strips) else Strip.blank(size.width, self.rich_style)


def _trim(cache: dict) -> None:
    """Keep the last few entries of a cache (dicts keep their order of insertion)."""
    while len(cache) > CACHED:
        del cache[next(iter(cache))]

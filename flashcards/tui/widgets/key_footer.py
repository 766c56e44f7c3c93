"""A footer of the keys that work right now, with labels a screen may compute per moment.

Textual's ``Footer`` shows each binding's fixed description. The review needs labels that
change with every card ("4 good 6d"), so this footer asks its screen for them through an
optional ``key_label(binding) -> str | None`` method, and wraps onto more lines when the
terminal is narrow (up to 40% of its height) instead of hiding keys.

At a given width the footer never gets shorter: in a review the keys alternate between one
line (show answer) and two (the grades), and a footer that followed them would move the
card up and down, redrawing the whole screen on every key.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.content import Content
from textual.style import Style
from textual.widget import Widget

SEPARATOR = "  "


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

    _items: list[Content] | None = None

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._tallest: dict[int, int] = {}  # width -> the most lines shown at that width

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def notify_style_update(self) -> None:
        self._items = None  # a theme change recolours the keys
        super().notify_style_update()

    def _bindings_changed(self, _screen: object) -> None:
        self._items = None
        # A new layout (costly: the whole screen) only when the footer changes height.
        width = self.content_region.width
        self.refresh(layout=not width or self._height(width) != self.size.height)

    def items(self) -> list[Content]:
        """One item per action that can run now: its first key and its label."""
        if self._items is None:
            self._items = self._build_items()
        return self._items

    def _build_items(self) -> list[Content]:
        screen = self.screen
        key_label = getattr(screen, "key_label", None)
        key_style = self.get_visual_style("key-footer--key")
        seen: set[str] = set()
        items = []
        for active in screen.active_bindings.values():
            binding: Binding = active.binding
            if not (binding.show and active.enabled) or binding.action in seen:
                continue
            seen.add(binding.action)
            label = (key_label(binding) if key_label else None) or binding.description
            item = Content.assemble(
                (self.app.get_key_display(binding), key_style),
                " ",
                label,
            )
            click = Style.from_meta({"@click": f"app.simulate_key({binding.key!r})"})
            items.append(item.stylize(click))
        return items

    def lines(self, width: int) -> list[Content]:
        """The items packed into lines of at most ``width`` cells, never splitting one."""
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

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_region.width or self.size.width))

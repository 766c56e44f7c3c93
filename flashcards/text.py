"""Which characters of user text could act on a terminal, and how to show them inert
(whole, or clipped to fit a one-line message).

Card text may hold tabs and newlines but no other control character: ESC starts the
sequences that clear the screen, leave the alternate screen or set the window title, and
the C1 range holds 8-bit forms of the same (U+009B is CSI). The deck loader refuses them;
the app and the command line still never print one (a database written before that rule).
"""

from __future__ import annotations

import re

__all__ = ["CONTROL_CHARACTER", "clip", "format_duration", "format_interval", "printable"]

# C0 except tab and newline, DEL, and C1.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with each control character written as a visible escape (ESC -> \\x1b)."""
    return CONTROL_CHARACTER.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def clip(text: str, width: int = 40) -> str:
    """User text made fit for a one-line message: control characters escaped, whitespace
    flattened, long text cut."""
    head = text[: width * 8]  # a long value is cut anyway: only its start is looked at
    flat = " ".join(printable(head).split())
    return flat if len(flat) <= width and head == text else flat[: width - 1] + "…"


def format_duration(seconds: float) -> str:
    """A duration for people: ``42s``, ``3m 05s`` or ``1h 02m``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def format_interval(days: int) -> str:
    """An interval as Anki shows it: 1d, 6d, 15d, 2.3mo, 1.5y."""
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"

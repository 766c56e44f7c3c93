"""Helpers for driving the app with Pilot."""

from __future__ import annotations


async def wait_until(pilot, condition, seconds: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (a retry lands), failing after ``seconds``."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the condition never held")


def card_sides(view) -> tuple[str, str]:
    """The front and the back (with its source line) a ``CardView`` shows, each line
    stripped; the back is "" until it is revealed."""
    lines = view.text.split("\n")[2:]  # after the kind and tags line, and a blank line
    rule = next((i for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"─"}),
                len(lines))
    return ("\n".join(line.strip() for line in lines[:rule]),
            "\n".join(line.strip() for line in lines[rule + 2:]))

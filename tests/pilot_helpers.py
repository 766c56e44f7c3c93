"""Helpers for driving the app with Pilot."""

from __future__ import annotations


async def wait_until(pilot, condition, seconds: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (a retry lands), failing after ``seconds``."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the condition never held")

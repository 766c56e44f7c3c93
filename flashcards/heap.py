"""Pausing Python's cyclic garbage collector around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: for building many objects that form no cycle
    (a deck's cards, its YAML text, a replay's states, FSRS's training items), where the
    collector would find nothing, yet every few hundred thousand new objects it would walk
    the caller's whole heap (a running app's too, or a million answers read ahead)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

"""``heap.paused_gc``: bulk work without the cyclic collector."""

from __future__ import annotations

import gc

from flashcards.heap import paused_gc


def test_the_collector_is_paused_inside_and_given_back_as_it_was():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the outer pause holds
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

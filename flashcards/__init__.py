"""Spaced-repetition flashcards for the terminal: YAML decks, SQLite, exact SM-2.

Importing the package loads no UI: the core lives in ``decks``, ``sm2``, ``store``,
``session``, ``stats``, ``clock`` and ``paths``; the Textual app is ``flashcards.tui``.
"""

from flashcards.sm2 import SM2State, review
from flashcards.store import Card, Store, StoreError

__all__ = ["Card", "SM2State", "Store", "StoreError", "review"]

"""Spaced-repetition flashcards for the terminal: YAML decks, SQLite, exact SM-2.

Importing the package loads no UI. The layers, top to bottom (a test checks them):
presentation (``cli``, ``report``, ``tui``); use cases (``sync``, ``history``, ``session``,
``stats``, ``export``, ``draft``); adapters (``store``, ``schema``, ``decks``, ``yaml_safe``,
``cloze``, ``backup``, ``paths``); pure (``scheduling``, ``sm2``, ``model``, ``clock``, ``text``).
"""

"""``python -m flashcards``: the same as the ``flashcards`` command."""

from flashcards.cli import main

main()

"""Anki packages in and out: ``.apkg``/``.colpkg`` -> deck files and review history
(``importer``), our decks -> ``.apkg`` (``exporter``).

``package`` opens a package safely (zip checks, streamed zstd, the schema version),
``collection`` reads its notes, cards and review log whatever the schema, and ``fields``
turns Anki's HTML fields into Markdown.
"""

"""Deck files as files: finding them, hashing them, and the error every deck problem is.

No YAML here: a start that finds every deck file unchanged (same SHA-256) needs only this,
and never loads PyYAML (~20 ms); ``flashcards.decks`` reads what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from flashcards.text import clip


class NamedDeck(Protocol):
    """What telling clashing deck names needs of a deck (``decks.DeckFile`` has it)."""

    path: Path
    name: str
    name_line: int


class DeckError(Exception):
    """One or more problems in deck files; .errors is a list of one-line messages."""

    def __init__(self, errors: str | Iterable[str]) -> None:
        self.errors: list[str] = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(self.errors)


class StreamFailed(Exception):
    """A streamed deck's entries (see ``decks.load_deck``) met a problem, or text the fast
    path does not read, after some of its cards were handed on: what they were written to is
    undone, and the file read again, not streamed (the strict reader reports every problem)."""


def file_hash(data: bytes) -> str:
    """Hex SHA-256 of a file's raw bytes, to notice when a deck changed."""
    return hashlib.sha256(data).hexdigest()


def find_deck_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, plus every *.yaml / *.yml below the given directories (sorted)."""
    errors: list[str] = []
    found = gather_deck_files(paths, errors)
    if errors:
        raise DeckError(errors)
    return found


def duplicate_deck_errors(
    decks: Iterable[NamedDeck], taken: dict[str, Path] | None = None
) -> list[str]:
    """One error for each deck whose name another file (or ``taken``) already defines."""
    defined_in = dict(taken or {})
    errors = []
    for deck in decks:
        other = defined_in.setdefault(deck.name, deck.path)
        if other != deck.path:
            errors.append(
                f"{deck.path}:{deck.name_line}: deck '{clip(deck.name)}' is also defined in {other}"
            )
    return errors


def gather_deck_files(paths: Iterable[str | Path], errors: list[str]) -> list[Path]:
    """``find_deck_files``, with a path that is not there added to ``errors``."""
    found: dict[Path, None] = {}  # a dict keeps the order and drops a file named twice
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                # Hidden files and folders are editor backups, lock files, .git and the like.
                if (
                    candidate.suffix.lower() in (".yaml", ".yml")
                    and not any(part.startswith(".") for part in relative)
                    and candidate.is_file()
                ):
                    found[candidate] = None
        elif path.is_file():
            found[path] = None
        elif path.exists():  # a device or a pipe: /dev/zero would be read for ever
            errors.append(f"{given}: not a file (a deck is a YAML file)")
        else:
            errors.append(f"{given}: no such file or directory")
    return list(found)


def read_file(path: Path) -> bytes:
    """A deck file's bytes; an unreadable file is a one-line DeckError."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise DeckError(f"{path}: cannot read: {error.strerror or error}") from None


def hash_file(path: Path) -> str:
    """``file_hash`` of a deck file, read a piece at a time; unreadable, a DeckError."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as error:
        raise DeckError(f"{path}: cannot read: {error.strerror or error}") from None

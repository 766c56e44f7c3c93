"""Editing a card in ``$EDITOR`` at its line, then importing its deck file again.

The review and the browser both offer ``e``: the terminal is handed to the editor, and the
deck file is imported again once it closes (in a worker, on a connection of its own).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from textual.app import SuspendNotSupported
from textual.screen import Screen

from flashcards.model import Card
from flashcards.store import Store


def editor_command(path: str, line: int | None) -> list[str] | None:
    """``$VISUAL``/``$EDITOR`` (else vi) opening ``path`` at ``line``; None if there is none."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or shutil.which("vi")
    if not editor:
        return None
    return [*shlex.split(editor), *([f"+{line}"] if line else []), path]


def run_editor(command: list[str]) -> str | None:
    """Run the editor and wait for it; a one-line problem if it could not start.

    Nothing may raise out of ``App.suspend()``: the terminal would stay handed over.
    """
    try:
        subprocess.run(command, check=False)
    except OSError as error:
        return f"cannot run {command[0]}: {error.strerror}"
    return None


def edit_in_editor(screen: Screen, card: Card) -> bool:
    """Open the card's deck file in the editor at its line and wait for it to close; True
    when the editor ran (the file may have changed), else the user is told why not."""
    if not card.file or not os.path.exists(card.file):
        screen.notify(f"no deck file for this card: {card.file or '(none)'}",
                      severity="error", markup=False)
        return False
    command = editor_command(card.file, card.line)
    if command is None:
        screen.notify("set $EDITOR to edit cards", severity="error", markup=False)
        return False
    try:
        with screen.app.suspend():
            failure = run_editor(command)
    except SuspendNotSupported:
        failure = "this terminal cannot be handed to an editor"
    if failure:
        screen.notify(failure, severity="error", markup=False)
        return False
    return True


def reimport_deck(db_path: Path, path: str) -> list[str]:
    """Sync one deck file into the database on a connection of its own (call it from a
    worker); what is wrong with the file, each with its file:line, or [] once imported."""
    from flashcards.decks import DeckError
    from flashcards.sync import import_files

    store = Store.open(db_path)
    try:
        import_files(store, [path])
    except DeckError as error:  # a broken file: nothing was written
        return error.errors
    finally:
        store.close()
    return []

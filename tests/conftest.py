"""Every test runs with its own database, a fixed clock and no access to real user data."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashcards.store import Store
from flashcards.sync import import_files

NOW = "2026-03-10T09:00:00+01:00"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the database, the clock and the user dirs at the test's own tmp_path."""
    monkeypatch.setenv("FLASHCARDS_DB", str(tmp_path / "test.db"))
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("FLASHCARDS_DECKS", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh, migrated store."""
    opened = Store.open(tmp_path / "test.db")
    yield opened
    opened.close()


@pytest.fixture
def write_deck(tmp_path: Path):
    """Write a deck file from YAML text; returns its path."""

    def write(text: str, name: str = "deck.yaml") -> Path:
        path = tmp_path / "decks" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def deck_path(request: pytest.FixtureRequest, write_deck) -> Path:
    """The test module's ``DECK`` text, written as a deck file."""
    return write_deck(request.module.DECK)


@pytest.fixture
def loaded(store: Store, deck_path: Path) -> Store:
    """The store with the test module's ``DECK`` imported."""
    import_files(store, [deck_path])
    return store

"""Your files are the truth: sources synced on every start, the bundled decks as your own files."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from flashcards import paths
from flashcards.cli import cli
from flashcards.store import Store
from flashcards.sync import import_files, open_decks, sources
from flashcards.tui.app import FlashcardsApp, make_app
from flashcards.tui.widgets.card_view import CardView

DECK = "deck: 牌组\ncards:\n  - {id: a, front: 旧的问题, back: 答案}\n  - {id: b, front: 问 b, back: 答 b}\n"


@pytest.fixture
def a_terminal(monkeypatch) -> None:
    monkeypatch.setattr("flashcards.cli._require_terminal", lambda: None)


@pytest.fixture
def opened(monkeypatch) -> list[FlashcardsApp]:
    """The apps the command line would run, not run."""
    apps: list[FlashcardsApp] = []
    monkeypatch.setattr(FlashcardsApp, "run", lambda app: apps.append(app))
    return apps


def fronts(store: Store) -> list[str]:
    return [row[0] for row in store.query("SELECT front FROM cards WHERE retired = 0 ORDER BY 1")]


async def test_an_edited_deck_is_on_screen_at_the_next_start_with_no_import(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    path.write_text(DECK.replace("旧的问题", "新的问题"), encoding="utf-8")
    report, _ = open_decks(store)
    assert [(deck.deck, deck.updated) for deck in report.decks] == [("牌组", 1)]
    app = make_app(store, start="review")
    async with app.run_test(size=(100, 30)):
        assert app.screen.query_one(CardView).card.front == "新的问题"


async def test_an_invalid_edit_opens_the_app_and_shows_the_error(store, write_deck, tmp_path):
    path = write_deck(DECK)
    good = write_deck(DECK.replace("牌组", "另一个"), "other.yaml")
    import_files(store, [path.parent])
    path.write_text(DECK.replace("front: 旧的问题", "frnt: 旧的问题"), encoding="utf-8")
    good.write_text(DECK.replace("牌组", "另一个").replace("问 b", "改过的问题"), encoding="utf-8")
    report, _ = open_decks(store)
    assert report.problems and report.problems[0].startswith(f"{path}:3: ")
    assert "旧的问题" in fronts(store) and "改过的问题" in fronts(store)  # the good file synced
    (source,) = sources(store)
    assert source.problem.startswith(f"{path}:3: ")
    app = make_app(store, problems=report.problems)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert any(f"{path}:3: " in text for text in toasts)


def test_a_deleted_file_retires_its_cards_and_a_new_file_is_picked_up(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    path.unlink()
    write_deck(DECK.replace("牌组", "新牌组").replace("旧的问题", "新文件的问题"), "new.yaml")
    report, _ = open_decks(store)
    assert {deck.deck: (deck.added, deck.retired) for deck in report.decks} == {
        "牌组": (0, 2), "新牌组": (2, 0)}
    assert store.deck_names() == ["新牌组"]


def test_a_missing_source_folder_is_a_problem_and_keeps_its_cards(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    shutil.rmtree(path.parent)  # an unmounted drive looks the same: nothing is retired
    report, _ = open_decks(store)
    assert report.problems == [f"{path.parent}: no such file or directory"]
    assert len(fronts(store)) == 2


def test_the_first_run_copies_the_bundled_decks_into_the_users_folder(tmp_path, opened,
                                                                      a_terminal):
    result = CliRunner().invoke(cli, [], catch_exceptions=False)
    assert result.exit_code == 0
    mine = paths.user_decks_dir()
    assert mine.is_relative_to(tmp_path)
    bundled = sorted(p.name for p in paths.bundled_decks_dir().glob("*.yaml"))
    assert sorted(p.name for p in mine.glob("*.yaml")) == bundled
    store = Store.open(tmp_path / "test.db")
    files = {row[0] for row in store.query("SELECT DISTINCT source_path FROM decks")}
    assert files == {str((mine / name).resolve()) for name in bundled}  # e edits these
    assert opened[0].notices == [f"Your decks are in {mine}: edit them there."]
    assert [source.path for source in sources(store)] == [str(mine.resolve())]


def test_decks_imported_from_the_package_move_to_the_users_folder(store, tmp_path):
    bundled = paths.bundled_decks_dir()
    import_files(store, [bundled])  # as an older version did
    store.answer(store.query("SELECT min(id) FROM cards")[0][0], 4)
    before = store.query("SELECT id, deck_id, key FROM cards ORDER BY id")
    _, notices = open_decks(store)
    mine = paths.user_decks_dir()
    assert notices == [f"The bundled decks are now your own files, in {mine}."]
    files = {row[0] for row in store.query("SELECT DISTINCT source_path FROM decks")}
    assert all(file.startswith(str(mine.resolve())) for file in files)
    assert store.query("SELECT id, deck_id, key FROM cards ORDER BY id") == before
    assert store.query("SELECT count(*) FROM reviews") == [(1,)]


def test_a_user_deck_is_never_overwritten_and_init_copies_what_is_missing(tmp_path):
    mine = paths.user_decks_dir()
    mine.mkdir(parents=True)
    first = min(paths.bundled_decks_dir().glob("*.yaml"))
    (mine / first.name).write_text("deck: 我自己的\ncards: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", "--bundled"])
    assert result.exit_code == 0, result.output
    assert (mine / first.name).read_text(encoding="utf-8") == "deck: 我自己的\ncards: []\n"
    copied = len(list(paths.bundled_decks_dir().glob("*.yaml"))) - 1
    assert f"{copied} deck files copied into {mine}" in result.output


def test_sources_lists_and_forgets(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    store.close()
    listing = CliRunner().invoke(cli, ["sources"]).output
    assert str(path.parent) in listing and "牌组" in listing
    result = CliRunner().invoke(cli, ["sources", "--remove", str(path.parent)])
    assert result.exit_code == 0, result.output
    store = Store.open(store.path)
    assert store.deck_names() == [] and sources(store) == []
    assert store.query("SELECT count(*) FROM cards WHERE retired = 1") == [(2,)]


def test_sync_says_what_changed_and_exits_1_on_a_problem(store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    store.close()
    assert CliRunner().invoke(cli, ["sync"]).output == "all sources in sync\n"
    path.write_text("deck: 牌组\ncards: [", encoding="utf-8")
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 1 and result.output.startswith(f"{path}:")


async def test_a_file_edited_while_the_app_is_open_is_synced_when_home_comes_back(
        store, write_deck):
    path = write_deck(DECK)
    import_files(store, [path.parent])
    app = make_app(store)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        path.write_text(DECK.replace("旧的问题", "新的问题"), encoding="utf-8")
        broken = write_deck("deck: 坏的\ncards:\n  - {id: x, front: 问}\n", "broken.yaml")
        await pilot.press("R")  # a review, then home again
        await pilot.press("q")
        await app.workers.wait_for_complete()
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert any("synced from their files: 牌组" in text for text in toasts), toasts
        assert sum(f"{broken}:3: " in text for text in toasts) == 1
        await pilot.press("R")
        assert app.screen.query_one(CardView).card.front == "新的问题"


def test_a_start_that_finds_every_deck_unchanged_loads_no_yaml_reader(store, write_deck):
    import subprocess
    import sys

    import_files(store, [write_deck(DECK).parent])
    code = ("import sys; from flashcards.store import Store; from flashcards.sync import "
            f"open_decks; open_decks(Store.open({str(store.path)!r})); "
            "print(sorted(m for m in ('yaml', 'ryml', 'flashcards.decks') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"

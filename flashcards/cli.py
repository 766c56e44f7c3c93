"""The ``flashcards`` command line: thin click commands over the library.

Every command takes ``--db PATH`` (also accepted before the command name); otherwise
``FLASHCARDS_DB`` or the user data dir is used. Errors are one line each, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from flashcards import paths
from flashcards.clock import ClockError
from flashcards.store import ImportReport, Store, StoreError

DB_META = "flashcards.db"


class UserError(click.ClickException):
    """One or more one-line problems for the user; printed as they are, exit code 1."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class Group(click.Group):
    """A click group that turns expected failures into one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        from flashcards.decks import DeckError

        try:
            return super().invoke(ctx)
        except DeckError as error:
            count = len(error.errors)
            raise UserError(
                [*error.errors, f"{count} error{'s' * (count != 1)}: nothing was changed"]
            ) from None
        except (StoreError, ClockError) as error:
            raise UserError([f"error: {error}"]) from None
        except sqlite3.Error as error:
            raise UserError([f"error: database: {error}"]) from None
        except OSError as error:
            raise UserError([f"error: {error.filename or ''}: {error.strerror}"]) from None


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[DB_META] = value


def db_option(command: Callable) -> Callable:
    """``--db PATH``: the database to use, on the group and on every command."""
    return click.option(
        "--db", type=click.Path(dir_okay=False), expose_value=False, callback=_remember_db,
        help="Database file (default: $FLASHCARDS_DB, else the user data dir).",
    )(command)


def open_store() -> Store:
    """The store the command line asked for; the default location is created if missing."""
    path = paths.db_path(click.get_current_context().meta.get(DB_META))
    return Store.open(path, create_dirs=path == paths.default_db_path())


@click.group(cls=Group, invoke_without_command=True)
@db_option
@click.version_option(package_name="flashcards")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Spaced-repetition flashcards in the terminal: YAML decks, SQLite, exact SM-2."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@cli.command("import")
@click.argument("paths_", metavar="PATH...", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True, help="Show what would change without writing.")
@db_option
def import_(paths_: tuple[str, ...], dry_run: bool) -> None:
    """Sync deck files (or directories of *.yaml / *.yml) into the database.

    All files are one transaction: if any is invalid, nothing is written. Cards missing
    from a file are retired (hidden, history kept), never deleted.
    """
    store = open_store()
    report = _import_with_progress(store, paths_, dry_run)
    _print_report(report, dry_run)


def _import_with_progress(store: Store, paths_: tuple[str, ...], dry_run: bool) -> ImportReport:
    """Run the import, with a progress bar when a person is watching a big one."""
    total = sum(p.stat().st_size for p in _deck_files(paths_))
    if not (sys.stderr.isatty() and total > 1_000_000):
        return store.import_files(paths_, dry_run=dry_run)
    from rich.progress import Progress

    with Progress(transient=True, console=_console(stderr=True)) as progress:
        task = progress.add_task("reading decks", total=total)
        return store.import_files(
            paths_, dry_run=dry_run, on_file=lambda _path, size: progress.advance(task, size)
        )


def _deck_files(paths_: tuple[str, ...]) -> list[Path]:
    from flashcards.decks import find_deck_files

    return find_deck_files(paths_)


def _print_report(report: ImportReport, dry_run: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="dry run: nothing written" if dry_run else None, box=None)
    for column in ("deck", "added", "updated", "unchanged", "retired", "drafts skipped"):
        table.add_column(column, justify="left" if column == "deck" else "right")
    for deck in report.decks:
        table.add_row(
            Text(deck.deck), *(str(n) for n in (deck.added, deck.updated, deck.unchanged,
                                          deck.retired, deck.drafts))
        )
    _console().print(table)


@cli.command()
@click.argument("paths_", metavar="[PATH...]", nargs=-1, type=click.Path())
@db_option
def check(paths_: tuple[str, ...]) -> None:
    """Validate deck files without touching the database; with no PATH, check the database."""
    if not paths_:
        store = open_store()
        problems = store.integrity_check()
        if problems:
            raise UserError([f"{store.path}: {problem}" for problem in problems])
        click.echo(f"{store.path}: ok")
        return
    from flashcards.decks import load_decks

    decks = load_decks(paths_)
    for deck in decks:
        for draft in deck.drafts:
            click.echo(f"{deck.path}:{draft.line}: draft: {draft.front}")
    cards = sum(len(deck.cards) for deck in decks)
    drafts = sum(len(deck.drafts) for deck in decks)
    click.echo(f"ok: {len(decks)} decks, {cards} cards, {drafts} drafts")


@cli.command()
@db_option
def decks() -> None:
    """List decks with their card, new and due counts."""
    from rich.table import Table
    from rich.text import Text

    store = open_store()
    table = Table(box=None)
    for column in ("deck", "cards", "new", "due", "suspended", "next due", "file"):
        table.add_column(column, justify="right" if column in {"cards", "new", "due",
                                                               "suspended"} else "left")
    for deck in store.deck_summaries(store.today()):
        table.add_row(
            Text(deck["name"]), str(deck["cards"]), str(deck["new"]), str(deck["due"]),
            str(deck["suspended"]), deck["next_due"] or "-", Text(deck["source"] or ""),
        )
    _console().print(table if table.rows else "no decks yet: flashcards import DECK.yaml")


@cli.command()
@click.argument("key", required=False)
@click.argument("value", required=False, type=int)
@db_option
def config(key: str | None, value: int | None) -> None:
    """Show the settings, or set one: rollover_hour, new_per_day, reviews_per_day."""
    store = open_store()
    if key is not None and value is not None:
        store.set_config(key, value)
    settings = store.config()
    if key is not None and key not in settings:
        raise UserError([f"error: unknown setting {key!r} (known: {', '.join(settings)})"])
    for name, setting in settings.items():
        if key in (None, name):
            click.echo(f"{name} = {setting}")


@cli.command()
@click.argument("notes", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the deck here.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def draft(notes: str, output: str | None, force: bool) -> None:
    """Write a YAML deck skeleton from a notes file: each question becomes a draft card."""
    from flashcards.draft import draft_deck

    text = draft_deck(Path(notes).read_text(encoding="utf-8"), deck_name=Path(notes).stem)
    write_output(text, output, force)


def write_output(text: str, output: str | None, force: bool) -> None:
    """Print to stdout, or write a new file (an existing one only with --force)."""
    if output is None:
        click.echo(text, nl=False)
        return
    target = Path(output)
    if target.exists() and not force:
        raise UserError([f"error: {target} exists; use --force to overwrite it"])
    target.write_text(text, encoding="utf-8")


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="flashcards")

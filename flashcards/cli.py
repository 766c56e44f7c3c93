"""The ``flashcards`` command line: thin click commands over the library.

Every command takes ``--db PATH`` (also accepted before the command name); otherwise
``FLASHCARDS_DB`` or the user data dir is used. Errors are one line each, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from flashcards import paths, scheduling, yaml_fast
from flashcards.backup import BackupError
from flashcards.clock import ClockError
from flashcards.export import (
    ANKI_FORMAT,
    EXPORT_FORMATS,
    EXPORTS,
    ExportError,
    export_columns,
    json_chunks,
)
from flashcards.model import SyncReport
from flashcards.schema import SCHEMA_VERSION
from flashcards.search import SearchError, compile_search, find_cards
from flashcards.store import Store, StoreError
from flashcards.text import printable

DB_META = "flashcards.db"
CARDS_PAGE = 50  # cards that `flashcards cards` lists on a terminal unless told otherwise
MAX_LIMIT = 2**63 - 2  # a limit, and the one more row asked for, are SQLite integers
PIPE_WIDTH = 1_000_000  # columns of a console that is no terminal: tables are never cut


class UserError(click.ClickException):
    """One or more one-line problems for the user; printed as they are (control characters
    escaped: a file name or deck text may hold ESC), exit code 1."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(printable(line) for line in lines))

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class Group(click.Group):
    """A click group that turns expected failures into one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _deck_error() as error:  # evaluated only once something was raised
            count = len(error.errors)
            raise UserError(
                [*error.errors, f"{count} error{'s' * (count != 1)}: nothing was changed"]
            ) from None
        except (StoreError, ClockError, BackupError, ExportError, SearchError) as error:
            raise UserError([f"error: {error}"]) from None
        except sqlite3.Error as error:
            path = paths.db_path(ctx.meta.get(DB_META))
            raise UserError([f"error: {path}: database: {error}"]) from None
        except BrokenPipeError:
            # The reader went away (`| head`): nothing more to say, and nowhere to say it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
        except OSError as error:
            raise UserError([f"error: {error.filename or ''}: {error.strerror}"]) from None


def _deck_error() -> type[Exception]:
    """``DeckError``, imported only when needed: ``decks`` loads PyYAML (~20 ms of start-up)."""
    from flashcards.decks import DeckError

    return DeckError


class FileToRead(click.Path):
    """An existing file for a command to read (or ``-``, standard input, where allowed). A
    device or a pipe named here is refused: /dev/zero would be read for ever, and a pipe
    nobody writes to waited on for ever."""

    def __init__(self, allow_dash: bool = False) -> None:
        super().__init__(exists=True, dir_okay=False, allow_dash=allow_dash)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        if path != "-" and not os.path.isfile(path):
            pipe = "; to read a pipe, give - and pipe it in" if self.allow_dash else ""
            self.fail(f"{click.format_filename(path)!r} is not a file{pipe}.", param, ctx)
        return path


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[DB_META] = value


def db_option(command: Callable) -> Callable:
    """``--db PATH``: the database to use, on the group and on every command."""
    return click.option(
        "--db", type=click.Path(dir_okay=False), expose_value=False, callback=_remember_db,
        help="Database file (default: $FLASHCARDS_DB, else the user data dir).",
    )(command)


def open_store(daily_backup: bool = True) -> Store:
    """The store the command line asked for; the default location is created if missing.

    The app passes ``daily_backup=False`` and makes the day's backup itself, in a thread
    once the first screen is up (copying a big database takes ~0.2 s).
    """
    ctx = click.get_current_context()
    path = paths.db_path(ctx.meta.get(DB_META))
    store = Store.open(path, create_dirs=path == paths.default_db_path(),
                       upgrading=_upgrade_status)
    ctx.call_on_close(store.close)
    if daily_backup:
        _daily_backup(store)
    return store


def _daily_backup(store: Store) -> None:
    """The day's first backup; one that fails is a warning (a full disk must not stop the
    command)."""
    try:
        store.daily_backup()
    except (OSError, sqlite3.Error) as error:
        click.echo(f"warning: the daily backup failed: {error}", err=True)


def _upgrade_status(version: int) -> AbstractContextManager:
    """A spinner on a terminal while a database of an older version is upgraded (a backup,
    then the migrations: a few seconds on a big one, once)."""
    if not sys.stderr.isatty():
        return nullcontext()
    return _console(stderr=True).status(
        f"upgrading the database from version {version} to {SCHEMA_VERSION} (backup first)")


@click.group(cls=Group, invoke_without_command=True)
@db_option
@click.version_option(package_name="flashcards")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Spaced-repetition flashcards in the terminal: YAML decks, SQLite, exact SM-2.

    With no command, opens the review app on its home screen.
    """
    if ctx.invoked_subcommand is None:
        _require_terminal()
        store = open_store(daily_backup=False)
        _run_app(store, deck=None, start="home", told=_open_decks(store))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("deck", required=False)
@click.option("--query", metavar="QUERY",
              help="Custom study: the due cards that QUERY finds (see `flashcards cards`), "
                   "whatever the daily limits.")
@click.option("--cram", is_flag=True,
              help="Every matching card, new ones too; answers are logged as cram and do not "
                   "move the schedule.")
@db_option
def review(deck: str | None, query: str | None, cram: bool) -> None:
    """Review the cards due today in the app: all decks, or only DECK; or study the cards
    of a search (--query, --cram)."""
    _require_terminal()
    store = open_store(daily_backup=False)
    if deck is not None and (query is not None or cram):
        raise UserError(["error: give a DECK or a --query, not both: deck:NAME goes in it"])
    search = compile_search(store, query or "") if query is not None or cram else None
    told = _open_decks(store)
    if deck is not None and deck not in (names := store.deck_names()):
        raise UserError([f"error: no deck named {deck!r} (known: {', '.join(names) or 'none'})"])
    _run_app(store, deck=deck, start="review", told=told, search=search, cram=cram)


def _require_terminal() -> None:
    """Refuse to start the app without a terminal (cron, nohup, a pipe): it reads keys from
    stdin and draws on stderr, and without a terminal it waits for keys forever at full CPU."""
    for name in ("stdin", "stdout", "stderr"):
        if not getattr(sys, name).isatty():
            raise UserError([f"error: the review app needs a terminal, and {name} is not one"])


def _open_decks(store: Store) -> dict[str, list[str]]:
    """Sync the deck files before the first screen (the first run copies the bundled
    decks into the user's folder), then merge the other devices' answers; returns what the
    app should tell the user."""
    from flashcards.sync import open_decks

    report, notices = open_decks(store)
    merged = _merge_folder(store)
    return {"notices": notices + _merged_lines(merged),
            "problems": report.problems + merged.problems}


def _merge_folder(store: Store) -> Any:
    """Merge the sync folder's logs (see ``history.merge_folder``), with a spinner on the
    terminal when there is much to merge."""
    from flashcards.history import merge_folder

    status = None

    def started(size: int) -> None:
        nonlocal status
        if size > 1_000_000 and sys.stderr.isatty():
            status = _console(stderr=True).status("merging your other devices' answers")
            status.start()

    try:
        return merge_folder(store, on_start=started)
    finally:
        if status is not None:
            status.stop()


def _merged_lines(merged: Any) -> list[str]:
    """What a merge of the sync folder did, for people; nothing when it did nothing."""
    lines = []
    if merged.added or merged.actions or merged.undone:
        lines.append(f"merged from your other devices: {merged.added} answer"
                     f"{'s' * (merged.added != 1)}, {merged.actions} card action"
                     f"{'s' * (merged.actions != 1)}, {merged.undone} undone, "
                     f"{merged.cards} card{'s' * (merged.cards != 1)} replayed")
    if merged.pending:
        lines.append(f"{merged.pending} entr{'ies' if merged.pending != 1 else 'y'} from other "
                     "devices wait for cards this machine does not have yet (sync their deck "
                     "files)")
    return lines


def _run_app(store: Store, deck: str | None, start: str, told: dict[str, list[str]],
             **study: Any) -> None:
    """Run the app; ``study`` is a custom study's ``search`` and ``cram``."""
    store.require_writable()  # refused before the first card, not at the first answer
    store.sync_in_background()  # a grade waits for its commit, not for the disk
    from flashcards.tui.app import make_app

    app = make_app(store, deck=deck, start=start, daily_backup=True, synced=True, **told,
                   **study)
    with yaml_fast.off():  # the app draws on stderr, which the fast path silences
        app.run()
    if app.return_code:  # a crash: Textual has restored the terminal and shown the traceback
        raise SystemExit(app.return_code)


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


@cli.command("sync")
@click.option("--status", "show_status", is_flag=True,
              help="Show each device of the sync folder: its last answer, how many of its "
                   "lines are merged here, and any line that could not be read.")
@db_option
def sync_(show_status: bool) -> None:
    """Sync every source again (the files and folders given to `import`, and the decks of
    the first run), then merge the answers of your other devices from the sync folder
    (`flashcards config sync_dir PATH`). The app does this on every start. Exit 1 if a
    source or a line of the sync folder has a new problem; decks stay as last synced."""
    if show_status:
        _print_folder_status(open_store(daily_backup=False))
        return
    from flashcards.sync import open_decks

    store = open_store()
    report, notices = open_decks(store)
    for notice in notices:
        click.echo(notice)
    report.decks = [deck for deck in report.decks if deck.added or deck.updated or deck.retired]
    if report.decks:
        _print_report(report, dry_run=False)
    merged = _merge_folder(store)
    for line in _merged_lines(merged):
        click.echo(line)
    if report.problems or merged.problems:
        raise UserError(report.problems + merged.problems)
    click.echo("all sources in sync")


def _print_folder_status(store: Store) -> None:
    from rich.table import Table
    from rich.text import Text

    from flashcards.history import folder_status, waiting_entries

    folder = store.config()["sync_dir"]
    if folder is None:
        raise UserError(["error: no sync folder: flashcards config sync_dir PATH"])
    table = Table(box=None, title=Text(printable(f"sync folder {folder}")))
    for column in ("device", "last answer", "merged here", "unreadable lines"):
        table.add_column(column, justify="right" if column == "merged here" else "left")
    devices = folder_status(store)
    for device in devices:
        name = device.device + (" (this device)" if device.this_device else "")
        more = device.unreadable - len(device.problems)
        table.add_row(Text(printable(name)), device.last_answer or "-",
                      f"{device.merged} of {device.lines}",
                      Text(printable("\n".join(device.problems + [f"and {more} more"] * (more > 0))
                                     or "-")))
    _console().print(table if devices else f"no device has merged through {folder} yet")
    pending = waiting_entries(store)
    if pending:
        click.echo(f"{pending} answers and card actions wait for cards this machine does not "
                   "have yet")


@cli.command()
@click.option("--remove", metavar="PATH", help="Forget this source; its decks are retired.")
@db_option
def sources(remove: str | None) -> None:
    """List the sources (files and folders synced on every start), or forget one."""
    from rich.table import Table
    from rich.text import Text

    from flashcards import sync

    store = open_store()
    if remove:
        _print_report(sync.forget_source(store, remove), dry_run=False)
        return
    table = Table(box=None)
    for column in ("source", "decks", "last sync", "problem"):
        table.add_column(column)
    for source in sync.sources(store):
        table.add_row(Text(printable(source.path)), Text(printable(", ".join(source.decks))),
                      source.last_sync or "-", Text(printable(source.problem or "")))
    _console().print(table if table.rows else "no sources yet: flashcards import PATH")


@cli.command()
@click.option("--bundled", is_flag=True, required=True,
              help="Copy the decks that come with flashcards.")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def init(bundled: bool, folder: str | None) -> None:
    """Copy the bundled decks into FOLDER (default: your decks folder), file by file,
    never over a file that exists."""
    from flashcards.sync import copy_decks

    target = Path(folder) if folder else paths.user_decks_dir()
    copies = copy_decks(paths.bundled_decks_dir().resolve(), target)
    for copy in copies:
        click.echo(f"copied {copy}")
    click.echo(f"{len(copies)} deck file{'s' * (len(copies) != 1)} copied into {target}"
               + ("" if folder is None else f"; import them with: flashcards import {target}"))


def _import_with_progress(store: Store, paths_: tuple[str, ...], dry_run: bool) -> SyncReport:
    """Run the import, with a progress bar when a person is watching a big one."""
    from flashcards.sync import import_files

    total = sum(p.stat().st_size for p in _deck_files(paths_))
    if not (sys.stderr.isatty() and total > 1_000_000):
        return import_files(store, paths_, dry_run=dry_run)
    from rich.progress import Progress

    with Progress(transient=True, console=_console(stderr=True)) as progress:
        task = progress.add_task("importing decks", total=total)
        return import_files(
            store, paths_, dry_run=dry_run,
            on_read=lambda count: progress.advance(task, count),
        )


def _deck_files(paths_: tuple[str, ...]) -> list[Path]:
    from flashcards.decks import find_deck_files

    return find_deck_files(paths_)


def _print_report(report: SyncReport, dry_run: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="dry run: nothing written" if dry_run else None, box=None)
    for column in ("deck", "added", "updated", "unchanged", "retired", "drafts skipped"):
        table.add_column(column, justify="left" if column == "deck" else "right")
    for deck in report.decks:
        table.add_row(
            Text(printable(deck.deck)),
            *(str(n) for n in (deck.added, deck.updated, deck.unchanged, deck.retired,
                               deck.drafts)),
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
        table.add_column(column, no_wrap=column == "deck",  # the path is what gets cut
                         justify="right" if column in {"cards", "new", "due", "suspended"}
                         else "left")
    for deck in store.deck_summaries(store.today()):
        table.add_row(
            Text(printable(deck["name"])), str(deck["cards"]), str(deck["new"]),
            str(deck["due"]), str(deck["suspended"]), deck["next_due"] or "-",
            Text(printable(Path(deck["source"]).name if deck["source"] else "")),
        )
    _console().print(table if table.rows else "no decks yet: flashcards import DECK.yaml")


# A negative VALUE (``-0.9``) is a value to check, not an unknown option.
@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("key", required=False)
@click.argument("value", required=False)
@db_option
def config(key: str | None, value: str | None) -> None:
    """Show the settings, or set one: rollover_hour, new_per_day, reviews_per_day,
    sync_dir (the folder that Syncthing, Dropbox or git keeps in step between your machines;
    '' stops syncing), scheduler (sm2 or fsrs), desired_retention (0.7 to 0.99, FSRS),
    max_interval (days, both schedulers), fuzz (off or on, FSRS). A value the setting may
    not hold is refused, and the error says what it may. Changing a scheduling setting
    replays every card's log, after a backup."""
    store = open_store()
    if key is not None and value is not None:
        with _replay_progress("replaying the log") as on_progress:
            store.set_config(key, value, on_progress=on_progress)
    settings = store.config()
    if key is not None and key not in settings:
        raise UserError([f"error: unknown setting {key!r} (known: {', '.join(settings)})"])
    for name, setting in settings.items():
        if key in (None, name):
            click.echo(printable(f"{name} = {'(not set)' if setting is None else setting}"))


@contextmanager
def _busy(what: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs, when a person is watching."""
    if not sys.stderr.isatty():
        yield
        return
    with _console(stderr=True).status(what):
        yield


@contextmanager
def _replay_progress(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for a replay of many cards, when a person is watching."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True, console=_console(stderr=True)) as progress:
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@cli.command()
@click.option("--deck", help="Fit this deck's log only, and keep the result for this deck.")
@db_option
def optimize(deck: str | None) -> None:
    """Fit FSRS's parameters to your own review log; keep them when they predict it better
    than the defaults (log-loss and RMSE of both are shown), and replay the cards."""
    from flashcards.optimize import optimize as fit

    store = open_store(daily_backup=False)  # made while the fit runs on the other core
    with _busy(f"fitting FSRS to the log{f' of {deck}' if deck else ''}"):
        report = fit(store, deck, while_fitting=lambda: _daily_backup(store))
    from flashcards.report import print_fit

    print_fit(report, _console())


@cli.command()
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True,
              help="How many days ahead.")
@db_option
def simulate(days: int) -> None:
    """Your collection over the coming days under SM-2 and FSRS (default and fitted
    parameters): answers per day and retention, as a table and a chart."""
    from flashcards.report import print_simulation
    from flashcards.simulate import simulate as run

    store = open_store(daily_backup=False)  # reads only
    with _replay_progress("simulating") as on_progress:
        outcomes = run(store, days, on_progress=on_progress)
    print_simulation(outcomes, days, _console())


@cli.command()
@click.argument("notes", type=FileToRead())
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the deck here.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def draft(notes: str, output: str | None, force: bool) -> None:
    """Write a YAML deck skeleton from a notes file: each question becomes a draft card."""
    from flashcards.draft import draft_deck

    try:
        text = draft_deck(Path(notes).read_text(encoding="utf-8"), deck_name=Path(notes).stem)
    except UnicodeDecodeError as error:
        bad = error.object[error.start]
        raise UserError([f"error: {notes}: not valid UTF-8 (byte 0x{bad:02x})"]) from None
    except ValueError:  # the deck is named after the file
        message = f"error: {notes}: the file's name makes no deck name; rename it"
        raise UserError([message]) from None
    write_output(text, output, force)


@cli.command()
@click.option("--deck", help="The deck to add the card to.")
@click.option("--front", help="The front (a cloze: its text with {{c1::answer}}). Without it, "
              "$EDITOR opens on a template.")
@click.option("--back", default="", help="The back (optional on a cloze).")
@click.option("--tags", default="", help="Tags, separated by commas.")
@click.option("--type", "kind", type=click.Choice(["basic", "reverse", "cloze"]),
              default="basic", show_default=True,
              help="reverse also makes the back -> front card.")
@db_option
def add(deck: str | None, front: str | None, back: str, tags: str, kind: str) -> None:
    """Add a card: append it to its deck's YAML file (every byte already there is kept) and
    sync that deck at once. Without --front, opens $EDITOR on a small template."""
    from flashcards import authoring

    store = open_store()
    kept = None  # the edited template, kept for the user when the card is not added
    if front is None:
        kept, card = _card_from_editor(deck, kind)
    elif deck is None:
        raise UserError(["error: --deck is required with --front"])
    else:
        card = authoring.NewCard(deck, front, back, authoring.parse_tags(tags), kind)
    try:
        with _console(stderr=True).status("adding the card…"):
            added = authoring.add_card(store, card)
    except authoring.AuthoringError as error:
        also = f" (your text is kept in {kept})" if kept else ""
        raise UserError([f"error: {error}{also}"]) from None
    if kept:
        kept.unlink()
    click.echo(f"added {added.id!r} to {added.deck}: {added.path}:{added.line} "
               f"({added.cards} card{'s' * (added.cards != 1)})")


def _card_from_editor(deck: str | None, kind: str) -> tuple[Path, Any]:
    """The card written into a template in $EDITOR, and the template's file (kept until the
    card is added, so nothing typed is lost); an empty or unchanged template aborts."""
    import tempfile

    from flashcards import authoring

    if not _can_edit():
        raise UserError(["error: no --front given, and no terminal to open $EDITOR in"])
    handle, name = tempfile.mkstemp(prefix="flashcards-card-", suffix=".yaml")
    path = Path(name)
    with open(handle, "w", encoding="utf-8") as out:
        out.write(authoring.template(deck or "", kind))
    click.edit(filename=name)
    try:
        card = authoring.read_template(path.read_text(encoding="utf-8"), name)
    except (authoring.AuthoringError, UnicodeDecodeError) as error:
        raise UserError([f"error: {error} (your text is kept there)"]) from None
    if card is None:
        path.unlink()
        raise UserError(["aborted: the template was left empty; nothing changed"])
    return path, card


def _can_edit() -> bool:
    """Whether an editor can be opened: stdin is a terminal (not cron, not a pipe)."""
    return sys.stdin.isatty()


# A query may start with "-" (-tag:x): it is the query, not an unknown option.
@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", required=False, default="")
@click.option("--json", "as_json", is_flag=True,
              help="Print the cards as a JSON list, with the columns of `export --what cards`.")
@click.option("--limit", type=click.IntRange(0, MAX_LIMIT), default=None,
              help=f"List at most N cards; 0 lists all (default: {CARDS_PAGE} in a table on a "
                   "terminal, else all).")
@db_option
def cards(query: str, as_json: bool, limit: int | None) -> None:
    """List the cards that QUERY finds, in the order they were added: one line each, or
    JSON. QUERY is the search language (see the README): words, "phrases", deck:, tag:,
    is:, type:, prop:, rated:, added:, -, or, parentheses. Retired cards only with
    is:retired."""
    store = open_store(daily_backup=False)  # reads only: nothing to save
    if limit is None:
        limit = CARDS_PAGE if sys.stdout.isatty() and not as_json else 0
    rows = find_cards(store, query, limit=limit + 1 if limit else None)
    more = False
    if limit:  # one row more than shown tells whether there are more
        rows = list(rows)
        more, rows = len(rows) > limit, rows[:limit]
    if as_json:
        _write_stdout(json_chunks("cards", rows, columns=export_columns("cards", store=store)))
    else:
        from flashcards.report import print_cards

        print_cards(rows, _console())
    if more:
        click.echo(f"the first {limit} card{'s' * (limit != 1)}; --limit 0 lists all", err=True)


def _card_action(action: str, summary: str, days: bool = False) -> None:
    """Add the command ``flashcards ACTION QUERY`` (with ``--days N`` when ``days``)."""

    def run(query: str, yes: bool, dry_run: bool, days: int | None = None) -> None:
        from flashcards import actions

        store = open_store()
        planned = actions.plan(store, query, action, days)
        if not planned.matched:
            raise UserError([f"error: no card matches {query!r}"])
        unchanged = planned.matched - len(planned.card_ids)
        said = (f"{len(planned.card_ids)} of {planned.matched} matching card"
                f"{'s' * (planned.matched != 1)}")
        if dry_run or not planned.card_ids:
            click.echo(f"{said} would be {actions.DONE[action]}"
                       f"{f' (due {planned.until})' if days is not None else ''}; "
                       f"{unchanged} already {'are' if unchanged != 1 else 'is'} as asked")
            return
        if len(planned.card_ids) > 1 and not yes:
            needs_yes = f"error: {said} would be {actions.DONE[action]}: add --yes to do it"
            raise UserError([f"{needs_yes}, or --dry-run to only count"])
        _with_progress(len(planned.card_ids), f"{action}ing",
                       lambda step: actions.carry_out(store, planned, on_progress=step))
        click.echo(f"{said} {actions.DONE[action]}"
                   f"{f' (due {planned.until})' if days is not None else ''}")

    command = click.argument("query")(run)
    command = click.option("--yes", is_flag=True,
                           help="Act on every matching card (needed for more than one).")(command)
    command = click.option("--dry-run", is_flag=True,
                           help="Only count the cards it would change.")(command)
    if days:
        command = click.option(
            "--days", type=click.IntRange(0, scheduling.MAX_INTERVAL_DAYS), required=True,
            help="Due this many study days from today (0: today).")(command)
    command.__doc__ = (f"{summary}: the cards that QUERY finds (see `flashcards cards`). "
                       "Each is an entry in the review log.")
    cli.command(action, context_settings={"ignore_unknown_options": True})(
        db_option(command))


_card_action("suspend", "Suspend cards: out of every review until unsuspended")
_card_action("unsuspend", "Bring suspended cards back, leeches included")
_card_action("bury", "Hide cards until tomorrow")
_card_action("unbury", "Show buried cards again today")
_card_action("forget", "Make cards new again: state, due day and lapses reset, log kept")
_card_action("reschedule", "Set cards' due day", days=True)


def _with_progress(total: int, what: str, work: Callable[[Callable[[int], None]], Any]) -> Any:
    """Run ``work``, with a progress bar of ``total`` steps when a person is watching a big
    one; ``work`` is given the function to call with the steps done so far."""
    if not (sys.stderr.isatty() and total > 5_000):
        return work(lambda _done: None)
    from rich.progress import Progress

    with Progress(transient=True, console=_console(stderr=True)) as progress:
        task = progress.add_task(what, total=total)
        return work(lambda done: progress.update(task, completed=done))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@db_option
def stats(as_json: bool) -> None:
    """Progress: cards by state per deck, due, streak, retention, forecast, a year of reviews."""
    from flashcards.stats import compute_stats

    figures = compute_stats(open_store(daily_backup=False))  # reads only: nothing to save
    if as_json:
        import json

        click.echo(json.dumps(figures.as_json(), ensure_ascii=False, indent=2))
    elif not figures.decks:
        click.echo("no decks yet: flashcards import DECK.yaml")
    else:
        from flashcards.report import print_stats

        print_stats(figures, _console())


@cli.command()
@click.option("--what", type=click.Choice(EXPORTS), default="reviews", show_default=True,
              help="reviews (the log, oldest first), cards (all, retired ones too) or daily "
                   "(one row per study day).")
@click.option("--format", "fmt", type=click.Choice((*EXPORT_FORMATS, ANKI_FORMAT)),
              default="csv",
              show_default=True,
              help="csv (UTF-8, header), json (a list of objects), jsonl (one object a line), "
                   "fsrs (the review log as the FSRS optimizer's CSV) or apkg (the decks as an "
                   "Anki package, to a file).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write to this file instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--raw", is_flag=True,
              help="CSV for programs: every cell exactly as stored, and no BOM. By default a "
                   "text cell that a spreadsheet would run as a formula (=, +, -, @) starts "
                   "with a '.")
@click.option("--deck", help="apkg: only this deck and the decks nested in it.")
@click.option("--with-history", is_flag=True,
              help="apkg: add the review log, so Anki knows each card's schedule.")
@db_option
def export(what: str, fmt: str, output: str | None, force: bool, raw: bool, deck: str | None,
           with_history: bool) -> None:
    """Export the review log, the cards or daily totals for a spreadsheet, pandas or FSRS,
    or the decks as an Anki package (--format apkg -o FILE.apkg)."""
    if fmt == ANKI_FORMAT:
        from flashcards.anki.exporter import export_apkg

        if output in (None, "-"):
            raise UserError(["error: --format apkg writes a file: give it with -o FILE.apkg"])
        data, report = export_apkg(open_store(daily_backup=False), deck, with_history)
        write_output(data, output, force)
        click.echo(f"wrote {output}: {report.decks} decks, {report.notes} notes, "
                   f"{report.cards} cards, {report.reviews} reviews")
        if report.cloze_as_basic:
            click.echo(f"{report.cloze_as_basic} cloze cards whose deck file changed since "
                       "its import went as basic notes: run `flashcards sync` first")
        return
    if deck is not None or with_history:
        raise UserError(["error: --deck and --with-history go with --format apkg"])
    from flashcards.export import export_text

    write_output(export_text(open_store(daily_backup=False), what, fmt, raw=raw), output, force)


@cli.command("import-reviews")
@click.argument("file", type=FileToRead(allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check the file and count what it would add.")
@db_option
def import_reviews(file: str, dry_run: bool) -> None:
    """Merge the reviews of a JSONL export (say, another machine's) into the log.

    Reviews already here (same review_id) are skipped, so importing twice changes nothing.
    A card is found by deck + card_key (ids differ between databases), else by card_id.
    Each card that gets reviews has its state rebuilt by replaying its log in time order.
    If any line is wrong, every bad line is listed as FILE:LINE and nothing is written.
    """
    from flashcards.history import ReviewImportError
    from flashcards.history import import_reviews as merge

    store = open_store()
    stream = sys.stdin.buffer if file == "-" else None
    try:
        report = merge(store, "<stdin>" if file == "-" else file, dry_run=dry_run,
                       stream=stream)
    except ReviewImportError as error:
        raise UserError(error.errors) from None
    verb = "dry run: nothing written; would add" if dry_run else "added"
    click.echo(f"{verb} {report.added} review{'s' * (report.added != 1)} to {report.cards} "
               f"card{'s' * (report.cards != 1)}; {report.present} already here")


@cli.command("import-anki")
@click.argument("package", type=FileToRead())
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for the deck files (default: your decks folder).")
@db_option
def import_anki(package: str, out: str | None) -> None:
    """Import an Anki package (.apkg or .colpkg) with its review history.

    Each Anki deck becomes a deck file in OUT, imported like any other; Anki's note GUIDs
    become card ids, so importing the package again updates the cards. Anki's buttons
    become grades: Again 1, Hard 3, Good 4, Easy 5. On bad input nothing is written.
    """
    from flashcards.anki.importer import import_package
    from flashcards.anki.package import AnkiError
    from flashcards.history import ReviewImportError

    store = open_store()
    try:
        report = import_package(store, Path(package), Path(out) if out else
                                paths.user_decks_dir())
    except AnkiError as error:
        raise UserError([f"error: {error}"]) from None
    except ReviewImportError as error:
        raise UserError(error.errors) from None
    _print_report(report.sync, dry_run=False)
    for path in report.files:
        click.echo(f"wrote {path}")
    for line in report.summary():
        click.echo(line)


@cli.command()
@click.argument("which", required=False)
@db_option
def restore(which: str | None) -> None:
    """List the automatic backups, or restore one: WHICH is its number, its file name, or
    the path of any flashcards database file.

    A backup is made before every schema migration, once a day on first use, and before a
    restore. They are kept next to the database in backups/DB-FILE-NAME/: the newest 7,
    and every copy made before a restore.
    """
    from flashcards import backup

    store = open_store()
    backups = backup.list_backups(store.path)
    if which is None:
        for number, path in enumerate(backups, start=1):
            click.echo(f"{number:>2}  {path.name}  {path.stat().st_size / 1e6:.1f} MB")
        if not backups:
            click.echo(f"no backups yet in {backup.backup_dir(store.path)}")
        return
    chosen = _choose_backup(backups, which)
    store.require_writable()
    saved = backup.restore(store.conn, store.path, chosen)
    click.echo(f"restored {chosen.name}; the database as it was is in {saved.name}")


def _choose_backup(backups: list[Path], which: str) -> Path:
    # Compared as text: int() fails on digits like "²" and on thousands of them.
    numbers = {str(number): path for number, path in enumerate(backups, start=1)}
    if which.lstrip("0") in numbers:
        return numbers[which.lstrip("0")]
    for path in backups:
        if which in (path.name, str(path)):
            return path
    if Path(which).is_file():  # a file the user names: restore checks it is one of ours
        return Path(which)
    raise UserError([f"error: no backup {which!r}; run `flashcards restore` to list them"])


def write_output(text: str | bytes | Iterable[str], output: str | None, force: bool) -> None:
    """Print to stdout (also for ``-o -``), or write a new file (an existing one only with
    --force). ``text`` may be chunks, streamed as they come (a big export), or bytes.

    A file is written under a temporary name beside it and renamed into place, so a failure
    never leaves half a file; a symlink at the path is replaced, never written through.
    """
    import os
    import uuid

    chunks = [text] if isinstance(text, str | bytes) else text
    if output is None or output == "-":
        _write_stdout(chunks)
        return
    target = Path(output)
    exists = UserError([f"error: {target} exists; use --force to overwrite it"])
    if target.is_dir():
        raise UserError([f"error: {target} is a directory"])
    if not target.parent.is_dir():
        raise UserError([f"error: {target}: directory {target.parent} does not exist"])
    if os.path.lexists(target) and not force:
        raise exists
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "wb") as out:
            out.writelines(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
                           for chunk in chunks)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, target)
        else:
            try:  # a hard link never replaces a file that appeared meanwhile
                os.link(temporary, target)
            except FileExistsError:
                raise exists from None
            except OSError:  # a file system without hard links
                if os.path.lexists(target):
                    raise exists from None
                os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _write_stdout(chunks: Iterable[str]) -> None:
    """Write text to stdout as UTF-8, whatever the locale; stop quietly if the reader left."""
    import os

    stream = sys.stdout.buffer
    try:
        for chunk in chunks:
            stream.write(chunk.encode("utf-8"))
        stream.flush()
    except BrokenPipeError:  # `flashcards export | head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


def _console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr); where that is no terminal (a pipe, a file), as
    wide as a line needs, so no header or cell is cut to fit an assumed 80 columns."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, width=None if stream.isatty() else PIPE_WIDTH)


def main() -> None:
    """Console-script entry point."""
    # Every command writes UTF-8, whatever the locale (as exports and click's echo under an
    # ASCII locale already did): with LANG=C or PYTHONIOENCODING=ascii a deck name would
    # otherwise end the command in a UnicodeEncodeError. The app draws on stderr.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    cli(prog_name="flashcards")

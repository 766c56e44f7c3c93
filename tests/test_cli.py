"""The command line: import, check, decks, config, draft, --db, one-line errors."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pty_app import Terminal, app_env

from flashcards.cli import cli
from flashcards.store import Store

DECK = "deck: 牌组\ncards:\n  - id: a\n    front: 问题\n    back: 答案\n"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_command_has_help_text():
    for name, command in cli.commands.items():
        assert command.help, f"flashcards {name} has no help text"
        assert run(name, "--help").exit_code == 0


def test_import_prints_counts_per_deck(write_deck):
    path = write_deck(DECK)
    result = run("import", str(path))
    assert result.exit_code == 0
    assert "牌组" in result.output and "1" in result.output
    again = run("import", str(path))
    assert again.exit_code == 0
    row = next(line for line in again.output.splitlines() if "牌组" in line)
    assert row.split()[1:] == ["0", "0", "1", "0", "0"]


def test_import_errors_are_one_line_each_with_no_traceback(tmp_path, write_deck):
    path = write_deck("deck: x\ncards:\n  - front: q\n    bakc: a\n")
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: card 1: unknown key 'bakc' (did you mean 'back'?)" in result.output
    assert "Traceback" not in result.output
    assert Store.open(tmp_path / "test.db").is_empty()


def test_missing_path_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml" in result.output and "Traceback" not in result.output


def test_dry_run_writes_nothing(tmp_path, write_deck):
    result = run("import", "--dry-run", str(write_deck(DECK)))
    assert "dry run" in result.output
    assert Store.open(tmp_path / "test.db").is_empty()


def test_db_option_before_or_after_the_command(tmp_path, write_deck):
    path = str(write_deck(DECK))
    run("--db", str(tmp_path / "one.db"), "import", path)
    run("import", "--db", str(tmp_path / "two.db"), path)
    for name in ("one.db", "two.db"):
        assert not Store.open(tmp_path / name).is_empty()
    assert not (tmp_path / "test.db").exists()


def test_check_files_and_database(tmp_path, write_deck):
    path = write_deck(DECK + "  - front: 草稿？\n    draft: true\n")
    result = run("check", str(path))
    assert result.exit_code == 0
    assert f"{path}:6: draft: 草稿？" in result.output
    assert "ok: 1 decks, 1 cards, 1 drafts" in result.output
    assert not (tmp_path / "test.db").exists()  # checking files never opens the database
    result = run("check")
    assert result.exit_code == 0 and result.output.strip().endswith(": ok")


def test_decks_lists_counts(write_deck):
    run("import", str(write_deck(DECK)))
    result = run("decks")
    row = next(line for line in result.output.splitlines() if "牌组" in line)
    assert row.split()[1:4] == ["1", "1", "0"]


def test_deck_names_are_shown_literally(write_deck):
    run("import", str(write_deck(DECK.replace("牌组", "'[bold]x[/]'"))))
    assert "[bold]x[/]" in run("decks").output


def test_config_show_and_set():
    assert "new_per_day = 20" in run("config").output
    assert run("config", "new_per_day", "5").output.strip() == "new_per_day = 5"
    result = CliRunner().invoke(cli, ["config", "nope", "1"])
    assert result.exit_code == 1 and "unknown setting" in result.output


def test_a_setting_out_of_range_is_one_line_and_changes_nothing(write_deck):
    """It used to be stored, and then every start of the app crashed (islice)."""
    run("import", str(write_deck(DECK)))
    for key, value, allowed in (("new_per_day", "99999999999999999999", "0 to 100000"),
                                ("reviews_per_day", "100001", "0 to 100000"),
                                ("rollover_hour", "24", "0 to 23")):
        result = CliRunner().invoke(cli, ["config", key, value])
        assert result.exit_code == 1
        assert result.output == f"error: {key} must be a whole number from {allowed}\n"
    assert run("config").output == (
        "rollover_hour = 4\nnew_per_day = 20\nreviews_per_day = 200\nsync_dir = (not set)\n"
        "scheduler = sm2\ndesired_retention = 0.9\nmax_interval = 36500\nfuzz = off\n")
    assert run("decks").exit_code == 0


@pytest.mark.parametrize("key, value, error", [
    ("desired_retention", "0.69", "desired_retention must be a number from 0.7 to 0.99"),
    ("desired_retention", "1", "desired_retention must be a number from 0.7 to 0.99"),
    ("desired_retention", "nan", "desired_retention must be a number from 0.7 to 0.99"),
    ("desired_retention", "九成", "desired_retention must be a number from 0.7 to 0.99"),
    ("desired_retention", "-0.9", "desired_retention must be a number from 0.7 to 0.99"),
    ("max_interval", "-5", "max_interval must be a whole number from 1 to 36500"),
    ("scheduler", "fsrs7", "scheduler must be one of: sm2, fsrs, not 'fsrs7'"),
    ("scheduler", "[bold]", "scheduler must be one of: sm2, fsrs, not '[bold]'"),
    ("fuzz", "yes", "fuzz must be one of: off, on, not 'yes'"),
    ("max_interval", "0", "max_interval must be a whole number from 1 to 36500"),
    ("max_interval", "2.5", "max_interval must be a whole number from 1 to 36500"),
])
def test_a_bad_scheduling_setting_is_one_line_and_changes_nothing(write_deck, key, value,
                                                                   error):
    run("import", str(write_deck(DECK)))
    before = run("config").output
    result = CliRunner().invoke(cli, ["config", key, value])
    assert (result.exit_code, result.output) == (1, f"error: {error}\n")
    assert run("config").output == before


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_flashcards_now_out_of_range_is_a_one_line_error(monkeypatch, write_deck, moment):
    run("import", str(write_deck(DECK)))
    monkeypatch.setenv("FLASHCARDS_NOW", moment)
    for command in ("decks", "stats"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 1
        assert result.output == f"error: FLASHCARDS_NOW must be a time from 1970 to 2199, " \
                                f"not {moment!r}\n"


def test_bad_flashcards_now_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("FLASHCARDS_NOW", "yesterday")
    result = CliRunner().invoke(cli, ["decks"])
    assert result.exit_code == 1
    assert result.output.startswith("error: FLASHCARDS_NOW")


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "flashcards", "--help"],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0 and "import" in result.stdout


def test_draft_writes_a_deck_skeleton_and_refuses_to_overwrite(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# ？梯度爆炸\n\nhttps://example.com/a\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    assert run("draft", str(notes), "-o", str(out)).exit_code == 0
    assert "draft: true" in out.read_text(encoding="utf-8")
    assert run("check", str(out)).exit_code == 0
    again = CliRunner().invoke(cli, ["draft", str(notes), "-o", str(out)])
    assert again.exit_code == 1 and "--force" in again.output


# -- output that is not a terminal, or not UTF-8 -------------------------------------------

LONG = ("deck: Java / Spring / 数据库 / Linux 与更多的长名字\ncards:\n"
        "  - front: 问题\n    back: 答案\n  - front: 草稿？\n    draft: true\n")


def test_piped_tables_cut_no_header_and_no_cell(monkeypatch, write_deck):
    monkeypatch.setenv("COLUMNS", "60")  # rich fits a pipe into $COLUMNS, else 80
    path = write_deck(LONG, name="a-deck-file-with-a-rather-long-name.yaml")
    name = "Java / Spring / 数据库 / Linux 与更多的长名字"
    imported = run("import", str(path)).output
    assert "drafts skipped" in imported and name in imported
    listed = run("decks").output
    assert listed.splitlines()[0].split() == [
        "deck", "cards", "new", "due", "suspended", "next", "due", "file"]
    assert name in listed and path.name in listed
    stats = run("stats").output
    assert "retention 30d" in stats and "answers today" in stats and name in stats
    assert "…" not in imported + listed + stats


NOT_UTF8 = {
    "ascii": {"PYTHONIOENCODING": "ascii"},
    "C locale": {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
}


@pytest.mark.parametrize("env", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_output_is_utf8_whatever_the_locale(env, write_deck):
    path = str(write_deck(LONG))
    name = "Java / Spring / 数据库"
    env = {**{key: value for key, value in os.environ.items()
              if key not in ("PYTHONIOENCODING", "PYTHONUTF8")}, **env}
    for args, shown in ((["import", path], name), (["decks"], name), (["stats"], name),
                        (["check", path], "draft: 草稿？"), (["review", "没有这个"], "")):
        result = subprocess.run([sys.executable, "-m", "flashcards", *args], check=False,
                                capture_output=True, env=env)
        out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")  # as always
        assert "Traceback" not in err and "Error" not in err, (args, err)
        assert result.returncode == (1 if args[0] == "review" else 0), (args, err)
        assert shown in out and len(err.splitlines()) == (args[0] == "review")


def test_the_app_draws_utf8_whatever_the_locale(write_deck):
    run("import", str(write_deck(DECK)))
    env = {**app_env(), **NOT_UTF8["C locale"]}
    env.pop("PYTHONIOENCODING", None)
    terminal = Terminal([sys.executable, "-m", "flashcards", "review"], env)
    try:
        terminal.wait_for("牌组")  # not "\\u724c\\u7ec4"
        terminal.wait_for("问题")
    finally:
        terminal.close()


# -- the app needs a terminal --------------------------------------------------------------


def run_without_a_terminal(stream: str, *args: str) -> tuple[int, str]:
    """``flashcards ARGS`` with ``stream`` not a terminal and the others on a pty; its exit
    code and what it wrote on stderr."""
    parent, child = pty.openpty()
    streams = dict.fromkeys(("stdin", "stdout", "stderr"), child)
    streams[stream] = subprocess.DEVNULL if stream == "stdin" else subprocess.PIPE
    try:  # without the check the app waits for keys forever: the timeout fails the test
        done = subprocess.run([sys.executable, "-m", "flashcards", *args], check=False,
                              timeout=30, **streams)
    finally:
        os.close(child)
    if stream == "stderr":
        return done.returncode, done.stderr.decode()
    shown = b""
    while select.select([parent], [], [], 0)[0]:
        try:
            shown += os.read(parent, 4096)
        except OSError:  # EIO: everything written has been read
            break
    os.close(parent)
    return done.returncode, shown.decode().replace("\r\n", "\n")


@pytest.mark.parametrize(("stream", "args"), [
    ("stdin", ["review"]), ("stdin", []), ("stdout", ["review"]), ("stderr", ["review"]),
])
def test_the_app_without_a_terminal_says_so_and_exits_1(stream, args, write_deck):
    run("import", str(write_deck(DECK)))
    message = f"error: the review app needs a terminal, and {stream} is not one\n"
    assert run_without_a_terminal(stream, *args) == (1, message)


def test_a_reader_that_goes_away_is_no_error(write_deck):
    """`flashcards config | head -0`: no "error: : Broken pipe", no traceback."""
    CliRunner().invoke(cli, ["import", str(write_deck(DECK))])
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes a byte
    done = subprocess.run([sys.executable, "-m", "flashcards", "config"], stdout=write,
                          stderr=subprocess.PIPE, text=True, check=False)
    os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


@pytest.mark.parametrize("command", [["import-reviews"], ["import-anki"], ["draft"]])
def test_a_device_or_a_pipe_named_for_reading_is_refused_at_once(tmp_path, command):
    """/dev/zero would be read for ever, a pipe nobody writes to waited on for ever."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path in ("/dev/zero", str(pipe)):
        result = run(*command, path)
        assert result.exit_code == 2
        assert f"'{path}' is not a file" in result.output

"""The sync folder's files: appending durably, reading complete lines, naming devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashcards import journal


@pytest.mark.parametrize("name", [
    "laptop-1a2b3c4d.jsonl",
    "laptop-1a2b3c4d.sync-conflict-20260310-090000-ABCDEF7.jsonl",
    "laptop-1a2b3c4d (Jane's conflicted copy 2026-03-10).jsonl",
    "laptop-1a2b3c4d (conflicted copy 2026-03-10) (1).jsonl",
])
def test_a_conflict_copy_belongs_to_the_device_of_its_log(name):
    assert journal.device_of(Path(name)) == "laptop-1a2b3c4d"


def test_log_files_leave_out_hidden_and_temporary_files(tmp_path):
    for name in ("a-1.jsonl", ".syncthing.a-1.jsonl.tmp", "~syncthing~a-1.jsonl.tmp",
                 ".hidden.jsonl", "notes.txt", "b-2.sync-conflict-20260310-090000-X.jsonl"):
        (tmp_path / name).write_text("")
    (tmp_path / "dir.jsonl").mkdir()
    assert [path.name for path in journal.log_files(tmp_path)] == [
        "a-1.jsonl", "b-2.sync-conflict-20260310-090000-X.jsonl"]


def test_a_torn_last_line_is_left_until_it_is_complete(tmp_path):
    log = tmp_path / "a-1.jsonl"
    log.write_bytes(b'{"n": 1}\n{"n": 2}\n{"n": ')
    first = journal.read_after(log, 0, 0, None)
    assert first.lines == [b'{"n": 1}', b'{"n": 2}'] and first.first_line == 1
    assert first.end == len(b'{"n": 1}\n{"n": 2}\n')
    with log.open("ab") as file:
        file.write(b'3}\n{"n": 4}\n')
    second = journal.read_after(log, first.end, 2, first.tail)
    assert second.lines == [b'{"n": 3}', b'{"n": 4}'] and second.first_line == 3
    assert not second.restarted
    nothing = journal.read_after(log, second.end, 4, second.tail)
    assert nothing.lines == [] and nothing.end == second.end and nothing.tail == second.tail


def test_a_rewritten_file_is_read_again_from_its_start(tmp_path):
    log = tmp_path / "a-1.jsonl"
    log.write_bytes(b'{"n": 1}\n')
    first = journal.read_after(log, 0, 0, None)
    log.write_bytes(b'{"m": 1}\n{"m": 2}\n')  # a sync tool put another version in place
    again = journal.read_after(log, first.end, 1, first.tail)
    assert again.restarted and again.lines == [b'{"m": 1}', b'{"m": 2}'] and again.first_line == 1
    log.write_bytes(b"")  # shorter than what was read
    assert journal.read_after(log, again.end, 2, again.tail).restarted


def test_append_ends_a_torn_line_so_that_it_spoils_no_later_line(tmp_path):
    log = tmp_path / "a-1.jsonl"
    journal.append(log, ['{"n": 1}'])
    with log.open("ab") as file:
        file.write(b'{"n": 2, "cut sh')  # a kill in the middle of a write
    journal.append(log, ['{"n": 3}', '{"n": 4}'])
    assert log.read_bytes().split(b"\n") == [
        b'{"n": 1}', b'{"n": 2, "cut sh', b'{"n": 3}', b'{"n": 4}', b""]


def test_device_ids_differ_and_are_safe_file_names(monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "Jane's Mac/Book.local")
    first, second = journal.new_device_id(), journal.new_device_id()
    assert first != second and first.startswith("Jane-s-Mac-Book-local-")
    assert journal.device_of(Path(f"{first}{journal.SUFFIX}")) == first

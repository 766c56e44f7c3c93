"""The sync folder's files: one append-only log per device, one JSON object a line.

Each machine appends what it writes to its own ``<device>.jsonl`` and never rewrites it;
the others read it (``flashcards.history.merge_folder``). This module knows the files only:
appending durably, reading the complete lines added since a place, and telling which
device a file belongs to, the copies that sync tools leave behind on a conflict included.
"""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".jsonl"
# Syncthing: "laptop-1a2b.sync-conflict-20260310-090000-ABCDEF7.jsonl".
_SYNCTHING_COPY = re.compile(r"\.sync-conflict-\d{8}-\d{6}(-[0-9A-Z]+)?$")
# Dropbox: "laptop-1a2b (Jane's conflicted copy 2026-03-10).jsonl", maybe with " (1)" after.
_DROPBOX_COPY = re.compile(r" \([^()]*conflicted copy[^()]*\)( \(\d+\))?$")
# A file name that is safe on every system and sync tool.
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]+")
# Bytes before a read's end that are kept to notice a file rewritten behind our back.
TAIL_BYTES = 64


def new_device_id() -> str:
    """A name for this machine's log: its host name (for people) and a random part (for
    two databases on one machine, or two machines of one name)."""
    return f"{_host()}-{uuid.uuid4().hex[:8]}"


def _host() -> str:
    """This machine's name, as a file name may hold it."""
    return _UNSAFE.sub("-", socket.gethostname()).strip("-")[:40] or "device"


def device_of(path: Path) -> str:
    """The device whose log ``path`` is, or a conflict copy of."""
    stem = path.name[: -len(SUFFIX)]
    return _DROPBOX_COPY.sub("", _SYNCTHING_COPY.sub("", stem))


def log_files(folder: Path) -> list[Path]:
    """Every device log in ``folder``, conflict copies included, by name; hidden files and
    the temporary files of sync tools (``.syncthing.*``, ``~syncthing~*``) left out."""
    return sorted(
        path for path in folder.iterdir()
        if path.name.endswith(SUFFIX) and not path.name.startswith((".", "~"))
        and path.is_file()
    )


def append(path: Path, lines: list[str]) -> None:
    """Append these lines to ``path`` and fsync: on disk when this returns.

    One write per call, in append mode. A write cut short by a kill leaves a last line
    without its newline: that torn line is ended first, so that it spoils no later line."""
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:  # the new name must survive a power cut too
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def answer_line(review_id: str, deck: str, card_key: str, reviewed_at: str, ts: int,
                quality: int, duration_ms: int | None) -> str:
    """An answer's line: the fields of the ``reviews`` export that a merge reads."""
    return _line({"type": "answer", "review_id": review_id, "deck": deck,
                  "card_key": card_key, "reviewed_at": reviewed_at, "ts": ts,
                  "quality": quality, "duration_ms": duration_ms})


def action_line(action_id: str, deck: str, card_key: str, acted_at: str, ts: int,
                action: str, until: str | None) -> str:
    """A card action's line (suspend, bury, forget...; ``until``: a bury's or reschedule's
    study day)."""
    return _line({"type": "action", "action_id": action_id, "deck": deck,
                  "card_key": card_key, "acted_at": acted_at, "ts": ts, "action": action,
                  "until": until})


def undo_line(target: str) -> str:
    """The line that takes back the entry (an answer, an action) with id ``target``."""
    return _line({"type": "undo", "undo_id": uuid.uuid4().hex, "undoes": target})


def _line(entry: dict) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Chunk:
    """The complete lines of a log after a place, and where the next read starts."""

    lines: list[bytes]
    first_line: int  # the number of the first of ``lines`` in the file
    end: int  # byte offset after the last complete line
    tail: bytes  # the TAIL_BYTES before ``end``
    restarted: bool  # the file no longer starts as it did: read again from its start


def read_after(path: Path, offset: int, lines_before: int, tail: bytes | None) -> Chunk:
    """The complete lines of ``path`` after byte ``offset`` (``lines_before`` lines in).

    A last line without its newline is being written (or was cut short by a kill): it is
    left for a later read. When the bytes before ``offset`` are not ``tail`` any more (the
    file was replaced, say by a sync tool), the whole file is read again.
    """
    start = max(0, offset - TAIL_BYTES)
    with open(path, "rb") as file:
        file.seek(start)
        data = file.read()
        restarted = offset > 0 and data[:offset - start] != tail
        if restarted:
            offset = start = lines_before = 0
            file.seek(0)
            data = file.read()
    complete = max(data.rfind(b"\n") + 1, offset - start)
    lines = data[offset - start:complete].split(b"\n")[:-1]
    return Chunk(lines, lines_before + 1, start + complete,
                 data[max(0, complete - TAIL_BYTES):complete], restarted)


def count_lines(path: Path) -> int:
    """How many complete lines ``path`` holds (0 if it cannot be read)."""
    try:
        with open(path, "rb") as file:
            return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))
    except OSError:
        return 0

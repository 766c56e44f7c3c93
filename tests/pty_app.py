"""A program on a pseudo-terminal, driven by keys and watched through the text it draws.

Shared by the crash and concurrency tests and ``benchmarks/tui_latency.py``: nothing is
waited for by sleeping, only by reading the terminal until a text has been drawn.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import sys
import termios
import time
from pathlib import Path

from flashcards.session import Session
from flashcards.store import Store

COLUMNS, LINES = 120, 40
# Escape sequences a Textual app writes (CSI, charset selection, keypad modes): stripped
# before searching, so a text drawn in several styles is found as one run.
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Terminal:
    """A child process on a pseudo-terminal, and the text it has drawn so far.

    ``raw`` holds the output since the last key sent with ``press`` (so a wait is for
    what that key drew), ``history`` all of it.
    """

    def __init__(self, argv: list[str], env: dict[str, str],
                 size: tuple[int, int] = (COLUMNS, LINES)) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the window size is set before the program can ask for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.raw = b""
        self.history = b""
        self.status: int | None = None  # the wait status once the child has been reaped

    def wait_for(self, text: str, timeout: float = 30.0) -> float:
        """Read until ``text`` has been drawn; the perf_counter time it arrived."""
        needle = text.encode()
        deadline = time.perf_counter() + timeout
        while True:
            if needle in ANSI.sub(b"", self.raw):
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{text!r} never appeared; the screen ends with:\n"
                                   f"{self.tail()}")
            if not self._read(left):
                raise TimeoutError(f"the process ended before {text!r} appeared:\n"
                                   f"{self.tail()}")

    def press(self, key: bytes) -> float:
        """Forget what was drawn so far, send a key; the perf_counter time it was sent."""
        self.drain()
        self.raw = b""
        sent = time.perf_counter()
        os.write(self.fd, key)
        return sent

    def drain(self) -> None:
        """Read whatever output is already waiting."""
        while select.select([self.fd], [], [], 0)[0] and self._read(0):
            pass

    def read_for(self, seconds: float) -> None:
        """Keep reading the output for ``seconds`` (the program never blocks on a full pty)."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0 and self._read(left):
            pass

    def _read(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for output and take it; False once the child has gone."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return True
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.raw += data
        self.history += data
        return bool(data)

    def text(self, everything: bool = False) -> str:
        """What was drawn (since the last key, or ``everything``), escape sequences removed."""
        return ANSI.sub(b"", self.history if everything else self.raw).decode("utf-8", "replace")

    def tail(self, characters: int = 2000) -> str:
        """The end of everything drawn, for a failure message."""
        return self.text(everything=True)[-characters:]

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Read the output until the program exits; its exit code (-N: killed by signal N)."""
        deadline = time.perf_counter() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                break
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the process did not exit; the screen ends with:\n"
                                   f"{self.tail()}")
            if not self._read(min(0.05, deadline - time.perf_counter())):
                self.status = os.waitpid(self.pid, 0)[1]  # the terminal is closed: it is exiting
        self.drain()
        return os.waitstatus_to_exitcode(self.status)

    def kill(self) -> None:
        """SIGKILL the program (no clean-up of any kind can run) and reap it."""
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self.status = os.waitpid(self.pid, 0)[1]

    def close(self) -> None:
        """Kill the program if it still runs, and close the terminal."""
        self.kill()
        os.close(self.fd)


def app_env() -> dict[str, str]:
    """This process's environment (a test's clock and dirs) for an app on a 120x40 xterm."""
    return dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))


def marked_deck(cards: int, deck: str, prefix: str = "") -> str:
    """A deck of Chinese text and code whose every front and back starts with a marker of
    its own ("第 7 题", "答 7 号"), for ``first_words`` to find on the screen."""
    lines = [f"deck: {deck}", "cards:"]
    for n in range(1, cards + 1):
        lines += [
            f"  - id: {prefix}c{n}",
            (f"    front: \"第 {prefix}{n} 题：`dict.get(k, {n})` 在键不存在时"
            "返回什么？\""),
            "    back: |",
            f"      答 {prefix}{n} 号：返回默认值 {n}，不抛出异常。",
            "      ```python",
            f"      def lookup_{n}(table: dict) -> int:",
            f"          return table.get(\"键\", {n})  # 默认值",
            "      ```",
        ]
    return "\n".join(lines) + "\n"


def first_words(text: str) -> str:
    """The start of a card's text that is drawn as one run: its first line up to "：".

    "第 7 题：`dict.get` 返回什么？" gives "第 7 题" (the inline code after it is
    styled)."""
    return text.strip().splitlines()[0].split("：")[0].strip()


class ReviewDriver:
    """``flashcards review`` in a pseudo-terminal, next to a ``Session`` over a copy of its
    database that predicts what every key must draw.

    After a grade or an undo the header's position changes ("牌组  3/21 ") and, when the
    card changes, its front appears; after a space its back appears; when the sitting is
    over the summary does. ``send`` presses a key and predicts; ``confirm`` waits until
    the prediction is on the screen; ``confirmed`` says whether it already is.
    """

    def __init__(self, db: Path, mirror: Path, env: dict[str, str],
                 args: tuple[str, ...] = ()) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{mirror}{suffix}").unlink(missing_ok=True)
        source, copy = sqlite3.connect(db), sqlite3.connect(mirror)
        try:
            source.backup(copy)  # what the app is about to read, committed answers and all
        finally:
            source.close()
            copy.close()
        self.store = Store.open(mirror)
        self.session = Session(self.store, args[0] if args else None)
        self.revealed = False
        self.on_summary = False
        self.terminal = Terminal(
            [sys.executable, "-m", "flashcards", "--db", str(db), "review", *args], env
        )
        self.expected = self._screen(changed=True)

    @property
    def over(self) -> bool:
        """True when the sitting is over: the summary is (or will be) on screen."""
        return self.session.current is None

    def send(self, key: str) -> None:
        """Press ``key`` (space, a grade digit or u) and predict what it draws."""
        card = self.session.current
        if key == " ":
            assert card is not None and not self.revealed
            self.revealed = True
            self.expected = [first_words(card.back)]
        else:
            if key == "u":
                assert self.session.can_undo()
                self.session.undo()
            else:
                assert card is not None and self.revealed
                self.session.answer(int(key))
            now = self.session.current
            changed = self.on_summary or card is None or now is None or now.id != card.id
            self.revealed = False
            self.expected = self._screen(changed)
        self.terminal.press(key.encode())

    def _screen(self, changed: bool) -> list[str]:
        """What must be drawn for the session's current state."""
        session = self.session
        card = session.current
        self.on_summary = card is None
        if card is None:
            return ["Done for now" if session.answers else "Nothing to review"]
        done = len(session.answers)
        header = f"{card.deck}  {done + 1}/{done + len(session.queue)} "
        return [header, first_words(card.front)] if changed else [header]

    def confirm(self, timeout: float = 20.0) -> None:
        """Wait until what the last key must draw is on the screen."""
        for text in self.expected:
            self.terminal.wait_for(text, timeout)

    def confirmed(self) -> bool:
        """True when what the last key must draw is already on the screen."""
        self.terminal.drain()
        screen = self.terminal.text()
        return all(text in screen for text in self.expected)

    def close(self) -> None:
        """Kill the app if it still runs; close the copy."""
        self.terminal.close()
        self.store.close()

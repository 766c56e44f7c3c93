"""SVG snapshots of the main screens (pytest-textual-snapshot; --snapshot-update to accept).

The clock is fixed by conftest (FLASHCARDS_NOW); the sitting's duration comes from
``clock.monotonic``, replaced here by a counter so the summary is the same on every run.
"""

from __future__ import annotations

from itertools import count

import pytest

from flashcards import clock
from flashcards.sync import import_files
from flashcards.tui.app import make_app

DECK = """\
deck: 神经网络基础
cards:
  - id: softmax-what
    front: softmax 做什么？
    back: |
      把一个实数向量（logits）变成概率分布：每一项在 (0, 1) 之间，总和为 1，并保持大小顺序（最大的 logit 得到最大的概率）。

      ```python
      def softmax(z):
          e = np.exp(z - z.max())  # 减去最大值：数值稳定
          return e / e.sum()
      ```
    tags: [nn, 基础]
    source: "笔记 §闲谈 · softmax"
  - id: sigmoid
    cloze: "sigmoid：σ(x) = {{c1::1 / (1 + e^(-x))}}，值域 {{c2::(0, 1)}}"
  - id: literal
    front: "Why does `a[0]` differ from [bold]a[/bold]?"
    back: "- one\\n- *two*"
"""

OTHER = """\
deck: "[bold]java[/] a[0]"
cards:
  - id: one
    front: What is a JVM?
    back: The Java virtual machine.
"""


async def settle(pilot) -> None:
    """Let the home screen's worker read the decks and the screen show them."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def decks(store, write_deck):
    import_files(store, [write_deck(DECK), write_deck(OTHER, "other.yaml")])
    return store


@pytest.fixture
def fixed_seconds(monkeypatch):
    ticks = count(step=7)
    monkeypatch.setattr(clock, "monotonic", lambda: float(next(ticks)))


def test_home(decks, snap_compare):
    decks.answer(decks.card(4).id, 5)  # a little progress today
    assert snap_compare(make_app(decks), terminal_size=(90, 24), run_before=settle)


def test_home_empty(store, snap_compare):
    assert snap_compare(make_app(store), terminal_size=(90, 24), run_before=settle)


def test_review_front(decks, snap_compare):
    assert snap_compare(make_app(decks, deck="神经网络基础", start="review"),
                        terminal_size=(90, 24))


def test_review_revealed_chinese_and_code_narrow(decks, snap_compare):
    assert snap_compare(make_app(decks, deck="神经网络基础", start="review"),
                        press=["space"], terminal_size=(60, 30))


def test_summary(decks, fixed_seconds, snap_compare):
    keys = ["space", "5", "space", "2", "space", "4", "space", "5"]
    assert snap_compare(make_app(decks, deck="神经网络基础", start="review"),
                        press=keys, terminal_size=(90, 24))


async def browse(pilot) -> None:
    """Open the browser from home, run the search as it is (every card), mark the first
    card and come back up to it; each step's workers (search, render) done."""
    await settle(pilot)
    for key in ("slash", "enter", "space", "up"):
        await pilot.press(key)
        for _ in range(3):
            await settle(pilot)


def test_browser(decks, snap_compare, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # file:line shown relative to it
    decks.answer(decks.card(1).id, 4)
    assert snap_compare(make_app(decks), terminal_size=(110, 34), run_before=browse)

"""Synthetic data for the benchmarks: big decks with Chinese text and code, and big databases.

``write_deck(path, n_cards)`` writes one YAML deck; ``build_db(path, n_cards, n_reviews)``
fills a database directly (decks, cards and a review log spread over two years whose card
states are what SM-2 gives), much faster than answering a million cards one by one.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from flashcards.sm2 import SM2State, review
from flashcards.store import Store

TOPICS = ["梯度消失", "KV Cache", "LoRA 微调", "自注意力", "反向传播", "量化", "蒸馏", "beam search"]


def card_yaml(i: int, more_code: int = 0) -> str:
    """One card entry: Chinese front, a back with a fenced code block (``more_code`` lines
    longer than the usual two)."""
    topic = TOPICS[i % len(TOPICS)]
    code = "".join(f"          y{line} = f_{i}(x) + {line}\n" for line in range(more_code))
    return (
        f"  - id: card-{i}\n"
        f"    front: 第 {i} 题：{topic} 是什么？为什么 a[{i % 7}] 很重要？\n"
        f"    back: |\n"
        f"      {topic} 的要点 {i}：显存约 {i % 97} GB，学习率 1e-{i % 5 + 1}。\n"
        f"      ```python\n"
        f"      def f_{i}(x):\n"
        f"{code}"
        f"          return x[{i % 3}] * {i}  # 注释\n"
        f"      ```\n"
        f"    tags: [t{i % 10}, 基础]\n"
    )


def write_deck(path: Path, n_cards: int, name: str | None = None, more_code: int = 0) -> Path:
    """Write a deck of ``n_cards`` cards to ``path`` (see ``card_yaml``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"deck: {name or path.stem}\ndescription: 生成的测试牌组\ncards:\n")
        for i in range(n_cards):
            out.write(card_yaml(i, more_code))
    return path


def build_db(path: Path, n_cards: int, n_reviews: int, n_decks: int = 10, seed: int = 7,
             end: date = date(2026, 3, 10)) -> Path:
    """A database of ``n_cards`` cards and ``n_reviews`` reviews over the two years to ``end``."""
    rng = random.Random(seed)
    store = Store.open(path)
    stamp = "2024-03-10T08:00:00.000+08:00"
    tz = timezone(timedelta(hours=8))
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO decks (id, name, description, source_path, source_hash) "
            "VALUES (?, ?, '', ?, '')",
            [(d + 1, f"牌组 {d + 1}", f"/bench/deck{d + 1}.yaml") for d in range(n_decks)],
        )
        per_card = max(1, n_reviews // max(1, n_cards * 3 // 4))  # a quarter stay new
        reviews, cards, left = [], [], n_reviews
        for i in range(n_cards):
            state, due, lapses, count = SM2State(), None, 0, min(per_card, left)
            day = end - timedelta(days=730) + timedelta(days=rng.randrange(60))
            for done in range(count):
                quality = rng.choice((2, 3, 4, 4, 4, 5, 5))
                lapses += quality < 3 and state.repetitions > 0
                state = review(state, quality)
                due_day = day + timedelta(days=state.interval)
                # Long intervals would run past the end: such cards were reviewed early.
                step = max(1, min(state.interval, (end - day).days // (count - done)))
                at = datetime(day.year, day.month, day.day, 9, rng.randrange(60), tzinfo=tz)
                reviews.append((
                    f"{i:08x}{len(reviews):024x}", i + 1, at.isoformat(timespec="milliseconds"),
                    int(at.timestamp() * 1000), day.isoformat(), quality, state.repetitions,
                    state.interval, state.easiness, due_day.isoformat(), rng.randrange(2000, 20000),
                ))
                due, day = due_day.isoformat(), day + timedelta(days=step)
            left -= count
            cards.append((
                i + 1, i % n_decks + 1, f"card-{i}", f"card-{i}", "basic",
                f"第 {i} 题：{TOPICS[i % len(TOPICS)]} 是什么？",
                f"答案 {i}\n```python\nx[{i % 3}] = {i}\n```",
                json.dumps(["基础", f"t{i % 10}"], ensure_ascii=False), i // n_decks,
                state.repetitions, state.interval, state.easiness, due, lapses, stamp, stamp,
            ))
        conn.executemany(
            "INSERT INTO cards (id, deck_id, key, note_key, kind, front, back, tags, position, "
            "repetitions, interval, easiness, due, lapses, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cards,
        )
        reviews.sort(key=lambda row: row[3])  # a real log is appended in time order
        conn.executemany(
            "INSERT INTO reviews (id, card_id, reviewed_at, ts, day, quality, repetitions, "
            "interval, easiness, due, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reviews,
        )
    store.conn.execute("ANALYZE")
    store.close()
    return path


if __name__ == "__main__":
    # python benchmarks/generate.py deck OUT.yaml N | db OUT.db N_CARDS N_REVIEWS
    kind, out, *numbers = sys.argv[1:]
    if kind == "deck":
        write_deck(Path(out), int(numbers[0]))
    else:
        build_db(Path(out), int(numbers[0]), int(numbers[1]))

"""How long building a request takes in a long conversation, and how many rows it reads.

A conversation of 2,000 messages gets a new user message; the request for it is built
with a context count of 10 and with no limit (all). Building reads the branch with a
recursive query that stops after the rows needed, so the first case should read 11
rows (10 earlier + the new one), not 2,001.

    python bench/history.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from drupe.chat import ChatService
from drupe.chat.history import build_history, path_rows, request_for
from drupe.chat.tables import messages
from drupe.store import open_store

HISTORY = 2000
RUNS = 5


def seed(service: ChatService, count: int) -> tuple[str, int]:
    """A conversation with `count` alternating messages and a new user message at the end."""
    conversation = service.create_conversation("bench")
    now = datetime.now()
    parent = None
    with service.store.engine.begin() as conn:
        for index in range(count + 1):
            role = "user" if index % 2 == 0 else "assistant"
            parent = conn.execute(
                messages.insert().values(
                    conversation_id=conversation.id, parent_id=parent, role=role, status="complete",
                    content=f"message {index} " + "lorem ipsum dolor sit amet " * 8, reasoning="", created_at=now,
                )
            ).inserted_primary_key[0]  # fmt: skip
    return conversation.id, parent


def measure(service: ChatService, conversation_id: str, leaf: int, context_count: int | None) -> dict:
    conversation = service.update_settings(conversation_id, context_count=context_count)
    limit = None if context_count is None else context_count + 1
    timings = []
    with service.store.engine.connect() as conn:
        rows_read = len(path_rows(conn, leaf, limit))
        for _ in range(RUNS):
            start = time.perf_counter()
            built = build_history(conn, conversation, leaf)
            request, _ = request_for(built, conversation.settings, None, "bench-model")
            timings.append((time.perf_counter() - start) * 1000)
    return {
        "context_count": "all" if context_count is None else context_count,
        "rows_read": rows_read,
        "messages_sent": len(request.messages),
        "median_ms": statistics.median(timings),
        "min_ms": min(timings),
        "max_ms": max(timings),
    }


def main() -> list[dict]:
    with tempfile.TemporaryDirectory() as home:
        store = open_store(f"sqlite:///{Path(home) / 'bench.db'}", home=Path(home))
        service = ChatService(store)
        conversation_id, leaf = seed(service, HISTORY)
        rows = [measure(service, conversation_id, leaf, count) for count in (10, None)]
        store.engine.dispose()
    print(f"Request build for a new message after {HISTORY:,} messages (SQLite, median of {RUNS}):")
    print(f"{'context count':>13}  {'rows read':>9}  {'messages sent':>13}  {'median ms':>9}  {'min–max ms':>15}")
    for row in rows:
        spread = f"{row['min_ms']:.2f}–{row['max_ms']:.2f}"
        print(
            f"{row['context_count']!s:>13}  {row['rows_read']:>9}  {row['messages_sent']:>13}  "
            f"{row['median_ms']:>9.2f}  {spread:>15}"
        )
    return rows


if __name__ == "__main__":
    main()

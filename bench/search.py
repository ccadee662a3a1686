"""Searching 2,000 messages in Chinese, Japanese, Korean and English (SQLite).

What CJK search costs, and why it is built as it is. Each message is two to four sentences
drawn from a fixed pool (seeded, so every run stores the same text). Timed, median of RUNS:

- the chosen way (`Repository.search`): a CJK word of 3 characters or more through the
  trigram index, a shorter one through LIKE over `messages.content`, other words through the
  unicode61 index;
- the same CJK words through LIKE only (no trigram index);
- the alternative not taken: CJK text written as overlapping bigrams into a third FTS5 index,
  which needs the bigrams made in Python on every write (a trigger cannot make them);
- storing the 2,000 messages with the trigram index's triggers and without them, and the size
  of each index.

    python bench/search.py [MESSAGES]     # 2,000 unless given
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from common import row
from drupe.chat import ChatService
from drupe.chat import search as chat_search
from drupe.chat.tables import messages
from drupe.store import open_store

MESSAGES = int(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else 2000
RUNS = 20
SENTENCES = [
    "今天天气怎么样？", "明天北京会下雨吗？", "我想去公园散步。", "这个问题的答案是什么？",
    "请帮我写一段Python代码。", "机器学习模型需要大量数据。", "周末我们一起去看电影吧。",
    "東京の天気は晴れです。", "明日は雨が降るでしょう。", "この本はとても面白いです。",
    "日本語の勉強は難しいですか？", "駅までどのくらいかかりますか？",
    "오늘 날씨가 정말 좋네요.", "산책하러 갈까요?", "이 문제를 어떻게 해결할까요?", "한국어를 배우고 있어요.",
    "The weather is sunny today.", "Photosynthesis turns light into sugar.",
    "Could you explain how transformers work?", "Write a haiku about the sea.",
]  # fmt: skip
CJK_RUN = re.compile(f"(?:{chat_search.CJK.pattern})+")


def texts(count: int) -> list[str]:
    pick = random.Random(7)
    return [" ".join(pick.sample(SENTENCES, pick.randint(2, 4))) + f" #{index}" for index in range(count)]


def bigrams(text: str) -> str:
    """CJK runs as overlapping bigrams (`今天天气` → `今天 天天 天气`), other text as it is."""
    return CJK_RUN.sub(lambda run: " " + " ".join(_pairs(run.group(0))) + " ", text)


def _pairs(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def store(service: ChatService, contents: list[str]) -> float:
    """Milliseconds to insert every message, in one transaction."""
    conversation = service.create_conversation("bench")
    now = datetime.now()
    start = time.perf_counter()
    with service.store.engine.begin() as conn:
        conn.execute(
            messages.insert(),
            [
                {"conversation_id": conversation.id, "role": "user", "status": "complete", "content": text,
                 "reasoning": "", "created_at": now}
                for text in contents
            ],
        )  # fmt: skip
    return (time.perf_counter() - start) * 1000


def timed(action, runs: int = RUNS) -> tuple[list[float], object]:
    timings, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        timings.append((time.perf_counter() - start) * 1000)
    return timings, result


def index_kib(conn: sa.Connection, table: str) -> float:
    size = conn.exec_driver_sql(f"SELECT sum(length(block)) FROM {table}_data").scalar() or 0
    return size / 1024


def fresh(home: Path, name: str, *, trigrams: bool) -> ChatService:
    service = ChatService(open_store(f"sqlite:///{home / name}.db", home=home))
    if not trigrams:
        with service.repository.begin() as conn:
            for trigger in ("insert", "delete", "update"):
                conn.exec_driver_sql(f"DROP TRIGGER messages_trigram_{trigger}")
    return service


def search_bigrams(conn: sa.Connection, query: str) -> list[str]:
    """The alternative's search, with the same joins and snippets as the chosen one."""
    phrases = " ".join('"' + " ".join(_pairs(word)) + '"' for word in query.split())
    sql = """SELECT m.content FROM bigrams JOIN messages m ON m.id = bigrams.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE bigrams MATCH ? ORDER BY rank LIMIT 50"""
    return [chat_search.snippet(content, query.split()) for (content,) in conn.exec_driver_sql(sql, (phrases,))]


QUERIES = {
    "天气 (2 characters: LIKE)": "天气",
    "下雪 (2 characters, no match: LIKE reads every message)": "下雪",
    "天气怎么样 (trigram index)": "天气怎么样",
    "下雪了吗 (no match: trigram index)": "下雪了吗",
    "날씨가 weather (trigram + unicode61)": "날씨가 weather",
    "雨 天気 (1 and 2 characters: LIKE)": "雨 天気",
    "weather (unicode61 only, as before)": "weather",
}


def main() -> list[dict]:
    contents = texts(MESSAGES)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        writes: dict[bool, list[float]] = {True: [], False: []}
        for run in range(3):
            for trigrams in (True, False):
                service = fresh(home, f"{run}-{trigrams}", trigrams=trigrams)
                writes[trigrams].append(store(service, contents))
                service.store.engine.dispose()
        service = ChatService(open_store(f"sqlite:///{home / 'bench.db'}", home=home))
        store(service, contents)
        repository = service.repository
        for label, query in QUERIES.items():
            timings, hits = timed(lambda query=query: repository.search(query, 50))
            rows.append(row(f"search {label}", timings, "ms", note=f"{len(hits)} hits (50 at most)"))
        with repository.connect() as conn:
            for query in ("天气怎么样", "下雪了吗"):
                timings, _ = timed(lambda q=query: chat_search.search_fts(conn, q, 50, trigrams=False))
                rows.append(row(f"search {query} with LIKE only (no trigram index)", timings, "ms"))
        with repository.begin() as conn:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE bigrams USING fts5(content)")
            start = time.perf_counter()
            for message_id, content in conn.execute(sa.select(messages.c.id, messages.c.content)):
                conn.exec_driver_sql(
                    "INSERT INTO bigrams(rowid, content) VALUES (?, ?)", (message_id, bigrams(content))
                )
            bigram_build = (time.perf_counter() - start) * 1000
        with repository.connect() as conn:
            for query in ("天气", "下雪", "天气怎么样"):
                timings, _ = timed(lambda q=query: search_bigrams(conn, q))
                rows.append(row(f"search {query} in a bigram index (alternative)", timings, "ms"))
            sizes = {table: index_kib(conn, table) for table in ("messages_fts", "messages_trigram", "bigrams")}
        service.store.engine.dispose()
    rows += [
        row(f"store {MESSAGES:,} messages with the trigram index", writes[True], "ms"),
        row(f"store {MESSAGES:,} messages without it", writes[False], "ms"),
        row(f"fill a bigram index for {MESSAGES:,} messages (Python)", [bigram_build], "ms"),
        row("size of the unicode61 index", [sizes["messages_fts"]], "KiB"),
        row("size of the trigram index", [sizes["messages_trigram"]], "KiB"),
        row("size of a bigram index (alternative)", [sizes["bigrams"]], "KiB"),
    ]
    for line in rows:
        print(f"{line['name']:<66} {line['median']:>9.2f} {line['unit']}  {line['note']}")
    return rows


if __name__ == "__main__":
    main()

"""Memory: the server's resident set size (RSS), idle, after 1,000 streamed answers, and
with a 2,000-message conversation loaded.

Each run starts a fresh `drupe serve` (its own data folder, holding a 2,000-message
conversation written before the server starts) and reads VmRSS from /proc:

1. idle: once the server answers (`GET /api/meta`), after a short settle;
2. after 1,000 streamed answers: 1,000 turns through `POST /api/conversations/{id}/messages`
   (20 at a time, 50 per conversation, each a 20-chunk Markdown answer from the
   no-delay fake OpenAI upstream), every one checked `complete`; RSS is also read after
   the first 10, so one-time costs (modules imported on first use) and growth can be told apart;
3. loaded: the 2,000-message conversation read whole through
   `GET /api/conversations/{id}/messages` (pages of 500, as rendered HTML).

    python bench/memory.py
"""

from __future__ import annotations

import asyncio
import time

from common import (
    add_fake_provider,
    drupe_home,
    drupe_server,
    fake_upstream,
    new_conversation,
    print_table,
    row,
    rss_mb,
    seed_conversation,
    web_turn,
)

RUNS = 5
ANSWERS = 1_000
WARM = 10
PARALLEL = 20
HISTORY = 2_000
SETTLE = 0.5
BUDGET = 200.0
"""Seconds for all runs; past it (after at least 3 runs) no new run starts, and n says how many ran."""
TIMEOUT = 300.0
TEXT = (
    "Sure. Here is a **short** answer with a list:\n\n- one\n- two\n- three\n\n"
    "```python\nprint('hello')\n```\n\n" + " ".join(f"word{i}" for i in range(40))
)
CHUNKS = 20


async def stream_answers(base: str, count: int = ANSWERS) -> int:
    """`count` turns, PARALLEL at a time; returns how many did not end complete and whole."""
    import httpx2

    failures = 0
    async with httpx2.AsyncClient(timeout=60) as http:
        workers = min(PARALLEL, count)
        conversations = [await new_conversation(http, base) for _ in range(workers)]

        async def worker(conversation: str, count: int) -> None:
            nonlocal failures
            for i in range(count):
                result = await web_turn(http, base, conversation, f"question {i}")
                if result["status"] != "complete" or result["text"] != TEXT:
                    failures += 1

        await asyncio.gather(
            *(worker(c, count // workers + (i < count % workers)) for i, c in enumerate(conversations))
        )
    return failures


async def load_conversation(base: str, conversation: str) -> int:
    import httpx2

    count = 0
    before = None
    async with httpx2.AsyncClient(timeout=60) as http:
        await http.get(f"{base}/api/conversations/{conversation}")
        while True:
            params = {"limit": 500, **({"before": before} if before else {})}
            page = (await http.get(f"{base}/api/conversations/{conversation}/messages", params=params)).json()
            count += len(page["messages"])
            if not page["has_more"] or not page["messages"]:
                return count
            before = page["messages"][0]["id"]


def main() -> list[dict]:
    idle, warm, after, loaded, growth, warm_growth, failures = [], [], [], [], [], [], 0
    started = time.monotonic()
    with fake_upstream(text=TEXT, chunks=CHUNKS) as url:
        for run in range(RUNS):
            if run >= 3 and time.monotonic() - started > BUDGET * run / RUNS * 1.25:
                print(f"memory: stopping after {run} runs to stay within the time budget", flush=True)
                break
            with drupe_home() as env:
                add_fake_provider(env, url)
                conversation = seed_conversation(env, HISTORY)
                with drupe_server(env) as (base, proc):
                    time.sleep(SETTLE)
                    idle.append(rss_mb(proc.pid))
                    failures += asyncio.run(asyncio.wait_for(stream_answers(base, WARM), TIMEOUT))
                    time.sleep(SETTLE)
                    warm.append(rss_mb(proc.pid))
                    failures += asyncio.run(asyncio.wait_for(stream_answers(base, ANSWERS - WARM), TIMEOUT))
                    time.sleep(SETTLE)
                    after.append(rss_mb(proc.pid))
                    growth.append((after[-1] / idle[-1] - 1) * 100)
                    warm_growth.append((after[-1] / warm[-1] - 1) * 100)
                    count = asyncio.run(asyncio.wait_for(load_conversation(base, conversation), TIMEOUT))
                    if count != HISTORY:
                        raise RuntimeError(f"loaded {count} messages, expected {HISTORY}")
                    time.sleep(SETTLE)
                    loaded.append(rss_mb(proc.pid))
    return [
        row("memory: server RSS idle", idle, "MB", target="< 100 MB", limit=100),
        row(f"memory: server RSS after the first {WARM} answers", warm, "MB"),
        row(f"memory: server RSS after {ANSWERS:,} streamed answers", after, "MB"),
        row(f"memory: growth after {ANSWERS:,} answers", growth, "%", target="< 20% above idle", limit=20),
        row(f"memory: growth from {WARM} to {ANSWERS:,} answers", warm_growth, "%", note="leak check: what the first answers' one-time imports and caches do not explain"),
        row(f"memory: server RSS with a {HISTORY:,}-message conversation loaded", loaded, "MB"),
        row(
            f"memory: answers not complete (of {ANSWERS * RUNS:,})", [failures], "answers", target="0",
            met=failures == 0,
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    print_table("Server memory (RSS, MB = MiB)", main())


def profile(failed: list[str]) -> list[dict]:
    """Where the memory goes: the app run in this process under tracemalloc (uvicorn in a thread).

    Snapshots: idle, after the first WARM answers, after PROFILE_ANSWERS more. The first
    difference is one-time cost (modules imported and caches filled on first use), the
    second is growth per answer. Also lists the packages first imported after idle."""
    import os
    import sys
    import threading
    import tracemalloc

    from common import free_port

    tracemalloc.start(1)
    profile_answers = 300
    with fake_upstream(text=TEXT, chunks=CHUNKS) as url, drupe_home() as env:
        add_fake_provider(env, url)
        os.environ["DRUPE_HOME"] = env["DRUPE_HOME"]
        import uvicorn

        from drupe.web.app import create_app

        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        modules_idle = set(sys.modules)
        idle = tracemalloc.take_snapshot()
        asyncio.run(stream_answers(base, WARM))
        warm = tracemalloc.take_snapshot()
        modules_warm = set(sys.modules)
        asyncio.run(stream_answers(base, profile_answers))
        after = tracemalloc.take_snapshot()
        server.should_exit = True
        thread.join(timeout=10)

    def top(new, old, title: str) -> list[str]:
        stats = new.compare_to(old, "filename")
        total = sum(s.size_diff for s in stats)
        lines = [f"{title}: {total / 1024 / 1024:+.1f} MiB traced by Python"]
        for stat in stats[:12]:
            lines.append(f"  {stat.size_diff / 1024:+9.0f} KiB  {stat.count_diff:+7d} blocks  {_short_path(stat)}")
        return lines

    packages = sorted({m.split(".")[0] for m in modules_warm - modules_idle})
    text = "\n".join(
        [
            *top(warm, idle, f"idle → first {WARM} answers (one-time)"),
            f"  packages first imported by the first answers: {', '.join(packages)}",
            *top(after, warm, f"{WARM} → {WARM + profile_answers} answers (growth)"),
        ]
    )
    return [{"title": "memory: tracemalloc of the web app (in-process, uvicorn in a thread)", "text": text}]


def _short_path(stat) -> str:
    path = stat.traceback[0].filename
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path

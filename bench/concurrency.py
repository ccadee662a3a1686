"""Concurrency: 100 streamed chats at once through drupe's web API, first token after 50 ms.

The fake OpenAI upstream (its own process) waits a fixed 50 ms before each answer's
first chunk. Each run sends 100 chats at once twice, side by side:

- direct: 100 plain httpx2 SSE streams straight to the upstream (what the upstream, the
  loopback and this client cost by themselves);
- drupe: 100 `POST /api/conversations/{id}/messages` (one new conversation each) to
  `drupe serve`, read as the page reads them.

Time to first token (TTFT) is request sent → first text delta, at the client. Time added
by drupe at p50 and p99 = drupe's percentile − direct's percentile in the same run. Each
run also sends 10 chats one after another each way: what one turn adds on its own.
Every answer must arrive whole, end `complete`, and be stored (checked through the API).

    python bench/concurrency.py
"""

from __future__ import annotations

import asyncio
import json
import time

from common import (
    API_KEY,
    MODEL,
    add_fake_provider,
    drupe_home,
    drupe_server,
    fake_upstream,
    new_conversation,
    percentile,
    print_table,
    row,
    web_turn,
)

CHATS = 100
SEQUENTIAL = 10
RUNS = 5
FIRST_TOKEN_DELAY = 0.05
TEXT = "Concurrency is **fine** here: " + " ".join(f"word{i}" for i in range(40))
TIMEOUT = 60.0


def client():
    import httpx2

    limits = httpx2.Limits(max_connections=CHATS * 2, max_keepalive_connections=CHATS * 2)
    return httpx2.AsyncClient(timeout=TIMEOUT, limits=limits)


async def direct_stream(http, url: str) -> float:
    import httpx2

    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    started = time.perf_counter()
    ttft = None
    pieces = []
    headers = {"authorization": f"Bearer {API_KEY}"}
    async with http.stream("POST", f"{url}/v1/chat/completions", json=body, headers=headers) as response:
        async for sse in httpx2.EventSource(response):
            if sse.data == "[DONE]":
                break
            for choice in json.loads(sse.data).get("choices", ()):
                if choice.get("delta", {}).get("content"):
                    ttft = ttft or (time.perf_counter() - started) * 1000
                    pieces.append(choice["delta"]["content"])
    if "".join(pieces) != TEXT:
        raise RuntimeError("direct stream: text incomplete")
    return ttft


async def direct_run(url: str) -> list[float]:
    async with client() as http:
        await direct_stream(http, url)  # connection warm-up, not counted
        return list(await asyncio.gather(*(direct_stream(http, url) for _ in range(CHATS))))


async def drupe_run(base: str, check: bool = True, started=None) -> tuple[list[float], int]:
    """TTFTs of CHATS concurrent turns, and how many answers failed or went missing
    (with `check`, each conversation is read back to see both messages stored).
    `started`, if given, is called once the conversations exist, just before the turns."""
    async with client() as http:
        conversations = await asyncio.gather(*(new_conversation(http, base) for _ in range(CHATS + 1)))
        await web_turn(http, base, conversations[-1], "warm-up")  # not counted
        if started is not None:
            started()
        results = await asyncio.gather(
            *(web_turn(http, base, c, f"question {i}") for i, c in enumerate(conversations[:CHATS])),
            return_exceptions=True,
        )
        bad = 0
        ttfts = []
        for conversation, result in zip(conversations, results):
            if isinstance(result, BaseException) or result["status"] != "complete" or result["errors"]:
                bad += 1
                continue
            if result["text"] != TEXT:
                bad += 1
                continue
            ttfts.append(result["ttft_ms"])
            if not check:
                continue
            page = (await http.get(f"{base}/api/conversations/{conversation}/messages")).json()
            stored = [(m["role"], m["status"]) for m in page["messages"]]
            if stored != [("user", "complete"), ("assistant", "complete")]:
                bad += 1
        return ttfts, bad


async def one_at_a_time(url: str, base: str) -> float:
    """TTFT added by drupe to chats sent one after another (median of SEQUENTIAL each way):
    the cost of one turn on its own, which 100 at once multiply."""
    async with client() as http:
        conversations = [await new_conversation(http, base) for _ in range(SEQUENTIAL + 1)]
        await direct_stream(http, url)
        await web_turn(http, base, conversations[-1], "warm-up")
        direct, through = [], []
        for index, conversation in enumerate(conversations[:SEQUENTIAL]):
            direct.append(await direct_stream(http, url))
            through.append((await web_turn(http, base, conversation, f"question {index}"))["ttft_ms"])
    return percentile(through, 50) - percentile(direct, 50)


def main() -> list[dict]:
    p50_added, p99_added, direct_p50, drupe_p50, drupe_p99, failures = [], [], [], [], [], 0
    single_added = []
    with fake_upstream(text=TEXT, first_token_delay=FIRST_TOKEN_DELAY) as url, drupe_home() as env:
        add_fake_provider(env, url)
        with drupe_server(env) as (base, _proc):
            for _ in range(RUNS):
                single_added.append(asyncio.run(asyncio.wait_for(one_at_a_time(url, base), TIMEOUT)))
                direct = asyncio.run(asyncio.wait_for(direct_run(url), TIMEOUT))
                ttfts, bad = asyncio.run(asyncio.wait_for(drupe_run(base), TIMEOUT))
                failures += bad
                if not ttfts:
                    continue
                direct_p50.append(percentile(direct, 50))
                drupe_p50.append(percentile(ttfts, 50))
                drupe_p99.append(percentile(ttfts, 99))
                p50_added.append(percentile(ttfts, 50) - percentile(direct, 50))
                p99_added.append(percentile(ttfts, 99) - percentile(direct, 99))
    total = CHATS * RUNS
    return [
        row(
            "one chat at a time: TTFT added by drupe, p50", single_added, "ms",
            note=f"median of {SEQUENTIAL} chats sent one after another, against as many straight to the upstream",
        ),
        row("100 concurrent: TTFT direct to upstream, p50", direct_p50, "ms", note="includes the 50 ms first-token delay"),
        row("100 concurrent: TTFT through drupe, p50", drupe_p50, "ms"),
        row("100 concurrent: TTFT through drupe, p99", drupe_p99, "ms"),
        row("100 concurrent: TTFT added by drupe, p50", p50_added, "ms", target="< 5 ms", limit=5),
        row("100 concurrent: TTFT added by drupe, p99", p99_added, "ms", target="< 20 ms", limit=20),
        row(
            "100 concurrent: answers failed or not stored", [failures], "answers", target="0",
            met=failures == 0, note=f"out of {total} chats in {RUNS} runs",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    print_table("100 concurrent streamed chats through the web API (50 ms first-token delay)", main())


def profile(failed: list[str]) -> list[dict]:
    """py-spy profile of the server while 100 chats run at once (conversations made before)."""
    import threading

    from profiles import sampling

    with fake_upstream(text=TEXT, first_token_delay=FIRST_TOKEN_DELAY) as url, drupe_home() as env:
        add_fake_provider(env, url)
        with drupe_server(env) as (base, proc):
            asyncio.run(asyncio.wait_for(drupe_run(base, check=False), TIMEOUT))
            go = threading.Event()
            with sampling(proc.pid, title="drupe serve during 100 concurrent chats", wait=go) as result:
                asyncio.run(asyncio.wait_for(drupe_run(base, check=False, started=go.set), TIMEOUT))
    return [{"title": "concurrency: the drupe serve process", "text": result[0]}]

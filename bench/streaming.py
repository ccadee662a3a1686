"""Streaming throughput: one 20,000-chunk answer, read three ways from the same fake upstream.

- (a) a plain httpx2 SSE loop (the floor: read each event, decode its JSON, keep the text);
- (b) drupe's protocol layer, `drupe.protocols.client.stream_chat`, in this process;
- (c) drupe's web API (`drupe serve`, its own process): `POST /api/conversations/{id}/messages`
  read by an SSE client here, while drupe renders the Markdown and stores the answer.

In (c) three processes (upstream, server, this client) share the 2 cores; in (a) two do.

The fake OpenAI upstream (tests/fakes/upstream.py) runs in its own process with no delay.
Chunks per second = 20,000 / (request sent → stream closed). Every run checks that the
whole text arrived; (c) also checks the stored answer is complete. The three take turns.

    python bench/streaming.py
"""

from __future__ import annotations

import asyncio
import json
import time

from common import (
    API_KEY,
    MODEL,
    add_fake_provider,
    answer_text,
    drupe_home,
    drupe_server,
    fake_upstream,
    new_conversation,
    print_table,
    row,
    web_turn,
)

CHUNKS = 20_000
RUNS = 5
TIMEOUT = 120.0


async def plain_sse(url: str) -> tuple[str, float]:
    import httpx2

    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    pieces: list[str] = []
    async with httpx2.AsyncClient(timeout=TIMEOUT) as client:
        headers = {"authorization": f"Bearer {API_KEY}"}
        started = time.perf_counter()
        async with client.stream("POST", f"{url}/v1/chat/completions", json=body, headers=headers) as response:
            async for sse in httpx2.EventSource(response):
                if sse.data == "[DONE]":
                    break
                for choice in json.loads(sse.data).get("choices", ()):
                    text = choice.get("delta", {}).get("content")
                    if text:
                        pieces.append(text)
        elapsed = time.perf_counter() - started
    return "".join(pieces), elapsed


async def protocol_layer(url: str) -> tuple[str, float]:
    from drupe.protocols.base import ChatRequest, Endpoint, Message, TextDelta
    from drupe.protocols.client import stream_chat

    endpoint = Endpoint(type="openai", base_url=f"{url}/v1", api_keys=(API_KEY,), timeout=TIMEOUT)
    request = ChatRequest(model=MODEL, messages=(Message(role="user", content="hi"),))
    started = time.perf_counter()  # stream_chat opens its own HTTP client: counted here, a small fixed cost
    pieces = [event.text async for event in stream_chat(endpoint, request) if isinstance(event, TextDelta)]
    return "".join(pieces), time.perf_counter() - started


async def web_relay(base: str) -> tuple[str, float]:
    import httpx2

    async with httpx2.AsyncClient(timeout=TIMEOUT) as client:
        conversation = await new_conversation(client, base)
        result = await web_turn(client, base, conversation, "hi")
        if result["status"] != "complete" or result["errors"]:
            raise RuntimeError(f"web turn ended {result['status']}: {result['errors']}")
        page = (await client.get(f"{base}/api/conversations/{conversation}/messages")).json()
        stored = [m for m in page["messages"] if m["role"] == "assistant"]
        if not stored or stored[-1]["content"] != result["text"] or stored[-1]["status"] != "complete":
            raise RuntimeError("the stored answer is not the streamed one")
        return result["text"], result["total_ms"] / 1000


def timed(coro_fn, arg: str, expected: str) -> float:
    """Chunks per second over request sent → stream closed; set-up (a new conversation for (c))
    and the checks after it are not counted."""
    text, elapsed = asyncio.run(asyncio.wait_for(coro_fn(arg), TIMEOUT))
    if text != expected:
        raise RuntimeError(f"{coro_fn.__name__}: got {len(text)} characters, expected {len(expected)}")
    return CHUNKS / elapsed


def main() -> list[dict]:
    text = answer_text(20_000)
    rates: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    with fake_upstream(text=text, chunks=CHUNKS) as url, drupe_home() as env:
        add_fake_provider(env, url)
        with drupe_server(env) as (base, _proc):
            timed(web_relay, base, text)  # warm-up (not counted): first imports, first render, first writes
            for _ in range(RUNS):
                rates["a"].append(timed(plain_sse, url, text))
                rates["b"].append(timed(protocol_layer, url, text))
                rates["c"].append(timed(web_relay, base, text))
    share = [c / a * 100 for a, c in zip(rates["a"], rates["c"])]
    return [
        row("stream 20k chunks: (a) plain httpx2 SSE loop", rates["a"], "chunks/s"),
        row("stream 20k chunks: (b) drupe protocol layer", rates["b"], "chunks/s"),
        row("stream 20k chunks: (c) drupe web API relay + store", rates["c"], "chunks/s"),
        row("stream 20k chunks: (c) as % of (a)", share, "%", target=">= 80%", limit=80, higher_is_better=True),
    ]


if __name__ == "__main__":
    print_table("Streaming throughput (fake OpenAI upstream, no delay)", main())


def profile(failed: list[str]) -> list[dict]:
    """py-spy profile of the server while it relays and stores one 20,000-chunk answer."""
    from profiles import sampling

    text = answer_text(20_000)
    with fake_upstream(text=text, chunks=CHUNKS) as url, drupe_home() as env:
        add_fake_provider(env, url)
        with drupe_server(env) as (base, proc):
            timed(web_relay, base, text)
            with sampling(proc.pid, title="drupe serve relaying one 20,000-chunk answer") as result:
                timed(web_relay, base, text)
    return [{"title": "streaming (c): the drupe serve process", "text": result[0]}]

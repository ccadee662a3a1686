"""How much each protocol's parsing costs per streamed chunk, next to a plain SSE read.

The same bytes (a 2,000-chunk answer, framed as each provider documents it)
are read twice: by httpx2's SSE decoder alone, and by that decoder feeding our
pure parser and `<think>` splitter, as `client.stream_chat` does. No network.

    python bench/protocol_parse.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import httpx2  # noqa: E402

from drupe.protocols.limits import DEFAULT_LIMITS  # noqa: E402
from drupe.protocols.think import ThinkSplitter  # noqa: E402
from drupe.protocols.types import TYPES  # noqa: E402
from tests.fakes import anthropic as fake_anthropic  # noqa: E402
from tests.fakes import gemini as fake_gemini  # noqa: E402
from tests.fakes import openai_chat as fake_openai_chat  # noqa: E402
from tests.fakes import openai_responses as fake_openai_responses  # noqa: E402
from tests.fakes.answer import Answer  # noqa: E402

CHUNKS = 2000
RUNS = 5
PROTOCOLS = {
    "openai": (TYPES["openai"], fake_openai_chat),
    "openai-response": (TYPES["openai-response"], fake_openai_responses),
    "anthropic": (TYPES["anthropic"], fake_anthropic),
    "gemini": (TYPES["gemini"], fake_gemini),
}


def stream_bytes(fake) -> list[bytes]:
    answer = Answer("bench-model", tuple(f"word{i} " for i in range(CHUNKS)), input_tokens=10)
    frames = fake.frames(answer)
    return [*frames.start, *frames.content, *frames.end]


def in_memory(frames: list[bytes]) -> httpx2.Response:
    """A streamed response whose body arrives frame by frame, as from a socket."""
    request = httpx2.Request("POST", "http://bench.invalid/")
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=iter(frames), request=request)


def read_sse(frames: list[bytes]) -> int:
    return sum(1 for _ in httpx2.EventSource(in_memory(frames)))


def read_and_parse(frames: list[bytes], protocol) -> int:
    response = in_memory(frames)
    parser, splitter, count = protocol.Parser(), ThinkSplitter(), 0
    for sse in httpx2.EventSource(response, max_event_size=DEFAULT_LIMITS.event_bytes):
        if sse.data:
            for event in parser.feed(sse.event, sse.data):
                count += len(splitter.split(event))
    return count + len(parser.close())


def timed(run, *args) -> list[float]:
    """µs per chunk, one figure per run, after one run to warm up."""
    run(*args)
    results = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run(*args)
        results.append((time.perf_counter() - started) / CHUNKS * 1e6)
    return results


def main() -> list[dict]:
    """Measure every protocol, print a table, and return its rows."""
    rows = []
    for name, (protocol, fake) in PROTOCOLS.items():
        frames = stream_bytes(fake)
        sse = timed(read_sse, frames)
        parsed = timed(read_and_parse, frames, protocol)
        rows.append(
            {
                "protocol": name,
                "chunks": CHUNKS,
                "bytes_per_chunk": round(sum(map(len, frames)) / CHUNKS),
                "sse_us": statistics.median(sse),
                "sse_min_us": min(sse),
                "sse_max_us": max(sse),
                "parse_us": statistics.median(parsed),
                "parse_min_us": min(parsed),
                "parse_max_us": max(parsed),
            }
        )
    print(f"Per-chunk cost, median of {RUNS} runs over {CHUNKS} chunks (min–max), µs")
    print(f"{'protocol':<16} {'bytes':>5}  {'SSE read only':>18}  {'SSE + our parser':>18}  {'parser share':>12}")
    for row in rows:
        share = row["parse_us"] - row["sse_us"]
        print(
            f"{row['protocol']:<16} {row['bytes_per_chunk']:>5}  "
            f"{row['sse_us']:>5.1f} ({row['sse_min_us']:.1f}–{row['sse_max_us']:.1f})  "
            f"{row['parse_us']:>6.1f} ({row['parse_min_us']:.1f}–{row['parse_max_us']:.1f})  "
            f"{share:>+11.1f}"
        )
    return rows


if __name__ == "__main__":
    main()

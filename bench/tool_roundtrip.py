"""What drupe adds to one tool call: `Toolbox.call` next to the same call on an open SDK session.

Two `mcp-server-time` processes run over stdio, each started once and kept running: one behind
drupe's `Toolbox` (the runtime a chat turn calls: arguments parsed from the model's JSON text and
checked against the tool's schema, the concurrency bound, the call, the result turned into text,
secrets taken out, the cut), the other behind a bare `ClientSession` of the official `mcp` SDK,
called with the arguments already a dict. Both call `get_current_time` with the same timezone,
taking turns call after call; the difference of each pair is what drupe adds.

    python bench/tool_roundtrip.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import print_table, row

RUNS = 300
WARM_UP = 20
ARGUMENTS = {"timezone": "Europe/Paris"}
TARGET_MS = 5.0


async def measure() -> tuple[list[float], list[float]]:
    """(Toolbox.call ms, direct ClientSession.call_tool ms), one pair per run."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    from drupe.store import open_store
    from drupe.tools.servers import McpServers
    from drupe.tools.toolbox import Toolbox

    servers = McpServers(open_store())
    servers.add("time", "stdio", command=sys.executable, args=["-m", "mcp_server_time"])
    box = Toolbox(servers)
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_server_time"])
    text = '{"timezone": "Europe/Paris"}'
    ours, direct = [], []
    try:
        tool = (await box.offer(["time.get_current_time"])).find("time__get_current_time")
        assert tool is not None
        with open(os.devnull, "w") as quiet:
            async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                await session.list_tools()  # as the toolbox did: the SDK then knows the tool's output schema
                for run in range(WARM_UP + RUNS):
                    started = time.perf_counter()
                    outcome = await box.call(tool, text)
                    middle = time.perf_counter()
                    result = await session.call_tool("get_current_time", ARGUMENTS)
                    ended = time.perf_counter()
                    assert not outcome.is_error and not result.is_error, outcome.content
                    if run >= WARM_UP:
                        ours.append((middle - started) * 1000)
                        direct.append((ended - middle) * 1000)
    finally:
        await box.aclose()
    return ours, direct


def main() -> list[dict]:
    with tempfile.TemporaryDirectory() as home:
        os.environ["DRUPE_HOME"] = str(Path(home))
        ours, direct = asyncio.run(measure())
    added = [a - b for a, b in zip(ours, direct)]
    rows = [
        row("one call, drupe's Toolbox.call (stdio mcp-server-time, kept running)", ours, "ms"),
        row("the same call on an open SDK ClientSession", direct, "ms"),
        row(
            "added by drupe per call (paired difference)", added, "ms", target=f"< {TARGET_MS:g} ms", limit=TARGET_MS,
            note=f"medians {statistics.median(ours):.2f} ms and {statistics.median(direct):.2f} ms",
        ),
    ]  # fmt: skip
    print_table(f"Tool round trip, median of {RUNS} calls each, taking turns", rows)
    return rows


if __name__ == "__main__":
    main()

"""The tool runtime (`drupe.tools.toolbox`) against real MCP servers: the reference `mcp-server-time`
over stdio, a Streamable HTTP server built here with the SDK's `MCPServer` (FastMCP's name since
mcp 2) on 127.0.0.1, and, for the faults only a process can show (a crash, a blocked event loop),
an stdio server script written here with the same class."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drupe.errors import DrupeError
from drupe.store import open_store
from drupe.tools.servers import McpServers
from drupe.tools.toolbox import MAX_RESULT_CHARS, Offer, OfferedTool, Toolbox, not_offered
from tests.web_fixtures import _Uvicorn

TOKEN = "mcp-token-0123456789abcdef"
ENV_SECRET = "env-secret-value-0123456789"
HUGE = 3_000_000
LONG_NAME = "a_tool_with_a_name_much_longer_than_the_sixty_four_characters_allowed"
WIRE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

SCRIPT = textwrap.dedent("""
    import os, sys, time
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("drupe-test-stdio")

    @server.tool()
    def pid() -> str:
        \"\"\"This server's process id.\"\"\"
        return str(os.getpid())

    @server.tool()
    def crash() -> str:
        \"\"\"Exit in the middle of the call.\"\"\"
        sys.stderr.write("crashing on purpose, token " + os.environ.get("TOKEN", "") + "\\n")
        sys.stderr.flush()
        os._exit(3)

    @server.tool()
    async def block(seconds: float = 30) -> str:
        \"\"\"Block the server's whole event loop: it answers nothing, not even a ping.\"\"\"
        time.sleep(seconds)
        return "woke up"

    server.run("stdio")
""")


class Seen:
    """What the HTTP server's tools saw, read by the tests from another thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.echoes = 0
        self.running = 0
        self.most_running = 0
        self.hanging = threading.Event()
        self.cancelled = threading.Event()


def _app(seen: Seen):
    """A Streamable HTTP MCP server whose every request must carry `X-Api-Key: TOKEN`."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("drupe-test")

    @server.tool()
    def echo(text: str, times: int = 1) -> str:
        """Say the text back."""
        with seen.lock:
            seen.echoes += 1
        return " ".join([text] * times)

    @server.tool()
    def fail() -> str:
        """Always fails, quoting the key it was sent."""
        raise ToolError(f"the tool's own complaint (key {TOKEN})")

    @server.tool()
    def huge() -> str:
        """A result of several megabytes."""
        return "x" * HUGE

    @server.tool()
    async def hang() -> str:
        """Never answers, until cancelled."""
        seen.hanging.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            seen.cancelled.set()
            raise
        return "late"

    @server.tool()
    async def slow() -> str:
        """Takes a moment; counts the calls running at once."""
        with seen.lock:
            seen.running += 1
            seen.most_running = max(seen.most_running, seen.running)
        await anyio.sleep(0.3)
        with seen.lock:
            seen.running -= 1
        return "done"

    @server.tool(name="look.up")
    def look_dot_up() -> str:
        return "dot"

    @server.tool(name="look_up")
    def look_underscore_up() -> str:
        return "underscore"

    @server.tool(name=LONG_NAME)
    def long_name() -> str:
        return "long"

    inner = server.streamable_http_app()

    async def app(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-api-key") != TOKEN.encode():
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"wrong key"})
            return
        await inner(scope, receive, send)

    return app


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def http_mcp(seen: Seen) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = _Uvicorn(_app(seen), sock)
    server.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        server.stop()


@pytest.fixture
def servers(http_mcp: str, tmp_path: Path) -> McpServers:
    """`time` (mcp-server-time, stdio), `web` (the HTTP server), `own` (the script, stdio), `off` (disabled)."""
    script = tmp_path / "stdio_server.py"
    script.write_text(SCRIPT)
    registry = McpServers(open_store())
    registry.add("time", "stdio", command=sys.executable, args=["-m", "mcp_server_time"])
    registry.add("web", "http", url=http_mcp, headers={"X-Api-Key": TOKEN})
    registry.add("own", "stdio", command=sys.executable, args=[str(script)], env={"TOKEN": ENV_SECRET})
    registry.add("off", "stdio", command=sys.executable, args=["-m", "mcp_server_time"], enabled=False)
    return registry


def children(marker: str) -> list[int]:
    """The live processes this test started whose command line holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == os.getpid() and state != "Z" and marker in command:
            found.append(int(entry))
    return found


def by_title(offer: Offer, title: str) -> OfferedTool:
    [found] = [tool for tool in offer.tools if tool.title == title]
    return found


async def wait_for(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def test_offer_selections_and_wire_names(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            everything = await box.offer(["all"])
            names = [spec.name for spec in everything.specs()]
            assert {"time__get_current_time", "time__convert_time", "web__echo", "web__fail", "own__pid"} <= set(names)
            assert not any(name.startswith("off__") for name in names)  # disabled: not part of "all"
            assert len(set(names)) == len(names) and all(WIRE_NAME.fullmatch(name) for name in names)

            # `look.up` would be `look_up`'s name: a replaced character brings a hash, whatever else is offered.
            dot, underscore = by_title(everything, "web.look.up"), by_title(everything, "web.look_up")
            assert underscore.spec.name == "web__look_up" and re.fullmatch(r"web__look_up_[0-9a-f]{8}", dot.spec.name)
            long = by_title(everything, f"web.{LONG_NAME}")
            assert len(long.spec.name) == 64 and long.spec.name.startswith("web__a_tool_with")
            alone = await box.offer(["web.look.up", f"web.{LONG_NAME}"])
            assert [t.spec.name for t in alone.tools] == [dot.spec.name, long.spec.name]

            time_only = await box.offer(["time"])
            assert [t.title for t in time_only.tools] == ["time.get_current_time", "time.convert_time"]
            spec = time_only.find("time__get_current_time").spec
            assert spec.parameters["required"] == ["timezone"] and "IANA" in str(spec.parameters)
            assert spec.description == "Get current time in a specific timezone"
            assert time_only.find("web__echo") is None

            picked = await box.offer(["web.echo", "time.get_current_time", "web.echo", "TIME"])
            assert [t.title for t in picked.tools] == ["web.echo", "time.get_current_time", "time.convert_time"]
            assert (await box.offer([])).tools == ()

            for selection, code, what in (
                (["nope"], "not_found", "mcp_server"), (["web.nope"], "not_found", "tool"),
                (["off"], "invalid", "mcp_server_disabled"), (["off.get_current_time"], "invalid", "mcp_server_disabled"),
            ):  # fmt: skip
                with pytest.raises(DrupeError) as caught:
                    await box.offer(selection)
                assert (caught.value.code, caught.value.data["what"]) == (code, what), selection
            with pytest.raises(DrupeError, match="'off' is disabled"):
                await box.offer(["off"])

            servers.add("missing", "stdio", command="drupe-no-such-command")
            with pytest.raises(DrupeError) as caught:
                await box.offer(["time", "missing"])
            assert (caught.value.code, caught.value.data["kind"]) == ("mcp", "start")
            assert "'drupe-no-such-command' was not found" in str(caught.value)
        finally:
            await box.aclose()

    asyncio.run(scenario())


def test_stdio_calls_reuse_one_running_process_and_aclose_stops_it(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            tool = (await box.offer(["time.get_current_time"])).find("time__get_current_time")
            assert tool is not None
            [pid] = children("mcp_server_time")
            first = await box.call(tool, '{"timezone": "UTC"}')
            second = await box.call(tool, json.dumps({"timezone": "Asia/Tokyo"}))
            assert not first.is_error and json.loads(first.content)["timezone"] == "UTC"
            assert not second.is_error and json.loads(second.content)["datetime"].endswith("+09:00")
            assert children("mcp_server_time") == [pid]  # one process served the offer and both calls
            assert 0 < second.duration_ms < 5_000

            error = await box.call(tool, '{"timezone": "Nowhere/Special"}')
            assert error.is_error and "Nowhere/Special" in error.content  # the tool's own words
            assert children("mcp_server_time") == [pid]
        finally:
            await box.aclose()
        assert children("mcp_server_time") == []
        await box.aclose()  # again: nothing left to do
        after = await box.call(tool, '{"timezone": "UTC"}')
        assert after.is_error and "shut down" in after.content
        assert children("mcp_server_time") == []
        with pytest.raises(DrupeError):
            await box.offer(["time"])

    asyncio.run(scenario())


def test_bad_arguments_go_back_to_the_model_without_reaching_the_server(servers, seen):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["web.echo"])
            echo = offer.find("web__echo")
            cases = {
                "{text: hi}": "not valid JSON",
                '["hi"]': "must be a JSON object, not an array",
                '"hi"': "must be a JSON object, not a string",
                "null": "must be a JSON object, not null",
                "{}": "'text' is a required property",
                '{"text": "hi", "times": "two"}': "times: 'two' is not of type 'integer'",
            }
            for arguments, words in cases.items():
                outcome = await box.call(echo, arguments)
                assert outcome.is_error and words in outcome.content, arguments
                assert "web__echo" in outcome.content  # the model is told which tool to call again
            assert seen.echoes == 0
            fine = await box.call(echo, '{"text": "hi", "times": 2}')
            assert (fine.content, fine.is_error, seen.echoes) == ("hi hi", False, 1)

            # A name the model made up is not in the offer; the turn loop answers it with this.
            assert offer.find("web__nope") is None
            missing = not_offered(offer, "web__nope")
            assert missing.is_error and "'web__nope'" in missing.content and "web__echo" in missing.content
        finally:
            await box.aclose()

    asyncio.run(scenario())


def test_a_tool_error_is_an_outcome_and_secrets_never_show(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["web"])
            failed = await box.call(offer.find("web__fail"), "")  # no arguments at all: {}
            assert failed.is_error and "the tool's own complaint (key ***)" in failed.content
            echoed = await box.call(offer.find("web__echo"), json.dumps({"text": f"say {TOKEN}"}))
            assert (echoed.content, echoed.is_error) == ("say ***", False)
        finally:
            await box.aclose()

    asyncio.run(scenario())


def test_a_server_crashing_mid_call_is_started_again_by_the_next_call(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["own"])
            pid, crash = offer.find("own__pid"), offer.find("own__crash")
            first = await box.call(pid, "{}")
            assert not first.is_error and children("stdio_server.py") == [int(first.content)]

            crashed = await box.call(crash, "{}")
            assert crashed.is_error and "MCP server 'own' stopped during the call" in crashed.content
            assert "crashing on purpose, token ***" in crashed.content and ENV_SECRET not in crashed.content

            again = await box.call(pid, "{}")
            assert not again.is_error and again.content != first.content
            assert await wait_for(lambda: children("stdio_server.py") == [int(again.content)])
        finally:
            await box.aclose()
        assert children("stdio_server.py") == []

    asyncio.run(scenario())


def test_a_hanging_tool_times_out_and_its_request_is_cancelled(servers, seen):
    servers.edit("web", timeout=1)

    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["web"])
            hung = await box.call(offer.find("web__hang"), "{}")
            assert hung.is_error and "did not answer within 1 s; the call was cancelled" in hung.content
            assert 900 < hung.duration_ms < 5_000
            assert await wait_for(seen.cancelled.is_set)  # the SDK told the server, which stopped the tool
            after = await box.call(offer.find("web__echo"), '{"text": "still here"}')
            assert (after.content, after.is_error) == ("still here", False)
        finally:
            await box.aclose()

    asyncio.run(scenario())


def test_a_server_left_unanswering_after_a_timeout_is_restarted(servers):
    """A tool that blocks its server's event loop: the next call finds the server deaf to a ping.
    (The timeout also bounds the server's start: long enough for a loaded machine.)"""
    servers.edit("own", timeout=3)

    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["own"])
            first = await box.call(offer.find("own__pid"), "{}")
            blocked = await box.call(offer.find("own__block"), '{"seconds": 30}')
            assert blocked.is_error and "did not answer within 3 s" in blocked.content
            again = await box.call(offer.find("own__pid"), "{}")
            assert not again.is_error and again.content != first.content
        finally:
            await box.aclose()
        assert children("stdio_server.py") == []

    asyncio.run(scenario())


def test_a_result_of_several_megabytes_is_cut_with_a_note(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            huge = (await box.offer(["web.huge"])).find("web__huge")
            outcome = await box.call(huge, "{}")
        finally:
            await box.aclose()
        assert not outcome.is_error and outcome.content.startswith("x" * MAX_RESULT_CHARS + "\n\n[")
        assert f"cut at {MAX_RESULT_CHARS:,} characters: {HUGE - MAX_RESULT_CHARS:,} more were left out" in (
            outcome.content
        )
        assert len(outcome.content) < MAX_RESULT_CHARS + 200

    asyncio.run(scenario())


def test_cancelling_a_call_propagates_and_cancels_the_request(servers, seen):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            offer = await box.offer(["web"])
            running = asyncio.create_task(box.call(offer.find("web__hang"), "{}"))
            assert await wait_for(seen.hanging.is_set)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            assert await wait_for(seen.cancelled.is_set)
            after = await box.call(offer.find("web__echo"), '{"text": "next"}')
            assert (after.content, after.is_error) == ("next", False)
        finally:
            await box.aclose()

    asyncio.run(scenario())


def test_at_most_max_concurrent_calls_run_at_once(servers, seen):
    async def scenario() -> None:
        box = Toolbox(servers, max_concurrent=2)
        try:
            slow = (await box.offer(["web.slow"])).find("web__slow")
            started = time.perf_counter()
            outcomes = await asyncio.gather(*(box.call(slow, "{}") for _ in range(6)))
            elapsed = time.perf_counter() - started
        finally:
            await box.aclose()
        assert [o.content for o in outcomes] == ["done"] * 6
        assert seen.most_running == 2 and elapsed >= 0.85  # three rounds of two

    asyncio.run(scenario())


def test_an_edited_server_is_connected_again_and_a_disabled_one_stopped(servers):
    async def scenario() -> None:
        box = Toolbox(servers)
        try:
            before = (await box.offer(["own.pid"])).find("own__pid")
            first = await box.call(before, "{}")
            servers.edit("own", env={"TOKEN": ENV_SECRET, "MODE": "new"})
            after = (await box.offer(["own.pid"])).find("own__pid")
            second = await box.call(after, "{}")
            assert second.content != first.content  # new settings, new process; the old one stops
            assert await wait_for(lambda: children("stdio_server.py") == [int(second.content)])
            # A call from the offer made before the edit goes to the new process, not back to the old settings.
            assert (await box.call(before, "{}")).content == second.content

            servers.disable("own")
            await box.offer(["web"])  # any offer notices: nothing will call it again
            assert await wait_for(lambda: children("stdio_server.py") == [])
        finally:
            await box.aclose()

    asyncio.run(scenario())

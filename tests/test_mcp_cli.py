"""`drupe mcp` through a real `drupe` subprocess, against real MCP servers on 127.0.0.1:
the reference `mcp-server-time` over stdio, and a Streamable HTTP server built here with the
SDK's own server class (`MCPServer`, FastMCP's name since mcp 2)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from drupe.store import open_store
from drupe.tools.servers import McpServer, McpServers
from tests.cli_helpers import run_drupe
from tests.web_fixtures import _Uvicorn

TOKEN = "mcp-token-0123456789abcdef"
ENV_SECRET = "env-secret-value-0123456789"
HUGE = 3_000_000


def ok(*args: str) -> str:
    result = run_drupe(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(*args: str) -> str:
    """A failure the user can read: exit 1, one `error:` line, no traceback."""
    result = run_drupe(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def stored(name: str) -> McpServer:
    """A server as the store holds it, secrets decrypted."""
    return McpServers(open_store()).get(name)


def _app():
    """A Streamable HTTP MCP server whose every request must carry `X-Api-Key: TOKEN`."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("drupe-test")

    @server.tool()
    def echo(text: str, times: int = 1) -> str:
        """Say the text back."""
        return " ".join([text] * times)

    @server.tool()
    def fail() -> str:
        """Always fails."""
        raise ToolError("the tool's own complaint")

    @server.tool()
    def huge() -> str:
        """A result of several megabytes."""
        return "x" * HUGE

    inner = server.streamable_http_app()

    async def app(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-api-key") != TOKEN.encode():
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"wrong key"})
            return
        await inner(scope, receive, send)

    return app


@pytest.fixture
def http_mcp() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = _Uvicorn(_app(), sock)
    server.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        server.stop()


def test_stdio_time_server_add_list_show_tools_call():
    ok("mcp", "add", "time", "--env", f"DRUPE_TEST_TOKEN={ENV_SECRET}", "--", sys.executable, "-m", "mcp_server_time")
    listed = json.loads(ok("mcp", "list", "--json"))
    assert [(s["name"], s["transport"], s["args"]) for s in listed] == [("time", "stdio", ["-m", "mcp_server_time"])]
    assert ENV_SECRET not in ok("mcp", "list") + json.dumps(listed)

    shown = ok("mcp", "show", "time")
    assert "Status:    connected (mcp-time" in shown
    assert "get_current_time" in shown and "timezone (string, required)" in shown
    assert ENV_SECRET not in shown and "DRUPE_TEST_TOKEN=" in shown

    result = json.loads(ok("mcp", "call", "time", "get_current_time", "--args", '{"timezone": "UTC"}'))
    assert result["timezone"] == "UTC" and result["datetime"].endswith("+00:00")


def test_stdio_errors_are_clear(tmp_path):
    ok("mcp", "add", "time", "--", sys.executable, "-m", "mcp_server_time")
    assert "not valid JSON" in failed("mcp", "call", "time", "get_current_time", "--args", "{timezone")

    ok("mcp", "add", "missing", "--", "drupe-no-such-command")
    assert "command 'drupe-no-such-command' was not found" in failed("mcp", "tools", "missing")
    script = tmp_path / "crash.py"
    script.write_text(f"import sys\nsys.stderr.write('cannot start: bad {ENV_SECRET}\\n')\nsys.exit(3)\n")
    ok("mcp", "add", "crash", "--env", f"TOKEN={ENV_SECRET}", "--", sys.executable, str(script))
    said = failed("mcp", "show", "crash")
    assert "closed the connection before answering" in said and "cannot start: bad ***" in said
    assert ENV_SECRET not in said

    ok("mcp", "disable", "time")
    assert "drupe mcp enable time" in failed("mcp", "tools", "time")
    ok("mcp", "remove", "time", "--yes")
    assert "No MCP server named 'time'" in failed("mcp", "show", "time")


def test_http_server_with_a_secret_header(http_mcp):
    ok("mcp", "add", "web", "--url", http_mcp, "--header", f"X-Api-Key={TOKEN}")
    shown = ok("mcp", "show", "web")
    assert "Status:    connected (drupe-test" in shown and "echo: Say the text back." in shown
    assert "text (string, required)" in shown and "times (integer, optional)" in shown
    assert TOKEN not in shown + ok("mcp", "list", "--json")
    assert ok("mcp", "call", "web", "echo", "--args", '{"text": "hi", "times": 2}').strip() == "hi hi"

    result = run_drupe("mcp", "call", "web", "huge", "--json")
    assert result.returncode == 0, result.stderr
    capped = json.loads(result.stdout)
    assert capped["text"] == "x" * 100_000 and capped["cut_chars"] == HUGE - 100_000

    said = failed("mcp", "call", "web", "fail")
    assert "the tool's own complaint" in said and "reported an error" in said
    said = failed("mcp", "call", "web", "no_such_tool")
    assert "has no tool 'no_such_tool'" in said and "echo" in said


def test_commands_that_do_not_connect_leave_the_sdk_unloaded():
    ok("mcp", "add", "time", "--", sys.executable, "-m", "mcp_server_time")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "drupe", "mcp", "list"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "drupe.tools.servers" in imported  # the probe sees imports at all
    assert sorted(name for name in imported if name.split(".")[0] in ("mcp", "pydantic", "httpx2")) == []


def test_http_errors_are_clear(http_mcp):
    ok("mcp", "add", "nokey", "--url", http_mcp, "--header", "X-Api-Key=wrong-key-000000000000")
    said = failed("mcp", "tools", "nokey")
    assert "MCP server 'nokey'" in said and "wrong-key-000000000000" not in said

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    ok("mcp", "add", "gone", "--url", f"http://127.0.0.1:{port}/mcp")
    assert "Cannot talk to MCP server 'gone'" in failed("mcp", "show", "gone")
    assert "is not an http or https URL" in failed("mcp", "add", "bad", "--url", "127.0.0.1/mcp")
    assert "Give either a command" in failed("mcp", "add", "both", "--url", http_mcp, "--", "cmd")


def test_approval_is_set_on_add_shown_and_changed_with_edit(http_mcp):
    ok("mcp", "add", "time", "--", sys.executable, "-m", "mcp_server_time")
    ok("mcp", "add", "web", "--url", http_mcp, "--header", f"X-Api-Key={TOKEN}", "--approval", "always")
    listed = {s["name"]: s for s in json.loads(ok("mcp", "list", "--json"))}
    assert (listed["time"]["approval"], listed["web"]["approval"]) == ("ask", "always")
    table = ok("mcp", "list")
    assert "Approval" in table and re.search(r"web\s+http\s+on\s+always", table)
    assert "Approval:  ask (each call waits for your approval)" in ok("mcp", "show", "time")
    assert "Approval:  always (calls run without asking)" in ok("mcp", "show", "web")
    assert "Valid: ask, always" in failed("mcp", "add", "x", "--approval", "sometimes", "--", "cmd")

    assert "Updated MCP server time." in ok("mcp", "edit", "time", "--approval", "always", "--timeout", "30")
    shown = ok("mcp", "show", "time")
    assert "Approval:  always" in shown and "Timeout:   30 s" in shown and "Status:    connected" in shown
    assert "Valid: ask, always" in failed("mcp", "edit", "time", "--approval", "never")
    assert "Nothing to change" in ok("mcp", "edit", "time")


def test_edit_changes_only_what_is_given_and_keeps_secrets_sealed(http_mcp, drupe_home):
    ok("mcp", "add", "srv", "--env", f"TOKEN={ENV_SECRET}", "--env", "MODE=a", "--", "old-command", "--flag")
    ok("mcp", "edit", "srv", "--command", sys.executable, "--arg", "-m", "--arg", "mcp_server_time", "--env", "MODE=b")
    [srv] = json.loads(ok("mcp", "list", "--json"))
    assert (srv["command"], srv["args"]) == (sys.executable, ["-m", "mcp_server_time"])
    assert ENV_SECRET not in json.dumps(srv) and sorted(srv["env"]) == ["MODE", "TOKEN"]  # masked
    assert stored("srv").env == {"TOKEN": ENV_SECRET, "MODE": "b"}  # the secret kept, the other value changed
    assert "connected (mcp-time" in ok("mcp", "show", "srv")
    ok("mcp", "edit", "srv", "--remove-env", "MODE", "--name", "clock")
    assert stored("clock").env == {"TOKEN": ENV_SECRET}

    said = ok("mcp", "edit", "clock", "--url", http_mcp, "--header", f"X-Api-Key={TOKEN}")
    assert "Now an HTTP server: its command, arguments and environment were removed." in said
    [clock] = json.loads(ok("mcp", "list", "--json"))
    assert (clock["transport"], clock["command"], clock["args"], clock["env"]) == ("http", "", [], {})
    assert "echo: Say the text back." in ok("mcp", "show", "clock")
    database = b"".join(p.read_bytes() for p in drupe_home.iterdir() if p.name.startswith("drupe.db"))
    assert TOKEN.encode() not in database
    assert "Give either --command or --url" in failed("mcp", "edit", "clock", "--command", "x", "--url", http_mcp)
    assert "takes no command" in failed("mcp", "edit", "clock", "--arg", "x")


def test_reset_secrets_forgets_mcp_secrets_the_key_cannot_open(drupe_home):
    ok("mcp", "add", "time", "--env", f"TOKEN={ENV_SECRET}", "--", sys.executable, "-m", "mcp_server_time")
    (drupe_home / "secret.key").unlink()
    assert "MCP server time" in failed("mcp", "list")  # the key that sealed them is missing: every command stops
    refused = run_drupe("provider", "reset-secrets")
    assert refused.returncode == 1 and "MCP server time" in refused.stderr
    said = ok("provider", "reset-secrets", "--yes")
    assert "Forgot the secrets of MCP server time" in said and "drupe mcp edit NAME --env" in said
    assert (stored("time").env, stored("time").secrets_unreadable) == ({"TOKEN": ""}, False)
    assert "connected (mcp-time" in ok("mcp", "show", "time")
    assert "nothing to reset" in ok("provider", "reset-secrets")

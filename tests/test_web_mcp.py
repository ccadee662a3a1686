"""MCP servers over the web API, on the real app and real sockets: add, list, edit (masked
secrets sent back keep the stored ones), remove, and check against real servers — the reference
`mcp-server-time` over stdio and one built here with the SDK over Streamable HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from drupe.store.tables import mcp_servers
from drupe.tools.servers import McpServers
from tests.mcp_http import serving

ENV_SECRET = "env-secret-value-0123456789"
HEADER_SECRET = "header-secret-9876543210"
URL_SECRET = "url-password-4242"
TIME = {"name": "time", "transport": "stdio", "command": sys.executable, "args": ["-m", "mcp_server_time"]}


@pytest.fixture
def server(web_server):
    return web_server()


def stored(server, name: str):
    """The server as the store holds it, secrets in full."""
    return McpServers(server.app.state.store).get(name)


def created(server, **body) -> dict:
    response = server.client.post("/api/mcp-servers", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def starter(tmp_path: Path) -> tuple[list[str], Path]:
    """A command that leaves a mark when it is started (then exits, as no MCP server)."""
    mark = tmp_path / "started"
    script = tmp_path / "mark.py"
    script.write_text(f"import pathlib, sys\npathlib.Path({str(mark)!r}).write_text('x')\nsys.exit(3)\n")
    return [sys.executable, str(script)], mark


@pytest.mark.usefixtures("database_url")
def test_crud_never_returns_a_secret_and_masked_values_sent_back_keep_them(server):
    client = server.client
    time = created(server, **TIME, env={"API_TOKEN": ENV_SECRET, "EMPTY": ""}, approval="always", timeout=5)
    web = created(
        server, name="web", transport="http", url=f"http://user:{URL_SECRET}@127.0.0.1:1/mcp",
        headers={"Authorization": f"Bearer {HEADER_SECRET}", "X-Team": "research"},
    )  # fmt: skip
    assert (time["approval"], time["timeout"], time["enabled"], time["args"]) == ("always", 5, True, TIME["args"])
    assert web["headers"]["X-Team"] == "research" and web["url"] == "http://user:***@127.0.0.1:1/mcp"
    assert time["env"]["EMPTY"] == "" and time["env"]["API_TOKEN"] != ENV_SECRET
    shown = "".join(
        response.text
        for response in (
            client.get("/api/mcp-servers"), client.get("/api/mcp-servers/time"), client.get("/api/mcp-servers/WEB"),
            client.get(f"/api/mcp-servers/{web['id']}"),
        )
    )  # fmt: skip
    for secret in (ENV_SECRET, HEADER_SECRET, URL_SECRET):
        assert secret not in shown
    assert [s["name"] for s in client.get("/api/mcp-servers").json()] == ["time", "web"]

    # What the Edit dialog does: every field back as it was shown, one of them changed.
    fields = ("name", "transport", "command", "args", "url", "env", "headers", "timeout")
    for shown_server, change in ((time, {"timeout": 9}), (web, {"approval": "always"})):
        body = {key: shown_server[key] for key in fields}
        response = client.patch(f"/api/mcp-servers/{shown_server['name']}", json={**body, **change})
        assert response.status_code == 200, response.text
    assert stored(server, "time").env == {"API_TOKEN": ENV_SECRET, "EMPTY": ""} and stored(server, "time").timeout == 9
    kept = stored(server, "web")
    assert kept.headers == {"Authorization": f"Bearer {HEADER_SECRET}", "X-Team": "research"}
    assert kept.url == f"http://user:{URL_SECRET}@127.0.0.1:1/mcp" and kept.approval == "always"

    # A new value replaces the stored one; a renamed server answers to its new name only.
    changed = client.patch("/api/mcp-servers/time", json={"name": "clock", "env": {"API_TOKEN": "new-value"}}).json()
    assert changed["name"] == "clock" and stored(server, "clock").env == {"API_TOKEN": "new-value"}
    assert error_of(client.get("/api/mcp-servers/time"), 404)["data"] == {"what": "mcp_server", "name": "time"}
    assert client.patch("/api/mcp-servers/clock", json={"enabled": False}).json()["enabled"] is False
    assert client.delete("/api/mcp-servers/clock").json() == {"removed": "clock"}
    assert [s["name"] for s in client.get("/api/mcp-servers").json()] == ["web"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "has space", "transport": "stdio", "command": "x"}, 400, "name"),
        ({"name": "ok", "transport": "ftp", "command": "x"}, 422, "transport"),
        ({"name": "ok", "transport": "stdio"}, 400, "command"),
        ({"name": "ok", "transport": "http", "url": "not a url"}, 400, "url"),
        ({"name": "ok", "transport": "http", "url": "http://h/", "env": {"A": "1"}}, 400, "command"),
        ({"name": "ok", "transport": "stdio", "command": "x", "env": {"1BAD": "v"}}, 422, "env.1BAD.[key]"),
        ({"name": "ok", "transport": "stdio", "command": "x", "timeout": 0}, 422, "timeout"),
        ({"name": "ok", "transport": "stdio", "command": "x", "timeout": True}, 422, "timeout"),
        ({"name": "ok", "transport": "stdio", "command": "x", "approval": "never"}, 422, "approval"),
        ({"name": "ok", "transport": "stdio", "command": "x\x00"}, 422, "command"),
        (
            {"name": "ok", "transport": "http", "url": "http://h/", "headers": {"X-A": "v\r\nX-B: 1"}},
            422,
            "headers.X-A",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(server, body, status, field):
    error = error_of(server.client.post("/api/mcp-servers", json=body), status)
    assert error["code"] == "invalid"
    if status == 400:  # the core's check: the field in `data`
        assert error["data"]["field"] == field
    else:  # the edge's: the field leads the message
        assert error["message"].startswith(f"{field}:"), error["message"]
    assert server.client.get("/api/mcp-servers").json() == []


def test_a_header_value_that_is_not_unicode_is_a_422_not_a_500(server):
    body = b'{"name": "w", "transport": "http", "url": "http://h/", "headers": {"X-A": "a\\ud800"}}'
    response = server.client.post("/api/mcp-servers", content=body, headers={"content-type": "application/json"})
    assert "headers.X-A: is not valid Unicode" in error_of(response, 422)["message"]


def test_unknown_names_taken_names_and_empty_fields(server):
    client = server.client
    created(server, **TIME)
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/check")):
        error = error_of(client.request(method, f"/api/mcp-servers/nope{path}", json={}), 404)
        assert error["message"] == "No MCP server 'nope'. It may have been removed; reload the list."
    assert error_of(client.get("/api/mcp-servers/a b"), 422)["message"].startswith("name: is not an MCP server name")
    assert error_of(client.post("/api/mcp-servers/a$b/check"), 422)["message"].startswith("name:")
    taken = error_of(client.post("/api/mcp-servers", json={**TIME, "name": "TIME"}), 409)
    assert taken["code"] == "conflict" and taken["data"]["field"] == "name"
    assert error_of(client.patch("/api/mcp-servers/time", json={"timeout": None}), 400)["data"]["field"] == "timeout"
    switched = client.patch("/api/mcp-servers/time", json={"transport": "http"})  # its command is still there
    assert error_of(switched, 400)["data"]["field"] == "url"
    moved = client.patch(
        "/api/mcp-servers/time",
        json={"transport": "http", "url": "http://127.0.0.1:1/mcp", "command": None, "args": None},
    )
    assert moved.status_code == 200 and (moved.json()["command"], moved.json()["args"]) == ("", [])


def test_check_the_time_server_over_stdio(server):
    created(server, **TIME, env={"DRUPE_TEST_TOKEN": ENV_SECRET})
    response = server.client.post("/api/mcp-servers/time/check")
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["connected"] is True and status["error"] is None and status["latency_ms"] > 0
    assert status["server"]["name"] == "mcp-time" and status["server"]["version"]
    tools = {tool["name"]: tool for tool in status["tools"]}
    assert set(tools) == {"get_current_time", "convert_time"}
    assert "timezone" in tools["get_current_time"]["description"].lower()
    [timezone] = tools["get_current_time"]["parameters"]
    assert (timezone["name"], timezone["type"], timezone["required"]) == ("timezone", "string", True)
    assert "IANA" in timezone["description"]
    assert ENV_SECRET not in response.text


def test_storing_a_server_runs_nothing_and_check_says_what_went_wrong(server, tmp_path):
    client = server.client
    (command, *args), mark = starter(tmp_path)
    created(server, name="marker", transport="stdio", command=command, args=args, enabled=False)
    client.patch("/api/mcp-servers/marker", json={"timeout": 20})
    client.get("/api/mcp-servers")
    off = client.post("/api/mcp-servers/marker/check").json()
    assert (off["connected"], off["error"]["kind"]) == (False, "disabled") and "Switch it on" in off["error"]["message"]
    assert not mark.exists()  # stored, changed, listed, checked while off: never started

    client.patch("/api/mcp-servers/marker", json={"enabled": True})
    failed = client.post("/api/mcp-servers/marker/check").json()
    assert mark.exists() and (failed["connected"], failed["error"]["kind"]) == (False, "start")
    assert "closed the connection before answering" in failed["error"]["message"]

    created(server, name="missing", transport="stdio", command="drupe-no-such-command")
    missing = client.post("/api/mcp-servers/missing/check").json()
    assert missing["error"] == {
        "kind": "start", "message": "Cannot start MCP server 'missing': command 'drupe-no-such-command' was not found."
    }  # fmt: skip

    script = tmp_path / "crash.py"
    script.write_text(f"import sys\nsys.stderr.write('cannot start: bad {ENV_SECRET}\\n')\nsys.exit(3)\n")
    created(server, name="crash", transport="stdio", command=sys.executable, args=[str(script)], env={"T": ENV_SECRET})
    crash = client.post("/api/mcp-servers/crash/check")
    assert "cannot start: bad ***" in crash.json()["error"]["message"] and ENV_SECRET not in crash.text


def test_a_server_whose_secrets_cannot_be_read_says_so_and_can_still_be_switched(server):
    client = server.client
    created(server, name="sealed", transport="stdio", command="srv", env={"T": ENV_SECRET})
    other = Fernet(Fernet.generate_key()).encrypt(b'{"env": {"T": "x"}}').decode()
    with server.app.state.store.engine.begin() as conn:
        conn.execute(mcp_servers.update().where(mcp_servers.c.name == "sealed").values(secrets=other))
    assert client.get("/api/mcp-servers/sealed").json()["secrets_unreadable"] is True
    check = client.post("/api/mcp-servers/sealed/check").json()
    assert check["error"]["kind"] == "secrets_unreadable" and "enter its variables" in check["error"]["message"]
    assert client.patch("/api/mcp-servers/sealed", json={"enabled": False}).json()["enabled"] is False
    assert error_of(client.patch("/api/mcp-servers/sealed", json={"timeout": 5}), 409)["code"] == "secrets_unreadable"
    again = client.patch("/api/mcp-servers/sealed", json={"env": {"T": "new-value"}}).json()
    assert again["secrets_unreadable"] is False and stored(server, "sealed").env == {"T": "new-value"}


def test_check_an_http_server_with_a_secret_header_before_and_after_an_edit(server):
    from mcp.server.mcpserver import MCPServer

    tools = MCPServer("drupe-web-test", version="1.2.3")

    @tools.tool()
    def echo(text: str, times: int = 1) -> str:
        """Say the text back."""
        return " ".join([text] * times)

    with serving(tools, header=("X-Api-Key", HEADER_SECRET)) as url:
        shown = created(server, name="web", transport="http", url=url, headers={"X-Api-Key": HEADER_SECRET})
        first = server.client.post("/api/mcp-servers/web/check").json()
        assert first["connected"] and first["server"] == {"name": "drupe-web-test", "version": "1.2.3"}
        [echo_tool] = first["tools"]
        assert echo_tool["description"] == "Say the text back."
        assert [(p["name"], p["type"], p["required"]) for p in echo_tool["parameters"]] == [
            ("text", "string", True), ("times", "integer", False)
        ]  # fmt: skip
        # Sent back masked, the key still works; a wrong one is the server's refusal, in the status.
        server.client.patch("/api/mcp-servers/web", json={"headers": shown["headers"], "timeout": 10})
        assert server.client.post("/api/mcp-servers/web/check").json()["connected"] is True
        server.client.patch("/api/mcp-servers/web", json={"headers": {"X-Api-Key": "wrong"}})
        refused = server.client.post("/api/mcp-servers/web/check").json()
        assert refused["connected"] is False and refused["error"]["kind"] == "server", refused
        assert "answered with an error" in refused["error"]["message"] and HEADER_SECRET not in str(refused)


def test_every_status_the_routes_answer_is_documented(server):
    document = server.client.get("/api/openapi.json").json()
    expected = {
        ("/api/mcp-servers", "get"): set(),
        ("/api/mcp-servers", "post"): {"201", "400", "409", "422"},
        ("/api/mcp-servers/{name}", "get"): {"200", "404", "422"},
        ("/api/mcp-servers/{name}", "patch"): {"200", "400", "404", "409", "422"},
        ("/api/mcp-servers/{name}", "delete"): {"200", "404", "422"},
        ("/api/mcp-servers/{name}/check", "post"): {"200", "404", "422"},
    }
    for (path, method), statuses in expected.items():
        responses = set(document["paths"][path][method]["responses"])
        assert responses == (statuses or {"200"}) | {"401", "403", "413"}, (path, method)
    schemas = document["components"]["schemas"]
    for name in ("McpServer", "McpStatus", "McpTool", "McpParameter"):
        assert schemas[name]["additionalProperties"] is False, name

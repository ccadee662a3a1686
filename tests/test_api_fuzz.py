"""The API under a fuzzer: schemathesis reads the running app's /api/openapi.json and throws
generated requests, valid and invalid, at every operation. No answer may be a 5xx, every
status must be one the document lists for that route, every JSON answer must match its
documented schema, and a 405 must name the methods the address takes.

The app runs on a real socket with an access token and the Origin rules on, and every
request carries the token and the page's own Origin: the fuzzer tests the API, not the
guard in front of it. Its one provider points at a fake upstream on 127.0.0.1, and the
whole process is barred from any address but loopback (`loopback_only`), so nothing the
fuzzer types (a provider's address, a proxy) can reach the network. MCP servers the fuzzer
adds are only stored: the one route that connects (`check`) is sent to the seeded server, an
HTTP one on 127.0.0.1, so no command the fuzzer typed is ever run. The budget is small
per operation so the test fits CI: about a minute on two cores.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from drupe.web.api.inputs import MCP_SERVER_NAME
from tests.mcp_http import serving
from tests.web_fixtures import LiveServer, _Uvicorn

TOKEN = "fuzz-token-0123456789"
MAX_EXAMPLES = 12
"""Generated cases per operation in the fuzzing phase; the coverage phase adds its own
boundary cases (huge integers, NUL, wrong types, undeclared methods) on top."""

CHECKS: dict[str, dict[str, Any]] = {
    # 502 is the documented answer when a provider's call fails (a provider the fuzzer made
    # at an address where nothing listens); `status_code_conformance` keeps it to the routes
    # that document it. Any other 5xx is a bug in drupe.
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", 502]},
    "status_code_conformance": {},
    "content_type_conformance": {},
    "response_schema_conformance": {},
    "response_headers_conformance": {},
    "negative_data_rejection": {},
    "unsupported_method": {},
    "allow_header_conformance": {},
}
"""`positive_data_acceptance` stays off: a request can match the schema and still be refused
with a 400 for a reason no schema states (a name already taken, an address drupe cannot use)."""


def _loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch) -> list[str]:
    """Refuse, in this process, any name lookup or connection that is not loopback; returns what was refused.

    A host name is refused before it is resolved, so not even a DNS query leaves the machine.
    The server runs on the standard asyncio loop (not uvloop), whose lookups and connects
    go through these two functions."""
    refused: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host):
            refused.append(host.decode() if isinstance(host, bytes) else str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"the fuzz test allows only loopback, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            refused.append(str(address[0]))
            raise ConnectionRefusedError(f"the fuzz test allows only loopback, not {address[0]!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return refused


@pytest.fixture
def mcp_url(loopback_only) -> Iterator[str]:
    """A Streamable HTTP MCP server with one tool, for the seeded MCP server."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("fuzz-seed")

    @server.tool()
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    with serving(server) as url:
        yield url


@pytest.fixture
def live(loopback_only, fake_upstream, mcp_url) -> Iterator[dict[str, Any]]:
    """The app with a token on a free loopback port, seeded with a provider on a fake upstream,
    a model, a conversation with one finished turn, and an MCP server on 127.0.0.1."""
    import httpx2

    from drupe.web.app import create_app

    upstream = fake_upstream("openai", text="Fuzzed answer.")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(host="127.0.0.1", token=TOKEN)
    server = _Uvicorn(app, sock, loop="asyncio")
    server.start()
    headers = {"authorization": f"Bearer {TOKEN}", "origin": url}
    live = LiveServer(url, app, httpx2.Client(base_url=url, timeout=30, headers=headers), server)
    try:
        client = live.client
        provider = client.post("/api/providers", json={"name": "fake", "type": "openai", "base_url": upstream.base_url})
        provider_id = provider.json()["id"]
        client.post(f"/api/providers/{provider_id}/models", json={"model_id": "fake-model"})
        conversation = client.post("/api/conversations", json={"title": "Seed"}).json()["id"]
        events = live.events(f"/api/conversations/{conversation}/messages", {"content": "Hello"})
        assert events[-1]["type"] == "end" and upstream.requests
        seed = client.post("/api/mcp-servers", json={"name": "seed", "transport": "http", "url": mcp_url})
        assert client.post(f"/api/mcp-servers/{seed.json()['name']}/check").json()["connected"]
        yield {
            "url": url,
            "headers": headers,
            "pinned": {"provider_id": provider_id, "conversation_id": conversation, "name": "seed"},
            "refused": loopback_only,
        }
    finally:
        live.stop()


@pytest.fixture
def api_schema(live):
    config = schemathesis.Config.from_dict({
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        "checks": {"enabled": False, **{name: {"enabled": True, **options} for name, options in CHECKS.items()}},
        "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
        "headers": live["headers"],
        "suppress-health-check": ["all"],
        "seed": 12,
    })  # fmt: skip
    return schemathesis.openapi.from_url(f"{live['url']}/api/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request) -> None:
    """schemathesis (4.32) reads and renames `node._nodeid`, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_the_api_survives_the_fuzzer(case, live):
    # Valid requests to the seeded provider and conversation reach the deep paths (a key
    # check, the remote model list, a streamed turn against the fake upstream) that random
    # ids never would. Invalid cases keep their generated ids, to test the 422s; PATCH and
    # DELETE too, so the seed is not moved off loopback or removed halfway.
    if case.meta is not None and case.meta.generation.mode.is_positive and case.method.upper() in ("GET", "POST"):
        for name, value in live["pinned"].items():
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = value
    elif case.operation.path == "/api/mcp-servers/{name}/check":
        _no_fuzzed_server(case)
    case.call_and_validate(headers=live["headers"])


def _no_fuzzed_server(case) -> None:
    """An invalid case's server name that is still a valid one (an integer sent as `12`) names
    none: a server the fuzzer added, with a command it typed, is never started."""
    if re.fullmatch(MCP_SERVER_NAME, str(case.path_parameters.get("name", ""))):
        case.path_parameters["name"] = "no-such-server"


def test_nothing_the_fuzzer_types_leaves_loopback(live):
    """The guard under the fuzzer holds: a provider at a real address is refused before any lookup."""
    import httpx2

    with httpx2.Client(base_url=live["url"], headers=live["headers"], timeout=60) as client:
        outside = client.post(
            "/api/providers", json={"name": "out", "type": "openai", "base_url": "https://api.openai.com"}
        )
        response = client.get(f"/api/providers/{outside.json()['id']}/remote-models")
    assert response.status_code == 502 and response.json()["error"]["kind"] == "connection"
    assert "api.openai.com" in live["refused"]

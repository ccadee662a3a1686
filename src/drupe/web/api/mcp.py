"""MCP servers: list, add, read, change, remove, and check (connect and list the tools).

Environment values, secret header values and URL credentials go out masked; sent back masked
(the Edit dialog sends every field it shows), they keep the stored values. Adding or changing a
server only stores it: nothing runs until `check` (or a chat) connects to it, and `check` only
connects to a server that exists, by name.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from drupe.errors import DrupeError
from drupe.keys import mask_secret, unmask_headers, unmask_url
from drupe.plain import plain
from drupe.tools.servers import DEFAULT_TIMEOUT, McpServer, McpServers
from drupe.web.api.inputs import MAX_TIMEOUT, EnvName, HeaderName, HeaderValue, McpServerName, Text
from drupe.web.api.schemas import McpServerList, McpServerOut, McpStatus, Removed
from drupe.web.errors import documented, error_detail

router = APIRouter(prefix="/api", tags=["mcp"])

Timeout = Annotated[float, Field(strict=True, gt=0, le=MAX_TIMEOUT, description="Seconds, at most a week.")]
Transport = Literal["stdio", "http"]
Approval = Literal["ask", "always"]
Env = dict[EnvName, Text]
Headers = dict[HeaderName, HeaderValue]


class McpServerIn(BaseModel):
    name: Text = Field(description="1 to 32 letters, digits, - or _; unique ignoring case.")
    transport: Transport
    command: Text = Field("", description="stdio: the program to start (it runs as the user running drupe).")
    args: list[Text] = Field(default_factory=list, description="stdio: its arguments, one string each.")
    url: Text = Field("", description="http: the Streamable HTTP endpoint, like http://127.0.0.1:8000/mcp.")
    env: Env = Field(default_factory=dict, description="stdio: environment variables (values encrypted at rest).")
    headers: Headers = Field(default_factory=dict, description="http: extra request headers.")
    timeout: Timeout = DEFAULT_TIMEOUT
    approval: Approval = Field("ask", description="`ask`: each tool call waits for the user; `always`: runs at once.")
    enabled: bool = True


class McpServerPatch(BaseModel):
    name: Text | None = None
    transport: Transport | None = None
    command: Text | None = None
    args: list[Text] | None = None
    url: Text | None = Field(None, description="Credentials sent back masked keep the stored ones.")
    env: Env | None = Field(None, description="The new variables: a value equal to the stored one's mask keeps it.")
    headers: Headers | None = Field(
        None, description="The new headers: a secret value sent masked keeps the stored one."
    )
    timeout: Timeout | None = None
    approval: Approval | None = None
    enabled: bool | None = None


_EMPTY: dict[str, Any] = {"command": "", "args": [], "url": "", "env": {}, "headers": {}}
"""Fields where null means "clear it"; on the others null is refused."""


def mcp_servers(request: Request) -> McpServers:
    return McpServers(request.app.state.store)


def server_or_404(servers: McpServers, name: str) -> McpServer:
    server = servers.find(name)
    if server is None:
        raise DrupeError(f"No MCP server {name!r}.", code="not_found", what="mcp_server", name=name)
    return server


def unmask_env(given: dict[str, str], existing: dict[str, str]) -> dict[str, str]:
    """The variables to save: a value equal to the mask of the stored one (as shown) keeps it."""
    return {
        name: existing[name] if existing.get(name) and value == mask_secret(existing[name]) else value
        for name, value in given.items()
    }


def _changes(server: McpServer, body: McpServerPatch) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for field, value in list(changes.items()):
        if value is None:
            if field not in _EMPTY:
                raise DrupeError(f"The MCP server's {field} cannot be empty.", code="invalid", field=field)
            changes[field] = type(_EMPTY[field])()
    if "env" in changes:
        changes["env"] = unmask_env(changes["env"], server.env)
    if "headers" in changes:
        changes["headers"] = unmask_headers(changes["headers"], server.headers)
    if "url" in changes:
        changes["url"] = unmask_url(changes["url"], server.url)
    return changes


@router.get("/mcp-servers", response_model=McpServerList, responses=documented())
def list_servers(servers: McpServers = Depends(mcp_servers)) -> list[dict[str, Any]]:
    return [server.public_dict() for server in servers.list_servers()]


@router.post("/mcp-servers", status_code=201, response_model=McpServerOut, responses=documented(400, 409, 422))
def add_server(body: McpServerIn, servers: McpServers = Depends(mcp_servers)) -> dict[str, Any]:
    """Stores the server; nothing is started or called."""
    return servers.add(body.name, body.transport, **body.model_dump(exclude={"name", "transport"})).public_dict()


@router.get("/mcp-servers/{name}", response_model=McpServerOut, responses=documented(404, 422))
def get_server(name: McpServerName, servers: McpServers = Depends(mcp_servers)) -> dict[str, Any]:
    return server_or_404(servers, name).public_dict()


@router.patch("/mcp-servers/{name}", response_model=McpServerOut, responses=documented(400, 404, 409, 422))
def edit_server(
    name: McpServerName, body: McpServerPatch, servers: McpServers = Depends(mcp_servers)
) -> dict[str, Any]:
    """Any fields, checked as a whole. Switching it on or off alone works even when its
    secrets cannot be decrypted (nothing else about it is rewritten)."""
    server = server_or_404(servers, name)
    changes = _changes(server, body)
    if set(changes) == {"enabled"}:
        server = servers.enable(server.id) if changes["enabled"] else servers.disable(server.id)
    elif changes:
        server = servers.edit(server.id, **changes)
    return server.public_dict()


@router.delete("/mcp-servers/{name}", response_model=Removed, responses=documented(404, 422))
def remove_server(name: McpServerName, servers: McpServers = Depends(mcp_servers)) -> dict[str, Any]:
    return {"removed": servers.remove(server_or_404(servers, name).id).name}


@router.post("/mcp-servers/{name}/check", response_model=McpStatus, responses=documented(404, 422))
async def check_server(name: McpServerName, servers: McpServers = Depends(mcp_servers)) -> dict[str, Any]:
    """Connect (an stdio server is started, then stopped) and list its tools. A server that
    cannot be used is not an HTTP error: the answer says why, for the page's status line."""
    from drupe.tools.client import server_info

    server = server_or_404(servers, name)
    answer: dict[str, Any] = {"name": server.name, "connected": False, "server": None, "tools": [], "error": None}
    started = time.perf_counter()
    try:
        info = await server_info(server)
    except DrupeError as error:
        return {**answer, "error": _failure(error), "latency_ms": None}
    tools = [
        {
            "name": tool.name,
            "description": tool.description,
            "parameters": [plain(p) for p in tool.parameters()],
        }
        for tool in info.tools
    ]
    return {
        **answer,
        "connected": True,
        "server": {"name": info.name, "version": info.version},
        "tools": tools,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _failure(error: DrupeError) -> dict[str, str]:
    """The kind and the page's words for why a server could not be used; anything else is raised."""
    if error.code == "mcp":
        kind = str(error.data.get("kind") or "server")
    elif error.code == "secrets_unreadable":
        kind = "secrets_unreadable"
    elif error.code == "conflict" and error.data.get("what") == "mcp_server_disabled":
        kind = "disabled"
    else:
        raise error
    return {"kind": kind, "message": error_detail(error)["message"]}

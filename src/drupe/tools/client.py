"""Talk to one MCP server with the official `mcp` SDK: start or reach it, list its tools, call one.

`server_info` and `call_tool` each open their own connection (an stdio server is started, then
stopped) and close it: enough to try tools by hand. The pieces they are made of (`open_session`,
`list_tools`, `tool_result`, `as_error`) also serve the connections `drupe.tools.connection` keeps
open for the models. Everything that goes wrong comes out as a DrupeError: `mcp` with a `kind`
(`start`, `connection`, `timeout`, `server`) and the server's own words, with any of the server's
secrets (environment values, secret header values, URL credentials) taken out. The SDK, and with
it pydantic and the HTTP client, is imported only when a connection is made.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.protocols.http_errors import redact
from drupe.tools.servers import McpServer

if TYPE_CHECKING:
    from mcp.client.session import ClientSession

T = TypeVar("T")

MAX_RESULT_CHARS = 100_000
"""A tool result is cut to this many characters (with a note saying how much was left out):
enough for any answer a person or a model reads, and a server sending megabytes cannot flood drupe."""

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The largest one message (one SSE event) read from an HTTP server: above the SDK's 1 MB default,
so a result of a few megabytes arrives (and is cut to `MAX_RESULT_CHARS`); a bigger one is an error.
The SDK's stdio transport sets no such limit."""

STDERR_TAIL_CHARS = 2_000
"""How much of the end of an stdio server's error output is quoted when it fails to start."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    input_schema: dict[str, Any] = field(default_factory=dict)

    def parameters(self) -> list[Parameter]:
        """The top-level properties of its JSON Schema, required ones first."""
        properties = self.input_schema.get("properties") or {}
        required = set(self.input_schema.get("required") or [])
        found = []
        for name, spec in properties.items():
            spec = spec if isinstance(spec, dict) else {}
            kind = spec.get("type") or ("enum" if "enum" in spec else "any")
            found.append(
                Parameter(name, kind if isinstance(kind, str) else "|".join(map(str, kind)), name in required,
                          str(spec.get("description") or ""))
            )  # fmt: skip
        return sorted(found, key=lambda p: not p.required)


@dataclass(frozen=True)
class ServerInfo:
    """What a server says about itself at the handshake, and the tools it offers."""

    name: str
    version: str
    tools: list[ToolInfo]


@dataclass(frozen=True)
class ToolResult:
    text: str
    is_error: bool
    """The tool ran and reported a failure (a bad argument, say): its text says what."""
    cut_chars: int = 0
    """How many characters past `MAX_RESULT_CHARS` were left out."""


EXAMPLE_ARGS = '{"timezone": "UTC"}'
"""The arguments shown as an example when typed ones are not a JSON object."""


def parse_arguments(text: str) -> dict[str, Any]:
    """A tool's arguments as typed: a JSON object."""
    try:
        value = json.loads(text or "{}")
    except ValueError as exc:
        raise DrupeError(
            _("The tool arguments are not valid JSON ({error}). Example: {example}", error=exc, example=EXAMPLE_ARGS),
            code="invalid", field="args",
        ) from None  # fmt: skip
    if not isinstance(value, dict):
        raise DrupeError(
            _("The tool arguments must be a JSON object, like {example}.", example=EXAMPLE_ARGS),
            code="invalid", field="args",
        )  # fmt: skip
    return value


async def server_info(server: McpServer) -> ServerInfo:
    """Connect, and list the tools (every page of them)."""

    async def work(session: ClientSession, info: Any) -> ServerInfo:
        tools = await list_tools(session)
        return ServerInfo(info.server_info.name, info.server_info.version or "", tools)

    return await _connected(server, work)


async def call_tool(
    server: McpServer, tool: str, arguments: dict[str, Any], *, max_chars: int = MAX_RESULT_CHARS
) -> ToolResult:
    """Call one tool. A tool that is not offered is a `not_found` error naming the ones that are."""

    async def work(session: ClientSession, _info: Any) -> ToolResult:
        listed = await session.list_tools()
        names = [t.name for t in listed.tools]
        if tool not in names and not listed.next_cursor:
            raise DrupeError(
                no_such_tool(server.name, tool, names), code="not_found", what="tool", server=server.name, name=tool
            )
        result = await session.call_tool(tool, arguments)
        return tool_result(result, max_chars, server.secrets())

    return await _connected(server, work)


async def list_tools(session: ClientSession) -> list[ToolInfo]:
    """Every tool the server offers, following its pages."""
    from mcp.types import PaginatedRequestParams

    tools: list[ToolInfo] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools += [ToolInfo(t.name, t.description or "", dict(t.input_schema or {})) for t in page.tools]
        cursor = page.next_cursor
        if not cursor:
            return tools


def result_text(result: Any) -> str:
    """A tool result's content as one text: text parts as they are, others described or as JSON."""
    parts = []
    for item in result.content:
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(item.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {item.mime_type}, {len(item.data) * 3 // 4} bytes]")
        else:
            parts.append(item.model_dump_json(by_alias=True, exclude_none=True))
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


def tool_result(result: Any, max_chars: int, secrets: tuple[str, ...]) -> ToolResult:
    """The result as text, the server's secrets taken out (a tool can echo its environment), cut to `max_chars`."""
    text = redact(result_text(result), secrets)
    cut = max(0, len(text) - max_chars)
    return ToolResult(text[:max_chars] if cut else text, bool(result.is_error), cut)


async def _connected(server: McpServer, work: Callable[[ClientSession, Any], Awaitable[T]]) -> T:
    """Run `work` on an initialised session, within the server's timeout; every failure as a DrupeError."""
    import anyio

    check_usable(server)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            with anyio.fail_after(server.timeout):
                async with open_session(server, errlog) as (session, _read):
                    info = await session.initialize()
                    return await work(session, info)
        except Exception as exc:  # the SDK's task groups wrap what went wrong in exception groups
            raise as_error(server, exc, stderr_tail(errlog)) from None


def check_usable(server: McpServer) -> None:
    """Refuse a server whose secrets cannot be read (it would start without them) or that is switched off."""
    if server.secrets_unreadable:
        raise DrupeError(
            _(
                "The stored secrets of MCP server {name} cannot be decrypted with the current secret key: "
                "restore the original key, or give the server its environment or headers again.",
                name=repr(server.name),
            ),
            code="secrets_unreadable", what="mcp_server", name=server.name,
        )  # fmt: skip
    if not server.enabled:
        raise DrupeError(
            _("MCP server {name} is disabled.", name=repr(server.name)),
            code="conflict", what="mcp_server_disabled", name=server.name,
        )  # fmt: skip


def no_such_tool(server: str, tool: str, names: list[str]) -> str:
    """Why a tool cannot be called: the server does not offer it (and what it offers instead)."""
    if not names:
        return _("MCP server {name} has no tool {tool}: it offers no tools.", name=repr(server), tool=repr(tool))
    return _(
        "MCP server {name} has no tool {tool}. Its tools: {tools}.",
        name=repr(server), tool=repr(tool), tools=", ".join(names),
    )  # fmt: skip


@asynccontextmanager
async def open_session(server: McpServer, errlog: TextIO) -> AsyncIterator[tuple[ClientSession, Any]]:
    """A session over the server's transport (not yet initialised), and the stream its messages arrive on.

    An stdio server's output ends when its process does: the stream then has no sender left
    (`drupe.tools.connection` reads that to know a server is gone). Enter and leave it in one task:
    the SDK's cancel scopes require it."""
    from mcp.client.session import ClientSession

    if server.transport == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=server.command, args=list(server.args), env=dict(server.env) or None)
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            yield session, read
        return
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    async with (
        create_mcp_http_client(headers=dict(server.headers)) as http,
        streamable_http_client(server.url, http_client=http, max_sse_event_size=MAX_MESSAGE_BYTES) as (read, write),
        ClientSession(read, write) as session,
    ):
        yield session, read


def stderr_tail(errlog: TextIO) -> str:
    """The end of what an stdio server wrote to its error output."""
    errlog.seek(0, 2)
    size = errlog.tell()
    errlog.seek(max(0, size - STDERR_TAIL_CHARS * 4))
    return errlog.read()[-STDERR_TAIL_CHARS:].strip()


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, which the SDK's task groups raise."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def as_error(server: McpServer, exc: Exception, stderr: str) -> DrupeError:
    """One DrupeError for whatever the SDK raised: ours first, then the most telling of the rest."""
    found = leaves(exc)
    for leaf in found:
        if isinstance(leaf, DrupeError):
            return leaf
    from mcp.shared.exceptions import MCPError

    secrets = server.secrets()
    said = " " + _("Its error output ends with: {output}", output=redact(stderr, secrets)) if stderr else ""
    if server.transport == "stdio":
        where = _("command {command}", command=repr(server.command))
    else:
        where = _("URL {url}", url=shown_url(server))
    name = repr(server.name)
    leaf = next((x for x in found if isinstance(x, (MCPError, OSError, TimeoutError))), found[0])
    if isinstance(leaf, TimeoutError):
        kind = "timeout"
        message = _("MCP server {name} did not answer within {seconds} s.", name=name, seconds=f"{server.timeout:g}")
        message += said
    elif isinstance(leaf, FileNotFoundError) and server.transport == "stdio":
        kind, message = "start", _("Cannot start MCP server {name}: {where} was not found.", name=name, where=where)
    elif isinstance(leaf, MCPError) and leaf.message.lower().startswith("connection closed"):
        kind = "start" if server.transport == "stdio" else "connection"
        message = _("MCP server {name} ({where}) closed the connection before answering.", name=name, where=where)
        message += said
    elif isinstance(leaf, MCPError):
        error = redact(leaf.message, secrets)
        kind, message = "server", _("MCP server {name} answered with an error: {error}", name=name, error=error)
    elif isinstance(leaf, OSError) and server.transport == "stdio":
        error = leaf.strerror or str(leaf)
        kind = "start"
        message = _("Cannot start MCP server {name} ({where}): {error}.", name=name, where=where, error=error)
    else:
        detail = redact(str(leaf) or type(leaf).__name__, secrets)
        kind = "connection"
        message = _("Cannot talk to MCP server {name} ({where}): {error}.", name=name, where=where, error=detail) + said
    return DrupeError(message, code="mcp", kind=kind, server=server.name)


def shown_url(server: McpServer) -> str:
    from drupe.keys import mask_url

    return mask_url(server.url)

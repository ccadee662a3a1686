"""The tool runtime a chat turn calls: offer MCP tools to a model, run the calls it makes.

One `Toolbox` lives as long as one CLI command or the web server. It keeps a connection per MCP
server (`drupe.tools.connection`: an stdio server keeps running), so a call costs a round trip,
not a process start, and lists each server's tools once per connection.

`call` never raises for what a tool, its server or the model got wrong: each becomes an
`Outcome(is_error=True)` whose words the model can act on (arguments that are not JSON or do not
match the tool's schema, checked here before anything is sent; the tool's own error; a server that
crashed, which the next call starts again; the server's timeout; a result too long, cut to
`MAX_RESULT_CHARS` with a note). Cancellation is not a fault: it propagates, and the SDK cancels
the request at the server. No outcome holds one of the server's secrets.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.protocols.http_errors import redact
from drupe.tools.client import MAX_RESULT_CHARS, ToolInfo, check_usable, leaves, no_such_tool, result_text
from drupe.tools.connection import Connection, settings_key
from drupe.tools.offer import Offer, OfferedTool, make_offer
from drupe.tools.servers import McpServer, McpServers

__all__ = ["MAX_RESULT_CHARS", "Offer", "OfferedTool", "Outcome", "Toolbox", "not_offered"]

PING_TIMEOUT = 5.0
"""After a call timed out, the server must answer a ping within this (or its own timeout, if
shorter) before the next call, or it is restarted: a tool that blocked its server's event loop
would otherwise make every later call wait out the timeout too."""

CALL_GRACE = 2.0
"""Added to the server's timeout for the whole call, sending included; the SDK's own timeout
(the server's, counted from when the request was sent) fires first unless the sending blocked."""

MAX_SCHEMA_ERRORS = 3
MAX_ERROR_CHARS = 300
_VALIDATORS_KEPT = 512


@dataclass(frozen=True)
class Outcome:
    content: str
    """What goes back to the model: the tool's text (cut, with a note, past `MAX_RESULT_CHARS`),
    or words saying why it did not run."""
    is_error: bool
    duration_ms: float


def not_offered(offer: Offer, wire_name: str) -> Outcome:
    """The outcome for a call to a tool the offer does not hold (a model can invent names)."""
    names = ", ".join(tool.spec.name for tool in offer.tools) or "none"
    return Outcome(f"There is no tool named {wire_name!r}. The tools you can call: {names}.", True, 0.0)


class Toolbox:
    """Connections to MCP servers kept open (stdio servers kept running) for the life of one CLI
    command or of the web server, so a call costs a round trip, not a process start.

    Use it from one event loop, and `aclose()` it at the end: that stops every server it started."""

    def __init__(self, servers: McpServers, *, max_concurrent: int = 4) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._servers = servers
        self._max_concurrent = max_concurrent
        self._slots: asyncio.Semaphore | None = None
        self._connections: dict[str, Connection] = {}
        """The current connection per server id; older ones stop by themselves (see `retire`)."""
        self._open: set[Connection] = set()
        """Every connection not yet stopped, retired ones included: `aclose` stops them all."""
        self._validators: dict[int, tuple[ToolInfo, Any]] = {}
        self._closed = False

    # -- offering ----------------------------------------------------------------------------

    async def offer(self, selection: Sequence[str]) -> Offer:
        """The tools named by `selection`: "all" (every enabled server), "server" (all its tools),
        "server.tool". Unknown names are `not_found`, a disabled server named is `invalid`, and a
        server that cannot start or be reached is the `mcp` DrupeError saying why."""
        registered = self._servers.list_servers()
        self._forget_gone(registered)
        wanted: dict[str, tuple[McpServer, list[str] | None]] = {}  # server id -> (server, tool names or all)
        for item in selection:
            item = item.strip()
            if item.lower() == "all":
                for server in registered:
                    if server.enabled:
                        wanted[server.id] = (server, None)
                continue
            server_name, _dot, tool_name = item.partition(".")
            server = self._servers.get(server_name)
            if not server.enabled:
                raise DrupeError(
                    _("MCP server {name} is disabled: its tools cannot be offered.", name=repr(server.name)),
                    code="invalid", what="mcp_server_disabled", name=server.name, field="tools",
                )  # fmt: skip
            _server, tools = wanted.setdefault(server.id, (server, []))
            if tools is not None and not tool_name:
                wanted[server.id] = (server, None)
            elif tools is not None and tool_name not in tools:
                tools.append(tool_name)
        connections = await asyncio.gather(
            *(self._connection(server) for server, _tools in wanted.values()), return_exceptions=True
        )
        chosen: list[tuple[McpServer, ToolInfo]] = []
        for (server, names), connection in zip(wanted.values(), connections):
            if isinstance(connection, BaseException):
                raise connection
            listed = {tool.name: tool for tool in connection.tools}
            for name in names or []:
                if name not in listed:
                    raise DrupeError(
                        no_such_tool(server.name, name, list(listed)),
                        code="not_found", what="tool", server=server.name, name=name,
                    )  # fmt: skip
            chosen += [(server, listed[name]) for name in names] if names is not None else [
                (server, tool) for tool in connection.tools
            ]  # fmt: skip
        return make_offer(chosen)

    def _forget_gone(self, registered: Sequence[McpServer]) -> None:
        """Stop the connections of servers since removed or disabled: nothing will call them again."""
        enabled = {server.id for server in registered if server.enabled}
        for server_id in [key for key in self._connections if key not in enabled]:
            self._connections.pop(server_id).retire()

    # -- calling -----------------------------------------------------------------------------

    async def call(self, tool: OfferedTool, arguments: str) -> Outcome:
        """Run one call the model made, with its arguments as the raw JSON text it sent."""
        started = time.perf_counter()
        secrets = tool.server.secrets()

        def outcome(content: str, is_error: bool) -> Outcome:
            return Outcome(redact(content, secrets), is_error, (time.perf_counter() - started) * 1000)

        parsed, problem = self._arguments(tool, arguments)
        if parsed is None:
            return outcome(problem, True)
        async with self._limit():
            if self._closed:
                return outcome("The tools are shut down (drupe is stopping): the tool did not run.", True)
            try:
                connection = await self._connection(tool.server)
            except DrupeError as exc:
                return outcome(f"The tool did not run: {exc}", True)
            try:
                import anyio

                with anyio.fail_after(tool.server.timeout + CALL_GRACE):
                    result = await connection.call(tool.tool.name, parsed)
            except Exception as exc:  # the SDK's errors, and what a broken server makes it raise
                return outcome(self._failure(connection, tool, exc), True)
        text = redact(result_text(result), secrets)
        if not text.strip():
            text = "The tool reported an error and said nothing more." if result.is_error else "(no output)"
        left_out = len(text) - MAX_RESULT_CHARS
        if left_out > 0:
            text = (
                f"{text[:MAX_RESULT_CHARS]}\n\n[The result was cut at {MAX_RESULT_CHARS:,} characters: "
                f"{left_out:,} more were left out.]"
            )
        return Outcome(text, bool(result.is_error), (time.perf_counter() - started) * 1000)

    def _limit(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_concurrent)
        return self._slots

    def _arguments(self, tool: OfferedTool, text: str) -> tuple[dict[str, Any] | None, str]:
        """The arguments as an object that matches the tool's schema, or (None, what is wrong)."""
        name = tool.spec.name
        try:
            value = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            return None, (
                f"The arguments are not valid JSON ({exc}). Call {name} again with its arguments as one JSON object."
            )
        if not isinstance(value, dict):
            return None, (
                f"The arguments must be a JSON object, not {_json_kind(value)}. "
                f"Call {name} again with its arguments as one JSON object."
            )
        validator = self._validator(tool.tool)
        if validator is None:
            return value, ""
        try:
            errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        except Exception:  # a schema the validator cannot follow (a $ref it cannot resolve): the server checks
            return value, ""
        if not errors:
            return value, ""
        said = []
        for error in errors[:MAX_SCHEMA_ERRORS]:
            where = ".".join(map(str, error.absolute_path))
            message = error.message if len(error.message) <= MAX_ERROR_CHARS else error.message[:MAX_ERROR_CHARS] + "…"
            said.append(f"{where}: {message}" if where else message)
        more = f" (and {len(errors) - MAX_SCHEMA_ERRORS} more)" if len(errors) > MAX_SCHEMA_ERRORS else ""
        return None, (
            f"The arguments do not match the parameters of {name}: {'; '.join(said)}{more}. "
            "Call it again with arguments that match its parameters."
        )

    def _validator(self, tool: ToolInfo) -> Any:
        """The tool's input schema compiled (once per listed tool); None when the schema itself is not valid."""
        kept = self._validators.get(id(tool))
        if kept is not None and kept[0] is tool:
            return kept[1]
        from jsonschema.exceptions import SchemaError
        from jsonschema.validators import validator_for
        from referencing import Registry

        schema = tool.input_schema or {}
        validator: Any = None
        try:
            cls = validator_for(schema)
            cls.check_schema(schema)
            validator = cls(schema, registry=Registry())  # `$ref`s resolve within the schema only, never fetched
        except (SchemaError, TypeError):
            validator = None
        if len(self._validators) >= _VALIDATORS_KEPT:
            self._validators.clear()
        self._validators[id(tool)] = (tool, validator)
        return validator

    def _failure(self, connection: Connection, tool: OfferedTool, exc: Exception) -> str:
        """Words for a call that did not come back with a result, and what it means for the connection."""
        from mcp.shared.exceptions import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        server = tool.server
        found = leaves(exc)
        error = next((leaf for leaf in found if isinstance(leaf, (MCPError, TimeoutError))), found[0])
        code = error.code if isinstance(error, MCPError) else None
        if isinstance(error, TimeoutError) or code == REQUEST_TIMEOUT:
            connection.suspect = True
            return (
                f"The tool {tool.title} did not answer within {server.timeout:g} s; the call was cancelled. "
                "It may work with a smaller request, or later."
            )
        if code == CONNECTION_CLOSED and self._closed:
            return f"The tools were shut down (drupe is stopping) during the call: {tool.title} returned no result."
        if code == CONNECTION_CLOSED:
            connection.retire()
            stderr = connection.stderr()
            said = f" Its error output ends with: {stderr}" if stderr else ""
            if server.transport == "stdio":
                lost, next_time = "stopped", "It is started again for the next call."
            else:
                lost, next_time = "could not be reached or closed the connection", "The next call connects again."
            return (
                f"MCP server {server.name!r} {lost} during the call (it may have crashed), so the tool {tool.title} "
                f"returned no result.{said} {next_time}"
            )
        if isinstance(error, MCPError):
            return f"MCP server {server.name!r} refused the call to {tool.title}: {error.message}"
        return f"The answer of MCP server {server.name!r} to the call of {tool.title} could not be read: {error}"

    # -- connections -------------------------------------------------------------------------

    async def _connection(self, server: McpServer) -> Connection:
        """The open connection to `server`, made (or made again) when needed; the DrupeError saying why not."""
        if self._closed:
            raise DrupeError(_("The tools are shut down: drupe is stopping."), code="unavailable", what="toolbox")
        check_usable(server)
        connection = self._connections.get(server.id)
        if connection is None or not connection.usable or _outdated(connection, server):
            if connection is not None:
                connection.retire()
            connection = Connection(server)
            self._connections[server.id] = connection
            connection.begin()
            self._open.add(connection)
            connection.on_stopped(self._open.discard)
        await connection.ready()
        if connection.suspect and not await connection.answers_ping(min(PING_TIMEOUT, server.timeout)):
            connection.retire()
            return await self._connection(server)
        return connection

    async def aclose(self) -> None:
        """Stop every server this toolbox started and close every connection; later calls do not run.
        Idempotent."""
        self._closed = True
        self._connections.clear()
        while self._open:
            connections = list(self._open)
            for connection in connections:
                connection.stop()
            await asyncio.gather(*(c.task for c in connections if c.task is not None), return_exceptions=True)
            self._open.difference_update(connections)


def _outdated(connection: Connection, server: McpServer) -> bool:
    """The connection was made with other settings than `server`'s, and not newer ones (a call from an
    offer made before the server was edited goes to the connection made since, not back to the old)."""
    if connection.key == settings_key(server):
        return False
    made_with, asked = connection.server.updated_at, server.updated_at
    return made_with is None or asked is None or asked >= made_with


def _json_kind(value: Any) -> str:
    """What a model sent instead of an object, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"

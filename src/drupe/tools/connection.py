"""One MCP server kept connected (an stdio server kept running) so that a call costs a round trip.

The SDK's transports and `ClientSession` are async context managers built on anyio cancel scopes,
which must be entered and left in the same task. So each connection has an owner task that opens
the session, lists the tools, then waits to be told to stop, and leaves the session itself (for an
stdio server: closes its input, waits, then stops its process group). Calls do not go through the
owner: any task may send a request on the open session (the SDK's dispatcher matches answers to
requests), so a call is the caller's own await, and cancelling the caller cancels the request
(the SDK then tells the server with `notifications/cancelled`).

A connection is done for when its owner task ended (it could not start, or an HTTP transport
failed), when an stdio server's output ended (its process exited), or when a call found the
connection closed. A new one is then made by `drupe.tools.toolbox`, which also decides when to
retire one; a retired connection stops once its last call in progress has ended.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drupe.errors import DrupeError
from drupe.tools.client import ToolInfo, as_error, list_tools, open_session, stderr_tail
from drupe.tools.servers import McpServer

if TYPE_CHECKING:
    from mcp.client.session import ClientSession
    from mcp.types import CallToolResult


def settings_key(server: McpServer) -> tuple[Any, ...]:
    """What a connection was made with: when any of it changes, the connection must be made again."""
    return (
        server.transport, server.command, tuple(server.args), server.url,
        tuple(sorted(server.env.items())), tuple(sorted(server.headers.items())),
    )  # fmt: skip


class Connection:
    """An open session with one server, owned by a background task; see the module's docstring."""

    def __init__(self, server: McpServer) -> None:
        self.server = server
        self.key = settings_key(server)
        self.tools: tuple[ToolInfo, ...] = ()
        """The server's tools, listed once when the connection was made."""
        self.suspect = False
        """A call timed out: the server may be stuck. Checked with a ping before the next call."""
        self._session: ClientSession | None = None
        self._read: Any = None
        self._errlog: Any = None
        self._error: DrupeError | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._broken = False
        self._retired = False
        self._active = 0
        self.task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start the owner task (connecting in the background); `ready()` waits for it."""
        self.task = asyncio.create_task(self._own(), name=f"drupe mcp server {self.server.name}")

    def on_stopped(self, callback: Callable[[Connection], object]) -> None:
        """Have `callback(self)` called once the owner task has ended (the server stopped)."""
        if self.task is not None:
            self.task.add_done_callback(lambda _task: callback(self))

    async def ready(self) -> None:
        """Wait until the session is open and the tools are listed; the DrupeError saying why it could not be."""
        await self._ready.wait()
        if self._error is not None:
            raise self._error
        if self._session is None:
            raise self.closed_error()

    @property
    def usable(self) -> bool:
        """Still worth sending calls to: starting, or open and not known to be gone."""
        if self._retired or self._broken or self._error is not None or (self.task is not None and self.task.done()):
            return False
        if not self._ready.is_set():
            return True
        statistics = getattr(self._read, "statistics", None)  # stdio: a memory stream, fed from the process's output
        return self._session is not None and (statistics is None or statistics().open_send_streams > 0)

    async def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """Send one `tools/call`; the SDK's errors as they come (`MCPError` with `REQUEST_TIMEOUT` after
        the server's timeout, `CONNECTION_CLOSED` when the server went away: the connection is then
        marked broken)."""
        from mcp.shared.exceptions import MCPError
        from mcp.types import CONNECTION_CLOSED

        session = self._session
        if session is None:
            raise MCPError(code=CONNECTION_CLOSED, message="Connection closed")
        self._active += 1
        try:
            return await session.call_tool(name, arguments, read_timeout_seconds=self.server.timeout)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                self._broken = True
            raise
        finally:
            self._active -= 1
            if (self._retired or self._broken) and not self._active:
                self._stop.set()

    async def answers_ping(self, timeout: float) -> bool:
        """Whether the server answers a ping within `timeout` seconds (after a call timed out)."""
        import anyio

        session = self._session
        if session is None:
            return False
        try:
            with anyio.fail_after(timeout):
                await session.send_ping()
        except Exception:
            return False
        self.suspect = False
        return True

    def retire(self) -> None:
        """Take no more calls; stop once the calls in progress have ended (at once if there are none)."""
        self._retired = True
        if not self._active:
            self._stop.set()

    def stop(self) -> None:
        """Stop now: calls still in progress end with the connection closed."""
        self._retired = True
        self._stop.set()

    def stderr(self) -> str:
        """The end of an stdio server's error output so far ("" for an HTTP server, or once stopped)."""
        if self._errlog is None or self._errlog.closed:
            return ""
        try:
            return stderr_tail(self._errlog)
        except (OSError, ValueError):
            return ""

    def closed_error(self) -> DrupeError:
        from mcp.shared.exceptions import MCPError
        from mcp.types import CONNECTION_CLOSED

        return as_error(self.server, MCPError(code=CONNECTION_CLOSED, message="Connection closed"), self.stderr())

    async def _own(self) -> None:
        """The owner task: open, list, wait for `stop`, close, all in this one task."""
        import anyio

        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
            self._errlog = errlog
            try:
                with anyio.fail_after(self.server.timeout) as starting:
                    async with open_session(self.server, errlog) as (session, read):
                        await session.initialize()
                        self.tools = tuple(await list_tools(session))
                        starting.deadline = math.inf  # the timeout was for starting; each call has its own
                        self._session, self._read = session, read
                        self._ready.set()
                        await self._stop.wait()
            except Exception as exc:  # the SDK's task groups wrap what went wrong in exception groups
                if not self._ready.is_set():
                    self._error = as_error(self.server, exc, stderr_tail(errlog))
            finally:
                self._broken = True
                self._session = None
                self._ready.set()
                self._errlog = None

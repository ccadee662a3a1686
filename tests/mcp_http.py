"""A Streamable HTTP MCP server in the test process: the SDK's own server class (`MCPServer`,
FastMCP's name since mcp 2) on uvicorn, on a free 127.0.0.1 port, stopped when the block ends."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.web_fixtures import _Uvicorn


def guarded(app: Any, header: str, value: str) -> Any:
    """`app` answering 401 to any request without `header: value`."""
    expected = (header.lower().encode(), value.encode())

    async def checked(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(expected[0]) != expected[1]:
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"wrong key"})
            return
        await app(scope, receive, send)

    return checked


@contextmanager
def serving(server: Any, *, header: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve `server` (an `MCPServer`); yields its URL. `header`: (name, value) every request must carry."""
    app = server.streamable_http_app()
    if header:
        app = guarded(app, *header)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    uvicorn = _Uvicorn(app, sock)
    uvicorn.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        uvicorn.stop()

"""The few ASGI moves the gateway makes, written by hand: no framework sits between a provider's
chunk and the client's socket (see docs/gateway.md for the measurement behind that choice).

A request's body is read up to a cap; a JSON answer is sent whole; a stream is started and fed;
and `Disconnect` cancels the request's task the moment its client goes away, which closes the
provider's request with it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # proxies (nginx) pass each event on at once
]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its request's body arrived."""


async def read_body(receive: Any, limit: int, declared: int | None) -> bytes:
    """The whole body, or BodyTooLarge once it is over `limit` bytes (before reading any of it
    when its Content-Length says so)."""
    if declared is not None and declared > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_json(send: Any, status: int, data: object, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [*JSON_HEADERS, (b"content-length", str(len(body)).encode()), *(headers or ())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class Disconnect:
    """Watches for the client leaving while a request is answered and cancels the task answering
    it then (an ASGI server's `send` to a gone client returns quietly, so without this a stream
    waiting on its provider would go on until the provider's next chunk, or forever)."""

    def __init__(self, receive: Any) -> None:
        self.gone = False
        self.finished = False
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._watcher = asyncio.get_running_loop().create_task(self._watch(receive))

    async def _watch(self, receive: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if not self.finished:  # after the answer's end the server says "disconnect" too
                    self.gone = True
                    self._task.cancel()
                return

    def close(self) -> None:
        self.finished = True
        self._watcher.cancel()

"""The HTTP protocol `drupe serve` runs: uvicorn's httptools one, with a cap on a request's head.

llhttp (under httptools) buffers a request line and headers of any size, so a client could make
the server hold megabytes per connection before the app sees anything. This subclass counts the
bytes of each request head as they arrive, before parsing them, and answers 431 once they pass
`MAX_HEAD_BYTES`.
(uvicorn's h11 protocol has such a cap, `h11_max_incomplete_event_size`, but is slower.)
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
"""Request line plus headers; browsers send a few KiB (cookies of every local service included)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that refuses request heads over `MAX_HEAD_BYTES`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        # Counted before parsing: a whole oversized head can arrive in one read, and parsing it
        # would hand the request to the app before any check after the fact could refuse it.
        if self._in_head and self._head_too_big(data):
            self._refuse()
            return
        super().data_received(data)

    def _head_too_big(self, data: bytes) -> bool:
        """Whether the head being received passes `MAX_HEAD_BYTES`, counting `data` up to the
        blank line that ends the head (what follows it is the body, or the next request)."""
        seen = self._tail + data
        end = seen.find(b"\r\n\r\n")
        self._head_bytes += len(data) if end < 0 else max(end + 4 - len(self._tail), 0)
        self._tail = seen[-3:]
        return self._head_bytes > MAX_HEAD_BYTES

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._tail = b""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def _refuse(self) -> None:
        message = f"The request's headers are over drupe's limit of {MAX_HEAD_BYTES // 1024} KiB."
        body = json.dumps({"error": {"kind": "too_large", "message": message}}).encode()
        self.logger.warning("Refused a request whose head is over %d bytes.", MAX_HEAD_BYTES)
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
        )
        self.transport.close()

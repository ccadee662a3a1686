"""pytest plugin: `web_server`, the real app on uvicorn on a free 127.0.0.1 port. Registered in tests/conftest.py."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest


@dataclass
class LiveServer:
    """A running `drupe serve` app: `url`, its `app`, and a client already pointed at it."""

    url: str
    app: Any
    client: httpx2.Client
    server: _Uvicorn

    def stop(self) -> None:
        """Shut down now (lifespan shutdown included) rather than after the test."""
        self.client.close()
        self.server.stop()

    def events(self, path: str, body: dict | None = None, **kwargs: Any) -> list[dict]:
        """POST and read a whole Server-Sent Events answer as its JSON events."""
        with self.client.stream("POST", path, json=body or {}, **kwargs) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


class _Uvicorn:
    def __init__(self, app: Any, sock: socket.socket, loop: str = "auto") -> None:
        import uvicorn

        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5, loop=loop)
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture
def web_server() -> Iterator[Callable[..., LiveServer]]:
    """A factory: `server = web_server(host="127.0.0.1", token=None, local=None)`; stopped after the test."""
    running: list[LiveServer] = []

    def start(host: str = "127.0.0.1", **options: Any) -> LiveServer:
        from drupe.web.app import create_app

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app(host=host, **options)
        server = _Uvicorn(app, sock)
        server.start()
        url = f"http://127.0.0.1:{port}"
        live = LiveServer(url, app, httpx2.Client(base_url=url, timeout=30), server)
        running.append(live)
        return live

    yield start
    for live in running:
        live.stop()

"""pytest plugin: `gateway`, the gateway as its clients meet it: `drupe serve`'s app on a real
socket, fake providers behind it, a gateway key, and the official `openai` and `anthropic` SDKs
pointed at it. Registered in tests/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2
import openai
import pytest
import sqlalchemy as sa

from drupe.gateway.keys import GatewayKeys
from drupe.gateway.routes import Routes
from drupe.gateway.tables import gateway_usage
from drupe.registry import Registry
from drupe.store import open_store
from drupe.store.db import Store
from tests.fakes.upstream import FakeUpstream
from tests.web_fixtures import LiveServer


@dataclass
class Gateway:
    """A running server (`server.url`), its store, and a gateway key (`secret`) for the SDKs."""

    server: LiveServer
    store: Store
    secret: str
    upstreams: dict[str, FakeUpstream] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.server.url}/v1"

    def openai(self, secret: str | None = None, **options: Any) -> openai.OpenAI:
        """No retries: a test sees the first answer the gateway gives."""
        return openai.OpenAI(base_url=self.url, api_key=secret or self.secret, max_retries=0, **options)

    def anthropic(self, secret: str | None = None, **options: Any) -> anthropic.Anthropic:
        return anthropic.Anthropic(base_url=self.server.url, api_key=secret or self.secret, max_retries=0, **options)

    def post(self, path: str, body: object, **headers: str) -> httpx2.Response:
        """A raw request with the gateway key, for what an SDK would not send."""
        sent = {"authorization": f"Bearer {self.secret}", **headers}
        return httpx2.post(f"{self.url}{path}", json=body, headers=sent, timeout=30)

    def usage(self, count: int) -> list[Any]:
        """The usage rows, oldest first, once there are `count` (a request is recorded just after
        its answer's last byte, so a client can be a moment ahead)."""
        deadline = time.monotonic() + 10
        while True:
            self.server.app.state.gateway.usage.flush()
            with self.store.engine.connect() as conn:
                rows = list(conn.execute(sa.select(gateway_usage).order_by(gateway_usage.c.at)))
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.02)

    def key(self, name: str, **options: Any) -> str:
        return GatewayKeys(self.store).create(name, **options)[1]


@pytest.fixture
def gateway(web_server, fake_upstream) -> Iterator[Callable[..., Gateway]]:
    """A factory: `gateway(openai=FakeUpstream options, anthropic=..., routes={...}, **create_app options)`.
    Each fake kind named becomes a provider of that name (`openai`, `anthropic`…) with models
    `fake-model` and `fake-large`; `routes` maps route names to their targets."""

    def start(*, routes: dict[str, list[str]] | None = None, server: dict | None = None, **kinds: dict) -> Gateway:
        store = open_store()
        registry = Registry(store)
        upstreams = {}
        for name, options in kinds.items():
            kind = options.pop("kind", name)
            upstream = upstreams[name] = fake_upstream(kind, **options)
            registry.add_provider(name, kind, base_url=upstream.base_url, api_keys=["sk-up"])
            for model in ("fake-model", "fake-large"):
                registry.add_model(name, model)
        for route, targets in (routes or {}).items():
            Routes(store).add(route, targets)
        secret = GatewayKeys(store).create("tests")[1]
        return Gateway(web_server(**(server or {})), store, secret, upstreams)

    yield start

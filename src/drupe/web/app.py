"""The web app: the JSON API under /api, the pages' files under /static, and the page itself everywhere else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from drupe import __version__, config
from drupe.chat import ChatService
from drupe.gateway.api.app import Gateway, GatewayMount
from drupe.protocols.client import Connections
from drupe.registry import Registry
from drupe.store.db import Store
from drupe.web.api import chat, conversations, mcp, meta, models, providers, settings
from drupe.web.api import gateway as gateway_api
from drupe.web.approvals import Approvals
from drupe.web.errors import install_error_handlers
from drupe.web.preferences import LanguageMiddleware, Preferences, page_html
from drupe.web.routing import PageRoute
from drupe.web.security import BodyLimitMiddleware, SecurityMiddleware, is_loopback, new_token
from drupe.web.streaming import Turns
from drupe.web.warmup import warm_up

if TYPE_CHECKING:
    from drupe.web.local import LocalModel

STATIC = Path(__file__).parent / "static"


def create_app(
    store: Store | None = None,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    local: LocalModel | None = None,
    max_body: int | None = None,
    gateway: bool = True,
    log_gateway_content: bool = False,
) -> FastAPI:
    """The app for `drupe serve`. Off loopback a token is always required (made up if not given);
    read it back from `app.state.token`. `max_body`: the request body cap in bytes
    (default `DRUPE_MAX_REQUEST_MB`, see `drupe.config.max_request_bytes`). `gateway`: also
    answer the gateway's `/v1` API (`drupe.gateway.api`, `app.state.gateway`), which needs gateway
    keys rather than the token; `log_gateway_content` keeps its requests' content in its usage log."""
    if store is None:
        from drupe.store import open_store

        store = open_store()
    if token is None and not is_loopback(host):
        token = new_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(warm_up, store)
        await asyncio.to_thread(app.state.chat.recover)  # answers a crashed process left streaming
        if app.state.gateway is not None:
            await app.state.gateway.start()
        if local is not None:
            local.start_in_background(app.state.registry)
        try:
            yield
        finally:
            if app.state.gateway is not None:
                await app.state.gateway.aclose()
            await app.state.turns.stop_all()
            await app.state.chat.aclose()  # the MCP servers the turns started (stdio ones are processes)
            await app.state.chat.writer.store_unsaved()  # answers the database refused earlier: a last try
            await app.state.chat.connections.aclose()
            if local is not None:
                await local.stop()

    app = FastAPI(
        title="drupe",
        version=__version__,
        description="The local API behind drupe's web pages. See docs/api.md.",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.registry = Registry(store)
    app.state.preferences = Preferences(
        app.state.registry
    ).load()  # language and theme, read once here (see drupe.web.preferences)
    # Provider connections stay open between turns (no TCP/TLS set-up in each answer's wait).
    app.state.chat = ChatService(store, connections=Connections())
    app.state.turns = Turns()
    app.state.approvals = Approvals()  # tool calls waiting for the user's Run / Deny
    app.state.token = token
    app.state.local = local
    limit = config.max_request_bytes() if max_body is None else max_body
    app.state.gateway = (
        Gateway(store, connections=app.state.chat.connections, log_content=log_gateway_content, max_body=limit)
        if gateway
        else None
    )
    install_error_handlers(app)
    for module in (meta, providers, models, conversations, chat, settings, mcp, gateway_api):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    app.router.add_api_route(
        "/{path:path}", page, methods=["GET"], include_in_schema=False, route_class_override=PageRoute
    )
    app.add_middleware(LanguageMiddleware, preferences=app.state.preferences)
    app.add_middleware(BodyLimitMiddleware, max_bytes=limit)
    app.add_middleware(SecurityMiddleware, host=host, token=token)
    if app.state.gateway is not None:
        # Added last, so it runs first: `/v1` makes its own checks (gateway keys, no web pages).
        app.add_middleware(GatewayMount, gateway=app.state.gateway)
    return app


def page(path: str, request: Request) -> Response:
    """The single page, for any address that is not the API or a file, so the page can route itself;
    its `<html>` names the user's language and theme (see drupe.web.preferences)."""
    index = STATIC / "index.html"
    if not index.is_file():
        return JSONResponse(
            {"error": {"kind": "not_found", "message": "The web pages are not installed (static/index.html)."}},
            status_code=404,
        )
    preferences = request.app.state.preferences
    language = preferences.language_for(request.headers.get("accept-language", ""))
    return HTMLResponse(
        page_html(index, language, preferences.theme),
        headers={"cache-control": "no-cache", "vary": "Accept-Language"},
    )

"""`drupe serve`: the web app on this machine. FastAPI and uvicorn are imported only when it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from drupe.i18n import _

if TYPE_CHECKING:
    import socket

    from starlette.types import ASGIApp

    from drupe.store.db import Store
    from drupe.web.local import LocalModel


def register(app: typer.Typer) -> None:
    app.command(help=_("Start the web app (chat, providers, models) in your browser, and the gateway API under /v1."))(
        serve
    )


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help=_("The address to listen on. Off loopback a token is required.")
    ),
    port: int = typer.Option(8765, "--port", "-p", help=_("The port to listen on; 0 picks a free one.")),
    open_browser: bool = typer.Option(False, "--open", help=_("Open the app in the browser.")),
    no_local: bool = typer.Option(False, "--no-local", help=_("Do not start the built-in local model.")),
    gateway_only: bool = typer.Option(
        False, "--gateway-only", help=_("Serve only the OpenAI/Anthropic-compatible API under /v1: no pages, no /api.")
    ),
    log_gateway_content: bool = typer.Option(
        False, "--log-gateway-content", help=_("Keep what gateway requests sent and got in the usage log.")
    ),
) -> None:
    import importlib.util
    import os
    import socket

    from drupe.errors import DrupeError
    from drupe.store import open_store
    from drupe.web.security import is_loopback, new_token

    store = open_store()
    store.vault  # noqa: B018 (a missing or wrong secret key stops here, with what to restore)
    token = None
    if not gateway_only:
        token = os.environ.get("DRUPE_TOKEN", "").strip() or (None if is_loopback(host) else new_token())
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        # Listening now, not once the app has started, holds the port: a second `drupe serve`
        # on it fails here with a clear message (connections wait in the backlog meanwhile).
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise DrupeError(
            _(
                "Cannot listen on {host}:{port}: {problem}. Pick another with --port or --host.",
                host=host,
                port=port,
                problem=exc.strerror,
            ),
            code="conflict",
            what="address",
            port=port,
        ) from None
    port = sock.getsockname()[1]

    local = None
    if not no_local and importlib.util.find_spec("xllamacpp") is not None:
        from drupe.web.local import LocalModel

        local = LocalModel()

    url = _browser_url(host, port, token)
    gateway_url = url.partition("#")[0] + "v1"
    app: ASGIApp
    if gateway_only:
        app = _gateway_app(store, local, log_gateway_content)
        typer.echo(_("drupe's gateway is running at {url}  (Ctrl-C stops)", url=gateway_url))
    else:
        from drupe.web.app import create_app

        app = create_app(store, host=host, token=token, local=local, log_gateway_content=log_gateway_content)
        typer.echo(_("drupe is running at {url}  (Ctrl-C stops)", url=url))
        if token:
            typer.echo(
                _(
                    "Access token: {token}  (the link above sets it; API clients send `Authorization: Bearer TOKEN`)",
                    token=token,
                )
            )
    if local is None:
        if no_local:
            typer.echo(_("Local model: off (--no-local)."))
        else:
            typer.echo(_("Local model: off (llama.cpp is not installed: pip install 'drupe[local]')."))
    else:
        typer.echo(_("Local model: starting in the background (provider 'Local')."))
    typer.echo(
        _(
            "Gateway (OpenAI and Anthropic APIs): {url}  (clients send a key from `drupe gateway key create`)",
            url=gateway_url,
        )
    )
    _run(app, sock, url if open_browser and not gateway_only else None)


def _gateway_app(store: Store, local: LocalModel | None, log_content: bool) -> ASGIApp:
    """The gateway alone, with the built-in local model's start and stop in its lifespan."""
    from drupe.gateway.api.app import Gateway

    if local is None:
        return Gateway(store, log_content=log_content)
    from drupe.registry import Registry

    registry = Registry(store)
    return Gateway(
        store, log_content=log_content, on_start=[lambda: local.start_in_background(registry)], on_stop=[local.stop]
    )


def _browser_url(host: str, port: int, token: str | None) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host in ("::", "[::]") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    # After `#`, so the token never reaches the server, a proxy or a log: the page reads it and keeps it
    # in the tab's sessionStorage (a cookie would also go to every other port on this host).
    return f"http://{shown}:{port}/" + (f"#token={token}" if token else "")


def _run(app: ASGIApp, sock: socket.socket, open_url: str | None) -> None:
    import threading
    import time
    import webbrowser

    import uvicorn

    from drupe.web.protocol import BoundedHttpToolsProtocol

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, http=BoundedHttpToolsProtocol)
    server = uvicorn.Server(config)
    if open_url:

        def open_when_started() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                webbrowser.open(open_url)

        threading.Thread(target=open_when_started, daemon=True).start()
    server.run(sockets=[sock])

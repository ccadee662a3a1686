"""Who may talk to the local server: Host, Origin and token checks, the security headers,
and the cap on a request's body.

Written as plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so streamed
answers pass through untouched, one `send` per chunk.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OLD_TOKEN_COOKIE = "drupe_token"
"""Where earlier versions kept the token. Cookies are not per port, so other services on the
host received it too; a request still carrying one gets it deleted."""
PUBLIC_API_PATHS = frozenset({"/api/highlight.css"})
"""Served without the token: the page loads it with `<link>`, which cannot send the token."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::[0-9]{1,5})?")


def _host_name(host_header: str) -> str | None:
    """`example.com:8765` → `example.com`; `[::1]:8765` → `[::1]`; None unless the whole header is
    a name and an optional numeric port (`localhost:8765@evil.com` and `localhost:evil` are not)."""
    match = _HOST_HEADER.fullmatch(host_header.strip().lower())
    return match.group(1) if match else None


def _bound_name(host: str) -> str:
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class SecurityMiddleware:
    """Rejects DNS rebinding, cross-site writes and cross-site API calls, asks for the token
    off loopback, and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, *, host: str, token: str | None) -> None:
        self.app = app
        self.token = token
        bound = _bound_name(host)
        self.any_host = host.strip() in WILDCARD_ADDRESSES
        self.allowed_hosts = {*LOOPBACK_NAMES, bound}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        name = _host_name(host)
        if name is None or not (self.any_host or name in self.allowed_hosts):
            await _deny(send, 403, "forbidden", f"Host {host!r} is not served here. Open drupe at its own address.")
            return
        path: str = scope["path"]
        # Any API call, not only writes: some reads make drupe call a provider with its key
        # (a cross-site `<img src>` sends `Sec-Fetch-Site: cross-site` and no Origin).
        if (scope["method"] in STATE_CHANGING or _is_api(path)) and not _same_origin(headers, host):
            await _deny(send, 403, "forbidden", "Cross-site request refused.")
            return
        if self.token is not None and _is_api(path) and path not in PUBLIC_API_PATHS and not self._has_token(headers):
            await _deny(
                send, 401, "token",
                "This drupe server needs its access token: open the URL printed by `drupe serve` "
                "(it ends in #token=…), or send `Authorization: Bearer TOKEN`.",
            )  # fmt: skip
            return
        extra = [*SECURITY_HEADERS]
        if f"{OLD_TOKEN_COOKIE}=" in headers.get("cookie", ""):
            extra.append((b"set-cookie", f"{OLD_TOKEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict".encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _has_token(self, headers: Headers) -> bool:
        assert self.token is not None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), self.token.encode())


def _same_origin(headers: Headers, host: str) -> bool:
    """A browser request must come from our own pages (or the address bar); curl and scripts
    send neither header. `same-site` is refused too: another port on this host is same-site."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "") not in ("cross-site", "same-site")
    return bool(host) and urlsplit(origin).netloc.lower() == host.strip().lower()


async def _deny(send: Send, status: int, kind: str, message: str, *, add_headers: bool = True) -> None:
    """The documented error JSON; `add_headers=False` when `SecurityMiddleware` adds them on the way out."""
    body = json.dumps({"error": {"kind": kind, "message": message}}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *(SECURITY_HEADERS if add_headers else [])],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with 413, before the app stores any of it.

    A declared `Content-Length` over the cap is refused before reading; a chunked body is
    counted as it arrives, and once over the cap the app sees the client gone.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already; the app's answer to the "disconnect" is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        mib = self.max_bytes / 2**20
        await _deny(
            send, 413, "too_large",
            f"The request body is over drupe's limit of {mib:g} MiB. Send less (e.g. smaller images), "
            "or raise DRUPE_MAX_REQUEST_MB for `drupe serve`.",
            add_headers=False,
        )  # fmt: skip

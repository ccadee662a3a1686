"""Who may talk to the local server: Host, Origin and token checks, and the security headers.

Written as plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so streamed
answers pass through untouched, one `send` per chunk.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "drupe_token"
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


def _host_name(host_header: str) -> str:
    """`example.com:8765` → `example.com`; `[::1]:8765` → `[::1]`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def _bound_name(host: str) -> str:
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class SecurityMiddleware:
    """Rejects DNS rebinding and cross-site writes, asks for the token off loopback,
    and adds the security headers to every response."""

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
        if not self.any_host and _host_name(host) not in self.allowed_hosts:
            await _deny(send, 403, "forbidden", f"Host {host!r} is not served here. Open drupe at its own address.")
            return
        if scope["method"] in STATE_CHANGING and not _same_origin(headers, host):
            await _deny(send, 403, "forbidden", "Cross-site request refused.")
            return
        if self.token is not None:
            path: str = scope["path"]
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if "token" in query and not path.startswith("/api/"):
                await self._remember_token(scope, send, query)
                return
            if (path == "/api" or path.startswith("/api/")) and not self._has_token(headers):
                await _deny(
                    send, 401, "token",
                    "This drupe server needs its access token: open the URL printed by `drupe serve` "
                    "(it ends in ?token=…), or send `Authorization: Bearer TOKEN`.",
                )  # fmt: skip
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _has_token(self, headers: Headers) -> bool:
        assert self.token is not None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), self.token.encode()):
            return True
        cookie = SimpleCookie(headers.get("cookie", ""))
        morsel = cookie.get(TOKEN_COOKIE)
        return morsel is not None and secrets.compare_digest(morsel.value.encode(), self.token.encode())

    async def _remember_token(self, scope: Scope, send: Send, query: dict[str, str]) -> None:
        """`/?token=…` once: keep the token in a cookie and drop it from the address bar."""
        assert self.token is not None
        if not secrets.compare_digest(query["token"].encode(), self.token.encode()):
            await _deny(send, 401, "token", "That access token is wrong. Use the URL `drupe serve` printed.")
            return
        rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
        location = scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), *SECURITY_HEADERS],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": b""})


def _same_origin(headers: Headers, host: str) -> bool:
    """A browser write must come from our own pages; curl and scripts send neither header."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "") != "cross-site"
    return bool(host) and urlsplit(origin).netloc.lower() == host.strip().lower()


async def _deny(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": {"kind": kind, "message": message}}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})

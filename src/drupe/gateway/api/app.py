"""The gateway's `/v1` API as a plain ASGI app: `GET /v1/models`, `POST /v1/chat/completions`
(OpenAI chat) and `POST /v1/messages` (Anthropic Messages), over every enabled provider.

Each request, in order: refused if a browser page sent it (an `Origin` or a `Sec-Fetch-Site`
other than `none`: no page may use the user's providers, and no CORS header is ever sent); the
gateway key checked (`Authorization: Bearer` or `x-api-key`), and for a chat its requests per
minute; the body read (capped) and translated; the model resolved and checked against the key's
patterns; then relayed, streamed or whole, and recorded in the usage log. Failures are answered
in the client's own API's error shape (`drupe.gateway.api.errors` says which status for which).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from drupe import config
from drupe.errors import DrupeError
from drupe.gateway.api.asgi import SSE_HEADERS, BodyTooLarge, ClientGone, Disconnect, Scope, read_body, send_json
from drupe.gateway.api.catalog import Catalogs, Resolved
from drupe.gateway.api.errors import internal_error, served_error
from drupe.gateway.api.keycheck import KeyCheck
from drupe.gateway.api.relay import Outcome, complete, open_stream
from drupe.i18n import set_language
from drupe.protocols.base import Event, ReasoningDelta, TextDelta, ToolCall, Usage
from drupe.protocols.client import Connections, fold
from drupe.protocols.contract import ClientAPI
from drupe.protocols.serving import served_api
from drupe.protocols.serving.base import ClientRequest, ServedError

if TYPE_CHECKING:
    from drupe.gateway.keys import GatewayKey, GatewayKeys, RateLimiter
    from drupe.gateway.usage import UsageLog
    from drupe.store.db import Store

log = logging.getLogger("drupe.gateway")

CHAT_PATHS = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
MODELS_PATH = "/v1/models"
TOKEN_EVENTS = (TextDelta, ReasoningDelta, ToolCall)
_YIELD_CPU: Callable[[], None] = getattr(os, "sched_yield", lambda: None)
"""Gives this thread's CPU to any other runnable process (os.sched_yield where there is one).

A provider often sends its first chunk and the rest of a short answer at once: one read brings
them all, and relaying them (a parse and a write each) keeps drupe on the CPU for milliseconds.
A client on this machine, woken by the first token's write, waited for that CPU until the whole
batch was written: 2 to 6 ms added to its time to first token on 2 busy cores (measured with
the client's reads and drupe's writes side by side; pinned to different cores, the client read
each token 0.1 ms after its write). Yielding once, right after the first token is written, lets
the client read it before the rest is relayed. Only a lone stream yields: with many at once drupe
is what the clients wait for, and each yield handed its CPU to other processes (100 streams at
once took about 20 % longer to finish when every one yielded)."""
CLIENT_GONE = 499
"""The status recorded for a request whose client left before its answer ended (nginx's word)."""


class Refused(Exception):
    """A request refused with a ready `ServedError`."""

    def __init__(self, error: ServedError) -> None:
        super().__init__(error.message)
        self.error = error


class Gateway:
    """The `/v1` app. Inside `drupe serve` the web app routes `/v1` here (`GatewayMount`) and runs
    `start`/`aclose` in its lifespan; `drupe serve --gateway-only` runs it alone, lifespan included."""

    def __init__(
        self,
        store: Store,
        *,
        connections: Connections | None = None,
        log_content: bool = False,
        max_body: int | None = None,
        keys: GatewayKeys | None = None,
        limiter: RateLimiter | None = None,
        usage: UsageLog | None = None,
        on_start: Iterable[Callable[[], None]] = (),
        on_stop: Iterable[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        from drupe.gateway.keys import GatewayKeys, RateLimiter
        from drupe.gateway.usage import UsageLog

        self.store = store
        self._own_connections = connections is None
        self.connections = connections or Connections()
        self.log_content = log_content
        self.max_body = config.max_request_bytes() if max_body is None else max_body
        self.keys = keys or GatewayKeys(store)
        self.key_check = KeyCheck(self.keys)
        self.limiter = limiter or RateLimiter()
        self.usage = usage or UsageLog(store)
        self.catalogs = Catalogs(store)
        self._on_start = list(on_start)
        self._on_stop = list(on_stop)
        self._streaming = 0
        """Streams being relayed now: a lone one yields the CPU after its first token (`_YIELD_CPU`)."""

    # Lifetime ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Pay the first request's costs now: the APIs' modules and the first catalog."""
        for api_id in set(CHAT_PATHS.values()):
            served_api(api_id)
        await self.catalogs.renew()
        for hook in self._on_start:
            hook()

    async def aclose(self) -> None:
        """Write what the usage log and key counters hold; close the connections if they are ours."""
        for hook in self._on_stop:
            await hook()
        await self.usage.aclose()
        await self.keys.aclose()
        if self._own_connections:
            await self.connections.aclose()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await asyncio.to_thread(_warm_up, self.store)
                    await self.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # Requests ---------------------------------------------------------------------------

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = _Headers(scope["headers"])
        path: str = scope["path"].rstrip("/")
        api = served_api(CHAT_PATHS.get(path) or ("anthropic" if headers.anthropic else "openai"))
        try:
            if headers.from_page:
                raise Refused(ServedError(
                    "permission",
                    "Web pages may not use drupe's gateway. Call it from a program (an SDK, curl, an editor), "
                    "which sends no Origin header.",
                ))  # fmt: skip
            if path in CHAT_PATHS:
                _method(scope, "POST")
                await self.chat(api, receive, send, headers)
            elif path == MODELS_PATH or path.startswith(MODELS_PATH + "/"):
                _method(scope, "GET")
                await self.models(api, send, headers, path[len(MODELS_PATH) + 1 :])
            else:
                raise Refused(ServedError(
                    "not_found",
                    f"No such path: {path}. drupe serves GET /v1/models, POST /v1/chat/completions and POST /v1/messages.",
                ))  # fmt: skip
        except Refused as refused:
            await self._fail(api, send, refused.error)
        except DrupeError as error:
            await self._fail(api, send, served_error(error))

    def _within_rate(self, key: GatewayKey) -> None:
        """Count a chat request against the key's requests per minute; Refused when over."""
        wait = self.limiter.check(key, time.monotonic())
        if wait is not None:
            raise Refused(ServedError(
                "rate_limit",
                f"The gateway key {key.name!r} is over its limit of {key.rpm} requests per minute.",
                code="rate_limit_exceeded", retry_after=wait,
            ))  # fmt: skip

    async def models(self, api: ClientAPI, send: Any, headers: _Headers, one: str) -> None:
        """The models and routes the key may use (not counted against its requests per minute)."""
        key = self.key_check.verify(headers.secret)
        catalog = await self.catalogs.get()
        models = [m for m in catalog.models if key.allows(m.id)]
        if not one:
            await send_json(send, 200, api.models_body(models))
            return
        found = [m for m in models if m.id == one]
        if not found:
            raise Refused(ServedError("not_found", f"No model {one!r} here; GET /v1/models lists them.",
                                      code="model_not_found"))  # fmt: skip
        await send_json(send, 200, api.models_body(found)["data"][0])

    async def chat(self, api: ClientAPI, receive: Any, send: Any, headers: _Headers) -> None:
        """A chat request; recorded in the usage log once its key is known, whatever its end."""
        started, at = time.perf_counter(), datetime.now(UTC)
        key = self.key_check.verify(headers.secret)
        outcome = Outcome()
        request: ClientRequest | None = None
        resolved: Resolved | None = None
        body: object = None
        disconnect: Disconnect | None = None
        try:
            self._within_rate(key)
            self.keys.touch(key.id, at)
            try:
                raw = await read_body(receive, self.max_body, headers.content_length)
            except BodyTooLarge:
                raise Refused(ServedError(
                    "too_large", f"The request body is over drupe's limit of {self.max_body / 2**20:g} MiB "
                    "(DRUPE_MAX_REQUEST_MB for `drupe serve`).",
                )) from None  # fmt: skip
            body = _json(raw)
            request = api.read_request(body)
            resolved = await self.catalogs.resolve(request.chat.model)
            if not key.allows(resolved.addressed):
                raise Refused(ServedError(
                    "permission", f"The gateway key {key.name!r} may not use {resolved.addressed!r}.",
                    code="model_not_allowed",
                ))  # fmt: skip
            disconnect = Disconnect(receive)
            if request.stream:
                self._streaming += 1
                try:
                    await self._stream(api, request, resolved, send, outcome, started, disconnect)
                finally:
                    self._streaming -= 1
            else:
                await self._whole(api, request, resolved, send, outcome, disconnect)
        except Refused as refused:
            await self._fail(api, send, refused.error, outcome)
        except DrupeError as error:
            provider = outcome.target.provider if outcome.target else None
            await self._fail(api, send, served_error(error, provider), outcome, outcome.skipped)
        except ClientGone:
            outcome.status, outcome.error = CLIENT_GONE, "The client left before sending its request."
        except asyncio.CancelledError:
            if disconnect is None or not disconnect.gone:
                raise
            _uncancel()
            outcome.status, outcome.error = CLIENT_GONE, "The client left before the answer ended."
        except Exception:
            log.exception("A gateway request failed.")
            if outcome.responded:
                outcome.error = "drupe failed while sending the answer"
            else:
                await self._fail(api, send, internal_error(), outcome)
        finally:
            if disconnect is not None:
                disconnect.close()
        self._record(api, key, request, resolved, outcome, at, started, body)

    async def _stream(
        self,
        api: ClientAPI,
        request: ClientRequest,
        resolved: Resolved,
        send: Any,
        outcome: Outcome,
        started: float,
        disconnect: Disconnect,
    ) -> None:
        """Headers go once the first event has come (so a failure before it still gets its own
        status), then one chunk per event; a failure after it ends the stream with an error in
        the client's format."""
        events, first = await open_stream(api, request, resolved, self.connections, outcome)
        kept: list[Event] | None = [] if self.log_content else None
        async with aclosing(events):
            writer = api.stream_writer(request.chat.model, request)
            await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
            outcome.responded = True
            data = writer.start()
            try:
                event = first
                while True:  # the first event, then the rest: one loop, on every chunk's path
                    data += writer.write(event)
                    if data:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                        data = b""
                    if outcome.ttft_ms is None and isinstance(event, TOKEN_EVENTS):
                        outcome.ttft_ms = (time.perf_counter() - started) * 1000
                        if self._streaming == 1:  # the client reads it now, not after the batch
                            _YIELD_CPU()
                    elif type(event) is Usage:
                        outcome.input_tokens, outcome.output_tokens = event.input_tokens, event.output_tokens
                    if kept is not None:
                        kept.append(event)
                    try:
                        event = await events.__anext__()
                    except StopAsyncIteration:
                        break
                end = writer.end()
            except DrupeError as error:
                assert outcome.target is not None
                outcome.error = str(error)
                end = writer.error(served_error(error, outcome.target.provider))
            except Exception:
                log.exception("A gateway stream failed.")
                outcome.error = "drupe failed while streaming the answer"
                end = writer.error(internal_error())
        disconnect.finished = True
        await send({"type": "http.response.body", "body": end, "more_body": False})
        if kept is not None:
            outcome.content = _answer(fold(kept))

    async def _whole(
        self,
        api: ClientAPI,
        request: ClientRequest,
        resolved: Resolved,
        send: Any,
        outcome: Outcome,
        disconnect: Disconnect,
    ) -> None:
        result = await complete(api, request, resolved, self.connections, outcome)
        outcome.input_tokens, outcome.output_tokens = result.input_tokens, result.output_tokens
        outcome.ttft_ms = result.time_to_first_token_ms
        if self.log_content:
            outcome.content = _answer(result)
        body = api.whole_body(request.chat.model, result)
        disconnect.finished = outcome.responded = True
        await send_json(send, 200, body)

    async def _fail(
        self,
        api: ClientAPI,
        send: Any,
        error: ServedError,
        outcome: Outcome | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        if outcome is not None:
            outcome.status = error.status
            outcome.error = "; ".join([error.message, *(f"tried first: {s}" for s in skipped)])
        headers = []
        if error.retry_after is not None:
            headers.append((b"retry-after", str(max(1, math.ceil(error.retry_after))).encode()))
        if error.code == "upstream_auth":
            headers.append((b"x-should-retry", b"false"))  # the SDKs would retry a 502; this needs a person
        await send_json(send, error.status, api.error_body(error), headers)

    def _record(
        self,
        api: ClientAPI,
        key: GatewayKey,
        request: ClientRequest | None,
        resolved: Resolved | None,
        outcome: Outcome,
        at: datetime,
        started: float,
        body: object,
    ) -> None:
        """The request's usage record, `at` when it came (its tokens, status and times from `outcome`)."""
        from drupe.gateway.usage import UsageRecord

        target = outcome.target
        content = None
        if self.log_content:
            content = {"request": body, "response": outcome.content}
        self.usage.record(UsageRecord(
            at=at, key_id=key.id, key_name=key.name, api=api.id,
            model=request.chat.model if request else "",
            provider=target.provider if target else None, provider_model=target.model_id if target else None,
            route=resolved.route if resolved else None,
            input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens, cost=None,
            ttft_ms=outcome.ttft_ms, duration_ms=(time.perf_counter() - started) * 1000,
            status=outcome.status, error=outcome.error, content=content,
        ))  # fmt: skip


class GatewayMount:
    """ASGI middleware that sends `/v1` to the gateway and everything else to the app it wraps.
    Added outermost, so `/v1` is answered before the web app's own checks (its token, Host and
    Origin rules) and before any of its routing: the gateway makes its own checks."""

    def __init__(self, app: Any, *, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == "/v1" or scope["path"].startswith("/v1/")):
            set_language("en")  # its clients are programs: messages in English, whatever the server's LANG
            await self.gateway.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _Headers:
    """The request headers the gateway reads, found in one pass."""

    __slots__ = ("anthropic", "content_length", "from_page", "secret")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.anthropic = False
        self.content_length: int | None = None
        self.from_page = False
        api_key = bearer = ""
        for name, value in raw:
            if name == b"x-api-key":
                api_key = value.decode("latin-1").strip()
            elif name == b"authorization":
                scheme, _, given = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer":
                    bearer = given.strip()
            elif name == b"anthropic-version":
                self.anthropic = True
            elif name == b"content-length":
                self.content_length = int(value) if value.isdigit() else None
            elif name == b"origin" or (name == b"sec-fetch-site" and value != b"none"):
                self.from_page = True
        self.secret = api_key or bearer


def _warm_up(store: Store) -> None:
    """Alone (`--gateway-only`), what the web app's warm-up does for it: the HTTP stack and CA
    bundle loaded and the key vault opened before the first request, not in its time to first
    token, and what start-up made kept out of the cyclic collector (no pauses mid-stream)."""
    import gc

    from drupe.protocols import client

    client.warm_up()
    store.vault  # noqa: B018
    gc.collect()
    gc.freeze()


def _method(scope: Scope, allowed: str) -> None:
    if scope["method"] != allowed:
        raise Refused(ServedError("method_not_allowed", f"{scope['method']} is not allowed here; use {allowed}."))


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise DrupeError("body: not valid JSON", code="invalid", field="body") from None


def _answer(result: Any) -> dict:
    return {
        "text": result.text,
        "reasoning": result.reasoning,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in result.tool_calls],
    }


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()

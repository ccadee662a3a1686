"""The transport: send what a protocol built, retry, rotate keys, time the stream.

Everything about a provider's wire format lives in its type (`drupe.protocols.types`); this
module only moves bytes with httpx2 (imported lazily, so the CLI starts fast)
and turns transport failures into ProviderErrors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drupe.errors import ProviderError
from drupe.protocols.base import (
    ChatRequest,
    ChatResult,
    Endpoint,
    Event,
    Finish,
    Message,
    Metrics,
    ReasoningDelta,
    RemoteModel,
    TextDelta,
    ToolCall,
    Usage,
)
from drupe.protocols.http_errors import redact
from drupe.protocols.keys import ring_for
from drupe.protocols.limits import clip
from drupe.protocols.reading import (
    PARSE_OFF_LOOP_BYTES,
    SHAPE_ERRORS,
    is_event_stream,
    json_body,
    seconds_text,
    status_error,
    transport_errors,
    unexpected_shape,
)
from drupe.protocols.think import ThinkSplitter, split_think_events
from drupe.protocols.types import type_for
from drupe.protocols.wire import MAX_MODELS, WireRequest

if TYPE_CHECKING:
    import ssl

    import httpx2

    from drupe.protocols.contract import ProviderType

MAX_MODEL_PAGES = 50
"""A guard against a server that keeps handing out cursors."""

RETRIED_KINDS = ("rate_limit", "server", "connection", "dropped")
"""Failures worth another try, and only before any output: resending would repeat the text."""


@dataclass(frozen=True)
class RetryPolicy:
    """Rate limits, server errors and failed or dropped connections are retried, only before any output."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number `retry` (0-based): the server's word if it gave one."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return min(self.base_delay * 2**retry, self.max_delay)


RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_retries=0)


class Attempts:
    """Which key the next try uses, how long to wait after a failure, and how long a try may
    take, for one request: all tries together stay within the provider's timeout, so a
    provider that stalls and then drops the connection is not waited for once per retry."""

    def __init__(self, keys: tuple[str | None, ...], policy: RetryPolicy, timeout: float = Endpoint.timeout) -> None:
        self.keys = keys
        self.policy = policy
        self.timeout = timeout
        self.started = time.monotonic()
        self._index = 0
        self._retries = 0
        self._tries = 1

    @property
    def key(self) -> str | None:
        return self.keys[self._index]

    def seconds(self) -> float:
        """How long this try may wait for the provider: what is left of the timeout."""
        return max(self.timeout - (time.monotonic() - self.started), 0.001)

    def after(self, error: ProviderError) -> float:
        """Seconds to wait before the next try; re-raises `error` when there is none left."""
        if error.kind in ("auth", "rate_limit") and self._index + 1 < len(self.keys):
            delay = 0.0
            self._index += 1
        elif error.kind in RETRIED_KINDS and self._retries < self.policy.max_retries:
            self._retries += 1
            delay = self.policy.delay(self._retries - 1, error.retry_after)
        else:
            raise self._gave_up(error, out_of_time=False)
        if time.monotonic() - self.started + delay >= self.timeout:
            raise self._gave_up(error, out_of_time=True)
        self._tries += 1
        return delay

    def summary(self) -> str:
        """How long the tries took, against the timeout that bounds them."""
        tries = f"{self._tries} tries" if self._tries > 1 else "1 try"
        return (
            f"gave up after {time.monotonic() - self.started:.1f} s and {tries}: "
            f"the provider's timeout of {seconds_text(self.timeout)} s bounds them all"
        )

    def _gave_up(self, error: ProviderError, out_of_time: bool) -> ProviderError:
        """`error`, saying how long all tries took when the timeout is what ended them."""
        if out_of_time or (error.kind == "timeout" and self._tries > 1):
            error.message += f" ({self.summary()})"
            error.args = (error.message,)
        return error


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float | None
    error: ProviderError | None = None


def stream_chat(
    endpoint: Endpoint,
    request: ChatRequest,
    *,
    connections: Connections | None = None,
    retry: RetryPolicy = RETRY,
) -> AsyncGenerator[Event, None]:
    """Stream one answer; Metrics comes last. With `connections`, open connections are reused.
    Close the iterator (`contextlib.aclosing`) when leaving it early. `retry`: how often a
    failure is tried again (`NO_RETRY` when the caller has somewhere else to go, as a gateway
    route's next target; keys still rotate).

    Raises ProviderError, or DrupeError when the endpoint cannot be used at all
    (an unknown type, a base URL that is not a URL).
    """
    return _stream(endpoint, request, ring_for(endpoint.api_keys).order(), retry, connections)


async def complete_chat(
    endpoint: Endpoint,
    request: ChatRequest,
    *,
    connections: Connections | None = None,
    retry: RetryPolicy = RETRY,
) -> ChatResult:
    """One answer from a non-streaming call (`stream: false` on the wire); `retry` as for `stream_chat`."""
    protocol = type_for(endpoint.type)
    attempts = Attempts(ring_for(endpoint.api_keys).order(), retry, endpoint.timeout)
    async with _http_client(endpoint, connections) as client, _within(attempts, "a whole answer"):
        while True:
            wire = protocol.build_chat(endpoint, request, attempts.key, stream=False)
            try:
                data = await _send_json(client, wire, endpoint, attempts.seconds())
                return fold(split_think_events(_finished(protocol.parse_response(data))))
            except ProviderError as error:
                await asyncio.sleep(attempts.after(_in_context(error, wire.url, endpoint)))
            except SHAPE_ERRORS as exc:
                raise _in_context(unexpected_shape(exc), wire.url, endpoint) from None


async def list_models(endpoint: Endpoint) -> list[RemoteModel]:
    """Every model the provider lists, following its pagination."""
    return await _all_models(endpoint, Attempts(ring_for(endpoint.api_keys).order(), RETRY, endpoint.timeout))


async def _all_models(endpoint: Endpoint, attempts: Attempts) -> list[RemoteModel]:
    protocol = type_for(endpoint.type)
    models: list[RemoteModel] = []
    cursor: str | None = None
    seen: set[str] = set()
    async with _http_client(endpoint, None) as client, _within(attempts, "the model list"):
        for _ in range(MAX_MODEL_PAGES):
            page, cursor = await _models_page(client, protocol, endpoint, cursor, attempts)
            models.extend(page)
            if not cursor or cursor in seen or len(models) >= MAX_MODELS:
                break
            seen.add(cursor)
    return models[:MAX_MODELS]


async def check_key(endpoint: Endpoint, model: str, key: str | None) -> CheckResult:
    """Try one key with a tiny streamed request; stop at the first token."""
    single = dataclasses.replace(endpoint, api_keys=(key,) if key else ())
    request = ChatRequest(model=model, messages=(Message("user", "Hi"),), max_tokens=8)
    started = time.perf_counter()
    try:
        async with aclosing(_stream(single, request, (key,), NO_RETRY, None)) as events:
            async for event in events:
                if isinstance(event, _TOKEN_EVENTS):
                    break
    except ProviderError as error:
        return CheckResult(False, None, error)
    return CheckResult(True, (time.perf_counter() - started) * 1000)


async def check_key_by_models(endpoint: Endpoint, key: str | None) -> tuple[CheckResult, list[str]]:
    """Try one key with the model list, every page: no answer is paid for. The ids listed."""
    single = dataclasses.replace(endpoint, api_keys=(key,) if key else ())
    started = time.perf_counter()
    try:
        models = await _all_models(single, Attempts((key,), NO_RETRY, endpoint.timeout))
    except ProviderError as error:
        return CheckResult(False, None, error), []
    return CheckResult(True, (time.perf_counter() - started) * 1000), [model.id for model in models]


def fold(events: Iterable[Event]) -> ChatResult:
    """A whole answer from its events: deltas joined, the last usage, finish and metrics kept."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    fields: dict = {}
    for event in events:
        if isinstance(event, ToolCall):
            calls.append(event)
        elif isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ReasoningDelta):
            reasoning.append(event.text)
        elif isinstance(event, Usage):
            fields.update(input_tokens=event.input_tokens, output_tokens=event.output_tokens)
        elif isinstance(event, Finish):
            fields["finish_reason"] = event.reason
        elif isinstance(event, Metrics):
            fields.update(
                time_to_first_token_ms=event.time_to_first_token_ms,
                tokens_per_second=event.tokens_per_second,
            )
    return ChatResult(text="".join(text), reasoning="".join(reasoning), tool_calls=tuple(calls), **fields)


async def _stream(
    endpoint: Endpoint,
    request: ChatRequest,
    keys: tuple[str | None, ...],
    policy: RetryPolicy,
    connections: Connections | None,
) -> AsyncGenerator[Event, None]:
    """Attempts until one streams (a failure after the first event ends it), then Metrics.
    Written as one generator: every layer of generators costs each chunk a hop."""
    import httpx2

    protocol = type_for(endpoint.type)
    attempts = Attempts(keys, policy, endpoint.timeout)
    clock = _Clock()
    async with _http_client(endpoint, connections) as client:
        while True:
            wire = protocol.build_chat(endpoint, request, attempts.key, stream=True)
            splitter = ThinkSplitter()
            before = clock.events
            try:
                async with _opened(client, wire, endpoint, attempts.seconds()) as response:
                    if not is_event_stream(response):
                        # Some servers ignore `stream: true` and answer with one JSON body.
                        body = await json_body(response, wire.url, endpoint.limits)
                        for event in _ready(_finished(protocol.parse_response(body)), splitter, clock):
                            yield event
                    else:
                        parser = protocol.Parser()
                        async for sse in httpx2.EventSource(response, max_event_size=endpoint.limits.event_bytes):
                            if not sse.data:  # an event without data is not dispatched (SSE spec): a ping
                                continue
                            if len(sse.data) < PARSE_OFF_LOOP_BYTES:
                                raw = parser.feed(sse.event, sse.data)
                            else:  # megabytes of JSON take a while to parse: not on the event loop
                                raw = await asyncio.to_thread(parser.feed, sse.event, sse.data)
                            for event in _ready(raw, splitter, clock):
                                yield event
                        for event in _ready(parser.close(), splitter, clock):
                            yield event
                held_back = splitter.flush()
                clock.saw(held_back)
                for event in held_back:
                    yield event
                break
            except ProviderError as error:
                error = _in_context(error, wire.url, endpoint)
                if clock.events != before:
                    raise error from None
                await asyncio.sleep(attempts.after(error))
            except SHAPE_ERRORS as exc:
                raise _in_context(unexpected_shape(exc), wire.url, endpoint) from None
    yield clock.metrics()


_TOKEN_EVENTS = (TextDelta, ReasoningDelta)  # a tuple: `A | B` would build a union on every chunk


class _Clock:
    """Times a stream as the user sees it: from the call to the first token, then the rate."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_token_at: float | None = None
        self.last_token_at = self.started
        self.deltas = 0
        self.events = 0
        self.output_tokens: int | None = None

    def saw(self, events: Sequence[Event]) -> None:
        """Events that arrived together (usually one)."""
        self.events += len(events)
        for event in events:
            if isinstance(event, _TOKEN_EVENTS):
                self.last_token_at = time.perf_counter()
                self.first_token_at = self.first_token_at or self.last_token_at
                self.deltas += 1
            elif isinstance(event, Usage):
                self.output_tokens = event.output_tokens

    def metrics(self) -> Metrics:
        """Tokens per second between the first and last token: the first one's wait is the TTFT."""
        if self.first_token_at is None:
            return Metrics(None, None)
        tokens = self.output_tokens or self.deltas
        generating = self.last_token_at - self.first_token_at
        rate = (tokens - 1) / generating if tokens > 1 and generating > 0 else None
        return Metrics((self.first_token_at - self.started) * 1000, rate)


@asynccontextmanager
async def _opened(
    client: httpx2.AsyncClient, wire: WireRequest, endpoint: Endpoint, seconds: float
) -> AsyncIterator[httpx2.Response]:
    """The streamed response to `wire`, once its status is not an error; transport failures,
    then and while it is read, come out as ProviderErrors. No read may wait over `seconds`."""
    import httpx2

    with transport_errors(wire.url, seconds, endpoint.limits):
        async with client.stream(
            wire.method,
            wire.url,
            headers=wire.headers,
            json=wire.json,
            params=wire.params or None,
            timeout=httpx2.Timeout(seconds),
        ) as response:
            if response.status_code >= 400:
                raise await status_error(response, wire.url, endpoint.limits)
            yield response


def _finished(events: list[Event]) -> list[Event]:
    """A whole answer's events, ending in a Finish: `cut_off` when the provider gave no finish reason."""
    if not any(isinstance(event, Finish) for event in events):
        events.append(Finish("cut_off"))
    return events


@asynccontextmanager
async def _within(attempts: Attempts, what: str) -> AsyncIterator[None]:
    """A whole call, every try and page together, bounded by the provider's timeout, even
    against a provider that sends a byte now and then and so never trips a read timeout."""
    try:
        async with asyncio.timeout(attempts.timeout):
            yield
    except TimeoutError:
        raise ProviderError("timeout", f"The provider did not send {what} in time ({attempts.summary()}).") from None


def _ready(raw_events: list[Event], splitter: ThinkSplitter, clock: _Clock) -> Sequence[Event]:
    """Events as callers get them: think tags split out of the text, and timed."""
    ready: Sequence[Event]
    if len(raw_events) == 1:
        ready = splitter.split(raw_events[0])
    else:
        ready = [event for raw in raw_events for event in splitter.split(raw)]
    if ready:
        clock.saw(ready)
    return ready


async def _send_json(client: httpx2.AsyncClient, wire: WireRequest, endpoint: Endpoint, seconds: float) -> dict:
    """One JSON object response, of at most the provider's `response_bytes`."""
    async with _opened(client, wire, endpoint, seconds) as response:
        return await json_body(response, wire.url, endpoint.limits)


async def _models_page(
    client: httpx2.AsyncClient, protocol: ProviderType, endpoint: Endpoint, cursor: str | None, attempts: Attempts
) -> tuple[list[RemoteModel], str | None]:
    while True:
        wire = protocol.build_models(endpoint, attempts.key, cursor)
        try:
            return protocol.parse_models(await _send_json(client, wire, endpoint, attempts.seconds()))
        except ProviderError as error:
            await asyncio.sleep(attempts.after(_in_context(error, wire.url, endpoint)))
        except SHAPE_ERRORS as exc:
            raise _in_context(unexpected_shape(exc), wire.url, endpoint) from None


class Connections:
    """HTTP clients kept open between calls, one per connection setting (timeout, proxy, TLS),
    so a long-lived caller (the web server, an interactive session) reuses its connections to
    a provider: no new TCP connection, and for https no new TLS handshake, in each answer's
    time to first token. Use it within one event loop, and `aclose()` it there."""

    KEEP_ALIVE = 20  # idle connections kept per setting (httpx2's default)

    def __init__(self) -> None:
        self._clients: dict[tuple[float, str | None, bool], httpx2.AsyncClient] = {}

    def client(self, endpoint: Endpoint) -> httpx2.AsyncClient:
        key = (endpoint.timeout, endpoint.proxy or None, _needs_tls(endpoint))
        client = self._clients.get(key)
        if client is None:
            import httpx2

            limits = httpx2.Limits(max_connections=None, max_keepalive_connections=self.KEEP_ALIVE)
            client = self._clients[key] = _new_client(endpoint, limits)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def _http_client(
    endpoint: Endpoint, connections: Connections | None
) -> AbstractAsyncContextManager[httpx2.AsyncClient]:
    """The caller's kept client (left open), or one of its own closed after this call."""
    if connections is not None:
        return nullcontext(connections.client(endpoint))
    return _new_client(endpoint)


def _new_client(endpoint: Endpoint, limits: httpx2.Limits | None = None) -> httpx2.AsyncClient:
    import httpx2

    verify = _ssl_context() if _needs_tls(endpoint) else _no_trust_context()
    options: dict[str, Any] = {"limits": limits} if limits else {}
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(endpoint.timeout), proxy=endpoint.proxy or None, verify=verify, **options
    )


def warm_up() -> None:
    """Import the HTTP stack and load the CA bundle now: for a server, before its first request."""
    import httpx2

    httpx2.AsyncClient(verify=_ssl_context())


def _needs_tls(endpoint: Endpoint) -> bool:
    """Whether any connection of this endpoint is TLS: an https (or empty: official) address, or an https proxy."""
    address = endpoint.base_url.strip().lower()
    return not address.startswith("http://") or (endpoint.proxy or "").strip().lower().startswith("https://")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle costs 30-70 ms, which would land in time to first token."""
    import httpx2

    return httpx2.create_ssl_context()


@functools.cache
def _no_trust_context() -> ssl.SSLContext:
    """For plain-http endpoints (local servers): verifying, but trusting no CA, so it costs
    nothing to build and could never let an unverified TLS connection through."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _in_context(error: ProviderError, url: str, endpoint: Endpoint) -> ProviderError:
    """The same error with the URL filled in, any echoed key or other secret removed, and the message clipped
    to the provider's `error_chars` (it is stored and shown)."""
    secrets = endpoint.api_keys + endpoint.secrets
    error.message = clip(redact(error.message, secrets), endpoint.limits.error_chars)
    error.args = (error.message,)
    error.url = redact(error.url or url, secrets)
    return error

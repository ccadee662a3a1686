"""A fake AI provider on a real socket, speaking one provider's documented wire format.

    with FakeUpstream("anthropic", text="Hello world", reasoning="Let me think") as up:
        endpoint = Endpoint(type="anthropic", base_url=up.base_url)
        ...
        up.fault = Fault("rate_limit", times=2)   # the next 2 requests get 429
        up.requests[-1].json                       # what the client sent

Kinds and routes (base_url is `http://127.0.0.1:PORT`, no version):

    openai           POST /v1/chat/completions     GET /v1/models
    openai-response  POST /v1/responses            GET /v1/models
    anthropic        POST /v1/messages             GET /v1/models       (paginated: after_id/limit)
    gemini           POST /v1beta/models/M:streamGenerateContent?alt=sse
                     POST /v1beta/models/M:generateContent
                                                   GET /v1beta/models   (paginated: pageToken/pageSize)
    azure-openai     POST /openai/v1/chat/completions                    GET /openai/v1/models
                     POST /openai/deployments/D/chat/completions?api-version=V   GET /openai/models?api-version=V

Standalone, for benchmarks: `python -m tests.fakes.upstream --kind openai --port 0` prints its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from urllib.parse import unquote

from drupe.chat.titles import INSTRUCTION as TITLE_INSTRUCTION
from drupe.protocols.types import TYPES
from tests.fakes import anthropic, gemini, openai_chat, openai_responses
from tests.fakes.answer import Answer, FakeCall, Frames, count_words, split_chunks
from tests.fakes.faults import HTML_PAGE, Fault
from tests.fakes.server import DropConnection, Reply, Request, ServerThread

KINDS = tuple(TYPES)
"""Every provider type drupe knows, so the tests parametrised by kind cover each one: a new type
makes them fail until this fake speaks it too."""
DEFAULT_MODELS = ("fake-model", "fake-large", "org/fake model:q4.gguf")


@dataclass(frozen=True)
class Recorded:
    """One request the fake received; `path` is as sent, still percent-encoded."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: dict | None
    model: str


class FakeUpstream:
    """A fake provider of one `kind`. Start with `with` or `start()`; then use `base_url`.

    Every chat answers `text` (with `reasoning` first, if any), split into
    `chunks` equal pieces or one piece per word. `first_token_delay` seconds
    pass before the first piece and `delay` between pieces (0: as fast as
    possible). With `api_key` set (one key or several), other keys get the
    provider's own 401 (Gemini: 400/403, as Gemini does).
    With `tool_calls`, a chat request that offers tools is answered with those calls (and
    `tool_text` said before them) until the request carries `tool_rounds` rounds of tool
    results; then with `text` as usual. `tool_rounds=None`: calls every time (a model that loops).
    Title requests (drupe's title instruction in them) go to `title_requests`, untouched by
    `fault`: `title` after `title_delay` seconds, or a 404 when None (the first message stays).
    `reasoning_field` picks the OpenAI chat delta field: "reasoning_content"
    or "reasoning". `think_tags` sends the reasoning inside the text as
    `<think>…</think>` instead.
    """

    def __init__(
        self,
        kind: str = "openai",
        *,
        text: str = "Hello world",
        chunks: int | None = None,
        reasoning: str = "",
        reasoning_field: str = "reasoning_content",
        think_tags: bool = False,
        delay: float = 0.0,
        first_token_delay: float = 0.0,
        api_key: str | tuple[str, ...] | None = None,
        models: tuple[str, ...] = DEFAULT_MODELS,
        page_size: int = 2,
        fault: Fault | None = None,
        port: int = 0,
        tool_calls: tuple[FakeCall, ...] = (),
        tool_text: str = "",
        tool_rounds: int | None = 1,
        title: str | None = None,
        title_delay: float = 0.0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        self.kind = kind
        if think_tags and reasoning:
            text, reasoning = f"<think>{reasoning}</think>{text}", ""
        self.text_chunks = split_chunks(text, chunks)
        self.reasoning_chunks = split_chunks(reasoning, None)
        self.reasoning_field = reasoning_field
        self.delay = delay
        self.first_token_delay = first_token_delay
        self.api_keys = (api_key,) if isinstance(api_key, str) else api_key
        self.models = list(models)
        self.page_size = page_size
        self.fault = fault
        self.tool_calls = tool_calls
        self.tool_text_chunks = split_chunks(tool_text, None)
        self.tool_rounds = tool_rounds
        self.title = title
        self.title_delay = title_delay
        self.title_requests: list[Recorded] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ServerThread(self._handle, port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def connections(self) -> int:
        """Connections opened to this upstream so far."""
        return self._server.connections

    @property
    def open_connections(self) -> int:
        """Connections to this upstream that their client has not closed (see `ServerThread`)."""
        return self._server.open_connections

    def start(self) -> FakeUpstream:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Request handling -----------------------------------------------------------------

    async def _handle(self, request: Request) -> Reply:
        route, model = self._route(request)
        body = json.loads(request.body) if request.body else None
        model = model or (body or {}).get("model", "")
        recorded = Recorded(request.method, request.path, request.query, request.headers, body, model)
        if route is not None and TITLE_INSTRUCTION in json.dumps(_prompt(body), ensure_ascii=False):
            self.title_requests.append(recorded)
            return await self._title_reply(model, body or {})
        self.requests.append(recorded)
        if route is None:
            return self._error(404, f"Unknown path {request.path}")
        refused = self._refuse(request.headers)
        if refused is not None:
            return refused
        fault = self._take_fault()
        if fault is not None and fault.kind == "no_tools" and _offers_tools(self.kind, body or {}):
            return self._error(400, f"registry.ollama.ai/library/{model} does not support tools")
        if fault is not None and fault.kind == "echo":
            return self._error(400, f"Rejected request with headers {json.dumps(request.headers)}")
        if fault is not None and fault.kind in ("rate_limit", "server_error", "html"):
            return self._status_fault(fault)
        if fault is not None and fault.kind == "stall_drop" and route != "models":
            await asyncio.sleep(fault.seconds)
            return Reply(drop=True)
        if fault is not None and fault.kind == "huge_error":
            return Reply(400, {"content-type": "application/json"}, stream=self._huge_error(fault.size))
        if route == "models":
            return self._models(request.query)
        answer = self._answer(model, body or {})
        if fault is not None and fault.kind == "length":
            answer = replace(answer, text_chunks=answer.text_chunks[: fault.after_chunks or None], length=True)
        stream = route == "stream" or (route == "chat" and bool((body or {}).get("stream")))
        if not stream:
            return await self._whole(answer, fault)
        return Reply(
            200,
            {"content-type": "text/event-stream", "cache-control": "no-cache"},
            stream=self._stream(answer, fault, (body or {}).get("stream_options")),
        )

    async def _title_reply(self, model: str, body: dict) -> Reply:
        await asyncio.sleep(self.title_delay)
        if self.title is None:
            return self._error(404, "This fake gives no titles.")
        answer = Answer(model, split_chunks(self.title, None), (), count_words(_prompt(body)))
        return await self._whole(answer, None)

    def _answer(self, model: str, body: dict) -> Answer:
        """Tool calls while the request offers tools and has fewer rounds of results than
        `tool_rounds`; otherwise the text."""
        prompt_tokens = count_words(_prompt(body))
        if self.tool_calls and _offers_tools(self.kind, body):
            rounds = FORMATS[self.kind].tool_rounds(body)
            if self.tool_rounds is None or rounds < self.tool_rounds:
                return Answer(model, self.tool_text_chunks, (), prompt_tokens, self.tool_calls)
        return Answer(model, self.text_chunks, self.reasoning_chunks, prompt_tokens)

    def _route(self, request: Request) -> tuple[str | None, str]:
        """("chat" | "stream" | "once" | "models" | None, model named in the path)."""
        path = request.path
        if self.kind == "gemini":
            if path == "/v1beta/models" and request.method == "GET":
                return "models", ""
            if path.startswith("/v1beta/models/") and request.method == "POST":
                model, _, method = path.removeprefix("/v1beta/models/").rpartition(":")
                kinds = {"streamGenerateContent": "stream", "generateContent": "once"}
                return kinds.get(method), unquote(model)
            return None, ""
        if self.kind == "azure-openai":
            versioned = bool(request.query.get("api-version"))
            if path == "/openai/v1/chat/completions":
                return "chat", ""
            if path == "/openai/v1/models" or (path == "/openai/models" and versioned):
                return "models", ""
            parts = path.split("/")
            if len(parts) == 6 and parts[1:3] == ["openai", "deployments"] and parts[4:] == ["chat", "completions"]:
                return ("chat" if versioned else None), unquote(parts[3])
            return None, ""
        chat_path = {"openai": "/v1/chat/completions", "openai-response": "/v1/responses", "anthropic": "/v1/messages"}
        if path == chat_path[self.kind] and request.method == "POST":
            return "chat", ""
        if path == "/v1/models" and request.method == "GET":
            return "models", ""
        return None, ""

    def _refuse(self, headers: dict[str, str]) -> Reply | None:
        if self.api_keys is None:
            return None
        if self.kind == "anthropic":
            key = headers.get("x-api-key")
        elif self.kind == "gemini":
            key = headers.get("x-goog-api-key")
        elif self.kind == "azure-openai":
            key = headers.get("api-key")
        else:
            key = headers.get("authorization", "").removeprefix("Bearer ") or None
        if key in self.api_keys:
            return None
        if self.kind == "gemini":
            if key:
                return _json_reply(400, gemini.bad_key_error())
            return self._error(403, "Method doesn't allow unregistered callers. Please use API Key.")
        messages = {"anthropic": "invalid x-api-key", "azure-openai": "Access denied due to invalid subscription key."}
        default = "Incorrect API key provided." if key else "You didn't provide an API key."
        return self._error(401, messages.get(self.kind, default))

    def _take_fault(self) -> Fault | None:
        with self._lock:
            fault = self.fault
            if fault is None or fault.times == 0:
                return None
            if fault.times is not None:
                fault.times -= 1
            return fault

    def _status_fault(self, fault: Fault) -> Reply:
        if fault.kind == "html":
            return Reply(fault.status, {"content-type": "text/html"}, HTML_PAGE.encode())
        if fault.kind == "rate_limit":
            reply = self._error(429, "Rate limit reached. Please try again later.")
            if fault.retry_after is not None:
                reply.headers["retry-after"] = f"{fault.retry_after:g}"
            return reply
        return self._error(500, "The server had an error while processing your request.")

    def _error(self, status: int, message: str) -> Reply:
        shape = {"anthropic": anthropic.error, "gemini": gemini.error}.get(self.kind, openai_chat.error)
        return _json_reply(status, shape(status, message))

    async def _huge_error(self, size: int) -> AsyncIterator[bytes]:
        """This kind's error shape around a message of about `size` bytes, made piece by piece:
        a sentence, then JSON quoted in it with no spaces (what slow text scans choke on)."""
        shape = {"anthropic": anthropic.error, "gemini": gemini.error}.get(self.kind, openai_chat.error)
        head, _, tail = json.dumps(shape(400, "\0")).partition("\\u0000")
        yield head.encode() + b"Invalid request: "
        unit = json.dumps('{"field":"messages[0]","why":"too_long"}')[1:-1].encode()
        units = max(size - 17, 0) // len(unit)
        piece = unit * 2048
        for _ in range(units // 2048):
            yield piece
        yield unit * (units % 2048) + tail.encode()

    def _models(self, query: dict[str, str]) -> Reply:
        if self.kind == "anthropic":
            limit = min(int(query.get("limit", 20)), self.page_size)
            return _json_reply(200, anthropic.models(self.models, query.get("after_id"), limit))
        if self.kind == "gemini":
            size = min(int(query.get("pageSize", 50)), self.page_size)
            return _json_reply(200, gemini.models(self.models, query.get("pageToken"), size))
        return _json_reply(200, openai_chat.models(self.models))

    async def _whole(self, answer: Answer, fault: Fault | None) -> Reply:
        if fault is not None and fault.kind == "drop":
            return Reply(drop=True)
        if fault is not None and fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "malformed":
            return Reply(200, {"content-type": "application/json"}, b'{"id": "broken", ')
        if fault is not None and fault.kind in ("no_finish", "cut_off"):
            return _json_reply(200, _without_finish(self.kind, self._body(answer)))
        return _json_reply(200, self._body(answer))

    def _body(self, answer: Answer) -> dict:
        if self.kind == "openai-response":
            return openai_responses.body(answer)
        if self.kind == "anthropic":
            return anthropic.body(answer)
        if self.kind == "gemini":
            return gemini.body(answer)
        return openai_chat.body(answer, self.reasoning_field)

    def _frames(self, answer: Answer, include_usage: bool) -> Frames:
        if self.kind == "openai-response":
            return openai_responses.frames(answer)
        if self.kind == "anthropic":
            return anthropic.frames(answer)
        if self.kind == "gemini":
            return gemini.frames(answer)
        return openai_chat.frames(answer, self.reasoning_field, include_usage)

    async def _stream(self, answer: Answer, fault: Fault | None, stream_options: dict | None) -> AsyncIterator[bytes]:
        frames = self._frames(answer, bool((stream_options or {}).get("include_usage")))
        for frame in frames.start:
            yield frame
        stream_fault = (
            fault
            if fault is not None and fault.kind in ("drop", "malformed", "stall", "big_event", "cut_off")
            else None
        )
        pings = fault is not None and fault.kind == "ping"
        content = frames.content
        if fault is not None and fault.kind == "endless":
            chunks = list(content)
            content = (chunks[i % len(chunks)] for i in itertools.count())
        for index, frame in enumerate(content):
            if stream_fault is not None and index == stream_fault.after_chunks:
                if stream_fault.kind == "cut_off":
                    return
                if stream_fault.kind == "drop":
                    raise DropConnection
                if stream_fault.kind == "stall":
                    await asyncio.sleep(stream_fault.seconds)
                if stream_fault.kind == "malformed":
                    frame = frames.broken
                if stream_fault.kind == "big_event":
                    frame = b'data: {"padding": "' + b"x" * stream_fault.size + b'"}\n\n'
            pause = self.first_token_delay if index == 0 else self.delay
            if pause:
                await asyncio.sleep(pause)
            if pings:
                frame = PING_FRAMES + frame
            yield frame
        if (
            stream_fault is not None
            and stream_fault.kind == "drop"
            and stream_fault.after_chunks >= answer.output_tokens
        ):
            raise DropConnection
        if fault is not None and fault.kind in ("no_finish", "cut_off"):
            return
        for frame in frames.end:
            yield frame


PING_FRAMES = b"event: ping\n\n: keep-alive\n\ndata:\n\n"
"""Events without data, which the SSE spec says not to dispatch."""


def _without_finish(kind: str, body: dict) -> dict:
    """A whole answer with its finish reason taken out, each kind in its own way."""
    if kind == "anthropic":
        body["stop_reason"] = None
    elif kind == "gemini":
        body["candidates"][0].pop("finishReason")
    elif kind == "openai-response":
        body["status"] = "in_progress"
    else:
        body["choices"][0]["finish_reason"] = None
    return body


FORMATS = {
    "openai": openai_chat,
    "azure-openai": openai_chat,
    "openai-response": openai_responses,
    "anthropic": anthropic,
    "gemini": gemini,
}
"""Each kind's wire-format module (the tool-call helpers are looked up here)."""


def _offers_tools(kind: str, body: dict) -> bool:
    return bool(body.get("tools"))


def _json_reply(status: int, data: dict) -> Reply:
    return Reply(status, {"content-type": "application/json"}, json.dumps(data).encode())


def _prompt(body: dict | None) -> list:
    body = body or {}
    return [body.get(name) for name in ("messages", "input", "contents", "system", "instructions", "systemInstruction")]


def main(argv: list[str] | None = None) -> None:
    """Serve one fake until interrupted, printing its base URL first (for benchmarks and poking)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=KINDS, default="openai")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--text", default="Hello world")
    parser.add_argument("--chunks", type=int, default=None)
    parser.add_argument("--reasoning", default="")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--api-key", default=None)
    parser.add_argument(
        "--tool-call", action="append", default=[], metavar="NAME=JSON",
        help="answer a request offering tools with this call first (repeatable: parallel calls)",
    )  # fmt: skip
    parser.add_argument("--tool-text", default="", help="text said before the tool calls")
    args = parser.parse_args(argv)
    calls = tuple(FakeCall(*spec.split("=", 1)) for spec in args.tool_call)
    upstream = FakeUpstream(
        args.kind,
        text=args.text,
        chunks=args.chunks,
        reasoning=args.reasoning,
        delay=args.delay,
        first_token_delay=args.first_token_delay,
        api_key=args.api_key,
        port=args.port,
        tool_calls=calls,
        tool_text=args.tool_text,
    )
    with upstream:
        print(upstream.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

"""How to add a provider type, shown by adding one: a sixth type in one class, used for real.

"Echo" is a made-up JSON API, small enough to read in one go (CONTRIBUTING.md, "Adding a
provider type", walks through it). Everything a type needs is in `EchoType` below; the rest
of drupe (client, validation, the store's registry, `/api/meta` and so the web form; the
CLI's `--type` help for a built-in type) learns it from the type registry. A real new type (native Ollama, AWS
Bedrock…) is this class in `src/drupe/protocols/<name>.py`, one line in `types.BUILT_IN`,
and its tests: a fake in `tests/fakes`, which the tests parametrised by kind then cover.

The Echo API, served by `echo_server` on 127.0.0.1:

    POST /v1/echo     {"model": M, "say": TEXT, "stream": BOOL}, key in `x-echo-key`
        stream false: {"reply": TEXT, "words": N, "end": "done" | "cut"}
        stream true:  SSE `data: {"piece": WORD}` per word, then `data: {"end": "done", "words": N}`
    GET  /v1/models   {"names": [M, ...]}
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi.testclient import TestClient

from drupe.errors import DrupeError, ProviderError
from drupe.protocols.base import (
    ChatRequest,
    Endpoint,
    Event,
    Finish,
    Message,
    RemoteModel,
    StopReason,
    TextDelta,
    Usage,
)
from drupe.protocols.client import (
    check_key,
    complete_chat,
    fold,
    list_models,
    stream_chat,
)
from drupe.protocols.contract import ProviderType
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.types import TYPES, register_type
from drupe.protocols.wire import (
    StreamParser,
    WireRequest,
    count_field,
    final_body,
    load_json,
    stop_reason,
)
from tests.fakes.server import Reply, Request, ServerThread

KEY = "echo-key-0123456789"

# ---- The new type: everything drupe needs to know about the Echo API. ---------------------

ENDS: dict[str, StopReason] = {"done": "stop", "cut": "length"}
"""Echo's reasons for ending, in drupe's vocabulary (`StopReason`)."""


class EchoParser(StreamParser):
    """One streamed answer: each event is a JSON object with a `piece` of text or the `end`."""

    def feed(self, event: str, data: str) -> list[Event]:
        payload = load_json(data)  # malformed JSON becomes a `bad_response` ProviderError
        if "error" in payload:
            raise error_from_payload(payload)
        if "end" in payload:
            self.finish = stop_reason(payload["end"], ENDS)
            self.usage = Usage(None, count_field(payload, "words"))
            return []
        piece = payload.get("piece")
        return [TextDelta(piece)] if isinstance(piece, str) and piece else []


class EchoType(ProviderType):
    id = "echo"
    label = "Echo"
    official_base_url = "https://echo.invalid"  # used when a provider gives no address
    chat_path = "echo"  # after the version segment: https://echo.invalid/v1/echo
    Parser = EchoParser

    def auth_headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        return {"x-echo-key": key} if key else {}

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        body = {"model": request.model, "say": request.messages[-1].text(), "stream": stream}
        url = self.chat_url(endpoint, request.model, stream)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def parse_response(self, data: dict) -> list[Event]:
        if "error" in data:
            raise error_from_payload(data)
        reply = data.get("reply")
        events: list[Event] = [TextDelta(reply)] if isinstance(reply, str) and reply else []
        events.append(Usage(None, count_field(data, "words")))
        if "end" in data:  # no Finish when the server did not say: the client reports `cut_off`
            events.append(Finish(stop_reason(data["end"], ENDS)))
        return events

    def build_models(self, endpoint: Endpoint, key: str | None, cursor: str | None = None) -> WireRequest:
        return WireRequest(self.models_url(endpoint), self.headers(endpoint, key), method="GET")

    def parse_models(self, data: dict) -> tuple[list[RemoteModel], str | None]:
        names = data.get("names")
        return [RemoteModel(name) for name in names if isinstance(name, str)] if isinstance(names, list) else [], None


# ---- Its fake server, and its registration for the tests of this file. --------------------


class EchoServer:
    """The Echo API on a real socket: echoes what it was asked to say, word by word."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.thread = ServerThread(self.handle)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.thread.port}"

    async def handle(self, request: Request) -> Reply:
        self.requests.append(request)
        if request.headers.get("x-echo-key") != KEY:
            return _json(401, {"error": {"message": "Unknown echo key", "type": "authentication_error"}})
        if request.method == "GET" and request.target == "/v1/models":
            return _json(200, {"names": ["echo-1", "echo-2"]})
        if request.method == "POST" and request.target == "/v1/echo":
            body = json.loads(request.body)
            words = [f"{word} " for word in body["say"].split()]
            if body["stream"]:
                return Reply(headers={"content-type": "text/event-stream"}, stream=_sse(words))
            return _json(200, {"reply": "".join(words), "words": len(words), "end": "done"})
        return _json(404, {"error": {"message": f"No route {request.target}"}})


async def _sse(words: list[str]) -> AsyncIterator[bytes]:
    for word in words:
        yield f"data: {json.dumps({'piece': word})}\n\n".encode()
    yield f"data: {json.dumps({'end': 'done', 'words': len(words)})}\n\n".encode()


def _json(status: int, data: dict) -> Reply:
    return Reply(status, {"content-type": "application/json"}, json.dumps(data).encode())


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    """The Echo type registered (as a plugin would) and its server running; both undone after."""
    register_type(EchoType())
    server = EchoServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.thread.stop()
        del TYPES["echo"]


def endpoint(server: EchoServer, key: str = KEY) -> Endpoint:
    return Endpoint(type="echo", base_url=server.base_url, api_keys=(key,), timeout=10)


REQUEST = ChatRequest("echo-1", (Message("user", "hello new type"),))


# ---- It works everywhere, through code that has never heard of it. ------------------------


def test_a_new_type_streams_answers_through_the_client(echo):
    async def run() -> list[Event]:
        return [event async for event in stream_chat(endpoint(echo), REQUEST)]

    events = asyncio.run(run())
    assert fold(events).text == "hello new type "
    assert [e for e in events if isinstance(e, (Usage, Finish))] == [Usage(None, 3), Finish("stop")]
    sent = echo.requests[-1]
    assert sent.target == "/v1/echo" and sent.headers["x-echo-key"] == KEY  # its URL and auth header
    assert json.loads(sent.body) == {"model": "echo-1", "say": "hello new type", "stream": True}


def test_a_new_type_answers_whole_lists_models_and_checks_keys(echo):
    result = asyncio.run(complete_chat(endpoint(echo), REQUEST))
    assert (result.text, result.output_tokens, result.finish_reason) == ("hello new type ", 3, "stop")
    assert [m.id for m in asyncio.run(list_models(endpoint(echo)))] == ["echo-1", "echo-2"]
    assert asyncio.run(check_key(endpoint(echo), "echo-1", KEY)).ok
    refused = asyncio.run(check_key(endpoint(echo), "echo-1", "wrong-key-0000")).error
    assert isinstance(refused, ProviderError) and refused.kind == "auth"  # its error payload, read by drupe


def test_a_new_type_is_offered_wherever_types_are_listed(echo):
    from drupe.protocols.base import PROVIDER_TYPES, TYPE_LABELS
    from drupe.protocols.urls import resolve_url
    from drupe.registry import Registry
    from drupe.store import open_store
    from drupe.web.app import create_app

    assert PROVIDER_TYPES[-1] == "echo" and TYPE_LABELS["echo"] == "Echo"
    # The one set of URL rules: the official address, an address as typed (`#`), its model list.
    assert resolve_url("echo", "", "chat") == "https://echo.invalid/v1/echo"
    assert resolve_url("echo", "http://h/api/echo#", "chat") == "http://h/api/echo"
    assert resolve_url("echo", "http://h/api/echo#", "models") == "http://h/api/models"
    provider = Registry(open_store()).add_provider("Mine", "echo", base_url=echo.base_url, api_keys=[KEY])
    assert provider.type == "echo"
    web = TestClient(create_app(), base_url="http://127.0.0.1:8765")
    entry = next(t for t in web.get("/api/meta").json()["types"] if t["id"] == "echo")
    assert entry["label"] == "Echo" and entry["fields"] == []  # the web form's type menu and fields


def test_a_type_missing_part_of_the_contract_cannot_be_registered():
    class Incomplete(ProviderType):
        id = "incomplete"
        label = "Incomplete"

    with pytest.raises(TypeError, match="abstract"):
        register_type(Incomplete())  # type: ignore[abstract]
    with pytest.raises(TypeError, match="ProviderType"):
        register_type(object())  # type: ignore[arg-type]
    assert "incomplete" not in TYPES


def test_once_unregistered_a_type_is_unknown_again(echo):
    del TYPES["echo"]
    try:
        with pytest.raises(DrupeError, match="Unknown provider type 'echo'"):
            asyncio.run(complete_chat(endpoint(echo), REQUEST))
    finally:
        register_type(EchoType())  # for the fixture to remove

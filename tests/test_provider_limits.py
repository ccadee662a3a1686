"""A hostile or broken provider against the client, on real sockets: what it sends is bounded,
read in linear time, and every answer says why it ended."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import drupe
from drupe.errors import ProviderError
from drupe.hints import HINTS, error_kind, hint
from drupe.protocols import client
from drupe.protocols.base import ChatRequest, Endpoint, Finish, Message, TextDelta, Usage
from drupe.protocols.client import RetryPolicy, check_key, complete_chat, fold, list_models, stream_chat
from drupe.protocols.limits import DEFAULT_LIMITS, MIB
from drupe.protocols.types import TYPES
from tests.fakes.server import Reply, ServerThread
from tests.fakes.upstream import KINDS, Fault

REQUEST = ChatRequest(model="fake-model", messages=(Message("user", "Say hello"),))


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(client, "RETRY", RetryPolicy(max_retries=2, base_delay=0.01))


def endpoint(up, kind=None, limits=None, **fields) -> Endpoint:
    fields.setdefault("timeout", 10.0)
    return Endpoint(type=kind or up.kind, base_url=up.base_url, limits=DEFAULT_LIMITS.with_overrides(limits), **fields)


def stream(ep) -> list:
    async def collect():
        return [event async for event in stream_chat(ep, REQUEST)]

    return asyncio.run(collect())


def failure(run) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        run()
    return caught.value


CALLS = {
    "stream": lambda ep: stream(ep),
    "complete": lambda ep: asyncio.run(complete_chat(ep, REQUEST)),
    "models": lambda ep: asyncio.run(list_models(ep)),
}


# Error bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
@pytest.mark.parametrize("call", list(CALLS))
def test_a_100_mb_error_is_read_only_up_to_its_cap_and_clipped(fake_upstream, kind, call):
    up = fake_upstream(kind, fault=Fault("huge_error", size=100 * MIB))
    started = time.perf_counter()
    error = failure(lambda: CALLS[call](endpoint(up)))
    assert time.perf_counter() - started < 3  # reading 100 MB would take far longer
    assert (error.kind, error.status) == ("bad_response", 400)
    assert error.message.startswith('Invalid request: {"field":"messages[0]"')  # the words, not the raw JSON body
    assert len(error.message) <= DEFAULT_LIMITS.error_chars and error.message.endswith("the rest was not read]")
    assert len(up.requests) == 1


def test_a_60_kb_error_message_is_clipped_to_error_chars(fake_upstream):
    up = fake_upstream("openai", fault=Fault("huge_error", size=60_000))
    error = failure(lambda: stream(endpoint(up)))
    assert error.message.startswith("Invalid request:") and "more characters not shown" in error.message
    assert len(error.message) < DEFAULT_LIMITS.error_chars + 50
    assert "rest was not read" not in error.message
    small = failure(
        lambda: stream(
            endpoint(fake_upstream("openai", fault=Fault("huge_error", size=60_000)), limits={"error_chars": 100})
        )
    )
    assert len(small.message) < 160


def test_the_hint_for_a_60_kb_error_comes_at_once(fake_upstream):
    up = fake_upstream("openai", fault=Fault("huge_error", size=60_000))
    result = asyncio.run(check_key(endpoint(up), "fake-model", None))
    started = time.perf_counter()
    assert "provider type" in hint(result.error, "fake-model")
    assert time.perf_counter() - started < 0.05
    result.error.message = result.error.message * 20  # as if it had not been clipped
    started = time.perf_counter()
    assert "provider type" in hint(result.error, "fake-model")
    assert time.perf_counter() - started < 0.05


def test_the_error_hint_is_linear_in_the_message():
    """10 MB of provider text, in a child process: a quadratic scan never returns, so it is timed out."""
    code = (
        "import time; from drupe.errors import ProviderError; from drupe.hints import error_kind, hint\n"
        "words = 'Invalid /v1/x model ' * 500_000 + 'a' * 4_000_000\n"
        "for message in (words, 'x' * 10_000_000, 'a/' * 5_000_000):\n"
        "    error = ProviderError('not_found', message)\n"
        "    started = time.perf_counter(); error_kind(error, 'm'); hint(error, 'm')\n"
        "    print(time.perf_counter() - started)\n"
    )
    env = {"PYTHONPATH": str(Path(drupe.__file__).resolve().parent.parent)}  # the drupe under test
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    assert all(float(seconds) < 0.5 for seconds in done.stdout.split()), done.stdout


# Whole bodies and events -------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["complete", "models"])
def test_a_json_body_over_response_bytes_is_a_bad_response_naming_the_limit(fake_upstream, call):
    up = fake_upstream("openai", text="word " * 5000, models=tuple(f"model-{i}" for i in range(2000)))
    error = failure(lambda: CALLS[call](endpoint(up, limits={"response_bytes": 16 * 1024})))
    assert error.kind == "bad_response" and "response_bytes limit (16 KiB)" in error.message
    assert len(up.requests) == 1
    assert CALLS[call](endpoint(up))  # under the default cap it is fine


def test_an_event_of_several_mib_is_read(fake_upstream):
    text = "x" * (3 * MIB)
    up = fake_upstream("openai", text=text, chunks=1)
    assert fold(stream(endpoint(up))).text == text


@pytest.mark.parametrize("kind", KINDS)
def test_an_event_over_event_bytes_is_a_bad_response_not_retried(fake_upstream, kind):
    up = fake_upstream(kind, text="one two", fault=Fault("big_event", after_chunks=0, size=200 * 1024))
    error = failure(lambda: stream(endpoint(up, limits={"event_bytes": 64 * 1024})))
    assert error.kind == "bad_response" and "event_bytes limit (64 KiB)" in error.message
    assert error_kind(error) == "over_limit" and "its event_bytes limit" in hint(error)
    assert len(up.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_events_without_data_are_skipped(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three", fault=Fault("ping"))
    result = fold(stream(endpoint(up)))
    assert (result.text, result.finish_reason) == ("one two three", "stop")


# Why an answer ended -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_stream_ends_with_exactly_one_finish(fake_upstream, kind):
    up = fake_upstream(kind, text="one two")
    finishes = [e for e in stream(endpoint(up)) if isinstance(e, Finish)]
    assert finishes == [Finish("stop")]


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_ended_without_a_finish_is_cut_off(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three", fault=Fault("no_finish"))
    events = stream(endpoint(up))
    assert [e for e in events if isinstance(e, Finish)] == [Finish("cut_off")]
    assert fold(events).text == "one two three"


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_answer_without_a_finish_reason_is_cut_off(fake_upstream, kind):
    up = fake_upstream(kind, text="one two", fault=Fault("no_finish"))
    result = asyncio.run(complete_chat(endpoint(up), REQUEST))
    assert (result.text, result.finish_reason) == ("one two", "cut_off")


@pytest.mark.parametrize("kind", KINDS)
def test_a_drop_mid_stream_is_its_own_kind_with_its_own_hint(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three four", fault=Fault("drop", after_chunks=2))
    seen = []

    async def consume():
        async for event in stream_chat(endpoint(up), REQUEST):
            seen.append(event)

    error = failure(lambda: asyncio.run(consume()))
    assert error.kind == "dropped"
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == "one two"
    assert "Nothing is listening" not in hint(error) and "closed the connection" in hint(error)
    assert "Nothing is listening" not in HINTS["dropped"].text


# Time -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["stream", "complete"])
def test_all_tries_together_stay_within_the_timeout(fake_upstream, call):
    up = fake_upstream("openai", fault=Fault("stall_drop", seconds=1.0))
    started = time.perf_counter()
    error = failure(lambda: CALLS[call](endpoint(up, timeout=1.5)))
    elapsed = time.perf_counter() - started
    assert elapsed < 2.2  # three tries of a 1 s stall each would be over 3 s
    assert error.kind in ("timeout", "dropped")
    assert "gave up after" in error.message and "timeout of 1.5 s" in error.message


def test_a_timeout_says_how_long_it_waited(fake_upstream):
    up = fake_upstream("openai", fault=Fault("stall", seconds=10))
    error = failure(lambda: stream(endpoint(up, timeout=0.3)))
    assert error.kind == "timeout" and "0.3 s" in error.message and "ReadTimeout" in error.message


def test_a_whole_answer_trickled_past_the_timeout_is_stopped():
    """Each piece comes before the read timeout would fire, but the whole answer not within it."""

    async def trickle():
        yield b'{"choices": [{"message": {"content": "'
        for _ in range(50):
            await asyncio.sleep(0.1)
            yield b"x"

    async def handler(request):
        return Reply(200, {"content-type": "application/json"}, stream=trickle())

    server = ServerThread(handler)
    server.start()
    try:
        ep = Endpoint(type="openai", base_url=f"http://127.0.0.1:{server.port}", timeout=0.5)
        started = time.perf_counter()
        error = failure(lambda: CALLS["complete"](ep))
    finally:
        server.stop()
    assert error.kind == "timeout" and "0.5 s" in error.message
    assert time.perf_counter() - started < 1.5


def test_a_huge_error_through_the_web_check_is_small_and_quick(fake_upstream):
    from fastapi.testclient import TestClient

    from drupe.web.app import create_app

    up = fake_upstream("openai", fault=Fault("huge_error", size=100 * MIB))
    web = TestClient(create_app(), base_url="http://127.0.0.1:8765")
    provider = web.post("/api/providers", json={"name": "Huge", "type": "openai", "base_url": up.base_url}).json()
    started = time.perf_counter()
    response = web.post(f"/api/providers/{provider['id']}/check", json={"model": "fake-model"})
    assert time.perf_counter() - started < 3
    [result] = response.json()["results"]
    assert result["error"]["kind"] == "bad_response" and result["error"]["hint"]
    assert len(response.content) < 2 * DEFAULT_LIMITS.error_chars + 2000
    models = web.get(f"/api/providers/{provider['id']}/remote-models")
    assert models.status_code == 502 and len(models.content) < 2 * DEFAULT_LIMITS.error_chars + 2000
    json.loads(models.content)


def test_a_retry_that_cannot_fit_in_the_timeout_is_not_waited_for():
    attempts = client.Attempts((None,), RetryPolicy(), timeout=1.0)
    started = time.perf_counter()
    with pytest.raises(ProviderError) as caught:
        attempts.after(ProviderError("rate_limit", "Slow down", retry_after=5))
    assert time.perf_counter() - started < 0.1
    assert caught.value.message.startswith("Slow down (gave up after") and "timeout of 1 s" in caught.value.message
    assert client.Attempts((None,), RetryPolicy(), timeout=10.0).after(ProviderError("dropped", "cut")) == 0.5


def test_a_hostile_model_list_is_cut_and_its_junk_left_out():
    junk = [
        {"id": 7},
        {"id": "x" * 100_000},
        {"id": ""},
        "not an object",
        {"id": "ok", "name": {"a": 1}, "context_length": "huge"},
    ]

    async def handler(request):
        models = junk + [{"id": f"m-{i}"} for i in range(30_000)]
        return Reply(200, {"content-type": "application/json"}, json.dumps({"data": models}).encode())

    server = ServerThread(handler)
    server.start()
    try:
        ep = Endpoint(type="openai", base_url=f"http://127.0.0.1:{server.port}", timeout=10)
        models = asyncio.run(list_models(ep))
    finally:
        server.stop()
    assert len(models) == client.MAX_MODELS
    assert models[0].id == "ok" and models[0].name == "" and models[0].context_window is None
    assert all(isinstance(m.id, str) and 0 < len(m.id) <= 512 for m in models)


def test_junk_in_anthropic_and_gemini_model_pages_is_left_out():
    anthropic, gemini = TYPES["anthropic"], TYPES["gemini"]

    page = {"data": [{"id": ["x"]}, {"id": "claude-x", "display_name": 3}], "has_more": True, "last_id": {"x": 1}}
    assert anthropic.parse_models(page) == ([client.RemoteModel("claude-x")], None)
    page = {
        "models": [
            {"name": 5},
            {"name": "models/g", "supportedGenerationMethods": "x", "inputTokenLimit": True},
            {"name": "models/h", "inputTokenLimit": 10},
        ],
        "nextPageToken": 9,
    }
    assert gemini.parse_models(page) == ([client.RemoteModel("h", context_window=10)], None)


def test_no_stream_against_a_provider_that_stalls_then_drops_stops_at_its_timeout(fake_upstream):
    """`drupe chat --no-stream`, end to end: one wait bounded by the provider's timeout, and it says so."""
    from drupe.registry import Registry
    from drupe.store import open_store
    from tests.cli_helpers import run_drupe

    up = fake_upstream("openai", fault=Fault("stall_drop", seconds=1.5))
    registry = Registry(open_store())
    registry.add_provider("stally", "openai", base_url=up.base_url, timeout=2)
    registry.add_model("stally", "fake-model")
    started = time.perf_counter()
    result = run_drupe("chat", "--no-stream", "Hi")
    assert result.returncode == 1 and time.perf_counter() - started < 5  # was 3 tries of 1.5 s and more
    assert "gave up after" in result.stderr and "timeout of 2 s" in result.stderr


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("openai", {"choices": [1]}),
        ("openai", {"choices": [{"delta": {"content": "x"}}], "usage": "lots"}),
        ("anthropic", {"type": "content_block_delta", "delta": ["x"]}),
        ("gemini", {"candidates": [{"content": {"parts": "x"}}]}),
        ("openai-response", {"type": "response.completed", "response": {"usage": [1]}}),
    ],
)
def test_json_in_the_wrong_shape_is_a_bad_response_not_a_crash(kind, payload):
    async def frames():
        yield b"data: " + json.dumps(payload).encode() + b"\n\n"

    async def handler(request):
        if request.method == "GET":
            return Reply(
                200, {"content-type": "application/json"}, json.dumps({"data": 5, "models": {"a": 1}}).encode()
            )
        return Reply(200, {"content-type": "text/event-stream"}, stream=frames())

    server = ServerThread(handler)
    server.start()
    try:
        ep = Endpoint(type=kind, base_url=f"http://127.0.0.1:{server.port}", timeout=10)
        error = failure(lambda: stream(ep))
        assert asyncio.run(list_models(ep)) == []
    finally:
        server.stop()
    assert error.kind == "bad_response" and "not in the shape its API documents" in error.message


def test_fields_of_the_wrong_type_are_ignored():
    openai_chat, openai_responses, anthropic, gemini = (
        TYPES[t] for t in ("openai", "openai-response", "anthropic", "gemini")
    )

    assert openai_chat.parse_response(
        {
            "choices": [{"message": {"content": "x"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": "3", "completion_tokens": 2},
        }
    )[1] == Usage(None, 2)
    events = anthropic.parse_response({"content": [{"type": "text", "text": 5}], "usage": {"output_tokens": "9"}})
    assert events == [Usage(None, None)]
    assert gemini.parse_response(
        {
            "candidates": [{"content": {"parts": [{"text": ["x"]}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": "1"},
        }
    ) == [Usage(None, None), Finish("stop")]
    assert openai_responses.Parser().feed("", json.dumps({"type": "response.output_text.delta", "delta": 3})) == []

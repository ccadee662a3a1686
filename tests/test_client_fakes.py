"""The client against fake providers on real sockets: every type, every fault."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from drupe.errors import DrupeError, ProviderError
from drupe.protocols import client
from drupe.protocols.base import ChatRequest, Endpoint, Finish, Message, Metrics, ReasoningDelta, TextDelta, Usage
from drupe.protocols.client import RetryPolicy, check_key, complete_chat, fold, list_models, stream_chat
from tests.fakes.upstream import DEFAULT_MODELS, KINDS, Fault

MODEL = "org/fake model:q4.gguf"
REQUEST = ChatRequest(model=MODEL, messages=(Message("system", "Be brief."), Message("user", "Say hello")))
KEY = "sk-test-0123456789"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(client, "RETRY", RetryPolicy(max_retries=2, base_delay=0.01))


def endpoint(up, kind=None, **fields) -> Endpoint:
    fields.setdefault("api_keys", (KEY,))
    fields.setdefault("timeout", 5.0)
    return Endpoint(type=kind or up.kind, base_url=up.base_url, **fields)


def stream(ep, request=REQUEST) -> list:
    async def collect():
        return [event async for event in stream_chat(ep, request)]

    return asyncio.run(collect())


def failure(coroutine_or_events) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        if asyncio.iscoroutine(coroutine_or_events):
            asyncio.run(coroutine_or_events)
        else:
            coroutine_or_events()
    assert KEY not in str(caught.value) and KEY not in caught.value.url
    return caught.value


# Every type, working ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_chat(fake_upstream, kind):
    up = fake_upstream(kind, text="Hello there, world", reasoning="Thinking it over", api_key=KEY)
    events = stream(endpoint(up))
    assert isinstance(events[-1], Metrics) and not any(isinstance(e, Metrics) for e in events[:-1])
    result = fold(events)
    assert (result.text, result.reasoning, result.finish_reason) == ("Hello there, world", "Thinking it over", "stop")
    assert result.output_tokens == 6 and result.input_tokens > 0
    assert result.time_to_first_token_ms > 0
    assert up.requests[-1].model == MODEL


@pytest.mark.parametrize("kind", KINDS)
def test_complete_chat_is_not_streamed(fake_upstream, kind):
    up = fake_upstream(kind, text="Hello there", reasoning="Hmm", api_key=KEY)
    result = asyncio.run(complete_chat(endpoint(up), REQUEST))
    assert (result.text, result.reasoning, result.finish_reason, result.output_tokens) == (
        "Hello there",
        "Hmm",
        "stop",
        3,
    )
    sent = up.requests[-1]
    assert sent.json.get("stream") in (False, None) and "streamGenerateContent" not in sent.path


@pytest.mark.parametrize("kind", KINDS)
def test_model_list_follows_pagination(fake_upstream, kind):
    up = fake_upstream(kind, api_key=KEY, page_size=2)
    models = asyncio.run(list_models(endpoint(up)))
    assert [m.id for m in models] == list(DEFAULT_MODELS)
    pages = len(up.requests)
    assert pages == (2 if kind in ("anthropic", "gemini") else 1)
    if kind == "anthropic":
        assert up.requests[1].query["after_id"] == "fake-large"
    if kind == "gemini":
        assert up.requests[1].query["pageToken"] == "2"


@pytest.mark.parametrize("kind", KINDS)
def test_check_key(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three four", api_key=KEY, delay=0.01)
    good = asyncio.run(check_key(endpoint(up), MODEL, KEY))
    assert good.ok and good.latency_ms > 0 and good.error is None
    bad = asyncio.run(check_key(endpoint(up), MODEL, "sk-wrong"))
    assert not bad.ok and bad.error.kind == "auth" and "sk-wrong" not in str(bad.error)
    assert len(up.requests) == 2, "a refused check is not retried"


@pytest.mark.parametrize(
    ("kind", "header", "value"),
    [
        ("openai", "authorization", f"Bearer {KEY}"),
        ("openai-response", "authorization", f"Bearer {KEY}"),
        ("anthropic", "x-api-key", KEY),
        ("gemini", "x-goog-api-key", KEY),
        ("azure-openai", "api-key", KEY),
    ],
)
def test_each_type_sends_its_key_in_its_header_only(fake_upstream, kind, header, value):
    up = fake_upstream(kind)
    stream(endpoint(up, headers={"x-extra": "1"}))
    sent = up.requests[-1]
    assert sent.headers[header] == value and sent.headers["x-extra"] == "1"
    assert KEY not in sent.path and KEY not in str(sent.query)
    if kind == "anthropic":
        assert sent.headers["anthropic-version"] == "2023-06-01"


def test_no_key_sends_no_authorization(fake_upstream):
    up = fake_upstream("openai")
    stream(endpoint(up, api_keys=()))
    assert "authorization" not in up.requests[-1].headers


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_key_is_an_auth_error_with_the_provider_message(fake_upstream, kind):
    up = fake_upstream(kind, api_key="sk-right")
    error = failure(lambda: stream(endpoint(up)))
    assert error.kind == "auth"
    expected = {"anthropic": "invalid x-api-key", "gemini": "API key not valid", "azure-openai": "Access denied"}
    assert expected.get(kind, "Incorrect API key") in error.message


def test_model_ids_are_escaped_in_gemini_and_azure_paths(fake_upstream):
    gem = fake_upstream("gemini")
    stream(endpoint(gem))
    assert gem.requests[-1].path == "/v1beta/models/org%2Ffake%20model%3Aq4.gguf:streamGenerateContent"
    assert gem.requests[-1].query == {"alt": "sse"}
    azure = fake_upstream("azure-openai")
    stream(endpoint(azure, api_version="2024-10-21"))
    assert azure.requests[-1].path == "/openai/deployments/org%2Ffake%20model%3Aq4.gguf/chat/completions"
    assert azure.requests[-1].query == {"api-version": "2024-10-21"}
    assert azure.requests[-1].json["model"] == MODEL


# OpenAI specifics -------------------------------------------------------------------


def test_stream_usage_is_asked_for_unless_turned_off(fake_upstream):
    up = fake_upstream("openai", text="a b c")
    with_usage = stream(endpoint(up))
    assert up.requests[-1].json["stream_options"] == {"include_usage": True}
    assert any(isinstance(e, Usage) for e in with_usage)
    without = stream(endpoint(up, stream_usage=False))
    assert "stream_options" not in up.requests[-1].json
    assert not any(isinstance(e, Usage) for e in without)


@pytest.mark.parametrize(("field", "think_tags"), [("reasoning", False), ("reasoning_content", True)])
def test_every_form_of_openai_reasoning(fake_upstream, field, think_tags):
    up = fake_upstream(
        "openai", text="Answer", reasoning="Because", reasoning_field=field, think_tags=think_tags, chunks=2
    )
    result = fold(stream(endpoint(up)))
    assert (result.reasoning, result.text) == ("Because", "Answer")


def test_extra_body_reaches_the_wire_last(fake_upstream):
    up = fake_upstream("openai")
    request = ChatRequest(MODEL, REQUEST.messages, temperature=0.2, extra_body={"temperature": 0.9, "top_k": 4})
    stream(endpoint(up), request)
    assert up.requests[-1].json["temperature"] == 0.9 and up.requests[-1].json["top_k"] == 4


def test_the_proxy_is_used(fake_upstream):
    up = fake_upstream("openai", text="via proxy")
    ep = Endpoint(type="openai", base_url="http://upstream.invalid", proxy=up.base_url, timeout=5)
    assert fold(stream(ep)).text == "via proxy"


def test_metrics_time_the_first_token_and_the_rate(fake_upstream):
    up = fake_upstream("openai", text="x" * 11, chunks=11, first_token_delay=0.15, delay=0.02)
    metrics = stream(endpoint(up))[-1]
    assert metrics.time_to_first_token_ms >= 150
    assert 10 < metrics.tokens_per_second <= 50  # 10 gaps of at least 20 ms each


# Keys -------------------------------------------------------------------------------


def test_keys_take_turns_across_requests(fake_upstream):
    up = fake_upstream("anthropic", api_key=("k-one", "k-two"))
    ep = endpoint(up, api_keys=("k-one", "k-two"))
    for _ in range(4):
        stream(ep)
    assert [r.headers["x-api-key"] for r in up.requests] == ["k-one", "k-two", "k-one", "k-two"]


def test_a_refused_key_falls_back_to_the_next(fake_upstream):
    up = fake_upstream("openai", api_key="k-good", text="ok")
    ep = endpoint(up, api_keys=("k-revoked-1", "k-good"))
    assert fold(stream(ep)).text == "ok"
    assert fold(stream(ep)).text == "ok"
    assert [r.headers["authorization"] for r in up.requests] == [
        "Bearer k-revoked-1",
        "Bearer k-good",
        "Bearer k-good",
    ]


def test_a_rate_limited_key_falls_back_to_the_next_without_waiting(fake_upstream):
    up = fake_upstream("gemini", fault=Fault("rate_limit", times=1, retry_after=30))
    ep = endpoint(up, api_keys=("k-limited-x", "k-free-x"))
    assert fold(stream(ep)).text == "Hello world"
    assert [r.headers["x-goog-api-key"] for r in up.requests] == ["k-limited-x", "k-free-x"]


# Faults -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limits_are_retried_honouring_retry_after(fake_upstream, kind):
    up = fake_upstream(kind, fault=Fault("rate_limit", times=2, retry_after=0.1))
    started = time.perf_counter()
    assert fold(stream(endpoint(up))).text == "Hello world"
    assert len(up.requests) == 3 and time.perf_counter() - started >= 0.2


def test_rate_limit_gives_up_after_the_retries(fake_upstream):
    up = fake_upstream("anthropic", fault=Fault("rate_limit", retry_after=0))
    error = failure(lambda: stream(endpoint(up)))
    assert (error.kind, error.status, error.message) == (
        "rate_limit",
        429,
        "Rate limit reached. Please try again later.",
    )
    assert len(up.requests) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_server_errors_are_retried(fake_upstream, kind):
    up = fake_upstream(kind, fault=Fault("server_error", times=1))
    assert fold(stream(endpoint(up))).text == "Hello world"
    assert len(up.requests) == 2


def test_server_error_after_the_retries_carries_the_message(fake_upstream):
    up = fake_upstream("gemini", fault=Fault("server_error"))
    error = failure(lambda: stream(endpoint(up)))
    assert (error.kind, error.status) == ("server", 500)
    assert error.message == "The server had an error while processing your request."
    assert error.url.startswith(up.base_url + "/v1beta/models/")


@pytest.mark.parametrize("kind", KINDS)
def test_a_drop_after_output_started_is_not_resent(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three four", fault=Fault("drop", after_chunks=2))
    seen = []

    async def consume():
        async for event in stream_chat(endpoint(up), REQUEST):
            seen.append(event)

    error = failure(consume())
    assert error.kind == "dropped" and "closed the connection" in error.message
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == "one two"
    assert len(up.requests) == 1


def test_a_drop_before_any_output_is_retried(fake_upstream):
    up = fake_upstream("anthropic", fault=Fault("drop", times=1, after_chunks=0))
    assert fold(stream(endpoint(up))).text == "Hello world"
    assert len(up.requests) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_stream_json_is_a_bad_response(fake_upstream, kind):
    up = fake_upstream(kind, text="one two three", fault=Fault("malformed", after_chunks=1))
    error = failure(lambda: stream(endpoint(up)))
    assert error.kind == "bad_response" and "Malformed JSON" in error.message
    assert len(up.requests) == 1


def test_a_stall_past_the_timeout_is_a_timeout(fake_upstream):
    up = fake_upstream("openai-response", text="one two", fault=Fault("stall", after_chunks=1, seconds=10))
    error = failure(lambda: stream(endpoint(up, timeout=0.3)))
    assert error.kind == "timeout" and error.url == up.base_url + "/v1/responses"
    assert len(up.requests) == 1


def test_a_stall_before_a_whole_answer_is_a_timeout(fake_upstream):
    up = fake_upstream("openai", fault=Fault("stall", seconds=10))
    assert failure(complete_chat(endpoint(up, timeout=0.3), REQUEST)).kind == "timeout"


@pytest.mark.parametrize("call", ["stream", "complete", "models"])
def test_an_html_page_is_a_bad_response_quoting_it(fake_upstream, call):
    up = fake_upstream("openai", fault=Fault("html", status=200))
    ep = endpoint(up)
    run = {
        "stream": lambda: stream(ep),
        "complete": lambda: asyncio.run(complete_chat(ep, REQUEST)),
        "models": lambda: asyncio.run(list_models(ep)),
    }[call]
    error = failure(run)
    assert error.kind == "bad_response"
    assert "text/html" in error.message and "<title>502 Bad Gateway</title>" in error.message


def test_an_html_error_status_is_a_server_error_quoting_it(fake_upstream):
    up = fake_upstream("anthropic", fault=Fault("html", status=502))
    error = failure(lambda: stream(endpoint(up)))
    assert (error.kind, error.status) == ("server", 502) and "502 Bad Gateway" in error.message
    assert len(up.requests) == 3


def test_a_wrong_base_path_is_not_found(fake_upstream):
    up = fake_upstream("openai")
    ep = Endpoint(type="openai", base_url=up.base_url + "/wrong#", timeout=5)
    error = failure(lambda: stream(ep))
    assert (error.kind, error.status) == ("not_found", 404) and "/wrong/chat/completions" in error.message


def test_nothing_listening_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = failure(lambda: stream(Endpoint(type="openai", base_url=f"http://127.0.0.1:{port}", timeout=5)))
    assert error.kind == "connection"


def test_unknown_type_and_missing_azure_address_are_user_errors():
    with pytest.raises(DrupeError, match="Unknown provider type"):
        stream(Endpoint(type="nope"))
    with pytest.raises(DrupeError, match="resource endpoint"):
        stream(Endpoint(type="azure-openai"))


def test_events_come_in_order(fake_upstream):
    up = fake_upstream("anthropic", text="Hi", reasoning="R")
    kinds = [type(e) for e in stream(endpoint(up))]
    assert kinds == [ReasoningDelta, TextDelta, Usage, Finish, Metrics]


@pytest.mark.parametrize("base_url", ["localhost:8000", "http://[::1"])
def test_a_base_url_that_is_not_a_url_is_a_user_error_at_once(base_url):
    with pytest.raises(DrupeError, match="cannot be used"):
        stream(Endpoint(type="openai", base_url=base_url))


@pytest.mark.parametrize(
    ("base_url", "proxy", "tls"),
    [
        ("http://localhost:8000/", None, False),
        ("  HTTP://127.0.0.1:8080/v1", "http://proxy:3128", False),
        ("", None, True),
        ("https://api.example.com", None, True),
        ("http://localhost:8000/", "https://proxy.example.com", True),
    ],
)
def test_the_ca_bundle_is_loaded_only_when_a_connection_uses_tls(base_url, proxy, tls):
    assert client._needs_tls(Endpoint(type="openai", base_url=base_url, proxy=proxy)) is tls


def test_a_plain_http_client_trusts_no_certificate():
    import ssl

    context = client._no_trust_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []

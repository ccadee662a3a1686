"""The gateway when things go wrong, as the official SDKs see it: a route's target failing before
its first token (the next one answers) or after it (the partial answer, then an error in the
client's format), a client leaving mid-answer (the provider's request is closed at once), keys
that are wrong, revoked, expired, over their rate or not allowed the model, unknown models,
malformed bodies, and providers' failures passed on with the right status."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import anthropic
import httpx2
import openai
import pytest

from drupe.gateway.keys import GatewayKeys
from tests.fakes.upstream import Fault

HELLO = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_route_moves_to_its_next_target_when_one_fails_before_its_first_token(gateway, stream):
    gw = gateway(
        broken={"kind": "openai", "fault": Fault("server_error")},
        backup={"kind": "anthropic", "text": "Saved by the backup"},
        routes={"fast": ["broken/fake-model", "backup/fake-model"]},
    )
    answer = gw.openai().chat.completions.create(model="fast", messages=HELLO, stream=stream)
    text = "".join(c.choices[0].delta.content or "" for c in answer) if stream else answer.choices[0].message.content
    assert text == "Saved by the backup"
    assert len(gw.upstreams["broken"].requests) == 1  # no retries there: the route has somewhere else to go
    (row,) = gw.usage(1)
    assert (row.route, row.provider, row.status) == ("fast", "backup", 200)


def test_a_route_does_not_move_on_when_the_provider_refuses_the_request_itself(gateway):
    gw = gateway(
        picky={"kind": "openai", "fault": Fault("echo")},
        backup={"kind": "openai"},
        routes={"fast": ["picky/fake-model", "backup/fake-model"]},
    )
    with pytest.raises(openai.BadRequestError) as caught:
        gw.openai().chat.completions.create(model="fast", messages=HELLO)
    assert caught.value.status_code == 400 and "picky" in caught.value.message
    assert gw.upstreams["backup"].requests == []


@pytest.mark.parametrize("client", ["openai", "anthropic"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"], ids=lambda kind: f"to-{kind}")
def test_a_failure_after_the_first_token_ends_the_stream_with_an_error_in_the_clients_format(gateway, client, kind):
    gw = gateway(up={"kind": kind, "text": "one two three four", "fault": Fault("drop", after_chunks=2)})
    got: list[str] = []
    if client == "openai":
        with pytest.raises(openai.APIError) as caught:
            for chunk in gw.openai().chat.completions.create(model="up/fake-model", messages=HELLO, stream=True):
                got.append(chunk.choices[0].delta.content or "")
        assert caught.value.body["type"] == "upstream_error"
    else:
        stream = gw.anthropic().messages.stream(model="up/fake-model", max_tokens=10, messages=HELLO)
        with pytest.raises(anthropic.APIStatusError) as failed, stream as events:
            got.extend(events.text_stream)
        assert failed.value.body["error"]["type"] == "api_error"
    assert "".join(got) == "one two"
    (row,) = gw.usage(1)
    assert row.status == 200 and "dropped" in row.error


def stream_then_leave(
    url: str, secret: str, body: dict, until: bytes, seconds: float, path: str = "/chat/completions"
) -> bytes:
    """POST `body` on a socket of its own, read until `until` comes or `seconds` pass, and close
    the socket: a client gone mid-answer (an HTTP library may read the rest before closing)."""
    address = urlsplit(url)
    payload = json.dumps(body).encode()
    head = (
        f"POST {address.path}{path} HTTP/1.1\r\nhost: {address.netloc}\r\n"
        f"authorization: Bearer {secret}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n\r\n"
    )
    received = b""
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(head.encode() + payload)
        sock.settimeout(seconds)
        try:
            while until not in received:
                received += sock.recv(65536)
        except TimeoutError:
            pass
    return received


@pytest.mark.parametrize("wait", ["mid_answer", "before_first_token"])
def test_a_client_leaving_closes_the_providers_request_at_once(gateway, wait):
    words = " ".join(f"w{i}" for i in range(200))
    options = {"delay": 0.05} if wait == "mid_answer" else {"first_token_delay": 30}
    gw = gateway(openai={"text": words, **options})
    body = {"model": "openai/fake-model", "messages": HELLO, "stream": True}
    received = stream_then_leave(gw.url, gw.secret, body, b'" w1"', 0.5)
    assert (b'" w1"' in received) == (wait == "mid_answer")
    upstream = gw.upstreams["openai"]
    deadline = time.monotonic() + 2  # the whole answer would take 10 s, the first token 30 s
    while upstream.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert upstream.connections == 1 and upstream.open_connections == 0
    (row,) = gw.usage(1)
    assert row.status == 499


def wait_closed(upstream, seconds: float = 2) -> None:
    deadline = time.monotonic() + seconds
    while upstream.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize("kind", ["openai", "anthropic"], ids=lambda kind: f"to-{kind}")
def test_an_anthropic_client_leaving_mid_stream_closes_the_providers_request_at_once(gateway, kind):
    words = " ".join(f"w{i}" for i in range(200))
    gw = gateway(up={"kind": kind, "text": words, "delay": 0.05})
    body = {"model": "up/fake-model", "max_tokens": 500, "messages": HELLO, "stream": True}
    received = stream_then_leave(gw.url, gw.secret, body, b'"text":" w1"', 0.5, path="/messages")
    assert b"event: content_block_delta" in received and b'"text":" w1"' in received
    upstream = gw.upstreams["up"]
    wait_closed(upstream)  # the whole answer would take 10 s
    assert upstream.connections == 1 and upstream.open_connections == 0
    (row,) = gw.usage(1)
    assert (row.api, row.status) == ("anthropic", 499)


@pytest.mark.parametrize("path, api", [("/chat/completions", "openai"), ("/messages", "anthropic")])
def test_a_client_leaving_before_a_whole_answer_closes_the_providers_request_at_once(gateway, path, api):
    gw = gateway(openai={"fault": Fault("stall", seconds=30)})
    body = {"model": "openai/fake-model", "max_tokens": 50, "messages": HELLO}
    received = stream_then_leave(gw.url, gw.secret, body, b"HTTP/1.1", 0.5, path=path)
    assert received == b""  # nothing yet: the provider has not answered
    upstream = gw.upstreams["openai"]
    wait_closed(upstream)  # its answer would take 30 s
    assert upstream.connections == 1 and upstream.open_connections == 0
    (row,) = gw.usage(1)
    assert (row.api, row.status) == (api, 499)


def test_wrong_revoked_and_expired_keys_get_401_in_each_clients_format(gateway):
    gw = gateway(openai={})
    keys = GatewayKeys(gw.store)
    revoked = gw.key("gone")
    keys.revoke("gone")
    expired = gw.key("brief", expires_days=0.5 / 86400)
    time.sleep(0.6)
    for secret, words in (("drp-wrong", "not known"), (revoked, "revoked"), (expired, "expired")):
        with pytest.raises(openai.AuthenticationError, match=words) as caught:
            gw.openai(secret).chat.completions.create(model="openai/fake-model", messages=HELLO)
        assert caught.value.body["type"] == "authentication_error"
        with pytest.raises(anthropic.AuthenticationError, match=words) as refused:
            gw.anthropic(secret).messages.create(model="openai/fake-model", max_tokens=5, messages=HELLO)
        assert refused.value.body["error"]["type"] == "authentication_error"
    used = gw.key("used")
    gw.openai(used).models.list()
    keys.revoke("used")
    time.sleep(1.05)  # a key found valid is trusted for a second (drupe.gateway.api.keycheck)
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        gw.openai(used).models.list()
    missing = httpx2.get(f"{gw.url}/models")
    assert missing.status_code == 401 and missing.json()["error"]["message"] == "No gateway key was sent."
    assert gw.upstreams["openai"].requests == [] and gw.usage(0) == []


def test_an_unknown_model_is_404_saying_how_to_list_the_models(gateway):
    gw = gateway(openai={})
    with pytest.raises(openai.NotFoundError, match="GET /v1/models") as caught:
        gw.openai().chat.completions.create(model="no-such-model", messages=HELLO)
    assert caught.value.body["code"] == "model_not_found"
    with pytest.raises(anthropic.NotFoundError, match="GET /v1/models"):
        gw.anthropic().messages.create(model="nobody/fake-model", max_tokens=5, messages=HELLO)


def test_a_malformed_body_is_400_naming_the_field(gateway):
    gw = gateway(openai={})
    with pytest.raises(openai.BadRequestError) as caught:
        gw.openai().chat.completions.create(model="openai/fake-model", messages=[{"role": "robot", "content": "x"}])
    assert caught.value.param == "messages[0].role"
    bad_block = [{"role": "user", "content": [{"type": "audio", "data": "x"}]}]
    with pytest.raises(anthropic.BadRequestError, match=r"messages\[0\]\.content\[0\]\.type"):
        gw.anthropic().messages.create(model="openai/fake-model", max_tokens=5, messages=bad_block)
    not_json = httpx2.post(
        f"{gw.url}/chat/completions", content=b"{nope", headers={"authorization": f"Bearer {gw.secret}"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["param"] == "body"
    assert gw.upstreams["openai"].requests == []


def test_a_key_over_its_requests_per_minute_gets_429_with_retry_after(gateway):
    gw = gateway(openai={})
    slow = gw.key("slow", rpm=1)
    gw.openai(slow).chat.completions.create(model="openai/fake-model", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as caught:
        gw.openai(slow).chat.completions.create(model="openai/fake-model", messages=HELLO)
    assert 1 <= int(caught.value.response.headers["retry-after"]) <= 60
    with pytest.raises(anthropic.RateLimitError):
        gw.anthropic(slow).messages.create(model="openai/fake-model", max_tokens=5, messages=HELLO)
    assert len(gw.upstreams["openai"].requests) == 1
    assert [row.status for row in gw.usage(3)] == [200, 429, 429]


def test_a_key_limited_to_some_models_may_not_use_others(gateway):
    gw = gateway(openai={}, anthropic={}, routes={"fast": ["anthropic/fake-model"]})
    narrow = gw.key("narrow", models=["openai/*"])
    for model in ("anthropic/fake-model", "fast"):
        with pytest.raises(openai.PermissionDeniedError, match="may not use"):
            gw.openai(narrow).chat.completions.create(model=model, messages=HELLO)
    answer = gw.openai(narrow).chat.completions.create(model="openai/fake-large", messages=HELLO)
    assert answer.choices[0].message.content == "Hello world"


def test_providers_failures_get_the_status_that_says_who_can_fix_them(gateway):
    gw = gateway(
        limited={"kind": "anthropic", "fault": Fault("rate_limit", retry_after=0)},
        locked={"kind": "openai", "api_key": "the-right-key"},
    )
    with pytest.raises(openai.RateLimitError, match="limited") as limited:
        gw.openai().chat.completions.create(model="limited/fake-model", messages=HELLO)
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(anthropic.InternalServerError, match="refused drupe's key") as locked:
        gw.anthropic().messages.create(model="locked/fake-model", max_tokens=5, messages=HELLO)
    assert locked.value.status_code == 502 and locked.value.response.headers["x-should-retry"] == "false"
    assert [row.status for row in gw.usage(2)] == [429, 502]

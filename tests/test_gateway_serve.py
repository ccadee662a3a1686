"""The gateway inside `drupe serve` and alone (`--gateway-only`): on the same port as the web app,
its own checks (a gateway key, no browser pages) instead of the web app's token and Origin rules."""

from __future__ import annotations

import httpx2
import openai
import pytest

from drupe.gateway.keys import GatewayKeys
from drupe.registry import Registry
from drupe.store import open_store
from tests.test_web_serve import start_serve, stop, wait_until_answering

HELLO = [{"role": "user", "content": "Hi"}]


def test_gateway_only_serves_v1_and_nothing_else(fake_upstream):
    up = fake_upstream("openai", text="Headless hello")
    store = open_store()
    Registry(store).add_provider("up", "openai", base_url=up.base_url)
    Registry(store).add_model("up", "fake-model")
    secret = GatewayKeys(store).create("ci")[1]
    process, lines = start_serve("--no-local", "--gateway-only")
    try:
        assert lines[0].startswith("drupe's gateway is running at http://127.0.0.1:")
        url = lines[0].split()[5]
        assert url.endswith("/v1")
        models = wait_until_answering(f"{url}/models", headers={"authorization": f"Bearer {secret}"})
        assert [m["id"] for m in models.json()["data"]] == ["up/fake-model"]
        client = openai.OpenAI(base_url=url, api_key=secret, max_retries=0)
        answer = client.chat.completions.create(model="fake-model", messages=HELLO)
        assert answer.choices[0].message.content == "Headless hello"
        root = url.removesuffix("/v1")
        for path in ("/api/meta", "/", "/static/app.js"):
            response = httpx2.get(root + path)
            assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"
    finally:
        stop(process)


def test_serve_prints_the_gateways_address(fake_upstream):
    process, lines = start_serve("--no-local")
    try:
        url = lines[0].split()[4]
        wait_until_answering(f"{url}api/meta")
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"Gateway (OpenAI and Anthropic APIs): {url}v1 ")
    finally:
        stop(process)


def test_off_loopback_the_web_token_guards_api_and_the_gateway_key_guards_v1(gateway):
    gw = gateway(openai={}, server={"host": "0.0.0.0"})
    token = gw.server.app.state.token
    assert httpx2.get(f"{gw.server.url}/api/meta").status_code == 401
    answer = gw.openai().chat.completions.create(model="openai/fake-model", messages=HELLO)
    assert answer.choices[0].message.content == "Hello world"
    with pytest.raises(openai.AuthenticationError):  # the web token is no gateway key
        gw.openai(token).chat.completions.create(model="openai/fake-model", messages=HELLO)


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"},
     {"sec-fetch-site": "same-origin"}],
    ids=["cross-site origin", "opaque origin", "cross-site fetch", "drupe's own page"],
)  # fmt: skip
def test_no_web_page_may_use_the_gateway_even_with_a_key(gateway, headers):
    gw = gateway(openai={})
    refused = gw.post("/chat/completions", {"model": "openai/fake-model", "messages": HELLO}, **headers)
    assert refused.status_code == 403 and "Web pages may not use" in refused.json()["error"]["message"]
    assert "access-control-allow-origin" not in refused.headers
    preflight = httpx2.options(f"{gw.url}/chat/completions", headers={"origin": "https://evil.example"})
    assert preflight.status_code == 403
    assert gw.upstreams["openai"].requests == []


def test_the_gateways_body_cap_is_the_servers(gateway):
    gw = gateway(openai={}, server={"max_body": 1000})
    big = gw.post("/messages", {"model": "openai/fake-model", "max_tokens": 5, "messages": [
        {"role": "user", "content": "x" * 2000}]}, **{"anthropic-version": "2023-06-01"})  # fmt: skip
    assert big.status_code == 413 and big.json()["error"]["type"] == "request_too_large"

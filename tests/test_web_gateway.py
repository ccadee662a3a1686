"""Settings → Gateway's API (`/api/gateway/…`) on the real app and real sockets: a key created
there works on the same server's `/v1` and its secret is never returned again; revoked, it is
refused; routes added there are served; usage of real `/v1` requests is summed up; the address
shown is the one the request reached."""

from __future__ import annotations

import time

import httpx2
import openai
import pytest

from tests.fakes.upstream import Fault


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def v1_models(gw, secret: str) -> httpx2.Response:
    return httpx2.get(f"{gw.url}/models", headers={"authorization": f"Bearer {secret}"}, timeout=30)


def test_a_created_key_works_on_v1_once_shown_then_never_again_and_revoked_is_refused(gateway):
    gw = gateway(openai={"text": "Hi there"})
    client = gw.server.client
    created = client.post(
        "/api/gateway/keys", json={"name": "editor", "models": ["openai/*"], "expires_days": 30, "rpm": 60}
    )
    assert created.status_code == 201, created.text
    secret, key = created.json()["secret"], created.json()["key"]
    assert secret.startswith("drp-") and key["prefix"] == secret[:12]
    assert (key["name"], key["models"], key["rpm"], key["state"], key["requests"]) == (
        "editor", ["openai/*"], 60, "active", 0,
    )  # fmt: skip
    assert key["expires_at"] and key["revoked_at"] is None and key["last_used_at"] is None

    listed = v1_models(gw, secret)
    assert listed.status_code == 200, listed.text
    assert {m["id"] for m in listed.json()["data"]} == {"openai/fake-model", "openai/fake-large"}
    answer = gw.openai(secret).chat.completions.create(
        model="openai/fake-model", messages=[{"role": "user", "content": "Hi"}]
    )
    assert answer.choices[0].message.content == "Hi there"

    keys = client.get("/api/gateway/keys")
    assert keys.status_code == 200 and secret not in keys.text and secret[12:] not in keys.text
    editor = next(k for k in keys.json() if k["name"] == "editor")
    assert editor["requests"] == 1 and editor["last_used_at"] is not None
    assert [k["name"] for k in keys.json()] == ["editor", "tests"]

    revoked = client.post("/api/gateway/keys/EDITOR/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked" and secret not in revoked.text
    deadline = time.monotonic() + 5  # a running gateway trusts a key it checked for a second
    while (status := v1_models(gw, secret).status_code) == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == 401
    assert client.post("/api/gateway/keys/editor/revoke").json()["state"] == "revoked"  # again: no change
    assert error_of(client.post("/api/gateway/keys/nobody/revoke"), 404)["data"]["what"] == "gateway_key"
    taken = error_of(client.post("/api/gateway/keys", json={"name": "Editor"}), 409)
    assert taken["data"]["field"] == "name" and "revoked" in taken["message"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "has space"}, 400, "name"),
        ({"name": ""}, 400, "name"),
        ({"name": "ok", "models": ["work/ gpt"]}, 400, "models"),
        ({"name": "ok", "models": ["x" * 201]}, 422, "models.0"),
        ({"name": "ok", "expires_days": 0}, 422, "expires_days"),
        ({"name": "ok", "expires_days": 36501}, 422, "expires_days"),
        ({"name": "ok", "expires_days": True}, 422, "expires_days"),
        ({"name": "ok", "rpm": 0}, 422, "rpm"),
        ({"name": "ok", "rpm": 1.5}, 422, "rpm"),
        ({"name": "ok\x00"}, 422, "name"),
    ],
)
def test_bad_keys_are_refused_naming_the_field_and_none_is_made(web_server, body, status, field):
    server = web_server()
    error = error_of(server.client.post("/api/gateway/keys", json=body), status)
    assert error["code"] == "invalid"
    if status == 400:
        assert error["data"]["field"] == field
    else:
        assert error["message"].startswith(f"{field}:"), error["message"]
    assert server.client.get("/api/gateway/keys").json() == []


def test_routes_added_here_are_served_and_fall_over_and_removed_are_gone(gateway):
    gw = gateway(openai={"text": "From the second"}, broken={"kind": "openai", "fault": Fault("server_error")})
    client = gw.server.client
    added = client.post("/api/gateway/routes", json={"name": "fast", "targets": ["BROKEN/fake-model", "openai/any"]})
    assert added.status_code == 201, added.text
    assert added.json()["targets"] == ["broken/fake-model", "openai/any"]
    assert [r["name"] for r in client.get("/api/gateway/routes").json()] == ["fast"]
    deadline = time.monotonic() + 5  # /v1/models reads a snapshot renewed every second
    while "fast" not in {m["id"] for m in v1_models(gw, gw.secret).json()["data"]}:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    answer = gw.openai().chat.completions.create(model="fast", messages=[{"role": "user", "content": "Hi"}])
    assert answer.choices[0].message.content == "From the second"
    assert gw.upstreams["openai"].requests[-1].json["model"] == "any"

    assert error_of(client.post("/api/gateway/routes", json={"name": "FAST", "targets": ["openai/x"]}), 409)
    unknown = error_of(client.post("/api/gateway/routes", json={"name": "r", "targets": ["nowhere/x"]}), 404)
    assert "Settings → Model services" in unknown["message"]
    assert error_of(client.post("/api/gateway/routes", json={"name": "r", "targets": []}), 422)
    assert error_of(client.post("/api/gateway/routes", json={"name": "a/b", "targets": ["openai/x"]}), 400)
    twice = error_of(client.post("/api/gateway/routes", json={"name": "r", "targets": ["openai/x", "OpenAI/x"]}), 400)
    assert twice["data"]["field"] == "targets"

    assert client.delete("/api/gateway/routes/Fast").json() == {"removed": "fast"}
    assert client.get("/api/gateway/routes").json() == []
    assert error_of(client.delete("/api/gateway/routes/fast"), 404)["data"]["what"] == "route"


def test_usage_sums_up_real_v1_requests_by_key_model_and_provider(gateway):
    gw = gateway(openai={"text": "Counted"})
    client = gw.server.client
    assert client.get("/api/gateway/usage").json() == {"since": "7d", "by": "key", "rows": []}
    for model in ("openai/fake-model", "openai/fake-model", "fake-large"):
        gw.openai().chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])
    assert gw.openai().models.list().data  # not a chat: not recorded
    with pytest.raises(openai.NotFoundError):
        gw.openai().chat.completions.create(model="nope/none", messages=[{"role": "user", "content": "Hi"}])
    gw.usage(4)

    by_key = client.get("/api/gateway/usage", params={"since": "30m"}).json()
    assert by_key["by"] == "key" and len(by_key["rows"]) == 1
    row = by_key["rows"][0]
    assert (row["name"], row["requests"], row["errors"]) == ("tests", 4, 1)
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0 and row["p50_duration_ms"] > 0
    by_model = client.get("/api/gateway/usage", params={"by": "model", "since": "24h"}).json()["rows"]
    assert [(r["name"], r["requests"]) for r in by_model] == [
        ("openai/fake-model", 2), ("fake-large", 1), ("nope/none", 1)
    ]  # fmt: skip
    by_provider = client.get("/api/gateway/usage", params={"by": "provider"}).json()["rows"]
    assert [(r["name"], r["requests"]) for r in by_provider] == [("openai", 3), (None, 1)]
    assert client.get("/api/gateway/usage", params={"since": "1s"}).json()["rows"] in ([], by_key["rows"])

    assert "since" in error_of(client.get("/api/gateway/usage", params={"since": "a week"}), 422)["message"]
    assert "by" in error_of(client.get("/api/gateway/usage", params={"by": "day"}), 422)["message"]
    assert error_of(client.get("/api/gateway/usage", params={"since": "999999999w"}), 400)["data"]["field"] == "since"
    everything = client.get("/api/gateway/usage", params={"since": "999999999d"})  # before year 1: all of it
    assert everything.status_code == 200 and everything.json()["rows"][0]["requests"] == 4


def test_info_gives_the_v1_address_as_the_request_reached_the_server(web_server):
    server = web_server()
    assert server.client.get("/api/gateway/info").json() == {
        "base_url": f"{server.url}/v1", "anthropic_base_url": server.url, "enabled": True,
    }  # fmt: skip
    port = server.url.rsplit(":", 1)[1]
    as_localhost = server.client.get("/api/gateway/info", headers={"host": f"localhost:{port}"}).json()
    assert as_localhost["base_url"] == f"http://localhost:{port}/v1"
    assert web_server(gateway=False).client.get("/api/gateway/info").json()["enabled"] is False


def test_the_gateway_api_is_guarded_like_every_api_route(web_server):
    server = web_server(token="page-token-0123456789")
    assert error_of(server.client.get("/api/gateway/keys"), 401)
    headers = {"authorization": "Bearer page-token-0123456789"}
    assert server.client.get("/api/gateway/keys", headers=headers).status_code == 200
    from_elsewhere = {**headers, "origin": "https://evil.example"}
    assert error_of(server.client.post("/api/gateway/keys", json={"name": "x"}, headers=from_elsewhere), 403)
    assert server.client.get("/api/gateway/keys", headers=headers).json() == []

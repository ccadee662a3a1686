"""The settings Model services edits through the API: a provider's proxy, timeout, notes and stream
usage; a model's sizes and prices; the default model; the Manage list's free marks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from drupe.catalog import is_free
from drupe.web.app import create_app

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

PROXY_PASSWORD = "proxy-pass-0123456789"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8765")


def add(client: TestClient, name: str = "Fake", models: tuple[str, ...] = (), **fields) -> dict:
    response = client.post("/api/providers", json={"name": name, "type": "openai", **fields})
    assert response.status_code == 201, response.text
    provider = response.json()
    if models:
        added = client.post(
            f"/api/providers/{provider['id']}/models", json={"models": [{"model_id": m} for m in models]}
        )
        assert added.status_code == 201, added.text
    return provider


def test_proxy_timeout_notes_and_stream_usage_are_saved_and_a_refusal_keeps_what_was_saved(client):
    provider = add(client, options={"extra_body": {"top_k": 20}})
    path = f"/api/providers/{provider['id']}"
    changed = client.patch(
        path,
        json={
            "proxy": f"http://bob:{PROXY_PASSWORD}@127.0.0.1:3128",
            "timeout": 45,
            "notes": "Team account <b>not</b> personal",
            "options": {**provider["options"], "stream_usage": False},
        },
    )
    assert changed.status_code == 200, changed.text
    shown = client.get(path)
    assert PROXY_PASSWORD not in shown.text
    body = shown.json()
    assert body["proxy"] == "http://bob:***@127.0.0.1:3128"
    assert (body["timeout"], body["notes"]) == (45, "Team account <b>not</b> personal")
    assert body["options"] == {"extra_body": {"top_k": 20}, "stream_usage": False}

    # Each refusal says what is wrong, naming the field, and changes nothing.
    for change, status, words in (
        ({"proxy": "ftp://127.0.0.1:21"}, 400, "is not a http/https/socks5/socks5h URL"),
        ({"proxy": "http://proxy host:3128"}, 400, "contains spaces"),
        ({"timeout": -5}, 422, "timeout: Input should be greater than 0"),
        ({"timeout": 0}, 422, "timeout: Input should be greater than 0"),
        ({"options": {"stream_usage": "no"}}, 400, "stream_usage must be true or false"),
    ):
        refused = client.patch(path, json=change)
        assert refused.status_code == status, refused.text
        assert words in refused.json()["error"]["message"]
    after = client.get(path).json()
    assert {k: after[k] for k in ("proxy", "timeout", "notes", "options")} == {
        k: body[k] for k in ("proxy", "timeout", "notes", "options")
    }

    # The page sends back the masked proxy it shows: the stored password stays; null clears it.
    client.patch(path, json={"proxy": "http://bob:***@127.0.0.1:3129"})
    stored = client.app.state.registry.get_provider(provider["id"])
    assert stored.proxy == f"http://bob:{PROXY_PASSWORD}@127.0.0.1:3129"
    assert (
        client.patch(path, json={"proxy": None, "notes": None}).json()["proxy"] == ""
        and client.app.state.registry.get_provider(provider["id"]).notes == ""
    )


def test_a_model_s_sizes_and_prices_are_edited_and_bad_ones_refused(client):
    provider = add(client, models=("gpt-4o",))
    path = f"/api/providers/{provider['id']}/models/gpt-4o"
    edited = client.patch(
        path,
        json={
            "name": "GPT-4o",
            "group": "openai",
            "capabilities": ["text", "vision"],
            "context_window": 128000,
            "max_output": 16384,
            "price_in": 2.5,
            "price_out": 10,
        },
    )
    assert edited.status_code == 200, edited.text
    stored = client.get(f"/api/providers/{provider['id']}/models").json()[0]
    assert {k: stored[k] for k in ("name", "group", "capabilities", "context_window", "max_output")} == {
        "name": "GPT-4o", "group": "openai", "capabilities": ["text", "vision"],
        "context_window": 128000, "max_output": 16384,
    }  # fmt: skip
    assert (stored["price_in"], stored["price_out"]) == (2.5, 10)

    for change, words in (
        ({"context_window": 0}, "context_window: Input should be greater than or equal to 1"),
        ({"max_output": 1.5}, "max_output: Input should be a valid integer"),
        ({"max_output": "lots"}, "max_output: Input should be a valid integer"),
        ({"price_in": -1}, "price_in: Input should be greater than or equal to 0"),
        ({"price_out": "free"}, "price_out: Input should be a valid number"),
    ):
        refused = client.patch(path, json=change)
        assert refused.status_code == 422 and words in refused.json()["error"]["message"], refused.text
    assert client.get(f"/api/providers/{provider['id']}/models").json()[0] == stored

    cleared = client.patch(path, json={"context_window": None, "price_in": None, "price_out": 0}).json()
    assert (cleared["context_window"], cleared["price_in"], cleared["price_out"]) == (None, None, 0)


def test_the_default_model_is_set_shown_and_cleared(client):
    assert client.get("/api/default-model").json() == {"model": None}
    first = add(client, "First", models=("fake-model", "fake-large"))
    add(client, "Second", models=("fake-model",))
    chosen = client.put("/api/default-model", json={"provider_id": first["id"], "model_id": "fake-large"})
    assert chosen.status_code == 200, chosen.text
    shown = client.get("/api/default-model").json()["model"]
    assert (shown["provider_id"], shown["provider"], shown["model_id"]) == (first["id"], "First", "fake-large")

    # The core's rules: the chat without a model uses it.
    from drupe.chat.targets import resolve_targets

    assert resolve_targets(client.app.state.registry, None, []) == [("First", "fake-large")]

    missing = client.put("/api/default-model", json={"provider_id": first["id"], "model_id": "nope"})
    assert missing.status_code == 404 and "no model 'nope'" in missing.json()["error"]["message"]
    unknown = client.put("/api/default-model", json={"provider_id": "nobody", "model_id": "fake-model"})
    assert unknown.status_code == 404
    client.patch(f"/api/providers/{first['id']}", json={"enabled": False})
    disabled = client.put("/api/default-model", json={"provider_id": "First", "model_id": "fake-model"})
    assert disabled.status_code == 409 and disabled.json()["error"]["code"] == "provider_disabled"
    assert client.get("/api/default-model").json()["model"]["model_id"] == "fake-large"  # kept

    # Renamed, it stays the default; removed, there is none.
    client.patch(f"/api/providers/{first['id']}", json={"enabled": True})
    client.patch(f"/api/providers/{first['id']}/models/fake-large", json={"model_id": "fake-larger"})
    assert client.get("/api/default-model").json()["model"]["model_id"] == "fake-larger"
    client.delete(f"/api/providers/{first['id']}/models/fake-larger")
    assert client.get("/api/default-model").json() == {"model": None}
    client.put("/api/default-model", json={"provider_id": "Second", "model_id": "fake-model"})
    assert client.delete("/api/default-model").json() == {"model": None}
    assert client.get("/api/default-model").json() == {"model": None}


def test_remote_models_say_which_are_free(client, fake_upstream):
    up = fake_upstream("openai", models=("meta-llama/llama-3-8b:free", "gpt-4o", "freeform-7b", "qwen-free"))
    provider = add(client, base_url=up.base_url)
    listing = client.get(f"/api/providers/{provider['id']}/remote-models").json()["models"]
    assert {m["model_id"]: m["free"] for m in listing} == {
        "meta-llama/llama-3-8b:free": True, "gpt-4o": False, "freeform-7b": False, "qwen-free": True,
    }  # fmt: skip
    assert is_free("some-model", "Some model (free)") and not is_free("gpt-4o", "GPT-4o")

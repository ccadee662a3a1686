"""`POST /api/providers/{id}/health`: every chat model × every key over HTTP, against a fake that
accepts two keys of three; then removing the refused key the way the page does (PATCH with masks)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from drupe.web.app import create_app

GOOD = ("sk-good-one-00001111", "sk-good-two-00002222")
BAD = "sk-bad-three-00003333"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8765")


def provider(client: TestClient, up, models=("fake-model", "fake-model-2")) -> dict:
    body = {"name": "P", "type": "openai", "base_url": up.base_url, "api_keys": [GOOD[0], BAD, GOOD[1]]}
    created = client.post("/api/providers", json=body).json()
    for model in models:
        assert client.post(f"/api/providers/{created['id']}/models", json={"model_id": model}).status_code == 201
    return created


def test_health_by_model_list_then_remove_the_refused_key(client, fake_upstream):
    up = fake_upstream("openai", api_key=GOOD)
    created = provider(client, up)
    response = client.post(f"/api/providers/{created['id']}/health", json={})
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["method"] == "models" and health["refused_keys"] == [1]
    assert health["keys"] == ["sk-…1111", "sk-…3333", "sk-…2222"]
    bad = [c for c in health["cells"] if not c["ok"]]
    assert {c["model"] for c in bad} == {"fake-model", "fake-model-2"} and {c["key_index"] for c in bad} == {1}
    assert all(c["error"]["kind"] == "auth" and "refused the key" in c["error"]["hint"] for c in bad)
    assert all(r.method == "GET" for r in up.requests)
    assert BAD not in json.dumps(health)

    kept = [k for i, k in enumerate(health["keys"]) if i not in health["refused_keys"]]
    assert client.patch(f"/api/providers/{created['id']}", json={"api_keys": kept}).status_code == 200
    again = client.post(f"/api/providers/{created['id']}/health", json={}).json()
    assert again["keys"] == ["sk-…1111", "sk-…2222"] and all(c["ok"] for c in again["cells"])


def test_health_with_model_checks_sends_chats(client, fake_upstream):
    up = fake_upstream("openai", api_key=GOOD)
    created = provider(client, up, models=("fake-model",))
    health = client.post(f"/api/providers/{created['id']}/health", json={"model_checks": True}).json()
    assert health["method"] == "chat" and health["refused_keys"] == [1]
    assert len([r for r in up.requests if r.method == "POST"]) == 3


def test_health_statuses(client, fake_upstream):
    up = fake_upstream("openai")
    created = provider(client, up, models=())
    assert client.post(f"/api/providers/{created['id']}/health", json={}).status_code == 404
    assert client.post("/api/providers/nope/health", json={}).status_code == 404
    assert client.post(f"/api/providers/{created['id']}/health", json={"extra": 1}).status_code == 422
    assert client.post(f"/api/providers/{created['id']}/health", json={"timeout": -1}).status_code == 422

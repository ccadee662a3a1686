"""A conversation's reasoning and custom parameters over HTTP: saved, refused with what to fix,
and in the body the fake upstream received."""

from __future__ import annotations

import pytest

from tests.test_web_chat import setup, target

pytestmark = pytest.mark.usefixtures("database_url")


def test_reasoning_and_params_are_saved_and_sent(web_server, fake_upstream):
    up = fake_upstream("anthropic", text="Thought about it")
    server = web_server()
    conversation = setup(server, up)
    path = f"/api/conversations/{conversation}"
    params = [
        {"name": "top_k", "type": "number", "value": "5"},
        {"name": "metadata", "type": "json", "value": '{"user_id": "u1"}'},
        {"name": "flag", "type": "boolean", "value": False},
    ]
    changed = server.client.patch(path, json={"settings": {"reasoning": "medium", "params": params}})
    assert changed.status_code == 200, changed.text
    settings = changed.json()["settings"]
    assert settings["reasoning"] == "medium"
    assert settings["params"] == [
        {"name": "top_k", "type": "number", "value": 5},
        {"name": "metadata", "type": "json", "value": '{"user_id": "u1"}'},
        {"name": "flag", "type": "boolean", "value": False},
    ]
    server.events(f"{path}/messages", {"content": "Hi", "targets": [target()]})
    body = up.requests[-1].json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert body["top_k"] == 5 and body["metadata"] == {"user_id": "u1"} and body["flag"] is False

    other = server.client.patch(path, json={"settings": {"temperature": 0.2}}).json()["settings"]
    assert other["reasoning"] == "medium" and len(other["params"]) == 3  # untouched by another field
    cleared = server.client.patch(path, json={"settings": {"reasoning": None, "params": []}}).json()["settings"]
    assert cleared["reasoning"] is None and cleared["params"] == []


def test_a_new_conversation_takes_them_too(web_server):
    server = web_server()
    settings = {"reasoning": "off", "params": [{"name": "seed", "type": "number", "value": 3}]}
    created = server.client.post("/api/conversations", json={"settings": settings})
    assert created.status_code == 201, created.text
    assert created.json()["settings"]["reasoning"] == "off"
    assert created.json()["settings"]["params"] == [{"name": "seed", "type": "number", "value": 3}]


@pytest.mark.parametrize(
    ("settings", "status", "message"),
    [
        ({"params": [{"name": "kw", "type": "json", "value": "{oops"}]}, 400, "The parameter 'kw' is not valid JSON"),
        ({"params": [{"name": "k", "type": "number", "value": "lots"}]}, 400, "The parameter 'k' must be a number"),
        ({"params": [{"name": "", "type": "text", "value": "v"}]}, 400, "A custom parameter needs a name"),
        ({"params": [{"name": "k", "type": "date", "value": "1"}]}, 422, "settings.params.0.type"),
        ({"reasoning": "max"}, 422, "settings.reasoning"),
    ],
)
def test_bad_values_are_refused_with_what_to_fix(web_server, settings, status, message):
    server = web_server()
    conversation = server.client.post("/api/conversations", json={}).json()["id"]
    refused = server.client.patch(f"/api/conversations/{conversation}", json={"settings": settings})
    assert refused.status_code == status, refused.text
    assert message in refused.json()["error"]["message"]
    assert server.client.get(f"/api/conversations/{conversation}").json()["settings"]["params"] == []

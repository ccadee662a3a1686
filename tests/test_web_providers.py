"""Providers and models over HTTP: CRUD with masked keys, key checks with hints, remote lists, URL preview."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi.testclient import TestClient

from drupe.web.app import create_app
from tests.fakes import openai_chat
from tests.fakes.server import Reply, ServerThread
from tests.fakes.upstream import Fault

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

GOOD_KEY = "sk-good-0123456789abcdef"
BAD_KEY = "sk-bad-fedcba9876543210"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8765")


def add(client: TestClient, name: str = "Fake", **fields) -> dict:
    response = client.post("/api/providers", json={"name": name, "type": "openai", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_provider_crud_never_returns_a_full_key(client):
    created = add(client, api_keys=[GOOD_KEY, BAD_KEY], base_url="http://localhost:8000/", headers={"X-Team": "r"})
    assert created["api_keys"] == ["sk-…cdef", "sk-…3210"]
    assert created["chat_url"] == "http://localhost:8000/v1/chat/completions"
    assert created["model_count"] == 0
    for response in (
        client.get("/api/providers"),
        client.get(f"/api/providers/{created['id']}"),
        client.get("/api/providers/fake"),  # by name, ignoring case
    ):
        assert response.status_code == 200
        assert GOOD_KEY not in response.text and BAD_KEY not in response.text
    assert client.get("/api/providers").json()[0]["id"] == created["id"]
    assert client.get("/api/providers/nope").status_code == 404

    renamed = client.patch(f"/api/providers/{created['id']}", json={"name": "Renamed", "enabled": False}).json()
    assert (renamed["name"], renamed["enabled"], renamed["api_keys"]) == ("Renamed", False, created["api_keys"])
    removed = client.delete(f"/api/providers/{created['id']}").json()
    assert removed == {"removed": created["id"], "models": 0}
    assert client.get("/api/providers").json() == []


def test_keys_can_be_given_as_one_string(client):
    created = add(client, api_keys=f"{GOOD_KEY}, {BAD_KEY}\n{GOOD_KEY}")
    assert len(created["api_keys"]) == 2


def test_masked_keys_sent_back_keep_the_real_keys(client):
    created = add(client, api_keys=[GOOD_KEY, BAD_KEY])
    new_key = "sk-new-aaaabbbbccccdddd"
    changed = client.patch(f"/api/providers/{created['id']}", json={"api_keys": ["sk-…3210", new_key]}).json()
    assert changed["api_keys"] == ["sk-…3210", "sk-…dddd"]
    app_registry = client.app.state.registry
    assert app_registry.get_provider(created["id"]).api_keys == [BAD_KEY, new_key]


def test_validation_errors_are_shown_as_is(client):
    response = client.post("/api/providers", json={"name": "x", "type": "nope"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["kind"], error["code"], error["data"]["field"]) == ("invalid", "invalid", "type")
    assert set(error) == {"kind", "code", "message", "data"} and "openai" in error["data"]["choices"]
    assert "Unknown provider type 'nope'" in error["message"]
    add(client, name="Same")
    taken = client.post("/api/providers", json={"name": "same", "type": "openai"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    assert "already exists" in taken.json()["error"]["message"] and "`drupe" not in taken.json()["error"]["message"]
    missing = client.post("/api/providers", json={"name": "x"})
    assert missing.status_code == 422
    assert missing.json()["error"] == {"kind": "invalid", "code": "invalid", "message": "type: Field required"}
    created = add(client, name="Other")
    assert client.patch(f"/api/providers/{created['id']}", json={"name": None}).status_code == 400
    bad_body = client.patch(f"/api/providers/{created['id']}", json={"options": {"extra_body": ["top_k", 20]}})
    assert bad_body.status_code == 400 and "NAME: VALUE pairs" in bad_body.json()["error"]["message"]
    assert client.get(f"/api/providers/{created['id']}").json()["options"] == {}


def test_reorder(client):
    ids = [add(client, name=name)["id"] for name in ("A", "B", "C")]
    ordered = client.put("/api/providers/order", json={"ids": [ids[2], ids[0]]}).json()
    assert [p["name"] for p in ordered] == ["C", "A", "B"]
    assert client.put("/api/providers/order", json={"ids": ["nope"]}).status_code == 404


def test_model_crud_with_slashes_and_colons_in_ids(client):
    provider = add(client)
    base = f"/api/providers/{provider['id']}/models"
    model = client.post(base, json={"model_id": "gpt-4o"}).json()
    assert model["group"] == "gpt-4o" and "vision" in model["capabilities"] and model["provider"] == "Fake"
    batch = client.post(base, json={"models": [{"model_id": "org/m:q4"}, {"model_id": "plain", "name": "Plain"}]})
    assert batch.status_code == 201 and [m["model_id"] for m in batch.json()] == ["org/m:q4", "plain"]
    duplicate = client.post(base, json={"models": [{"model_id": "new-one"}, {"model_id": "plain"}]})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["data"] == {
        "what": "model",
        "provider": "Fake",
        "name": "plain",
    }
    assert [m["model_id"] for m in client.get(base).json()] == ["gpt-4o", "org/m:q4", "plain"]  # all or nothing

    edited = client.patch(f"{base}/org%2Fm%3Aq4", json={"name": "Q4", "capabilities": ["text", "vision"]}).json()
    assert (edited["name"], edited["capabilities"]) == ("Q4", ["text", "vision"])
    assert client.patch(f"{base}/org/m:q4", json={"capabilities": None}).json()["capabilities"] == ["text"]
    assert client.patch(f"{base}/nope", json={"name": "x"}).status_code == 404
    assert client.patch(f"{base}/plain", json={"capabilities": ["telepathy"]}).status_code == 400
    renamed = client.patch(f"{base}/plain", json={"model_id": "plain:v2"})
    assert renamed.status_code == 200 and renamed.json()["model_id"] == "plain:v2"
    assert client.patch(f"{base}/plain:v2", json={"model_id": "gpt-4o"}).status_code == 409  # the ID is taken
    client.patch(f"{base}/plain:v2", json={"model_id": "plain"})

    assert client.delete(f"{base}/org%2Fm%3Aq4").json() == {"removed": "org/m:q4"}
    assert client.get("/api/models").json()[0]["model_id"] == "gpt-4o"
    client.patch(f"/api/providers/{provider['id']}", json={"enabled": False})
    assert client.get("/api/models?enabled=true").json() == []
    assert len(client.get("/api/models").json()) == 2


def test_check_passes_and_reports_a_refused_key_with_a_hint(client, fake_upstream):
    up = fake_upstream("openai", text="Hi there", api_key=GOOD_KEY)
    provider = add(client, base_url=up.base_url, api_keys=[GOOD_KEY, BAD_KEY])
    result = client.post(f"/api/providers/{provider['id']}/check", json={"model": "fake-model"}).json()
    assert result["url"] == f"{up.base_url}/v1/chat/completions"
    good, bad = result["results"]
    assert good["ok"] is True and good["latency_ms"] > 0 and good["error"] is None and good["key"] == "sk-…cdef"
    assert bad["ok"] is False and bad["error"]["kind"] == "auth" and bad["error"]["status"] == 401
    assert "refused the key" in bad["error"]["hint"]
    assert BAD_KEY not in json.dumps(result)

    one = client.post(f"/api/providers/{provider['id']}/check", json={"model": "fake-model", "key_index": 1}).json()
    assert [r["index"] for r in one["results"]] == [1]
    assert client.post(f"/api/providers/{provider['id']}/check", json={"model": "m", "key_index": 5}).status_code == 400


def check(client: TestClient, model: str = "fake-model", **fields) -> dict:
    provider = add(client, **fields)
    [result] = client.post(f"/api/providers/{provider['id']}/check", json={"model": model}).json()["results"]
    assert result["ok"] is False
    return result["error"]


def test_check_a_wrong_address_names_the_url_and_the_address_rules(client, fake_upstream):
    up = fake_upstream("openai")
    error = check(client, base_url=f"{up.base_url}/wrong/")
    assert error["kind"] == "not_found"
    assert error["url"] == f"{up.base_url}/wrong/v1/chat/completions"
    assert error["url"] in error["hint"] and "'/'" in error["hint"] and "'#'" in error["hint"]


def test_check_an_unknown_model(client):
    async def handler(request):
        body = openai_chat.error(404, "The model `nope` does not exist or you do not have access to it.")
        return Reply(404, {"content-type": "application/json"}, json.dumps(body).encode())

    server = ServerThread(handler)
    server.start()
    try:
        error = check(client, model="nope", base_url=f"http://127.0.0.1:{server.port}")
    finally:
        server.stop()
    assert error["kind"] == "unknown_model"
    assert "'nope'" in error["hint"] and "model list" in error["hint"]


def test_check_nothing_listening(client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = check(client, base_url=f"http://127.0.0.1:{port}")
    assert error["kind"] == "connection"
    assert f"Nothing is listening at 127.0.0.1:{port}" in error["hint"]


def test_check_timeout(client, fake_upstream):
    up = fake_upstream("openai", fault=Fault("stall", seconds=5))
    error = check(client, base_url=up.base_url, timeout=0.3)
    assert error["kind"] == "timeout"
    assert "0.3 s" in error["hint"]


@pytest.mark.parametrize(
    ("fault", "kind", "hint"),
    [
        (Fault("rate_limit"), "rate_limit", "too many requests"),
        (Fault("server_error"), "server", "problem of its own"),
        (Fault("html", status=200), "bad_response", "provider type"),
    ],
)
def test_check_other_failures(client, fake_upstream, fault, kind, hint):
    up = fake_upstream("openai", fault=fault)
    error = check(client, base_url=up.base_url)
    assert error["kind"] == kind
    assert hint in error["hint"]


def test_remote_models_mark_those_already_added(client, fake_upstream):
    up = fake_upstream("openai", models=("fake-model", "gpt-4o", "text-embedding-3-small"))
    provider = add(client, base_url=up.base_url)
    client.post(f"/api/providers/{provider['id']}/models", json={"model_id": "gpt-4o"})
    listing = client.get(f"/api/providers/{provider['id']}/remote-models").json()
    assert listing["url"] == f"{up.base_url}/v1/models"
    by_id = {m["model_id"]: m for m in listing["models"]}
    assert set(by_id) == {"fake-model", "gpt-4o", "text-embedding-3-small"}
    assert by_id["gpt-4o"]["added"] is True and by_id["fake-model"]["added"] is False
    assert by_id["text-embedding-3-small"]["capabilities"] == ["embedding"]
    assert by_id["gpt-4o"]["group"] == "gpt-4o"


def test_remote_models_at_a_wrong_address_is_not_found_not_an_unknown_model(client, fake_upstream):
    up = fake_upstream("openai")
    provider = add(client, base_url=f"{up.base_url}/wrong")
    response = client.get(f"/api/providers/{provider['id']}/remote-models")
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["kind"] == "not_found" and error["url"] == f"{up.base_url}/wrong/v1/models"
    assert "'#'" in error["hint"]


def test_remote_models_failure_is_a_502_with_kind_and_hint(client, fake_upstream):
    up = fake_upstream("openai", api_key=GOOD_KEY)
    provider = add(client, base_url=up.base_url, api_keys=[BAD_KEY])
    response = client.get(f"/api/providers/{provider['id']}/remote-models")
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["kind"] == "auth" and error["status"] == 401 and error["hint"]
    assert BAD_KEY not in response.text


@pytest.mark.parametrize(
    ("params", "chat_url", "models_url"),
    [
        ({"type": "openai", "base_url": "http://localhost:8000/"}, "http://localhost:8000/v1/chat/completions",
         "http://localhost:8000/v1/models"),
        ({"type": "openai", "base_url": "https://x.example/api/v3#"}, "https://x.example/api/v3/chat/completions",
         "https://x.example/api/v3/models"),
        ({"type": "anthropic"}, "https://api.anthropic.com/v1/messages", "https://api.anthropic.com/v1/models"),
        ({"type": "gemini", "model": "gemini-2.5-pro"},
         "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
         "https://generativelanguage.googleapis.com/v1beta/models"),
        ({"type": "azure-openai", "base_url": "https://r.openai.azure.com", "api_version": "2024-10-21"},
         "https://r.openai.azure.com/openai/deployments/{model}/chat/completions?api-version=2024-10-21",
         "https://r.openai.azure.com/openai/models?api-version=2024-10-21"),
    ],
)  # fmt: skip
def test_resolve_url_previews_what_will_be_called(client, params, chat_url, models_url):
    assert client.get("/api/resolve-url", params=params).json() == {"chat_url": chat_url, "models_url": models_url}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "azure-openai"}, "Azure OpenAI needs an API address"),
        ({"type": "openai", "base_url": "localhost:8000"}, "is not a http/https URL"),
        ({"type": "nope"}, "Unknown provider type"),
    ],
)
def test_resolve_url_explains_unusable_input(client, params, message):
    response = client.get("/api/resolve-url", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_meta_lists_types_and_capabilities(client):
    meta = client.get("/api/meta").json()
    types = {entry["id"]: entry for entry in meta["types"]}
    assert list(types) == ["openai", "openai-response", "anthropic", "gemini", "azure-openai"]
    # What the provider form shows for each type comes with it: Azure alone has an API version;
    # the stream-usage switch is for the types that send stream_options.
    assert types["azure-openai"] == {
        "id": "azure-openai",
        "label": "Azure OpenAI",
        "address_placeholder": "https://NAME.openai.azure.com",
        "address_help": types["azure-openai"]["address_help"],
        "fields": ["api_version", "stream_usage"],
        "api_version_placeholder": "e.g. 2024-10-21, or v1",
    }
    assert "resource endpoint" in types["azure-openai"]["address_help"]
    assert [types[t]["fields"] for t in ("openai-response", "anthropic", "gemini")] == [[], [], []]
    assert (
        types["openai"]["fields"] == ["stream_usage"]
        and types["openai"]["address_placeholder"] == "Empty: the official address"
    )
    assert "vision" in meta["capabilities"]


def test_the_openapi_document_describes_the_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/providers/{provider_id}/check" in paths
    assert "/api/conversations/{conversation_id}/messages" in paths


SECRET_HEADER = "Bearer gw-token-0123456789abcdef"
URL_PASSWORD = "url-pass-9876543210"


def test_secret_headers_and_url_credentials_never_go_out_whole(client):
    created = add(
        client, api_keys=[GOOD_KEY], base_url=f"http://alice:{URL_PASSWORD}@localhost:8000/",
        proxy=f"http://bob:{URL_PASSWORD}x@127.0.0.1:3128", headers={"api-key": SECRET_HEADER, "X-Team": "r"},
    )  # fmt: skip
    assert created["base_url"] == "http://alice:***@localhost:8000/"
    assert created["chat_url"] == "http://alice:***@localhost:8000/v1/chat/completions"
    assert created["proxy"] == "http://bob:***@127.0.0.1:3128"
    assert created["headers"] == {"api-key": "Bea…cdef", "X-Team": "r"}
    assert created["secrets_unreadable"] is False
    for response in (client.get("/api/providers"), client.get(f"/api/providers/{created['id']}")):
        assert URL_PASSWORD not in response.text and "0123456789abcdef" not in response.text

    # The page saves what it shows: masked values keep the stored secrets.
    changed = client.patch(
        f"/api/providers/{created['id']}",
        json={"base_url": "http://alice:***@localhost:9000/", "headers": {**created["headers"], "X-Team": "s"}},
    ).json()
    assert changed["base_url"] == "http://alice:***@localhost:9000/"
    stored = client.app.state.registry.get_provider(created["id"])
    assert stored.base_url == f"http://alice:{URL_PASSWORD}@localhost:9000/"
    assert stored.headers == {"api-key": SECRET_HEADER, "X-Team": "s"}


def test_secrets_a_provider_echoes_back_are_redacted(client, fake_upstream):
    up = fake_upstream("openai", fault=Fault("echo"))
    host = up.base_url.removeprefix("http://")
    provider = add(
        client, base_url=f"http://alice:{URL_PASSWORD}@{host}", headers={"x-goog-api-key": "goog-key-ABCDEFGH1234"}
    )
    result = client.post(f"/api/providers/{provider['id']}/check", json={"model": "fake-model"}).json()
    error = result["results"][0]["error"]
    assert "Rejected request with headers" in error["message"]
    text = json.dumps(result)
    assert "goog-key-ABCDEFGH1234" not in text and URL_PASSWORD not in text
    assert "YWxpY2U6" not in text  # alice:… as Basic credentials
    assert up.requests[0].headers["x-goog-api-key"] == "goog-key-ABCDEFGH1234"


def test_an_undecryptable_provider_does_not_break_the_lists_and_can_be_fixed_or_removed(client):
    from cryptography.fernet import Fernet

    from drupe.store.tables import providers as providers_table

    good = add(client, "Good", api_keys=[GOOD_KEY])
    client.post(f"/api/providers/{good['id']}/models", json={"model_id": "gpt-4o"})
    lost = add(client, "Lost", api_keys=[BAD_KEY])
    client.post(f"/api/providers/{lost['id']}/models", json={"model_id": "m1"})
    token = Fernet(Fernet.generate_key()).encrypt(b'["sk-elsewhere"]').decode()
    with client.app.state.store.engine.begin() as conn:
        conn.execute(providers_table.update().where(providers_table.c.id == lost["id"]).values(api_keys=token))

    listed = client.get("/api/providers")
    assert listed.status_code == 200
    assert [(p["name"], p["secrets_unreadable"]) for p in listed.json()] == [("Good", False), ("Lost", True)]
    models = client.get("/api/models")
    assert models.status_code == 200 and len(models.json()) == 2
    checked = client.post(f"/api/providers/{lost['id']}/check", json={"model": "m1"})
    assert checked.status_code == 409 and "cannot be decrypted" in checked.json()["error"]["message"]
    assert checked.json()["error"]["code"] == "secrets_unreadable" and "Settings" in checked.json()["error"]["message"]
    assert "drupe provider" not in checked.json()["error"]["message"]  # the CLI's advice stays in the CLI

    fixed = client.patch(f"/api/providers/{lost['id']}", json={"api_keys": ["sk-new-aaaabbbbccccdddd"]}).json()
    assert (fixed["secrets_unreadable"], fixed["api_keys"]) == (False, ["sk-…dddd"])
    with client.app.state.store.engine.begin() as conn:
        conn.execute(providers_table.update().where(providers_table.c.id == lost["id"]).values(api_keys=token))
    assert client.delete(f"/api/providers/{lost['id']}").status_code == 200
    assert [p["name"] for p in client.get("/api/providers").json()] == ["Good"]


def test_remote_models_name_the_url_without_its_credentials(client, fake_upstream):
    up = fake_upstream("openai")
    host = up.base_url.removeprefix("http://")
    provider = add(client, base_url=f"http://alice:{URL_PASSWORD}@{host}")
    listing = client.get(f"/api/providers/{provider['id']}/remote-models")
    assert listing.status_code == 200 and listing.json()["url"] == f"http://alice:***@{host}/v1/models"
    assert up.requests[0].headers["authorization"].startswith("Basic ")  # the credentials were used

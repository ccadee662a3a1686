"""Bad input to the API over HTTP: numbers the store cannot hold, NUL and broken Unicode,
booleans posing as numbers, the `Allow` header of a 405, and an OpenAPI document that
lists every status a route answers. Each is the documented error JSON, never a 500."""

from __future__ import annotations

import pytest

TOO_BIG = 2**63  # one more than SQLite's (and PostgreSQL's bigint) largest integer
MAX_ID = 2**53 - 1  # the largest the API takes: exact in JavaScript numbers


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["kind"] == ("invalid" if status in (400, 422) else error["kind"])
    return error["message"]


@pytest.fixture
def server(web_server):
    return web_server()


def test_integers_too_big_for_the_store_are_refused_by_name(server):
    client = server.client
    conversation = client.post("/api/conversations", json={}).json()["id"]
    cases = [
        ("GET", f"/api/messages/{TOO_BIG}/alternatives", None, "message_id"),
        ("POST", f"/api/messages/{TOO_BIG}/select", None, "message_id"),
        ("POST", f"/api/messages/{TOO_BIG}/edit", {"content": "x"}, "message_id"),
        ("POST", f"/api/answers/{TOO_BIG}/regenerate", None, "answer_id"),
        ("POST", f"/api/answers/{TOO_BIG}/stop", None, "answer_id"),
        ("GET", f"/api/conversations?offset={TOO_BIG}", None, "offset"),
        ("GET", "/api/conversations?offset=99999999999999999999999", None, "offset"),
        ("GET", f"/api/conversations/{conversation}/messages?before={TOO_BIG}", None, "before"),
        ("POST", f"/api/conversations/{conversation}/messages", {"content": "x", "parent_id": TOO_BIG}, "parent_id"),
        ("POST", "/api/conversations", {"settings": {"max_tokens": TOO_BIG}}, "settings.max_tokens"),
        ("GET", "/api/messages/0/alternatives", None, "message_id"),
        ("GET", f"/api/messages/{MAX_ID + 1}/alternatives", None, "message_id"),
    ]
    for method, path, body, field in cases:
        message = error_of(client.request(method, path, json=body), 422)
        assert message.startswith(f"{field}: Input should be"), (path, message)
    # Nothing was stored by the refused send.
    assert client.get(f"/api/conversations/{conversation}/messages").json()["messages"] == []


def test_text_the_store_cannot_hold_is_refused_with_what_to_fix(server):
    client = server.client
    assert error_of(client.get("/api/search", params={"q": "a\x00b"}), 422) == (
        "q: contains a NUL character (\\u0000); remove it"
    )
    assert "title: contains a NUL character" in error_of(
        client.post("/api/conversations", json={"title": "a\x00"}), 422
    )
    assert "name: contains a NUL character" in error_of(
        client.post("/api/providers", json={"name": "x\x00", "type": "openai"}), 422
    )
    lone_surrogate = b'{"title": "a\\ud800b"}'  # valid JSON, not valid Unicode: no UTF-8 encoding exists
    response = client.post("/api/conversations", content=lone_surrogate, headers={"content-type": "application/json"})
    assert "title: is not valid Unicode" in error_of(response, 422)
    assert "headers.X-A\nB" in error_of(
        client.post("/api/providers", json={"name": "h", "type": "openai", "headers": {"X-A\nB": "v"}}), 422
    )
    assert "headers.X-A: contains a control character" in error_of(
        client.post("/api/providers", json={"name": "h", "type": "openai", "headers": {"X-A": "v\r\nX-Evil: 1"}}), 422
    )
    lone_in_header = b'{"name": "h", "type": "openai", "headers": {"X-A": "a\\ud800"}}'  # was stored, then a 500
    response = client.post("/api/providers", content=lone_in_header, headers={"content-type": "application/json"})
    assert "headers.X-A: is not valid Unicode" in error_of(response, 422)
    assert client.get("/api/providers").json() == []


def test_a_boolean_or_nan_is_not_a_number(server):
    client = server.client
    for settings in ({"context_count": False}, {"max_tokens": True}, {"temperature": True}, {"max_tokens": 1.5}):
        field = next(iter(settings))
        message = error_of(client.post("/api/conversations", json={"settings": settings}), 422)
        assert message.startswith(f"settings.{field}: Input should be a valid"), message
    nan = b'{"settings": {"temperature": NaN}}'  # Python's JSON reader accepts it; the range check must not
    response = client.post("/api/conversations", content=nan, headers={"content-type": "application/json"})
    assert error_of(response, 422).startswith("settings.temperature:")
    assert client.get("/api/conversations").json() == []
    good = client.post("/api/conversations", json={"settings": {"context_count": 0, "temperature": 1}})
    assert good.status_code == 201 and good.json()["settings"]["context_count"] == 0


def test_bodies_that_are_not_json_say_so(server):
    client = server.client

    def post(body: bytes):
        return client.post("/api/conversations", content=body, headers={"content-type": "application/json"})

    assert error_of(post(b"{"), 422).startswith("The request body is not valid JSON")
    for not_utf8 in (b"\xff\xfe{", b'{"title": "caf\xe9"}'):
        assert error_of(post(not_utf8), 400) == "The request body could not be read: send JSON encoded as UTF-8."
    assert error_of(client.post("/api/providers"), 422) == "The request body is missing: send a JSON object."


def test_405_names_every_method_the_address_takes(server):
    client = server.client
    cases = [
        ("OPTIONS", "/api/providers", "GET, POST"),
        ("PUT", "/api/conversations/abc", "DELETE, GET, PATCH"),
        ("OPTIONS", "/api/providers/p/models/org/model", "DELETE, PATCH"),
        ("GET", "/api/answers/1/stop", "POST"),  # was the page's 404: the catch-all claimed every GET
        ("DELETE", "/api/meta", "GET"),
        ("POST", "/settings", "GET"),
    ]
    for method, path, allow in cases:
        response = client.request(method, path)
        assert (response.status_code, response.headers.get("allow")) == (405, allow), (method, path, response.text)
        assert response.json()["error"]["kind"] == "method_not_allowed"
        assert response.json()["error"]["message"] == f"{path} does not take {method}; use {allow}."
    missing = client.get("/api/nothing-here")
    assert error_of(missing, 404) == "No API endpoint /api/nothing-here. See docs/api.md."
    assert client.get("/settings").status_code == 200  # the page still routes itself


def test_openapi_lists_every_status_with_the_error_shape(server):
    document = server.client.get("/api/openapi.json").json()
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    expected = {
        "GET /api/conversations/{conversation_id}": {"200", "400", "404", "422"},
        "POST /api/conversations/{conversation_id}/messages": {"200", "400", "404", "409", "422", "503"},
        "POST /api/answers/{answer_id}/stop": {"200", "409", "422"},
        "GET /api/providers/{provider_id}/remote-models": {"200", "400", "404", "409", "422", "502"},
        "PUT /api/providers/order": {"200", "400", "404", "422"},
        "GET /api/search": {"200", "422"},
    }
    for name, statuses in expected.items():
        assert set(operations[name]["responses"]) == statuses | {"401", "403", "413"}, name
    for name, operation in operations.items():
        assert {"401", "403", "413"} <= set(operation["responses"]), name  # the guards answer before any route
        for status, response in operation["responses"].items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"] == error_ref, (name, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    events = operations["POST /api/messages/{message_id}/edit"]["responses"]["200"]["content"]
    assert list(events) == ["text/event-stream"]
    [message_id] = operations["GET /api/messages/{message_id}/alternatives"]["parameters"]
    assert (message_id["schema"]["minimum"], message_id["schema"]["maximum"]) == (1, MAX_ID)
    parent_id = document["components"]["schemas"]["SendIn"]["properties"]["parent_id"]["anyOf"][0]
    assert parent_id["maximum"] == MAX_ID  # written as a double: exact only up to 2^53


def _input_schemas(document: dict):
    """Every schema a client fills in: parameters and request bodies, $refs followed, each named by where it is."""
    components = document["components"]["schemas"]
    seen: set[str] = set()

    def walk(schema: dict, where: str):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from walk(components[name], name)
            return
        yield where, schema
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for _index, part in enumerate(schema.get(key, [])):
                yield from walk(part, where)
        for key in ("items", "additionalProperties", "propertyNames"):
            if isinstance(schema.get(key), dict):
                yield from walk(schema[key], f"{where}[{key}]")
        for name, part in schema.get("properties", {}).items():
            yield from walk(part, f"{where}.{name}")

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield from walk(parameter["schema"], f"{label} {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content["schema"], f"{label} body")


def test_every_number_is_bounded_and_every_text_refuses_nul(server):
    """The rule behind the 500s, checked on the whole document rather than left to a fuzzer's luck:
    a number without a maximum can overflow the store, a string without a pattern can carry NUL."""
    document = server.client.get("/api/openapi.json").json()
    checked = 0
    for where, schema in _input_schemas(document):
        if schema.get("type") in ("integer", "number"):
            assert "minimum" in schema or "exclusiveMinimum" in schema, where
            assert "maximum" in schema, where
            checked += 1
        elif schema.get("type") == "string":
            # x-cleaned: chat text, which the chat service makes storable instead of refusing it
            assert "pattern" in schema or "enum" in schema or "const" in schema or schema.get("x-cleaned"), where
            checked += 1
    assert checked > 60


def test_a_title_longer_than_the_cap_is_refused_and_nothing_is_stored(server):
    client = server.client
    created = client.post("/api/conversations", json={"title": "t" * 500})
    assert created.status_code == 201
    assert "title" in error_of(client.post("/api/conversations", json={"title": "t" * 501}), 422)
    conversation_id = created.json()["id"]
    assert "title" in error_of(
        client.patch(f"/api/conversations/{conversation_id}", json={"title": "x" * 5_000_000}), 422
    )
    assert client.get(f"/api/conversations/{conversation_id}").json()["title"] == "t" * 500

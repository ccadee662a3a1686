"""/api/openapi.json describes every answer: each JSON success response has a real schema
(the fuzz test, tests/test_api_fuzz.py, then checks the answers against them)."""

from __future__ import annotations

from typing import Any

import pytest

JSON = "application/json"
STREAMS = {"text/event-stream", "text/css", "text/markdown"}
"""Not JSON: the turns' events (docs/api.md), the highlight stylesheet, the Markdown export."""


@pytest.fixture
def document(web_server) -> dict[str, Any]:
    return web_server().client.get("/api/openapi.json").json()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _described(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that says something: an object with its properties, an array of such, or a union of them."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return all(_described(document, option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return _described(document, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties")) and bool(schema.get("required"))


def test_every_json_answer_has_a_schema(document):
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                content = response.get("content", {})
                assert content, f"{method.upper()} {path} {status}: no content type"
                assert set(content) <= {JSON, *STREAMS}, f"{method.upper()} {path}: {set(content)}"
                if JSON in content and not _described(document, content[JSON].get("schema", {})):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_the_records_shapes_are_closed(document):
    """A field the answers carry but the schema lacks is an error (500 in the web tests), not a silent drop."""
    schemas = document["components"]["schemas"]
    closed = ("Provider", "ProviderWithModels", "Model", "Conversation", "Message", "StoredMessage", "Export")
    for name in (*closed, "ToolStep", "ToolCall"):
        assert schemas[name]["additionalProperties"] is False, name
    provider = schemas["Provider"]["properties"]
    assert {"api_keys", "headers", "base_url", "proxy", "model_count", "chat_url", "models_url"} <= set(provider)


def test_times_are_described_as_the_api_writes_them(document):
    """Naive UTC times (`2025-01-01T10:00:00`): JSON Schema's `date-time` would demand an offset."""
    text = str(document["components"]["schemas"])
    assert "date-time" not in text
    created = document["components"]["schemas"]["Message"]["properties"]["created_at"]
    assert created["type"] == "string" and "pattern" in created

"""The JSON Schema → Gemini schema subset converter, as a table of inputs and what is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drupe.protocols.gemini_schema import MAX_DEPTH, MAX_REF_DEPTH, to_gemini_schema


def converted(schema: Any) -> dict:
    result = to_gemini_schema(schema)
    assert result is not None
    return result


def obj(**properties) -> dict:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        # what Gemini does not know is dropped
        (
            {
                **obj(a={"type": "string", "title": "A", "examples": ["x"], "$comment": "c"}),
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "urn:x",
                "title": "Args",
                "additionalProperties": False,
            },
            obj(a={"type": "string"}),
        ),
        (
            obj(n={"type": "number", "exclusiveMinimum": 0, "multipleOf": 2, "minimum": 1, "maximum": 9}),
            obj(n={"type": "number", "minimum": 1, "maximum": 9}),
        ),
        (
            obj(s={"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^a", "example": "ab"}),
            obj(s={"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^a", "example": "ab"}),
        ),
        (obj(s={"type": "string", "minLength": "1"}), obj(s={"type": "string"})),  # not a number: dropped
        # nullable types
        (obj(a={"type": ["string", "null"]}), obj(a={"type": "string", "nullable": True})),
        (obj(a={"type": ["null", "integer"]}), obj(a={"type": "integer", "nullable": True})),
        (
            obj(a={"type": ["integer", "string"], "description": "id"}),
            obj(a={"anyOf": [{"type": "integer"}, {"type": "string"}], "description": "id"}),
        ),
        (obj(a={"anyOf": [{"type": "string"}, {"type": "null"}]}), obj(a={"type": "string", "nullable": True})),
        (
            obj(a={"anyOf": [{"type": "string", "description": "inner"}, {"type": "null"}], "description": "outer"}),
            obj(a={"type": "string", "description": "outer", "nullable": True}),
        ),
        (
            obj(a={"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}),
            obj(a={"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True}),
        ),
        (obj(a={"type": "null"}), obj(a={"type": "string", "nullable": True})),
        # const, enum, format, default
        (obj(a={"const": "fixed"}), obj(a={"type": "string", "enum": ["fixed"]})),
        (obj(a={"enum": ["a", "b", None]}), obj(a={"type": "string", "nullable": True, "enum": ["a", "b"]})),
        (obj(a={"type": "integer", "enum": [1, 2]}), obj(a={"type": "integer", "description": "one of: 1, 2"})),
        (obj(a={"const": True}), obj(a={"type": "boolean", "description": "one of: true"})),
        (obj(a={"type": "string", "format": "date-time"}), obj(a={"type": "string", "format": "date-time"})),
        (obj(a={"type": "integer", "format": "int64"}), obj(a={"type": "integer", "format": "int64"})),
        (
            obj(a={"type": "string", "format": "uri", "description": "A link", "default": "https://x"}),
            obj(a={"type": "string", "description": "A link (format: uri; default: https://x)"}),
        ),
        (obj(a={"type": "integer", "default": 3}), obj(a={"type": "integer", "description": "default: 3"})),
        # types inferred where none is given (Gemini requires one)
        (obj(a={"description": "anything"}), obj(a={"type": "string", "description": "anything"})),
        (obj(a={"properties": {"b": {"type": "string"}}}), obj(a=obj(b={"type": "string"}))),
        (obj(a={"items": {"type": "string"}}), obj(a={"type": "array", "items": {"type": "string"}})),
        (obj(a={"maximum": 3}), obj(a={"type": "number", "maximum": 3})),
        (obj(a=True), obj(a={"type": "string"})),
        # arrays
        (obj(a={"type": "array"}), obj(a={"type": "array", "items": {"type": "string"}})),
        (
            obj(a={"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}),
            obj(a={"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}),
        ),
        (
            obj(a={"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2}),
            obj(a={"type": "array", "minItems": 2, "items": {"type": "number"}}),
        ),
        # objects
        (
            {**obj(a={"type": "string"}), "required": ["a", "ghost", 3]},
            {**obj(a={"type": "string"}), "required": ["a"]},
        ),
        (
            obj(o={"type": "object", "properties": {}, "additionalProperties": {"type": "string"}}),
            obj(o={"type": "object"}),
        ),
        (
            {**obj(a={"type": "string"}, b={"type": "string"}), "propertyOrdering": ["b", "a"]},
            {**obj(a={"type": "string"}, b={"type": "string"}), "propertyOrdering": ["b", "a"]},
        ),
        # allOf merged
        (
            obj(
                a={
                    "allOf": [
                        {**obj(x={"type": "string"}), "required": ["x"]},
                        {**obj(y={"type": "number"}), "required": ["y"]},
                    ],
                    "description": "both",
                }
            ),
            obj(a={**obj(x={"type": "string"}, y={"type": "number"}), "required": ["x", "y"], "description": "both"}),
        ),
        # refs inlined
        (
            {**obj(p={"$ref": "#/$defs/Point", "description": "where"}), "$defs": {"Point": obj(x={"type": "number"})}},
            obj(p={**obj(x={"type": "number"}), "description": "where"}),
        ),
        (
            {
                **obj(p={"anyOf": [{"$ref": "#/definitions/P"}, {"type": "null"}]}),
                "definitions": {"P": obj(x={"type": "number"})},
            },
            obj(p={**obj(x={"type": "number"}), "nullable": True}),
        ),
        (
            obj(p={"$ref": "https://example.com/p.json", "description": "remote"}),
            obj(p={"type": "string", "description": "remote"}),
        ),
        (obj(p={"$ref": "#/$defs/Missing"}), obj(p={"type": "string"})),
        # a root without properties: no parameters at all
        ({"type": "object", "properties": {}}, None),
        ({"type": "object"}, None),
        ({}, None),
        ({"type": "string"}, None),
        ([], None),
    ],
)
def test_gemini_schema_table(given, sent):
    assert to_gemini_schema(given) == sent


def test_gemini_schema_unrolls_a_recursive_ref_then_cuts_it():
    tree = {
        **obj(root={"$ref": "#/$defs/Node"}),
        "$defs": {"Node": {**obj(kids={"type": "array", "items": {"$ref": "#/$defs/Node"}}), "description": "A node"}},
    }
    node, levels = converted(tree)["properties"]["root"], 0
    while "properties" in node:
        levels += 1
        node = node["properties"]["kids"]["items"]
    assert levels == MAX_REF_DEPTH
    assert node == {"type": "object", "description": "A node"}


def test_gemini_schema_a_root_ref_is_inlined():
    schema = obj(child={"$ref": "#"}, name={"type": "string"})
    child = converted(schema)["properties"]["child"]
    assert child["properties"]["name"] == {"type": "string"}


def test_gemini_schema_cuts_deep_nesting():
    schema = obj(leaf={"type": "string"})
    for _ in range(MAX_DEPTH + 5):
        schema = obj(inner={**schema, "description": "level"})
    node, depth = converted(schema), 0
    while "properties" in node:
        node = node["properties"].get("inner") or node["properties"]["leaf"]
        depth += 1
    assert depth == MAX_DEPTH and node == {"type": "object", "description": "level"}


@pytest.mark.parametrize(
    "junk",
    [
        obj(a={"type": [1, {"x": 1}, "string"]}),
        obj(a={"anyOf": "nope"}),
        obj(a={"anyOf": [1, None, {"type": "null"}]}),
        obj(a={"allOf": [3, {"properties": []}]}),
        obj(a={"$ref": 5}),
        obj(a={"enum": "abc"}),
        obj(a={"required": {"x": 1}, "properties": {"x": {}}}),
        obj(a={"items": 7, "type": "array"}),
        obj(a={"format": 3, "type": "string"}),
        {**obj(a={"$ref": "#/$defs/A"}), "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}},
    ],
)
def test_gemini_schema_never_raises_and_always_types(junk):
    result = converted(junk)
    json.dumps(result)

    def typed(schema: dict) -> None:
        assert "type" in schema or "anyOf" in schema
        for sub in (schema.get("properties") or {}).values():
            typed(sub)
        for sub in [schema["items"]] if "items" in schema else []:
            typed(sub)
        for sub in schema.get("anyOf") or []:
            typed(sub)

    typed(result)

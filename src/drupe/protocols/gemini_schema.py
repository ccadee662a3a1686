"""A tool's JSON Schema as the subset Gemini's `FunctionDeclaration.parameters` accepts.

Gemini takes "a select subset of an OpenAPI 3.0 schema object" (https://ai.google.dev/api/caching#Schema,
https://ai.google.dev/gemini-api/docs/function-calling#function_declarations) and answers 400 to a
request with a field it does not know, so one MCP tool with `$schema` or `additionalProperties`
would fail every request that offers it. `to_gemini_schema` rewrites a schema into that subset:
pure, never raising, bounded in depth. What is kept, changed and dropped:

| JSON Schema | Sent to Gemini |
|---|---|
| `type` (`string`, `number`, `integer`, `boolean`, `array`, `object`) | kept |
| `type: [X, "null"]` | `type: X, nullable: true` |
| `type: [X, Y]` | `anyOf: [{type: X}, {type: Y}]` |
| no `type` | inferred from the other keywords (`properties` → object, `items` → array, `minimum` → number, `enum` values → their type, otherwise string: Gemini refuses a schema without one, and text can carry any value) |
| `type: "null"` | inferred as above, with `nullable: true` (Gemini refuses the `null` type) |
| `description`, `nullable`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`, `minItems`, `maxItems`, `minProperties`, `maxProperties`, `example`, `propertyOrdering` | kept |
| `properties`, `items` | kept, each converted in turn; an array without `items` gets `items: {type: string}` (Gemini requires it) |
| `items: [A, B]`, `prefixItems` (tuples) | `items` is the one schema, or `anyOf` of them |
| `properties: {}` | dropped; a tool whose parameters have no properties is declared with no `parameters` at all (Gemini rejects an empty root object) |
| `required` | kept, without names that are not in `properties` (Gemini rejects those) |
| `enum` of strings | kept (`null` in it → `nullable: true`) |
| `enum` with other values | dropped; its values are added to `description` ("one of: 1, 2") — Gemini's `enum` is strings only |
| `const: V` | as `enum: [V]` |
| `format` `enum`, `date-time` (strings), `float`, `double` (numbers), `int32`, `int64` (integers) | kept |
| any other `format` (`uri`, `email`…) | dropped; added to `description` ("format: uri") |
| `default` | dropped; added to `description` ("default: 5") — the reference lists it, but Gemini has refused it (unknown name `default`) and the model only needs to read it |
| `anyOf`, `oneOf` | `anyOf`; a `null` alternative becomes `nullable: true`; a single alternative left is inlined |
| `allOf` | its schemas merged into one (properties and `required` combined) |
| `$ref` to `#/$defs/…`, `#/definitions/…` or `#` | inlined, at most `MAX_REF_DEPTH` deep along one path (a recursive schema is cut there, to `{type}` with the description) |
| `$ref` elsewhere (another document, a JSON pointer) | dropped; the node keeps its other keywords |
| `$schema`, `$id`, `$defs`, `definitions`, `$comment`, `title` (listed in the reference, but refused as an unknown name, and in `$defs` taken for functions: googleapis/python-genai#1732), `examples`, `additionalProperties`, `patternProperties`, `propertyNames`, `unevaluatedProperties`, `dependentRequired`, `dependentSchemas`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `uniqueItems`, `contains`, `not`, `if`/`then`/`else`, `readOnly`, `writeOnly`, `deprecated`, `contentEncoding`, `contentMediaType`, `discriminator`, `x-…` and anything else | dropped |

Schemas nested deeper than `MAX_DEPTH` are cut to `{type}` with their description. Property
names are left as they are: renaming them would change the arguments the tool receives.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 16
"""Nested schemas converted; real tools nest a few levels."""

MAX_REF_DEPTH = 4
"""`$ref`s inlined one inside another along one path (a recursive type is unrolled this far)."""

TYPES = ("string", "number", "integer", "boolean", "array", "object")

KEPT = (
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "example",
)
"""Copied as they are: Gemini documents each."""

FORMATS = {"string": ("enum", "date-time"), "number": ("float", "double"), "integer": ("int32", "int64")}
"""The formats Gemini documents, per type; others go into the description."""

_NUMBER_WORDS = ("minimum", "maximum")
_STRING_WORDS = ("minLength", "maxLength", "pattern", "format")
_ARRAY_WORDS = ("items", "prefixItems", "minItems", "maxItems")
_OBJECT_WORDS = ("properties", "required", "minProperties", "maxProperties", "propertyOrdering")


def to_gemini_schema(parameters: dict[str, Any]) -> dict[str, Any] | None:
    """A tool's parameters (a JSON Schema object) for Gemini; None when it takes none, in which
    case the declaration is sent without `parameters`."""
    if not isinstance(parameters, dict):
        return None
    defs: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        if isinstance(parameters.get(key), dict):
            defs.update(parameters[key])
    defs["#"] = parameters
    converted = _Converter(defs).convert(parameters, 0, ())
    if not converted.get("properties"):
        return None
    converted["type"] = "object"
    converted.pop("nullable", None)
    return converted


class _Converter:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def convert(self, node: object, depth: int, refs: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(node, dict):
            return {"type": "string"}  # `true` or a malformed entry: any value
        node, refs = self._resolve(node, refs)
        if depth >= MAX_DEPTH or node.get("$ref") == _CUT:
            return _stand_in(node)
        node = _merged_all_of(node, lambda n: self._resolve(n, refs)[0])
        nullable = node.get("nullable") is True
        types = node.get("type")
        if isinstance(types, list):
            nullable = nullable or "null" in types
            named = [t for t in dict.fromkeys(t for t in types if isinstance(t, str)) if t in TYPES]
            if len(named) > 1:
                rest = {k: v for k, v in node.items() if k not in ("type", "description", "anyOf", "oneOf")}
                per_type = [self.convert({**rest, "type": t}, depth + 1, refs) for t in named]
                return _alternatives(per_type, node.get("description"), nullable)
            node = {**node, "type": named[0] if named else None}
        elif types == "null":
            nullable, node = True, {**node, "type": None}
        variants = node.get("anyOf") if isinstance(node.get("anyOf"), list) else node.get("oneOf")
        if isinstance(variants, list):
            given = [v for v in variants if isinstance(v, dict)]
            others = [v for v in given if not _is_null(v)]
            nullable = nullable or len(others) < len(given)
            siblings = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            if len(others) == 1:
                merged, refs = self._resolve({**others[0], **_present(siblings)}, refs)
                converted = self.convert(merged, depth + 1, refs)
                return {**converted, "nullable": True} if nullable else converted
            if others:
                converted_variants = [self.convert(v, depth + 1, refs) for v in others]
                return _alternatives(converted_variants, node.get("description"), nullable)
            node = siblings
        return self._single(node, depth, refs, nullable)

    def _single(self, node: dict[str, Any], depth: int, refs: tuple[str, ...], nullable: bool) -> dict[str, Any]:
        """One schema with (at most) one type and no alternatives left."""
        notes: list[str] = []
        values = [node["const"]] if "const" in node else node.get("enum")
        if isinstance(values, list):
            nullable = nullable or None in values
            values = [v for v in values if v is not None]
        type_: str = node["type"] if node.get("type") in TYPES else _inferred(node, values)
        out: dict[str, Any] = {"type": type_}
        if nullable:
            out["nullable"] = True
        if isinstance(values, list) and values:
            if type_ == "string" and all(isinstance(v, str) for v in values):
                out["enum"] = values
            else:
                notes.append("one of: " + ", ".join(_shown(v) for v in values))
        form = node.get("format")
        if isinstance(form, str) and form:
            if form in FORMATS.get(type_, ()):
                out["format"] = form
            else:
                notes.append(f"format: {form}")
        if "default" in node:
            notes.append(f"default: {_shown(node['default'])}")
        for key in KEPT:
            if key in node and _usable(key, node[key]):
                out[key] = node[key]
        if type_ == "object":
            self._object(node, out, depth, refs)
        elif type_ == "array":
            out["items"] = self._items(node, depth, refs)
        description = node.get("description") if isinstance(node.get("description"), str) else ""
        if notes:
            description = f"{description} ({'; '.join(notes)})" if description else "; ".join(notes)
        if description:
            out["description"] = description
        return out

    def _object(self, node: dict[str, Any], out: dict[str, Any], depth: int, refs: tuple[str, ...]) -> None:
        properties = node.get("properties")
        if isinstance(properties, dict) and properties:
            out["properties"] = {
                str(name): self.convert(schema, depth + 1, refs) for name, schema in properties.items()
            }
            required = node.get("required")
            if isinstance(required, list):
                names = dict.fromkeys(name for name in required if isinstance(name, str))
                kept = [name for name in names if name in properties]
                if kept:
                    out["required"] = kept
            ordering = node.get("propertyOrdering")
            if isinstance(ordering, list) and all(isinstance(name, str) for name in ordering):
                out["propertyOrdering"] = ordering

    def _items(self, node: dict[str, Any], depth: int, refs: tuple[str, ...]) -> dict[str, Any]:
        items = node.get("items")
        if not isinstance(items, dict | list) and isinstance(node.get("prefixItems"), list):
            items = node["prefixItems"]
        if isinstance(items, dict):
            return self.convert(items, depth + 1, refs)
        if isinstance(items, list) and items:
            converted = [self.convert(item, depth + 1, refs) for item in items]
            distinct = [c for i, c in enumerate(converted) if c not in converted[:i]]
            return distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
        return {"type": "string"}

    def _resolve(self, node: dict[str, Any], refs: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The node with a local `$ref` inlined (its own keywords win), as long as the ref
        chain is under MAX_REF_DEPTH; past it the node is marked to be cut."""
        seen = 0
        while isinstance(ref := node.get("$ref"), str) and ref != _CUT and seen < MAX_REF_DEPTH:
            seen += 1
            rest = {k: v for k, v in node.items() if k != "$ref"}
            name = _local_name(ref)
            target = self.defs.get(name) if name is not None else None
            if name is None or not isinstance(target, dict):
                return rest, refs
            if len(refs) >= MAX_REF_DEPTH:
                return {**target, **rest, "$ref": _CUT}, refs
            node, refs = {**target, **rest}, (*refs, name)
        return node, refs


_CUT = "\0cut"
"""Marks a node whose `$ref` chain went past MAX_REF_DEPTH."""


def _local_name(ref: str) -> str | None:
    """The definition a local `$ref` names ("#" for the whole schema), or None."""
    if ref == "#":
        return ref
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix) and "/" not in ref[len(prefix) :]:
            return ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
    return None


def _merged_all_of(node: dict[str, Any], resolve: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """`allOf` folded into the node: properties and `required` combined, the first value of
    every other keyword kept, the node's own keywords over all."""
    parts = node.get("allOf")
    if not isinstance(parts, list):
        return node
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[Any] = []
    for part in [resolve(p) for p in parts if isinstance(p, dict)] + [node]:
        if isinstance(part.get("properties"), dict):
            properties.update(part["properties"])
        if isinstance(part.get("required"), list):
            required.extend(part["required"])
        for key, value in part.items():
            if key not in ("allOf", "properties", "required") and (part is node or key not in merged):
                merged[key] = value
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _alternatives(variants: list[dict[str, Any]], description: object, nullable: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"anyOf": variants}
    if nullable:
        out["nullable"] = True
    if isinstance(description, str) and description:
        out["description"] = description
    return out


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or schema.get("const", 0) is None or schema.get("enum") == [None]


def _inferred(node: dict[str, Any], values: list | None) -> str:
    """The type of a schema that names none (Gemini requires one)."""
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    for words, type_ in ((_OBJECT_WORDS, "object"), (_ARRAY_WORDS, "array"), (_NUMBER_WORDS, "number")):
        if any(word in node for word in words):
            return type_
    return "string"


def _stand_in(node: dict[str, Any]) -> dict[str, Any]:
    """What a schema cut at the depth caps becomes: its type (an object when it has none that
    is simple) and its description."""
    type_ = node.get("type")
    out: dict[str, Any] = {"type": type_ if type_ in TYPES else "object"}
    if isinstance(node.get("description"), str) and node["description"]:
        out["description"] = node["description"]
    return out


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """The keywords that say something (a `type: None` left by a removed null says nothing)."""
    return {k: v for k, v in values.items() if v is not None}


def _usable(key: str, value: object) -> bool:
    """A kept keyword's value is of the kind Gemini documents (a bad one would fail the request)."""
    if key == "example":
        return True
    if key == "pattern":
        return isinstance(value, str)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

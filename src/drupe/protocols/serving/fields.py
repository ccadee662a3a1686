"""Reading a client's JSON body field by field: each check names the field at fault.

Every failure is a `DrupeError` with code "invalid" and `field` set to the field's path as the
client wrote it (`messages[2].content[0].type`), so the gateway answers 400 saying exactly what
to fix. The readers are small and strict about types: a body drupe cannot understand is
refused, never guessed at.
"""

from __future__ import annotations

import binascii
import json
import re
from base64 import b64decode
from typing import Any

from drupe.errors import DrupeError
from drupe.protocols.base import ImagePart, ToolSpec

TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""A tool name every provider type accepts (see `ToolSpec`)."""

MAX_STOP = 16
"""Stop sequences in one request: OpenAI takes 4, Anthropic more; past this is a mistake."""

_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)((?:;[\w-]+=[^;,]*)*);base64,", re.ASCII)


def invalid(field: str, why: str) -> DrupeError:
    """The error for a field that cannot be read or translated; `why` says what is wrong."""
    return DrupeError(f"{field}: {why}", code="invalid", field=field)


def untranslatable(field: str, value: str, what: str) -> DrupeError:
    """A known value drupe cannot pass on (an audio part, a server tool…)."""
    return invalid(field, f"{value!r} cannot be translated: {what}")


def body_object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("body", "expected a JSON object")
    return body


def obj(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(field, f"expected an object, got {_kind(value)}")
    return value


def array(value: object, field: str, *, empty: bool = True) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(field, f"expected an array, got {_kind(value)}")
    if not empty and not value:
        raise invalid(field, "must not be empty")
    return value


def text(value: object, field: str, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise invalid(field, f"expected a string, got {_kind(value)}")
    if not empty and not value:
        raise invalid(field, "must not be empty")
    return value


def required(body: dict[str, Any], name: str, prefix: str = "") -> Any:
    if name not in body or body[name] is None:
        raise invalid(f"{prefix}{name}", "is required")
    return body[name]


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(name, f"expected true or false, got {_kind(value)}")
    return value


def number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    """An optional number within [low, high]."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, f"expected a number, got {_kind(value)}")
    if not low <= value <= high:
        raise invalid(name, f"must be between {low:g} and {high:g}, not {value:g}")
    return float(value)


def count(body: dict[str, Any], name: str) -> int | None:
    """An optional whole number of at least 1 (a token limit)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, f"expected a whole number, got {_kind(value)}")
    if value < 1:
        raise invalid(name, f"must be at least 1, not {value}")
    return value


def stops(value: object, field: str, *, single: bool = True) -> tuple[str, ...]:
    """A list of stop sequences (Anthropic `stop_sequences`), or also one alone (OpenAI `stop`)."""
    if value is None:
        return ()
    items = [value] if single and isinstance(value, str) else array(value, field)
    if len(items) > MAX_STOP:
        raise invalid(field, f"at most {MAX_STOP} stop sequences, not {len(items)}")
    return tuple(text(item, f"{field}[{i}]", empty=False) for i, item in enumerate(items))


def tool_spec(tool: dict[str, Any], field: str, schema_field: str) -> ToolSpec:
    """A tool definition: `name`, `description` and its JSON Schema in `schema_field`
    (`parameters`, `input_schema`); `field` is where `tool` is (`tools[0].function`)."""
    checked = text(required(tool, "name", f"{field}."), f"{field}.name")
    if not TOOL_NAME.fullmatch(checked):
        raise invalid(f"{field}.name", "a tool name is 1 to 64 letters, digits, _ or -")
    description = tool.get("description")
    about = "" if description is None else text(description, f"{field}.description")
    parameters = tool.get(schema_field)
    schema = {"type": "object", "properties": {}} if parameters is None else obj(parameters, f"{field}.{schema_field}")
    return ToolSpec(checked, about, schema)


def arguments_json(value: object) -> str:
    """Arguments given as an object (Anthropic `tool_use.input`) as the JSON text drupe keeps."""
    return json.dumps(value, ensure_ascii=False)


def image_url(url: str, field: str) -> ImagePart:
    """An image URL: a base64 `data:` URL becomes inline data, an http(s) URL stays a URL."""
    match = _DATA_URL.match(url)
    if match:
        data = url[match.end() :]
        if not data:
            raise invalid(field, "the data URL holds no data")
        try:
            b64decode(data[:64].ljust(4 * ((min(len(data), 64) + 3) // 4), "="), validate=True)
        except (binascii.Error, ValueError):
            raise invalid(field, "the data URL's base64 data is malformed") from None
        return ImagePart(data=data, media_type=match.group(1).lower())
    if url.startswith("data:"):
        raise invalid(field, "only base64 data URLs (data:image/png;base64,…) are supported")
    if not url.lower().startswith(("https://", "http://")):
        raise invalid(field, "expected an http(s) URL or a base64 data URL")
    return ImagePart(url=url)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"

"""A conversation's custom parameters: checking them, reading `NAME=VALUE`, and the body fields they make.

Each parameter is a name, a type and a value. The value is kept in its own type (a number, a
string, a bool) except `json`, kept as the text written so it reads back as typed; it is checked
to parse here and parsed when the request is built. The fields go over the provider's extra body
fields (`drupe.protocols.wire.final_body`): the conversation wins, nested objects merge, and a
JSON `null` removes the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from drupe.chat.records import PARAM_TYPES, CustomParam
from drupe.errors import DrupeError
from drupe.i18n import _

MAX_PARAMS = 100
MAX_NAME = 200
MAX_JSON = 100_000
"""Characters of one JSON value: a body field, not a document."""


def checked_params(items: Iterable[CustomParam | Mapping[str, Any]]) -> tuple[CustomParam, ...]:
    """The parameters with their values in their types, or `invalid` naming the one to fix.
    Takes records or `{name, type, value}` mappings; a number or a boolean may be given as text."""
    params: list[CustomParam] = []
    for item in items:
        if isinstance(item, Mapping):
            item = CustomParam(name=item.get("name", ""), type=item.get("type", ""), value=item.get("value"))
        params.append(_checked(item))
    if len(params) > MAX_PARAMS:
        raise _invalid(_("At most {most} custom parameters, not {n}.", most=MAX_PARAMS, n=len(params)), "")
    seen: set[str] = set()
    for param in params:
        if param.name in seen:
            raise _invalid(_("The parameter {name} is given twice: keep one.", name=repr(param.name)), param.name)
        seen.add(param.name)
    return tuple(params)


def _checked(param: CustomParam) -> CustomParam:
    name = param.name.strip() if isinstance(param.name, str) else ""
    if "\x00" in name:
        raise _invalid(_("A parameter name cannot hold a NUL character."), "")
    if not name:
        raise _invalid(_("A custom parameter needs a name, like top_k."), "")
    if len(name) > MAX_NAME:
        raise _invalid(_("A parameter name has at most {most} characters.", most=MAX_NAME), name[:40])
    if param.type not in PARAM_TYPES:
        raise _invalid(
            _(
                "The parameter {name} has no type {type}: use number, text, boolean or json.",
                name=repr(name), type=repr(param.type),
            ),
            name,
        )  # fmt: skip
    value = _VALUE[param.type](name, param.value)
    return CustomParam(name=name, type=param.type, value=value)


def _number(name: str, value: Any) -> int | float:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise _invalid(
                    _("The parameter {name} must be a number, not {value}.", name=repr(name), value=repr(text)), name
                ) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(
            _("The parameter {name} must be a number, not {value}.", name=repr(name), value=repr(value)), name
        )
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(_("The parameter {name} is text: give its value as a string.", name=repr(name)), name)
    if "\x00" in value:
        raise _invalid(
            _("The parameter {name} holds a NUL character, which cannot be sent: remove it.", name=repr(name)), name
        )
    return value


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _invalid(
        _("The parameter {name} must be true or false, not {value}.", name=repr(name), value=repr(value)), name
    )


def _json(name: str, value: Any) -> str:
    """The JSON text, checked to parse; a value that is not text is written out as JSON."""
    if not isinstance(value, str):
        value = json.dumps(value)
    if len(value) > MAX_JSON:
        raise _invalid(
            _("The parameter {name} is longer than {most} characters.", name=repr(name), most=MAX_JSON), name
        )
    try:
        json.loads(value)
    except ValueError as error:
        raise _invalid(
            _("The parameter {name} is not valid JSON: {error}.", name=repr(name), error=error), name
        ) from None
    return value


_VALUE = {"number": _number, "text": _text, "boolean": _boolean, "json": _json}


def _invalid(message: str, name: str) -> DrupeError:
    return DrupeError(message, code="invalid", field="params", value=name)


def param_from_text(text: str) -> CustomParam:
    """`NAME=VALUE` from the command line: VALUE is read as JSON when it parses (a number, true or
    false, a quoted string, an object, an array, null), else taken as text."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise _invalid(_("Give a parameter as NAME=VALUE, like top_k=20, not {text}.", text=repr(text)), name.strip())
    try:
        value = json.loads(raw)
    except ValueError:
        return _checked(CustomParam(name=name, type="text", value=raw))
    if isinstance(value, bool):
        return _checked(CustomParam(name=name, type="boolean", value=value))
    if isinstance(value, (int, float)):
        return _checked(CustomParam(name=name, type="number", value=value))
    if isinstance(value, str):
        return _checked(CustomParam(name=name, type="text", value=value))
    return _checked(CustomParam(name=name, type="json", value=raw.strip()))


def merged_params(stored: Iterable[CustomParam], given: Iterable[CustomParam]) -> tuple[CustomParam, ...]:
    """The stored parameters with those given set over them by name (new names last)."""
    result = {param.name: param for param in stored}
    for param in given:
        result[param.name] = param
    return tuple(result.values())


def params_body(params: Iterable[CustomParam]) -> dict[str, Any]:
    """The body fields the parameters add to a request."""
    return {param.name: json.loads(param.value) if param.type == "json" else param.value for param in params}

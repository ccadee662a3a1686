"""Checks on what users type. Each failure says what is wrong and how to fix it, as an `invalid`
error whose `field` names the setting (a provider's or model's field, as the web API spells it)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from drupe.catalog import CAPABILITIES
from drupe.errors import DrupeError
from drupe.protocols.types import TYPES

MAX_NAME = 32


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DrupeError("The provider name is empty. Give a name of 1 to 32 characters.", code="invalid", field="name")
    if len(name) > MAX_NAME:
        raise DrupeError(
            f"The provider name is {len(name)} characters long; use at most {MAX_NAME}.", code="invalid", field="name"
        )
    return name


def check_type(type_: str) -> str:
    if type_ not in TYPES:
        raise DrupeError(
            f"Unknown provider type {type_!r}. Valid types: {', '.join(TYPES)}.",
            code="invalid", field="type", choices=list(TYPES),
        )  # fmt: skip
    return type_


def _check_http_url(url: str, what: str, field: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    if any(ch.isspace() for ch in url):
        raise DrupeError(f"The {what} {url!r} contains spaces. Remove them.", code="invalid", field=field)
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        example = "http://localhost:8000/" if "http" in schemes else f"{schemes[0]}://host:port"
        raise DrupeError(
            f"The {what} {url!r} is not a {'/'.join(schemes)} URL. Example: {example}", code="invalid", field=field
        )
    return url


def check_base_url(url: str, type_: str) -> str:
    url = (url or "").strip()
    if not url:
        spec = TYPES.get(type_)
        if spec is not None and not spec.official_base_url:
            from drupe.protocols.urls import missing_address

            raise missing_address(spec)
        return ""
    return _check_http_url(url, "API address", "base_url")


def check_proxy(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    return _check_http_url(url, "proxy URL", "proxy", ("http", "https", "socks5", "socks5h"))


def check_timeout(seconds: float) -> float:
    if not seconds or seconds <= 0:
        raise DrupeError(
            f"The timeout must be a positive number of seconds, not {seconds!r}.", code="invalid", field="timeout"
        )
    return seconds


def check_model_id(model_id: str) -> str:
    model_id = (model_id or "").strip()
    if not model_id:
        raise DrupeError(
            "The model ID is empty. Give the ID exactly as the provider's API expects it, e.g. gpt2.",
            code="invalid", field="model_id",
        )  # fmt: skip
    return model_id


def check_capabilities(capabilities: list[str]) -> list[str]:
    unknown = [cap for cap in capabilities if cap not in CAPABILITIES]
    if unknown:
        raise DrupeError(
            f"Unknown capability {unknown[0]!r}. Valid capabilities: {', '.join(CAPABILITIES)}.",
            code="invalid", field="capabilities", choices=list(CAPABILITIES),
        )  # fmt: skip
    return list(dict.fromkeys(capabilities))


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """A provider's options: `stream_usage` (bool), `extra_body` (a JSON object) and `limits`
    (caps on what the provider may send, by name: see `drupe.protocols.limits`)."""
    if "stream_usage" in options and not isinstance(options["stream_usage"], bool):
        raise DrupeError(
            f"The option stream_usage must be true or false, not {options['stream_usage']!r}.",
            code="invalid", field="options.stream_usage",
        )  # fmt: skip
    extra = options.get("extra_body", {})
    if not isinstance(extra, dict) or not all(isinstance(key, str) and key.strip() for key in extra):
        raise DrupeError(
            f"Extra body fields must be an object of NAME: VALUE pairs, like {{\"top_k\": 20}}, not {extra!r}.",
            code="invalid", field="options.extra_body",
        )  # fmt: skip
    _check_limits(options.get("limits", {}))
    return options


def _check_limits(limits: Any) -> None:
    from drupe.protocols.limits import Limits

    names = Limits.names()
    if not isinstance(limits, dict):
        raise DrupeError(
            f"The option limits must be an object like {{\"answer_chars\": 8000000}}, not {limits!r}.",
            code="invalid", field="options.limits",
        )  # fmt: skip
    for name, value in limits.items():
        if name not in names:
            raise DrupeError(
                f"Unknown limit {name!r}. Limits a provider can set: {', '.join(names)}.",
                code="invalid", field="options.limits", choices=list(names),
            )  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**40:
            raise DrupeError(
                f"The limit {name} must be a whole number from 1 to {2**40}, not {value!r}.",
                code="invalid", field=f"options.limits.{name}",
            )  # fmt: skip


def parse_body_field(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` from the command line: VALUE is read as JSON (`20`, `false`, `{"a": 1}`),
    else kept as text."""
    key, value = _name_value(text, "body field", "top_k=20", "options.extra_body")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def parse_header(text: str) -> tuple[str, str]:
    """`K=V` from the command line or a form."""
    key, value = _name_value(text, "header", "X-Team=research", "headers")
    return key, value.strip()


def _name_value(text: str, what: str, example: str, field: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        problem = "has no name before '='" if sep else "has no '='"
        raise DrupeError(
            f"The {what} {text!r} {problem}. Write it as NAME=VALUE, e.g. {example}.", code="invalid", field=field
        )
    return key.strip(), value

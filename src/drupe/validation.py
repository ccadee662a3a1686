"""Checks on what users type. Each failure says what is wrong and how to fix it, as an `invalid`
error whose `field` names the setting (a provider's or model's field, as the web API spells it)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from drupe.catalog import CAPABILITIES
from drupe.errors import DrupeError
from drupe.i18n import N_, _
from drupe.protocols.types import TYPES

MAX_NAME = 32


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DrupeError(
            _("The provider name is empty. Give a name of 1 to {most} characters.", most=MAX_NAME),
            code="invalid", field="name",
        )  # fmt: skip
    if len(name) > MAX_NAME:
        raise DrupeError(
            _("The provider name is {length} characters long; use at most {most}.", length=len(name), most=MAX_NAME),
            code="invalid",
            field="name",
        )
    return name


def check_type(type_: str) -> str:
    if type_ not in TYPES:
        raise DrupeError(
            _("Unknown provider type {type}. Valid types: {types}.", type=repr(type_), types=", ".join(TYPES)),
            code="invalid", field="type", choices=list(TYPES),
        )  # fmt: skip
    return type_


_URL_PROBLEMS = {
    "base_url": (
        N_("The API address {url} contains spaces. Remove them."),
        N_("The API address {url} is not a {schemes} URL. Example: {example}"),
    ),
    "proxy": (
        N_("The proxy URL {url} contains spaces. Remove them."),
        N_("The proxy URL {url} is not a {schemes} URL. Example: {example}"),
    ),
}
"""By field: (the URL has spaces, the URL is not one of the schemes) as whole sentences."""


def _check_http_url(url: str, field: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    spaces, not_url = _URL_PROBLEMS[field]
    if any(ch.isspace() for ch in url):
        raise DrupeError(_(spaces, url=repr(url)), code="invalid", field=field)
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        example = "http://localhost:8000/" if "http" in schemes else f"{schemes[0]}://host:port"
        raise DrupeError(
            _(not_url, url=repr(url), schemes="/".join(schemes), example=example), code="invalid", field=field
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
    return _check_http_url(url, "base_url")


def check_proxy(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    return _check_http_url(url, "proxy", ("http", "https", "socks5", "socks5h"))


def check_timeout(seconds: float) -> float:
    if not seconds or seconds <= 0:
        raise DrupeError(
            _("The timeout must be a positive number of seconds, not {value}.", value=repr(seconds)),
            code="invalid",
            field="timeout",
        )
    return seconds


def check_model_id(model_id: str) -> str:
    model_id = (model_id or "").strip()
    if not model_id:
        raise DrupeError(
            _("The model ID is empty. Give the ID exactly as the provider's API expects it, e.g. gpt2."),
            code="invalid", field="model_id",
        )  # fmt: skip
    return model_id


def check_capabilities(capabilities: list[str]) -> list[str]:
    unknown = [cap for cap in capabilities if cap not in CAPABILITIES]
    if unknown:
        raise DrupeError(
            _("Unknown capability {name}. Valid capabilities: {names}.", name=repr(unknown[0]), names=", ".join(CAPABILITIES)),
            code="invalid", field="capabilities", choices=list(CAPABILITIES),
        )  # fmt: skip
    return list(dict.fromkeys(capabilities))


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """A provider's options: `stream_usage` (bool), `extra_body` (a JSON object) and `limits`
    (caps on what the provider may send, by name: see `drupe.protocols.limits`)."""
    if "stream_usage" in options and not isinstance(options["stream_usage"], bool):
        raise DrupeError(
            _("The option stream_usage must be true or false, not {value}.", value=repr(options["stream_usage"])),
            code="invalid", field="options.stream_usage",
        )  # fmt: skip
    extra = options.get("extra_body", {})
    if not isinstance(extra, dict) or not all(isinstance(key, str) and key.strip() for key in extra):
        raise DrupeError(
            _("Extra body fields must be an object of NAME: VALUE pairs, like {example}, not {value}.",
              example='{"top_k": 20}', value=repr(extra)),
            code="invalid", field="options.extra_body",
        )  # fmt: skip
    _check_limits(options.get("limits", {}))
    return options


def _check_limits(limits: Any) -> None:
    from drupe.protocols.limits import Limits

    names = Limits.names()
    if not isinstance(limits, dict):
        raise DrupeError(
            _("The option limits must be an object like {example}, not {value}.",
              example='{"answer_chars": 8000000}', value=repr(limits)),
            code="invalid", field="options.limits",
        )  # fmt: skip
    for name, value in limits.items():
        if name not in names:
            raise DrupeError(
                _("Unknown limit {name}. Limits a provider can set: {names}.", name=repr(name), names=", ".join(names)),
                code="invalid", field="options.limits", choices=list(names),
            )  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**40:
            raise DrupeError(
                _("The limit {name} must be a whole number from 1 to {most}, not {value}.", name=name, most=2**40, value=repr(value)),
                code="invalid", field=f"options.limits.{name}",
            )  # fmt: skip


def parse_body_field(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` from the command line: VALUE is read as JSON (`20`, `false`, `{"a": 1}`),
    else kept as text."""
    key, value = _name_value(text, "options.extra_body", "top_k=20")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def parse_header(text: str) -> tuple[str, str]:
    """`K=V` from the command line or a form."""
    key, value = _name_value(text, "headers", "X-Team=research")
    return key, value.strip()


_NAME_VALUE_PROBLEMS = {
    "options.extra_body": (
        N_("The body field {text} has no '='. Write it as NAME=VALUE, e.g. {example}."),
        N_("The body field {text} has no name before '='. Write it as NAME=VALUE, e.g. {example}."),
    ),
    "headers": (
        N_("The header {text} has no '='. Write it as NAME=VALUE, e.g. {example}."),
        N_("The header {text} has no name before '='. Write it as NAME=VALUE, e.g. {example}."),
    ),
}
"""By field: (no '=', no name before it) as whole sentences."""


def _name_value(text: str, field: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        no_equals, no_name = _NAME_VALUE_PROBLEMS[field]
        raise DrupeError(
            _(no_name if sep else no_equals, text=repr(text), example=example), code="invalid", field=field
        )
    return key.strip(), value

"""One function turns what a user typed as a base URL into the URL we call.

The rules (with a table of examples in docs/url-rules.md):

1. Trim. Empty means the type's official host; Azure has none and needs one.
   (What differs by type, such as the official host, default version and operation paths,
   each type declares: see `drupe.protocols.contract.ProviderType`.)
2. Ending in `#`: what precedes `#` is used as typed. If it already ends in an
   operation path it is the whole endpoint, else only the operation path is
   appended (no version).
3. Otherwise one trailing `/` is dropped; a version segment (`/v1`, `/v1beta`,
   `/api/v3`) already in the path is kept, else the type's default version is
   added; then the operation path.
4. Azure OpenAI: the address is the resource endpoint; API version `v1`,
   `preview` or empty use `/openai/v1/...`, any other uses deployment URLs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.protocols.types import type_for

if TYPE_CHECKING:
    from drupe.protocols.contract import ProviderType

Operation = Literal["chat", "chat_once", "models"]

_VERSION_SEGMENT = re.compile(r"^v\d+(?:(?:alpha|beta)\d*)?$")
_FULL_ENDPOINT = re.compile(
    r"(?:/chat/completions|/responses|/messages|/models/[^/]+:(?:generateContent|streamGenerateContent)(?:\?alt=sse)?)$"
)
_GEMINI_METHOD = re.compile(r":(?:generateContent|streamGenerateContent)(?:\?alt=sse)?$")
_AZURE_SUFFIX = re.compile(r"/openai(?:/v1)?$")


def quote_model(model: str) -> str:
    """A model ID as one URL path segment: `/`, `:` and spaces are escaped."""
    return quote(model, safe="")


def resolve_url(
    type: ProviderType | str, base_url: str, operation: Operation, model: str = "", api_version: str = ""
) -> str:
    """The URL for `operation` ("chat", "chat_once" or "models") on a provider of `type` (a type
    object or its ID): what each type declares (official address, default version, operation
    paths, URL scheme) goes through these rules, which no type repeats."""
    spec = type_for(type) if isinstance(type, str) else type
    base = (base_url or "").strip()
    if spec.url_scheme == "azure" and not base.endswith("#"):
        return _azure_url(spec, base, operation, model, api_version)
    if base.endswith("#"):
        return _verbatim_url(spec, base[:-1], operation, model)
    if not base:
        base = spec.official_base_url
        if not base:
            raise missing_address(spec)
    if base.endswith("/"):
        base = base[:-1]
    if not _has_version(base):
        base = f"{base}/{spec.default_api_version}"
    return f"{base}/{spec.operation_path(operation, model)}"


def missing_address(spec: ProviderType) -> DrupeError:
    """The error for an empty address of a type with no official one."""
    return DrupeError(
        _(
            "{type} needs an API address: {what}",
            type=spec.label,
            what=_(spec.address_needed) if spec.address_needed else _("give its URL"),
        ),
        code="invalid",
        field="base_url",
    )


def _has_version(url: str) -> bool:
    path = url.split("://", 1)[-1].partition("/")[2]
    return any(_VERSION_SEGMENT.match(segment) for segment in path.split("/"))


def _verbatim_url(spec: ProviderType, base: str, operation: Operation, model: str) -> str:
    """Rule 2: the user typed the endpoint (or the prefix) exactly; add no version."""
    start = _endpoint_start(spec, base)
    if start is None:
        return f"{base.rstrip('/')}/{spec.operation_path(operation, model)}"
    if operation == "models":
        return base[:start] + "/models"
    if _GEMINI_METHOD.search(base):  # a typed Gemini endpoint: its method follows the operation
        method = "streamGenerateContent?alt=sse" if operation == "chat" else "generateContent"
        return _GEMINI_METHOD.sub(":" + method, base)
    return base


def _endpoint_start(spec: ProviderType, base: str) -> int | None:
    """Where the operation path starts when `base` is a whole endpoint: one of the known
    operation paths, or this type's own chat path."""
    match = _FULL_ENDPOINT.search(base)
    if match is not None:
        return match.start()
    if spec.chat_path and base.endswith("/" + spec.chat_path):
        return len(base) - len(spec.chat_path) - 1
    return None


def _azure_url(spec: ProviderType, base: str, operation: Operation, model: str, api_version: str) -> str:
    if not base:
        raise missing_address(spec)
    root = _AZURE_SUFFIX.sub("", base.rstrip("/"))
    version = api_version.strip() or spec.default_api_version
    if version in ("v1", "preview"):
        path = spec.operation_path(operation, model)
        query = "?api-version=preview" if version == "preview" else ""
        return f"{root}/openai/v1/{path}{query}"
    query = f"?api-version={quote(version, safe='')}"
    if operation == "models":
        return f"{root}/openai/models{query}"
    return f"{root}/openai/deployments/{quote_model(model)}/{spec.operation_path(operation, model)}{query}"


MODEL_PLACEHOLDER = "{model}"


def preview_urls(type: str, base_url: str, api_version: str = "", model: str = "") -> dict[str, str]:
    """The chat and model-list URLs to show a user; `{model}` stands in for an unknown model."""
    shown = model or MODEL_PLACEHOLDER
    urls = {
        "chat_url": resolve_url(type, base_url, "chat", shown, api_version),
        "models_url": resolve_url(type, base_url, "models", shown, api_version),
    }
    if not model:
        encoded = quote_model(MODEL_PLACEHOLDER)
        urls = {key: url.replace(encoded, MODEL_PLACEHOLDER) for key, url in urls.items()}
    return urls

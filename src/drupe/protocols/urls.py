"""One function turns what a user typed as a base URL into the URL we call.

The rules (with a table of examples in docs/url-rules.md):

1. Trim. Empty means the type's official host; Azure has none and needs one.
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
from typing import Literal
from urllib.parse import quote

from drupe.errors import DrupeError

Operation = Literal["chat", "chat_once", "models"]

OFFICIAL_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com",
    "openai-response": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
}

_DEFAULT_VERSION = {"openai": "v1", "openai-response": "v1", "anthropic": "v1", "gemini": "v1beta"}
_CHAT_PATH = {"openai": "chat/completions", "azure-openai": "chat/completions", "openai-response": "responses", "anthropic": "messages"}
_VERSION_SEGMENT = re.compile(r"^v\d+(?:(?:alpha|beta)\d*)?$")
_FULL_ENDPOINT = re.compile(
    r"(?:/chat/completions|/responses|/messages|/models/[^/]+:(?:generateContent|streamGenerateContent)(?:\?alt=sse)?)$"
)
_AZURE_SUFFIX = re.compile(r"/openai(?:/v1)?$")


def quote_model(model: str) -> str:
    """A model ID as one URL path segment: `/`, `:` and spaces are escaped."""
    return quote(model, safe="")


def resolve_url(type: str, base_url: str, operation: Operation, model: str = "", api_version: str = "") -> str:
    """The URL for `operation` ("chat", "chat_once" or "models") on a provider of `type`."""
    base = (base_url or "").strip()
    if type == "azure-openai" and not base.endswith("#"):
        return _azure_url(base, operation, model, api_version)
    if base.endswith("#"):
        return _verbatim_url(type, base[:-1], operation, model)
    if not base:
        base = OFFICIAL_BASE_URLS.get(type, "")
        if not base:
            raise DrupeError(f"Unknown provider type {type!r}.", code="invalid", field="type")
    if base.endswith("/"):
        base = base[:-1]
    if not _has_version(base):
        base = f"{base}/{_DEFAULT_VERSION[type]}"
    return f"{base}/{_operation_path(type, operation, model)}"


def _operation_path(type: str, operation: Operation, model: str) -> str:
    if operation == "models":
        return "models"
    if type == "gemini":
        if operation == "chat":
            return f"models/{quote_model(model)}:streamGenerateContent?alt=sse"
        return f"models/{quote_model(model)}:generateContent"
    return _CHAT_PATH[type]


def _has_version(url: str) -> bool:
    path = url.split("://", 1)[-1].partition("/")[2]
    return any(_VERSION_SEGMENT.match(segment) for segment in path.split("/"))


def _verbatim_url(type: str, base: str, operation: Operation, model: str) -> str:
    """Rule 2: the user typed the endpoint (or the prefix) exactly; add no version."""
    match = _FULL_ENDPOINT.search(base)
    if match is None:
        return f"{base.rstrip('/')}/{_operation_path(type, operation, model)}"
    if operation == "models":
        return base[: match.start()] + "/models"
    if type == "gemini":
        method = "streamGenerateContent?alt=sse" if operation == "chat" else "generateContent"
        return re.sub(r":(?:generateContent|streamGenerateContent)(?:\?alt=sse)?$", ":" + method, base)
    return base


def _azure_url(base: str, operation: Operation, model: str, api_version: str) -> str:
    if not base:
        raise DrupeError(
            "Azure OpenAI needs a base URL: your resource endpoint, like https://NAME.openai.azure.com",
            code="invalid", field="base_url",
        )  # fmt: skip
    root = _AZURE_SUFFIX.sub("", base.rstrip("/"))
    version = api_version.strip()
    if version in ("", "v1", "preview"):
        path = "models" if operation == "models" else "chat/completions"
        query = "?api-version=preview" if version == "preview" else ""
        return f"{root}/openai/v1/{path}{query}"
    query = f"?api-version={quote(version, safe='')}"
    if operation == "models":
        return f"{root}/openai/models{query}"
    return f"{root}/openai/deployments/{quote_model(model)}/chat/completions{query}"


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

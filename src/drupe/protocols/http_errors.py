"""Turn a failed HTTP exchange into a ProviderError that carries the provider's own words."""

from __future__ import annotations

import email.utils
import json
import time

from drupe.errors import ErrorKind, ProviderError

# Provider error types (Anthropic `error.type`, OpenAI `error.code`, Gemini
# `error.status`) that say more than the HTTP status does.
_KIND_BY_ERROR_TYPE: dict[str, ErrorKind] = {
    "authentication_error": "auth",
    "permission_error": "auth",
    "invalid_api_key": "auth",
    "PERMISSION_DENIED": "auth",
    "UNAUTHENTICATED": "auth",
    "not_found_error": "not_found",
    "model_not_found": "not_found",
    "NOT_FOUND": "not_found",
    "rate_limit_error": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "insufficient_quota": "rate_limit",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "overloaded_error": "server",
    "api_error": "server",
    "server_error": "server",
    "INTERNAL": "server",
    "UNAVAILABLE": "server",
}


def kind_for_status(status: int) -> ErrorKind:
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limit"
    if status == 408 or status == 504:
        return "timeout"
    if status >= 500:
        return "server"
    return "bad_response"


def error_from_response(status: int, body: str, url: str, retry_after: str | None = None) -> ProviderError:
    """The error for a non-2xx response, with the message the provider wrote."""
    message, error_type = provider_message(body)
    kind = kind_for_status(status)
    if status == 400 and _is_bad_key(body):
        kind = "auth"
    elif error_type in _KIND_BY_ERROR_TYPE and kind == "bad_response":
        kind = _KIND_BY_ERROR_TYPE[error_type]
    return ProviderError(kind, message or f"HTTP {status}", status=status, url=url, retry_after=parse_retry_after(retry_after))


def error_from_payload(payload: dict, url: str = "") -> ProviderError:
    """The error for an error object sent inside a stream (OpenAI, Anthropic, Gemini shapes)."""
    message, error_type = provider_message(json.dumps(payload))
    status = payload.get("error", {}).get("code") if isinstance(payload.get("error"), dict) else None
    status = status if isinstance(status, int) else None
    kind = _KIND_BY_ERROR_TYPE.get(error_type or "") or (kind_for_status(status) if status else "server")
    return ProviderError(kind, message or "The provider reported an error.", status=status, url=url)


def provider_message(body: str) -> tuple[str, str | None]:
    """(message, error type) from any provider's error body; non-JSON gives its first 200 chars."""
    try:
        data = json.loads(body)
    except ValueError:
        return _excerpt(body), None
    if not isinstance(data, dict):
        return _excerpt(body), None
    error = data.get("error", data)
    if isinstance(error, str):
        return error, None
    if not isinstance(error, dict):
        return _excerpt(body), None
    message = error.get("message") or data.get("message") or data.get("detail") or _excerpt(body)
    error_type = error.get("type") or error.get("status") or error.get("code")
    return str(message), str(error_type) if error_type is not None else None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def redact(text: str, keys: tuple[str, ...]) -> str:
    """Remove any of our keys a provider echoed back in its message."""
    for key in keys:
        if key:
            text = text.replace(key, "***")
    return text


def _is_bad_key(body: str) -> bool:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID."""
    return "API_KEY_INVALID" in body


def _excerpt(body: str) -> str:
    return " ".join(body[:200].split())

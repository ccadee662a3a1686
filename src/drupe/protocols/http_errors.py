"""Turn a failed HTTP exchange into a ProviderError that carries the provider's own words."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable

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


def error_from_response(
    status: int, body: str, url: str, retry_after: str | None = None, *, cut: bool = False
) -> ProviderError:
    """The error for a non-2xx response, with the message the provider wrote.
    `cut`: only the start of the body was read, so its JSON is unfinished."""
    message, error_type = provider_message(body)
    if cut:
        message = _cut_message(body) or message
    kind = kind_for_status(status)
    if status == 400 and _is_bad_key(body):
        kind = "auth"
    elif error_type in _KIND_BY_ERROR_TYPE and kind == "bad_response":
        kind = _KIND_BY_ERROR_TYPE[error_type]
    return ProviderError(
        kind, message or f"HTTP {status}", status=status, url=url, retry_after=parse_retry_after(retry_after)
    )


def error_from_payload(payload: dict, url: str = "") -> ProviderError:
    """The error for an error object sent inside a stream (OpenAI, Anthropic, Gemini shapes)."""
    message, error_type = message_in(payload, lambda: _excerpt(json.dumps(payload)))
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
    return message_in(data, lambda: _excerpt(body))


def message_in(data: object, excerpt: Callable[[], str]) -> tuple[str, str | None]:
    """(message, error type) from a parsed error object; `excerpt()` when it has no message."""
    if not isinstance(data, dict):
        return excerpt(), None
    error = data.get("error", data)
    if isinstance(error, str):
        return error, None
    if not isinstance(error, dict):
        return excerpt(), None
    message = error.get("message") or data.get("message") or data.get("detail") or excerpt()
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


def _cut_message(body: str) -> str | None:
    """The start of the `"message"` string of a JSON body cut short, found without a regex
    (linear in the body), so a huge error message still reads as words, not as raw JSON."""
    key = body.find('"message"')
    colon = body.find(":", key + len('"message"')) if key >= 0 else -1
    quote = body.find('"', colon) if colon >= 0 else -1
    if quote < 0 or body[colon + 1 : quote].strip():
        return None
    text = body[quote + 1 :]
    escape = text.rfind("\\", max(0, len(text) - 6))
    for candidate in (text, text[:escape] if escape >= 0 else text):  # a cut may split an escape
        try:
            # typeshed leaves out json.decoder.scanstring, which CPython's json exports (and uses) as public.
            value, _ = json.decoder.scanstring(candidate + '"', 0)  # type: ignore[attr-defined]
        except ValueError:
            continue
        return value
    return None

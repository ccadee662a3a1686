"""Every failure of a gateway request as a `ServedError`: the HTTP status and words a client gets.

The status tells a client's SDK what to do, so it follows who can fix the problem:

- the client's request (a field, a model name, its key): 400, 404, 401, 403, 429 as usual;
- the provider's limits reached: 429 with the provider's `Retry-After`, so the client backs off;
- the provider refused the request itself (its 400, 413 or 422: a context too long…): that status,
  with the provider's words, since the client can change the request;
- the provider has no such model: 404, as for a model drupe does not know;
- the provider refused drupe's key for it, failed, broke off or sent nonsense: 502. Never 401:
  an SDK would tell its user the gateway key is wrong, when the provider's key in drupe is;
- the provider did not answer in time: 504.
"""

from __future__ import annotations

from drupe.errors import DrupeError, ProviderError
from drupe.protocols.serving.base import ServedError, ServedErrorKind

CODE_KINDS: dict[str, ServedErrorKind] = {
    "invalid": "invalid_request",
    "ambiguous": "invalid_request",
    "not_found": "not_found",
    "provider_disabled": "not_found",
    "unauthorized": "authentication",
    "rate_limited": "rate_limit",
    "secrets_unreadable": "unavailable",
    "unavailable": "unavailable",
    "conflict": "invalid_request",
}
"""A DrupeError's code as the kind of failure a client is told (anything else: api_error)."""

PASSED_ON_STATUSES = (400, 413, 422)
"""A provider's refusals of the request itself, passed on with their status."""


def served_error(error: DrupeError, provider: str | None = None) -> ServedError:
    """`error` as told to a client; `provider` names the provider a ProviderError came from."""
    if isinstance(error, ProviderError):
        return _upstream(error, provider or "the provider")
    kind = CODE_KINDS.get(error.code, "api_error")
    field = error.data.get("field")
    code = {"unauthorized": "invalid_api_key", "not_found": "model_not_found"}.get(error.code)
    retry_after = error.data.get("retry_after")
    return ServedError(kind, str(error), param=field if kind == "invalid_request" else None, code=code,
                       retry_after=retry_after)  # fmt: skip


def _upstream(error: ProviderError, provider: str) -> ServedError:
    said = f"{provider}: {error.message}"
    if error.kind == "rate_limit":
        return ServedError("rate_limit", f"{said} (the provider's rate limit)", code="upstream_rate_limit",
                           retry_after=error.retry_after)  # fmt: skip
    if error.kind == "timeout":
        return ServedError("timeout", said, code="upstream_timeout")
    if error.kind == "not_found":
        return ServedError("not_found", f"{said} (the provider has no such model)", code="model_not_found")
    if error.kind == "auth":
        return ServedError(
            "upstream", f"{said} (the provider refused drupe's key for it: fix the provider in drupe)",
            code="upstream_auth",
        )  # fmt: skip
    if error.kind == "bad_response" and error.status in PASSED_ON_STATUSES:
        return ServedError("invalid_request", said, code="upstream_refused", status_override=error.status)
    return ServedError("upstream", said, code=f"upstream_{error.kind}")


def internal_error() -> ServedError:
    return ServedError("api_error", "drupe failed to answer this request; its log says why.")

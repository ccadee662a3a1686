"""Typed errors. Everything a user can cause or fix is one of these, never a trace.

The core names each problem with a `code` and the values that describe it (`data`); the faces
(the CLI, the web API) turn codes into their own words and status codes. The message is a
plain default in English for Python callers and logs, and says nothing about any one face
(no command to type, no button to press): `drupe.cli` and `drupe.web` add that.
"""

from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal["auth", "not_found", "rate_limit", "timeout", "connection", "dropped", "bad_response", "server"]
"""`connection`: the provider could not be reached; `dropped`: it was, then the connection was cut."""

ErrorCode = Literal[
    "invalid",  # a value the user typed or chose is not acceptable; `field` names it when known
    "not_found",  # no such provider, model, conversation or message; `what` and `name` say which
    "ambiguous",  # a name or id prefix matches several; `what`, `name` and `matches`
    "conflict",  # valid, but the thing is not in a state that allows it (e.g. a name taken)
    "provider_disabled",  # a turn asked a disabled provider; `provider`
    "secrets_unreadable",  # stored secrets cannot be decrypted with the current key
    "unavailable",  # something drupe needs is not there (the store, the local model, a driver)
    "provider",  # a provider call failed: a ProviderError, with its `kind`
    "mcp",  # an MCP server could not be started or reached, or failed a request; `server` and `kind`
    # (start, connection, timeout, server)
    "unauthorized",  # a gateway request without a usable gateway key; `reason`: missing, unknown, revoked or expired
    "rate_limited",  # a gateway key went over its requests per minute; `retry_after` (seconds) and `rpm`
]
"""What went wrong, for the faces to word. New codes are added here, with a comment."""


class DrupeError(Exception):
    """A problem the user can fix; its message says what is wrong, `code` and `data` say it to programs."""

    code: ErrorCode = "invalid"

    def __init__(self, message: str, *, code: ErrorCode | None = None, **data: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.data: dict[str, Any] = data


class ProviderError(DrupeError):
    """A provider call failed. Carries the provider's own message, never a key."""

    code: ErrorCode = "provider"

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        retry_after: float | None = None,
        limit: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.limit = limit
        """The name of drupe's own limit the reply went over (`drupe.protocols.limits.Limits`), if that is why."""
        self.message = message
        self.status = status
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        status = f" {self.status}" if self.status else ""
        where = f" ({self.url})" if self.url else ""
        return f"{self.kind}{status}: {self.message}{where}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "status": self.status, "message": self.message, "url": self.url}

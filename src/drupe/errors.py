"""Typed errors. Everything a user can cause or fix is one of these, never a trace."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["auth", "not_found", "rate_limit", "timeout", "connection", "dropped", "bad_response", "server"]
"""`connection`: the provider could not be reached; `dropped`: it was, then the connection was cut."""


class DrupeError(Exception):
    """A problem the user can fix; its message says what is wrong and how to fix it."""


class ProviderError(DrupeError):
    """A provider call failed. Carries the provider's own message, never a key."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
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

"""Plain data of the reverse direction: a client's request as read, and a failure to answer with.

drupe serves two APIs (`drupe.protocols.serving.SERVED`): a program speaking one of them sends
a request that is read into a `ClientRequest`, the answer's events are written back in the
same API, and so is any failure, as a `ServedError`. Nothing here knows HTTP or the store.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from drupe.errors import DrupeError
from drupe.protocols.base import ChatRequest, Event

ServedErrorKind = Literal[
    "invalid_request",  # 400: the request cannot be read or translated (`param` names the field)
    "authentication",  # 401: no gateway key, or one that is unknown, revoked or expired
    "permission",  # 403: the key may not use that model, or a browser page sent the request
    "not_found",  # 404: no such model or route, or no such path
    "method_not_allowed",  # 405
    "too_large",  # 413: the body is over the server's cap
    "rate_limit",  # 429: over the key's requests per minute, or the provider's own limit (`retry_after`)
    "api_error",  # 500: drupe itself failed
    "upstream",  # 502: the provider failed, or refused drupe's key for it
    "unavailable",  # 503: something drupe needs is not there
    "timeout",  # 504: the provider did not answer in time
]
"""What went wrong, in words both APIs have an error type for (each `ClientAPI` maps them)."""

STATUS: dict[ServedErrorKind, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "too_large": 413,
    "rate_limit": 429,
    "api_error": 500,
    "upstream": 502,
    "unavailable": 503,
    "timeout": 504,
}


@dataclass(frozen=True)
class ServedError:
    """A failure as told to a client, in its API's error shape (`ClientAPI.error_body`)."""

    kind: ServedErrorKind
    message: str
    param: str | None = None
    """The request field at fault (`messages[2].content[0].type`), when there is one."""
    code: str | None = None
    """A more precise word for programs (`invalid_api_key`, `model_not_found`…)."""
    retry_after: float | None = None
    """Seconds before trying again, sent as `Retry-After` with a 429."""
    status_override: int | None = None
    """An HTTP status other than the kind's usual one (a provider's 422 passed on as it is)."""

    @property
    def status(self) -> int:
        return self.status_override or STATUS[self.kind]


@dataclass(frozen=True)
class ClientRequest:
    """A client's request, read. `chat.model` is the model as the client named it (a route,
    `PROVIDER/MODEL` or a bare ID); the gateway resolves it and calls `for_target`."""

    chat: ChatRequest
    stream: bool = False
    include_usage: bool = True
    """OpenAI's `stream_options.include_usage`: the usage chunk before `[DONE]`. Anthropic's
    stream always carries usage."""
    passthrough: dict = field(default_factory=dict)
    """Fields drupe does not translate, sent as they are to a provider that speaks the same API
    (`top_k`, `seed`, `response_format`…) and left out for any other."""
    native_only: dict[str, str] = field(default_factory=dict)
    """Passthrough fields that change the answer so much that a provider speaking another API
    must not get the request without them: field → why. Such a provider is refused."""

    def for_target(self, provider_type: str, model_id: str, native_types: tuple[str, ...]) -> ChatRequest:
        """The request as sent to one provider model: its own model ID, and the passthrough
        fields if it speaks the client's API. Raises DrupeError ("invalid", naming the field)
        when the request needs the client's own API and the provider speaks another."""
        if provider_type in native_types:
            return dataclasses.replace(self.chat, model=model_id, extra_body=self.passthrough)
        if self.native_only:
            name, why = next(iter(self.native_only.items()))
            raise DrupeError(
                f"{name}: {why}; the model's provider speaks another API, so drupe cannot pass it on.",
                code="invalid",
                field=name,
            )
        return dataclasses.replace(self.chat, model=model_id)


class StreamWriter(ABC):
    """Writes one streamed answer in a client's API, as the bytes of its SSE stream.

    `start()` once when the answer begins, `write(event)` for each of drupe's events (b"" when
    the event shows nothing yet), then `end()`, or `error(...)` when the answer broke off. It
    is on every chunk's path, so subclasses keep `write` lean."""

    def start(self) -> bytes:
        return b""

    @abstractmethod
    def write(self, event: Event) -> bytes: ...

    @abstractmethod
    def end(self) -> bytes: ...

    @abstractmethod
    def error(self, error: ServedError) -> bytes: ...

"""Sending a request to the targets a model resolved to, in order, until one answers.

The rule is key failover's (`drupe.protocols.client.Attempts`): a target that fails to connect,
answers 5xx or 429, drops the connection or times out before its first event gives way to the
next one; any other failure (a refused request, the provider refusing drupe's key) is the
answer. Once an event has come, the answer is that target's, whatever happens next. Each target
but the last is tried without the client's own retries (its keys still rotate), so falling over
costs no back-off; the last is tried with them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from drupe.errors import DrupeError, ProviderError
from drupe.gateway.api.catalog import Resolved, Target
from drupe.protocols.base import ChatResult, Event
from drupe.protocols.client import NO_RETRY, RETRY, Connections, complete_chat, stream_chat
from drupe.protocols.contract import ClientAPI
from drupe.protocols.serving.base import ClientRequest

FALLBACK_KINDS = frozenset({"connection", "dropped", "server", "rate_limit", "timeout"})
"""Failures before the first event that move a route on to its next target."""


@dataclass
class Outcome:
    """What a request came to, for its usage record."""

    target: Target | None = None
    status: int = 200
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    ttft_ms: float | None = None
    skipped: list[str] = field(default_factory=list)
    """Targets that failed before their first event, as `PROVIDER/MODEL: why`."""
    content: dict | None = None
    """The answer, for `--log-gateway-content`."""
    responded: bool = False
    """The answer's status line went out: a failure now can only end it."""


def _eligible(api: ClientAPI, request: ClientRequest, resolved: Resolved) -> list[Target]:
    """The targets that can take this request: a request with fields only the client's own API
    carries goes only to providers speaking it (DrupeError naming the field when none does)."""
    if not request.native_only:
        return list(resolved.targets)
    native = [t for t in resolved.targets if t.provider_type in api.native_types]
    if not native:
        first = resolved.targets[0]
        request.for_target(first.provider_type, first.model_id, api.native_types)  # raises, naming the field
    return native


async def open_stream(
    api: ClientAPI, request: ClientRequest, resolved: Resolved, connections: Connections, outcome: Outcome
) -> tuple[AsyncGenerator[Event, None], Event]:
    """The stream of the first target that gives an event, and that event."""
    targets = _eligible(api, request, resolved)
    for position, target in enumerate(targets):
        last = position == len(targets) - 1
        outcome.target = target
        if target.endpoint is None:
            if last:
                raise target.problem or DrupeError("The provider cannot be used.", code="unavailable")
            outcome.skipped.append(f"{target.address}: {target.problem}")
            continue
        chat = request.for_target(target.provider_type, target.model_id, api.native_types)
        events = stream_chat(target.endpoint, chat, connections=connections, retry=RETRY if last else NO_RETRY)
        try:
            return events, await events.__anext__()
        except ProviderError as error:
            if last or error.kind not in FALLBACK_KINDS:
                raise
            outcome.skipped.append(f"{target.address}: {error}")
    raise AssertionError("a route has at least one target")


async def complete(
    api: ClientAPI, request: ClientRequest, resolved: Resolved, connections: Connections, outcome: Outcome
) -> ChatResult:
    """A whole answer from the first target that gives one."""
    targets = _eligible(api, request, resolved)
    for position, target in enumerate(targets):
        last = position == len(targets) - 1
        outcome.target = target
        if target.endpoint is None:
            if last:
                raise target.problem or DrupeError("The provider cannot be used.", code="unavailable")
            outcome.skipped.append(f"{target.address}: {target.problem}")
            continue
        chat = request.for_target(target.provider_type, target.model_id, api.native_types)
        try:
            return await complete_chat(
                target.endpoint, chat, connections=connections, retry=RETRY if last else NO_RETRY
            )
        except ProviderError as error:
            if last or error.kind not in FALLBACK_KINDS:
                raise
            outcome.skipped.append(f"{target.address}: {error}")
    raise AssertionError("a route has at least one target")

"""The "Check" button: does each key work against this provider, and if not, why.

Shared by `drupe provider check` and the web API, so both give the same hints.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from drupe.catalog import is_chat_model
from drupe.errors import DrupeError, ProviderError
from drupe.keys import mask_key
from drupe.registry import Provider, Registry


@dataclass(frozen=True)
class KeyCheck:
    key: str
    """The key, masked; `(no key)` when the provider has none."""
    ok: bool
    latency_ms: float | None
    error: ProviderError | None = None
    hint: str = ""

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "ok": self.ok,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
            "error": self.error.to_dict() if self.error else None,
            "hint": self.hint,
        }


def hint_for(error: ProviderError, provider: Provider, model: str) -> str:
    """One sentence that helps the user fix what went wrong."""
    message = error.message.lower()
    if error.kind == "auth":
        return "The provider refused this API key. Check that it is complete, active, and meant for this provider."
    if error.kind == "not_found" or "model" in message and ("not found" in message or "does not exist" in message):
        if "model" in message:
            return f"The server does not know the model {model!r}. Fetch its list with Manage (`drupe model fetch`)."
        return (
            f"Nothing answers at {error.url}. Check the API address: drupe appends /v1 unless the address already "
            "holds a version, and an address ending in # is used exactly as typed."
        )
    if error.kind == "connection":
        if "ssl" in message or "certificate" in message or "tls" in message:
            return "The TLS handshake failed: check the address's https/http scheme and the server's certificate."
        return f"Nothing is listening at {provider.base_url or 'the official address'}. Is the server running, and is the port right?"
    if error.kind == "timeout":
        return f"No answer within {provider.timeout:g} s. The server may be overloaded, or the timeout too short."
    if error.kind == "rate_limit":
        return "The provider is rate-limiting this key. Wait, or add another key."
    if error.kind == "bad_response":
        return "The server answered with something that is not this provider type's API. Check the type and the address."
    return "The provider failed on its side. Try again later."


def pick_check_model(registry: Registry, provider: Provider, model: str | None) -> str:
    """The model to test with: the one asked for, else the first chat model."""
    if model:
        return model
    for candidate in registry.list_models(provider.id):
        if is_chat_model(candidate.capabilities):
            return candidate.model_id
    raise DrupeError(
        f"Provider {provider.name!r} has no chat model to test with. Add one (`drupe model add {provider.name} MODEL_ID`) "
        "or pass --model."
    )


async def check_provider(
    registry: Registry, name: str, model: str | None = None, all_keys: bool = False
) -> tuple[str, list[KeyCheck]]:
    """Check the first key (or every key) with a minimal streamed request."""
    from drupe.protocols.client import check_key

    provider = registry.get_provider(name)
    model_id = pick_check_model(registry, provider, model)
    endpoint = provider.endpoint()
    keys: list[str | None] = list(provider.api_keys) if all_keys else provider.api_keys[:1]
    results = await asyncio.gather(*(check_key(endpoint, model_id, key) for key in keys or [None]))
    checks = []
    for key, result in zip(keys or [None], results):
        label = mask_key(key) if key else "(no key)"
        hint = hint_for(result.error, provider, model_id) if result.error else ""
        checks.append(KeyCheck(label, result.ok, result.latency_ms, result.error, hint))
    return model_id, checks

"""The "Check" button: does each key work against this provider, and if not, why.

Hints come from `drupe.hints`, shared with the web app's Check button.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from drupe.catalog import is_chat_model
from drupe.errors import DrupeError, ProviderError
from drupe.hints import hint as explain
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
        hint = explain(result.error, model_id, provider.timeout) if result.error else ""
        checks.append(KeyCheck(label, result.ok, result.latency_ms, result.error, hint))
    return model_id, checks

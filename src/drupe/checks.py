"""`drupe provider check` and the web app's Check button: does each key work, and if not, why.

Both faces call `check_provider`; its hints come from the one table in `drupe.hints`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from drupe.catalog import is_chat_model
from drupe.errors import DrupeError, ProviderError
from drupe.hints import hint as explain
from drupe.i18n import _
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
    index: int = 0
    """Where the key sits in the provider's list (0 when it has none)."""

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
        _("Provider {provider} has no chat model to test with.", provider=repr(provider.name)),
        code="not_found", what="chat_model", provider=provider.name,
    )  # fmt: skip


def _indexes(provider: Provider, all_keys: bool, key_index: int | None) -> list[int]:
    if key_index is None:
        return list(range(len(provider.api_keys) if all_keys else 1)) or [0]
    if not 0 <= key_index < len(provider.api_keys):
        raise DrupeError(
            _(
                "Key {number} does not exist: {provider} has {n} key(s).",
                number=key_index + 1, provider=provider.name, n=len(provider.api_keys),
            ),
            code="invalid", field="key_index", provider=provider.name, keys=len(provider.api_keys),
        )  # fmt: skip
    return [key_index]


async def check_provider(
    registry: Registry, name: str, model: str | None = None, all_keys: bool = False, key_index: int | None = None
) -> tuple[str, list[KeyCheck]]:
    """Check the first key, every key, or the one at `key_index`, with a minimal streamed request each."""
    from drupe.protocols.client import check_key
    from drupe.validation import check_model_id

    provider = registry.get_provider(name)
    model_id = check_model_id(model) if model else pick_check_model(registry, provider, model)
    indexes = _indexes(provider, all_keys, key_index)
    endpoint = provider.endpoint()
    keys = [provider.api_keys[i] if provider.api_keys else None for i in indexes]
    results = await asyncio.gather(*(check_key(endpoint, model_id, key) for key in keys))
    checks = []
    for index, key, result in zip(indexes, keys, results):
        label = mask_key(key) if key else _("(no key)")
        hint = explain(result.error, model_id, provider.timeout) if result.error else ""
        checks.append(KeyCheck(label, result.ok, result.latency_ms, result.error, hint, index))
    return model_id, checks

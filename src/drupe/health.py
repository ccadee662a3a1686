"""The health check: every added chat model × every key of a provider, for `drupe provider check
--all-models` and the web app's Check all button.

A check should not cost a paid answer when a free call proves as much: when the provider's model
list refuses a request without a key, the list authenticates, so one list call per key checks that
key (and says whether each model is listed). Only when the user asks for model checks, or when the
list proves nothing about keys, does each cell send a tiny streamed chat. `Health.method` says which.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from drupe.catalog import is_chat_model
from drupe.errors import DrupeError, ProviderError
from drupe.hints import error_kind
from drupe.hints import hint as explain
from drupe.i18n import _
from drupe.keys import mask_key
from drupe.registry import Provider, Registry

CONCURRENCY = 4
"""Requests in flight at once: enough to be quick, few enough not to trip a provider's rate limit."""

CELL_TIMEOUT = 30.0
"""Seconds one cell may take (the provider's own timeout when that is shorter)."""

Method = Literal["models", "chat"]


@dataclass(frozen=True)
class Cell:
    """One model with one key: ok and latency, or what went wrong."""

    model: str
    key_index: int
    ok: bool
    latency_ms: float | None
    error: ProviderError | None = None
    kind: str = ""
    hint: str = ""
    listed: bool | None = None
    """With the model-list method: whether the list names the model (None with the chat method)."""

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "key_index": self.key_index,
            "ok": self.ok,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
            "error": {**self.error.to_dict(), "kind": self.kind, "hint": self.hint} if self.error else None,
            "listed": self.listed,
        }


@dataclass(frozen=True)
class Health:
    provider: str
    method: Method
    """`models`: one model-list call per key; `chat`: one tiny chat per model and key."""
    keys: list[str]
    """The keys, masked, in the provider's order; `["(no key)"]` when it has none."""
    models: list[str]
    cells: list[Cell] = field(default_factory=list)
    has_keys: bool = True

    def cell(self, model: str, key_index: int) -> Cell:
        return next(c for c in self.cells if c.model == model and c.key_index == key_index)

    def failing_keys(self) -> dict[int, str]:
        """Key index -> the kind of its first failure, for keys with any failing cell."""
        failing: dict[int, str] = {}
        for cell in self.cells:
            if not cell.ok:
                failing.setdefault(cell.key_index, cell.kind)
        return failing

    def refused_keys(self) -> list[int]:
        """The keys the provider refused (`auth`): the ones "Remove failing keys" removes."""
        return sorted({c.key_index for c in self.cells if c.kind == "auth" and self.has_keys})

    def to_dict(self) -> dict:
        return {
            "provider": self.provider,
            "method": self.method,
            "keys": [None if not self.has_keys else key for key in self.keys],
            "models": self.models,
            "cells": [cell.to_dict() for cell in self.cells],
            "refused_keys": self.refused_keys(),
        }


def chat_models(registry: Registry, provider: Provider) -> list[str]:
    models = [m.model_id for m in registry.list_models(provider.id) if is_chat_model(m.capabilities)]
    if not models:
        raise DrupeError(
            _("Provider {provider} has no chat model to check.", provider=repr(provider.name)),
            code="not_found", what="chat_model", provider=provider.name,
        )  # fmt: skip
    return models


async def models_authenticate(provider: Provider, timeout: float) -> bool:
    """Whether the model list refuses a request without a key: only then does listing prove a key works."""
    from drupe.protocols.client import check_key_by_models

    endpoint = dataclasses.replace(provider.endpoint(), timeout=timeout)
    result, _error = await check_key_by_models(endpoint, None)
    return result.error is not None and result.error.kind == "auth"


async def check_health(
    registry: Registry, name: str, *, model_checks: bool = False, timeout: float | None = None
) -> Health:
    """Check every chat model with every key, at most `CONCURRENCY` requests at once."""
    from drupe.protocols.client import check_key, check_key_by_models

    provider = registry.get_provider(name)
    models = chat_models(registry, provider)
    seconds = min(timeout or CELL_TIMEOUT, provider.timeout)
    endpoint = dataclasses.replace(provider.endpoint(), timeout=seconds)
    keys: list[str | None] = list(provider.api_keys) or [None]
    labels = [mask_key(key) if key else _("(no key)") for key in keys]
    by_list = bool(provider.api_keys) and not model_checks and await models_authenticate(provider, seconds)
    gate = asyncio.Semaphore(CONCURRENCY)

    def failed(model: str, index: int, error: ProviderError) -> Cell:
        kind = error_kind(error, model)
        return Cell(model, index, False, None, error, kind, explain(error, model, seconds))

    async def by_models(index: int, key: str | None) -> list[Cell]:
        async with gate:
            result, listed = await check_key_by_models(endpoint, key)
        if result.error:
            return [failed(model, index, result.error) for model in models]
        return [Cell(model, index, True, result.latency_ms, listed=model in listed) for model in models]

    async def by_chat(model: str, index: int, key: str | None) -> list[Cell]:
        async with gate:
            result = await check_key(endpoint, model, key)
        if result.error:
            return [failed(model, index, result.error)]
        return [Cell(model, index, True, result.latency_ms)]

    if by_list:
        jobs = [by_models(index, key) for index, key in enumerate(keys)]
    else:
        jobs = [by_chat(model, index, key) for model in models for index, key in enumerate(keys)]
    cells = [cell for group in await asyncio.gather(*jobs) for cell in group]
    method: Method = "models" if by_list else "chat"
    return Health(provider.name, method, labels, models, cells, has_keys=bool(provider.api_keys))


def remove_keys(registry: Registry, name: str, health: Health) -> list[str]:
    """Remove the keys the check found refused; the masked keys removed. The keys are matched as
    they were when checked, so a list changed since then loses only keys that are still there."""
    provider = registry.get_provider(name)
    refused = set(health.refused_keys())
    checked = list(provider.api_keys)
    doomed = {checked[i] for i in refused if i < len(checked) and mask_key(checked[i]) == health.keys[i]}
    if not doomed:
        return []
    registry.edit_provider(provider.id, api_keys=[key for key in checked if key not in doomed])
    return [mask_key(key) for key in checked if key in doomed]

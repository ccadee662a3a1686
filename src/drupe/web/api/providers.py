"""Providers: list, add, edit, remove, reorder, check keys, preview URLs. Keys, secret headers and
URL credentials go out masked; sent back masked, they keep the stored values (see `Registry.edit_provider`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from drupe.errors import DrupeError
from drupe.keys import mask_key, mask_url, parse_keys
from drupe.registry import Provider, Registry
from drupe.web.api.deps import provider_or_404, registry
from drupe.web.api.inputs import MAX_TIMEOUT, HeaderName, HeaderValue, Index, Text
from drupe.web.api.models import model_json
from drupe.web.api.schemas import (
    CheckOut,
    HealthOut,
    ProviderList,
    ProviderOut,
    ProviderRemoved,
    ProviderWithModels,
    Urls,
)
from drupe.web.errors import documented

router = APIRouter(prefix="/api", tags=["providers"])


Timeout = Annotated[float, Field(strict=True, gt=0, le=MAX_TIMEOUT, description="Seconds, at most a week.")]
Headers = dict[HeaderName, HeaderValue]


class ProviderIn(BaseModel):
    name: Text
    type: Text
    base_url: Text = ""
    api_keys: list[Text] | Text = Field(
        default_factory=list, description="Full keys; a string is split on commas/new lines."
    )
    api_version: Text = ""
    headers: Headers = Field(default_factory=dict)
    timeout: Timeout = 600.0
    proxy: Text = ""
    notes: Text = ""
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


class ProviderPatch(BaseModel):
    name: Text | None = None
    type: Text | None = None
    base_url: Text | None = None
    api_keys: list[Text] | Text | None = Field(
        default=None, description="The new list: masked entries keep the existing key they mask, others are new keys."
    )
    api_version: Text | None = None
    headers: Headers | None = None
    timeout: Timeout | None = None
    proxy: Text | None = None
    notes: Text | None = None
    enabled: bool | None = None
    options: dict[str, Any] | None = None


_CLEARABLE = ("base_url", "api_version", "proxy", "notes")
"""Text fields where null means "clear it"."""


class ProviderOrder(BaseModel):
    ids: list[Text]


class CheckIn(BaseModel):
    model: Text
    key_index: Index | None = None


class HealthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_checks: bool = Field(
        default=False, description="A chat per model and key, even where the model list would check keys."
    )
    timeout: Annotated[float, Field(strict=True, gt=0, le=600)] | None = Field(
        default=None, description="Seconds per check (default 30, or the provider's timeout when shorter)."
    )


def _entries(value: list[str] | str) -> list[str]:
    return parse_keys(value) if isinstance(value, str) else [entry.strip() for entry in value if entry.strip()]


def merge_keys(existing: list[str], given: list[str] | str) -> list[str]:
    """The new key list: an entry equal to an existing key's mask keeps that key, in the new place."""
    by_mask: dict[str, list[str]] = {}
    for key in existing:
        by_mask.setdefault(mask_key(key), []).append(key)
    merged: list[str] = []
    for entry in _entries(given):
        kept = by_mask.get(entry)
        merged.append(kept.pop(0) if kept else entry)
    return merged


def _urls(provider: Provider, model_id: str) -> dict[str, str | None]:
    from drupe.protocols.urls import preview_urls

    try:
        return dict(preview_urls(provider.type, mask_url(provider.base_url), provider.api_version, model_id))
    except DrupeError:
        return {"chat_url": None, "models_url": None}


def provider_json(registry: Registry, provider: Provider, *, with_models: bool = False) -> dict[str, Any]:
    models = registry.list_models(provider.id)
    data = {
        **provider.public_dict(),
        "model_count": len(models),
        **_urls(provider, models[0].model_id if models else ""),
    }
    if with_models:
        data["models"] = [model_json(m, provider) for m in models]
    return data


@router.get("/providers", response_model=ProviderList, responses=documented())
def list_providers(registry: Registry = Depends(registry)) -> list[dict[str, Any]]:
    return [provider_json(registry, p) for p in registry.list_providers()]


@router.post("/providers", status_code=201, response_model=ProviderOut, responses=documented(400, 409, 422))
def add_provider(body: ProviderIn, registry: Registry = Depends(registry)) -> dict[str, Any]:
    fields = body.model_dump(exclude={"name", "type"})
    fields["api_keys"] = _entries(body.api_keys)
    provider = registry.add_provider(body.name, body.type, **fields)
    return provider_json(registry, provider)


@router.put("/providers/order", response_model=ProviderList, responses=documented(400, 404, 422))
def reorder_providers(body: ProviderOrder, registry: Registry = Depends(registry)) -> list[dict[str, Any]]:
    for position, provider_id in enumerate(body.ids):
        registry.move_provider(provider_or_404(registry, provider_id).id, position)
    return [provider_json(registry, p) for p in registry.list_providers()]


@router.get("/providers/{provider_id}", response_model=ProviderWithModels, responses=documented(404, 422))
def get_provider(provider_id: Text, registry: Registry = Depends(registry)) -> dict[str, Any]:
    return provider_json(registry, provider_or_404(registry, provider_id), with_models=True)


@router.patch("/providers/{provider_id}", response_model=ProviderOut, responses=documented(400, 404, 409, 422))
def edit_provider(provider_id: Text, body: ProviderPatch, registry: Registry = Depends(registry)) -> dict[str, Any]:
    provider = provider_or_404(registry, provider_id)
    changes = body.model_dump(exclude_unset=True)
    if "api_keys" in changes:
        changes["api_keys"] = merge_keys(provider.api_keys, changes["api_keys"] or [])
    for field, value in list(changes.items()):
        if value is None:
            if field not in _CLEARABLE:
                raise DrupeError(f"The provider's {field} cannot be empty.", code="invalid", field=field)
            changes[field] = ""
    if changes:
        provider = registry.edit_provider(provider.id, **changes)
    return provider_json(registry, provider)


@router.delete("/providers/{provider_id}", response_model=ProviderRemoved, responses=documented(404, 422))
def remove_provider(provider_id: Text, registry: Registry = Depends(registry)) -> dict[str, Any]:
    provider = provider_or_404(registry, provider_id)
    count = len(registry.list_models(provider.id))
    registry.remove_provider(provider.id)
    return {"removed": provider.id, "models": count}


@router.post("/providers/{provider_id}/check", response_model=CheckOut, responses=documented(400, 404, 409, 422))
async def check_provider(provider_id: Text, body: CheckIn, registry: Registry = Depends(registry)) -> dict[str, Any]:
    """One tiny request per key (or the one asked for) with the chosen model, as `drupe provider check
    --all-keys` makes them: ok and latency, or what went wrong and a hint."""
    from drupe.checks import check_provider as check
    from drupe.hints import error_kind

    provider = provider_or_404(registry, provider_id)
    model, checks = await check(registry, provider.id, body.model, all_keys=True, key_index=body.key_index)
    results = [
        {
            "index": item.index,
            "key": item.key if provider.api_keys else None,
            "ok": item.ok,
            "latency_ms": round(item.latency_ms, 1) if item.latency_ms is not None else None,
            "error": {**item.error.to_dict(), "kind": error_kind(item.error, model), "hint": item.hint}
            if item.error
            else None,
        }
        for item in checks
    ]
    return {"model": model, "url": _urls(provider, model)["chat_url"], "results": results}


@router.post("/providers/{provider_id}/health", response_model=HealthOut, responses=documented(400, 404, 422))
async def provider_health(provider_id: Text, body: HealthIn, registry: Registry = Depends(registry)) -> dict[str, Any]:
    """Every chat model × every key, as `drupe provider check --all-models` does it: by the model
    list when it authenticates (nothing paid for), else, or when `model_checks` asks, a chat per cell.
    404 when the provider has no chat model."""
    from drupe.health import check_health

    provider = provider_or_404(registry, provider_id)
    health = await check_health(registry, provider.id, model_checks=body.model_checks, timeout=body.timeout)
    return health.to_dict()


@router.get("/resolve-url", response_model=Urls, responses=documented(400, 422))
def resolve_url(type: Text, base_url: Text = "", api_version: Text = "", model: Text = "") -> dict[str, str]:
    """The URLs drupe would call for what is typed in the form; nothing is saved or called."""
    from drupe.protocols.urls import preview_urls
    from drupe.validation import check_base_url, check_type

    check_type(type)
    check_base_url(base_url, type)
    return preview_urls(type, base_url, api_version, model)

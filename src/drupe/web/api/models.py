"""Models: the picker's list, each provider's models, and the provider's own remote list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from drupe.catalog import infer_capabilities
from drupe.errors import DrupeError
from drupe.registry import Model, Provider, Registry
from drupe.web.api.deps import provider_or_404, registry
from drupe.web.api.inputs import Count, Price, Text
from drupe.web.api.schemas import DefaultModel, ModelList, ModelOut, RemoteModels, Removed
from drupe.web.errors import documented

router = APIRouter(prefix="/api", tags=["models"])


class ModelIn(BaseModel):
    model_id: Text
    name: Text = ""
    group: Text = ""
    capabilities: list[Text] | None = None
    context_window: Count | None = None
    max_output: Count | None = None
    price_in: Price | None = None
    price_out: Price | None = None


class ModelBatch(BaseModel):
    models: list[ModelIn] = Field(min_length=1)


class ModelPatch(BaseModel):
    model_id: Text | None = None
    name: Text | None = None
    group: Text | None = None
    capabilities: list[Text] | None = None
    context_window: Count | None = None
    max_output: Count | None = None
    price_in: Price | None = None
    price_out: Price | None = None


class DefaultModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: Text = Field(description="The provider's id (or name).")
    model_id: Text


def model_json(model: Model, provider: Provider) -> dict[str, Any]:
    return {"provider_id": provider.id, "provider": provider.name, **model.public_dict()}


def _model_or_404(registry: Registry, provider: Provider, model_id: str) -> Model:
    model = registry.find_model(provider.id, model_id)
    if model is None:
        raise DrupeError(
            f"{provider.name} has no model {model_id!r}.",
            code="not_found", what="model", provider=provider.name, name=model_id,
        )  # fmt: skip
    return model


@router.get("/models", response_model=ModelList, responses=documented(422))
def list_all_models(enabled: bool = False, registry: Registry = Depends(registry)) -> list[dict[str, Any]]:
    providers = registry.list_providers(enabled_only=enabled)
    by_provider: dict[str, list[Model]] = {}
    for model in registry.list_models():
        by_provider.setdefault(model.provider_id, []).append(model)
    return [model_json(m, p) for p in providers for m in by_provider.get(p.id, [])]


@router.get("/providers/{provider_id}/models", response_model=ModelList, responses=documented(404, 422))
def list_models(provider_id: Text, registry: Registry = Depends(registry)) -> list[dict[str, Any]]:
    provider = provider_or_404(registry, provider_id)
    return [model_json(m, provider) for m in registry.list_models(provider.id)]


@router.post(
    "/providers/{provider_id}/models",
    status_code=201,
    response_model=ModelOut | ModelList,
    responses=documented(400, 404, 409, 422),
)
def add_models(
    provider_id: Text, body: ModelIn | ModelBatch, registry: Registry = Depends(registry)
) -> dict[str, Any] | list[dict[str, Any]]:
    """One model, or `{"models": [...]}`: all are checked before any is added."""
    from drupe.validation import check_capabilities, check_model_id

    provider = provider_or_404(registry, provider_id)
    items = body.models if isinstance(body, ModelBatch) else [body]
    seen = {m.model_id for m in registry.list_models(provider.id)}
    for item in items:
        model_id = check_model_id(item.model_id)
        if model_id in seen:
            raise DrupeError(
                f"{provider.name} already has model {model_id!r}.",
                code="conflict", what="model", provider=provider.name, name=model_id,
            )  # fmt: skip
        seen.add(model_id)
        if item.capabilities:
            check_capabilities(item.capabilities)
    added = [
        model_json(registry.add_model(provider.id, item.model_id, **item.model_dump(exclude={"model_id"})), provider)
        for item in items
    ]
    return added if isinstance(body, ModelBatch) else added[0]


@router.patch(
    "/providers/{provider_id}/models/{model_id:path}", response_model=ModelOut, responses=documented(400, 404, 409, 422)
)
def edit_model(
    provider_id: Text, model_id: Text, body: ModelPatch, registry: Registry = Depends(registry)
) -> dict[str, Any]:
    provider = provider_or_404(registry, provider_id)
    _model_or_404(registry, provider, model_id)
    changes = body.model_dump(exclude_unset=True)
    if "capabilities" in changes and changes["capabilities"] is None:
        changes["capabilities"] = infer_capabilities(changes.get("model_id") or model_id)
    if "model_id" in changes:
        changes["new_id"] = changes.pop("model_id")
    changed = registry.edit_model(provider.id, model_id, **changes)
    if changed.model_id != model_id:
        from drupe.chat.targets import follow_rename

        follow_rename(registry, provider.id, model_id, changed.model_id)
    return model_json(changed, provider)


@router.delete(
    "/providers/{provider_id}/models/{model_id:path}", response_model=Removed, responses=documented(404, 422)
)
def remove_model(provider_id: Text, model_id: Text, registry: Registry = Depends(registry)) -> dict[str, str]:
    provider = provider_or_404(registry, provider_id)
    _model_or_404(registry, provider, model_id)
    registry.remove_model(provider.id, model_id)
    return {"removed": model_id}


@router.get("/default-model", response_model=DefaultModel, responses=documented())
def get_default_model(registry: Registry = Depends(registry)) -> dict[str, Any]:
    from drupe.chat.targets import default_model

    found = default_model(registry)
    return {"model": model_json(found[1], found[0]) if found else None}


@router.put("/default-model", response_model=DefaultModel, responses=documented(400, 404, 409, 422))
def set_default_model(body: DefaultModelIn, registry: Registry = Depends(registry)) -> dict[str, Any]:
    """The model chats use when given none; its provider must be enabled (409 `provider_disabled`)."""
    from drupe.chat.targets import set_default_model as set_default

    provider = provider_or_404(registry, body.provider_id)
    set_default(registry, provider.id, body.model_id)
    return {"model": model_json(_model_or_404(registry, provider, body.model_id), provider)}


@router.delete("/default-model", response_model=DefaultModel, responses=documented())
def clear_default_model(registry: Registry = Depends(registry)) -> dict[str, Any]:
    from drupe.chat.targets import clear_default_model as clear

    clear(registry)
    return {"model": None}


@router.get(
    "/providers/{provider_id}/remote-models", response_model=RemoteModels, responses=documented(400, 404, 409, 422, 502)
)
async def remote_models(provider_id: Text, registry: Registry = Depends(registry)) -> dict[str, Any]:
    """The provider's own list, with inferred group and capabilities; failures are 502 with a hint."""
    from drupe.keys import mask_url
    from drupe.protocols.urls import resolve_url
    from drupe.remote_models import fetch_remote_models

    provider = provider_or_404(registry, provider_id)
    entries = await fetch_remote_models(registry, provider.id)
    url = resolve_url(provider.type, mask_url(provider.base_url), "models", api_version=provider.api_version)
    return {"url": url, "models": [entry.to_dict() for entry in entries]}

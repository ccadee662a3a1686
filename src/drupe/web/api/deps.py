"""What every API module reaches for: the registry and chat service the app was made with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from drupe.errors import DrupeError
from drupe.registry import Provider, Registry

if TYPE_CHECKING:
    from drupe.chat import ChatService


def registry(request: Request) -> Registry:
    return request.app.state.registry


def chat_service(request: Request) -> ChatService:
    return request.app.state.chat


def provider_or_404(registry: Registry, name_or_id: str) -> Provider:
    provider = registry.find_provider(name_or_id)
    if provider is None:
        raise DrupeError(f"No provider {name_or_id!r}.", code="not_found", what="provider", name=name_or_id)
    return provider

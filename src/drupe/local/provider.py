"""The `Local` provider: how the rest of drupe sees the built-in llama.cpp server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drupe.registry import Provider, Registry

LOCAL_PROVIDER = "Local"


def ensure_local_provider(registry: Registry, base_url: str, model_id: str, name: str = LOCAL_PROVIDER) -> Provider:
    """Create or update the provider so it is an enabled OpenAI provider at `base_url` that lists `model_id`.

    Called after every (re)start of the server: the port, and so the address, may have changed.
    Other fields and models the user added are left alone.
    """
    provider = registry.find_provider(name)
    if provider is None:
        provider = registry.add_provider(name, "openai", base_url=base_url, enabled=True)
    elif (provider.type, provider.base_url, provider.enabled) != ("openai", base_url, True):
        provider = registry.edit_provider(name, type="openai", base_url=base_url, enabled=True)
    if registry.find_model(name, model_id) is None:
        registry.add_model(name, model_id)
    return provider

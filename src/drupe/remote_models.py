"""The "Manage" list: a provider's remote models, with inferred group and capabilities."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass

from drupe.catalog import default_group, infer_capabilities, is_free
from drupe.protocols.base import RemoteModel
from drupe.registry import Model, Registry


@dataclass(frozen=True)
class RemoteEntry:
    model_id: str
    name: str
    group: str
    capabilities: list[str]
    added: bool
    context_window: int | None = None
    free: bool = False
    """Its ID or name marks it free (`drupe.catalog.is_free`): the Manage dialog's Free tab."""

    def to_dict(self) -> dict:
        return asdict(self)


async def fetch_remote_models(registry: Registry, provider_name: str) -> list[RemoteEntry]:
    """Ask the provider for its model list. Failures raise ProviderError, never an empty list."""
    from drupe.protocols.client import list_models

    provider = registry.get_provider(provider_name)
    added = {m.model_id for m in registry.list_models(provider.id)}
    remote = await list_models(provider.endpoint())
    # Thousands of IDs through the capability patterns take a while: not on the event loop.
    return await asyncio.to_thread(_entries, remote, added)


def _entries(remote: list[RemoteModel], added: set[str]) -> list[RemoteEntry]:
    return [
        RemoteEntry(
            model_id=m.id,
            name=m.name or m.id,
            group=default_group(m.id),
            capabilities=infer_capabilities(m.id),
            added=m.id in added,
            context_window=m.context_window,
            free=is_free(m.id, m.name),
        )
        for m in sorted(remote, key=lambda m: (default_group(m.id), m.id))
    ]


def add_remote(registry: Registry, provider_name: str, entry: RemoteEntry) -> Model:
    return registry.add_model(
        provider_name,
        entry.model_id,
        name=entry.name if entry.name != entry.model_id else "",
        group=entry.group,
        capabilities=entry.capabilities,
        context_window=entry.context_window,
    )

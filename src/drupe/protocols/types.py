"""The registry of provider types: every list of types drupe shows or checks derives from `TYPES`.

The CLI's `--type` help, `validation.check_type`, `/api/meta` (and so the web form), the
client and the tests' parametrisation all read this one registry. Each entry names the class
that declares the type (see `drupe.protocols.contract.ProviderType`); the class is imported
the first time the type is used, so reading the IDs alone (`drupe --help`) imports nothing
else. A type from outside drupe (or a test) is added with `register_type`.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import TYPE_CHECKING

from drupe.errors import DrupeError

if TYPE_CHECKING:
    from drupe.protocols.contract import ProviderType

BUILT_IN: dict[str, str] = {
    "openai": "drupe.protocols.openai_chat:OpenAIChat",
    "openai-response": "drupe.protocols.openai_responses:OpenAIResponses",
    "anthropic": "drupe.protocols.anthropic:Anthropic",
    "gemini": "drupe.protocols.gemini:Gemini",
    "azure-openai": "drupe.protocols.azure_openai:AzureOpenAI",
}
"""Each built-in type's ID, in the order users see them, and the `module:Class` declaring it."""


class TypeRegistry(MutableMapping[str, "ProviderType"]):
    """Type ID → the type object, in the order types are shown; a class is imported on first use."""

    def __init__(self, declared: dict[str, str]) -> None:
        self._declared: dict[str, str | ProviderType] = dict(declared)

    def __getitem__(self, type_id: str) -> ProviderType:
        entry = self._declared[type_id]
        if isinstance(entry, str):
            module, _, name = entry.partition(":")
            entry = self._declared[type_id] = _checked(getattr(import_module(module), name)(), type_id)
        return entry

    def __setitem__(self, type_id: str, provider_type: ProviderType) -> None:
        self._declared[type_id] = _checked(provider_type, type_id)

    def __delitem__(self, type_id: str) -> None:
        del self._declared[type_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._declared


def _checked(provider_type: ProviderType, type_id: str) -> ProviderType:
    from drupe.protocols.contract import ProviderType

    if not isinstance(provider_type, ProviderType):
        raise TypeError(f"A provider type must be a ProviderType instance, not {provider_type!r}.")
    if provider_type.id != type_id:
        raise ValueError(f"The type {provider_type.id!r} cannot be registered as {type_id!r}.")
    return provider_type


TYPES = TypeRegistry(BUILT_IN)


def register_type(provider_type: ProviderType) -> ProviderType:
    """Add a type (an instance of a `ProviderType` subclass) under its `id`, after the built-in
    ones; from then on users can pick it everywhere. Re-registering an ID replaces that type."""
    TYPES[getattr(provider_type, "id", "")] = provider_type
    return provider_type


def type_for(type_id: str) -> ProviderType:
    """The type object for a stored provider's `type`; an unknown one is a user error."""
    try:
        return TYPES[type_id]
    except KeyError:
        raise DrupeError(
            f"Unknown provider type {type_id!r}; expected one of: {', '.join(TYPES)}.",
            code="invalid",
            field="type",
            choices=list(TYPES),
        ) from None

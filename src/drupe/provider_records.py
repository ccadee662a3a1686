"""The records the registry hands out: a provider and a model, with what of them may be shown.

Kept apart from `drupe.registry` (which stores them) so the shapes are read in one place: the web
API's response models and the export are built from these dataclasses' fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.keys import mask_headers, mask_key, mask_url, secret_values
from drupe.plain import plain
from drupe.protocols.base import Endpoint
from drupe.protocols.limits import DEFAULT_LIMITS

DEFAULT_TIMEOUT = 600.0


@dataclass
class Provider:
    id: str
    name: str
    type: str
    enabled: bool = True
    api_keys: list[str] = field(default_factory=list)
    base_url: str = ""
    api_version: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    proxy: str = ""
    notes: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    position: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    secrets_unreadable: bool = False
    """Its stored secrets cannot be decrypted with the current key (written with another one):
    it is listed without them, and can be given new ones or removed."""

    @property
    def masked_keys(self) -> list[str]:
        return [mask_key(key) for key in self.api_keys]

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, to redact from what the provider sends back."""
        return secret_values(self.api_keys, self.headers, (self.base_url, self.proxy))

    def endpoint(self) -> Endpoint:
        """What the protocol layer needs to reach this provider."""
        if self.secrets_unreadable:
            raise DrupeError(
                _(
                    "The stored secrets of provider {provider} cannot be decrypted with the current secret key: "
                    "restore the original DRUPE_HOME/secret.key, or give the provider new ones.",
                    provider=repr(self.name),
                ),
                code="secrets_unreadable", what="provider", provider=self.name,
            )  # fmt: skip
        return Endpoint(
            type=self.type,
            base_url=self.base_url,
            api_keys=tuple(self.api_keys),
            api_version=self.api_version,
            headers=dict(self.headers),
            timeout=self.timeout,
            proxy=self.proxy,
            stream_usage=self.options.get("stream_usage", True),
            extra_body=dict(self.options.get("extra_body") or {}),
            limits=DEFAULT_LIMITS.with_overrides(self.options.get("limits")),
            secrets=self.secrets(),
        )

    def public_dict(self) -> dict[str, Any]:
        """Safe to show: every field, with keys, secret header values and URL credentials masked."""
        return {
            **plain(self),
            "api_keys": self.masked_keys,
            "base_url": mask_url(self.base_url),
            "headers": mask_headers(self.headers),
            "proxy": mask_url(self.proxy),
        }


@dataclass
class Model:
    id: int
    provider_id: str
    model_id: str
    name: str
    group: str
    capabilities: list[str]
    context_window: int | None = None
    max_output: int | None = None
    price_in: float | None = None
    price_out: float | None = None
    position: int = 0

    def public_dict(self) -> dict[str, Any]:
        """What a user knows of a model: all but the database's own `id`, `provider_id` and `position`."""
        return {name: value for name, value in plain(self).items() if name not in MODEL_INTERNAL}


MODEL_INTERNAL = ("id", "provider_id", "position")


MODEL_FIELDS = tuple(f.name for f in dataclass_fields(Model) if f.name not in (*MODEL_INTERNAL, "model_id"))
"""What a user sets on a model besides its id (name, group, capabilities, sizes, prices)."""
PROVIDER_FIELDS = (
    "name", "type", "enabled", "api_keys", "base_url", "api_version",
    "headers", "timeout", "proxy", "notes", "options",
)  # fmt: skip
"""What a user sets on a provider."""

"""Provider presets: well-known AI services, so adding one needs only a key.

The catalog is data (`presets.json`, next to this module), not code: each entry names a
provider type, the address a user would type into drupe, the chat URL the vendor documents,
popular models, where to get a key and the vendor page that confirmed it. Keeping it as one
data file lets the tests hold every entry to drupe's URL rules and lets the CLI and the web
read the same list. Reading it imports nothing heavy, so `drupe provider presets` stays fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from drupe.errors import DrupeError
from drupe.i18n import _


@dataclass(frozen=True)
class Alternate:
    """Another API style or region the same vendor offers (e.g. an Anthropic-compatible address)."""

    name: str
    type: str
    base_url: str
    chat_url: str
    note: str = ""


@dataclass(frozen=True)
class Preset:
    """One well-known service; `base_url` goes into drupe as is, `chat_url` is what the vendor documents."""

    id: str
    name: str
    type: str
    base_url: str
    chat_url: str
    models: tuple[str, ...]
    key_url: str
    docs_url: str
    checked: str
    note: str = ""
    local: bool = False
    alternates: tuple[Alternate, ...] = field(default=())

    def public_dict(self) -> dict[str, Any]:
        """The preset as JSON-ready data (CLI `--json`, web API)."""
        return {
            "id": self.id, "name": self.name, "type": self.type, "base_url": self.base_url,
            "chat_url": self.chat_url, "models": list(self.models), "key_url": self.key_url,
            "docs_url": self.docs_url, "checked": self.checked, "note": self.note, "local": self.local,
            "alternates": [vars(a) for a in self.alternates],
        }  # fmt: skip


def _preset(entry: dict[str, Any]) -> Preset:
    alternates = tuple(Alternate(**alt) for alt in entry.get("alternates", ()))
    return Preset(**{**entry, "models": tuple(entry["models"]), "alternates": alternates})


@cache
def all_presets() -> tuple[Preset, ...]:
    """Every preset, in the catalog's order (hosted services first, local servers last)."""
    data = json.loads(files("drupe").joinpath("presets.json").read_text(encoding="utf-8"))
    return tuple(_preset(entry) for entry in data["presets"])


def get_preset(preset_id: str) -> Preset:
    """The preset with this ID (case-insensitive); an unknown ID is a user error listing the choices."""
    wanted = preset_id.strip().lower()
    for preset in all_presets():
        if preset.id == wanted:
            return preset
    choices = [p.id for p in all_presets()]
    raise DrupeError(
        _("Unknown preset {preset}; expected one of: {choices}.", preset=repr(preset_id), choices=", ".join(choices)),
        code="not_found", what="preset", name=preset_id, field="preset", choices=choices,
    )  # fmt: skip

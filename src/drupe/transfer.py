"""Export and import providers with their models as one JSON document.

Import checks the whole file before it writes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from drupe.errors import DrupeError
from drupe.registry import Registry
from drupe.validation import (
    check_base_url,
    check_capabilities,
    check_model_id,
    check_name,
    check_proxy,
    check_timeout,
    check_type,
)

FORMAT = "drupe-export"
VERSION = 1
OnConflict = Literal["skip", "rename", "replace"]
_PROVIDER_KEYS = ("enabled", "base_url", "api_version", "headers", "timeout", "proxy", "notes", "options")
_MODEL_KEYS = ("name", "group", "capabilities", "context_window", "max_output", "price_in", "price_out")


def export_data(registry: Registry, include_keys: bool = False) -> dict[str, Any]:
    providers = []
    for provider in registry.list_providers():
        entry: dict[str, Any] = {"name": provider.name, "type": provider.type}
        entry.update({key: getattr(provider, key) for key in _PROVIDER_KEYS})
        if include_keys:
            entry["api_keys"] = list(provider.api_keys)
        entry["models"] = [
            {"model_id": m.model_id, **{key: getattr(m, key) for key in _MODEL_KEYS}}
            for m in registry.list_models(provider.id)
        ]
        providers.append(entry)
    return {"format": FORMAT, "version": VERSION, "providers": providers}


def export_file(registry: Registry, path: Path, include_keys: bool = False) -> int:
    data = export_data(registry, include_keys)
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        if include_keys:
            path.chmod(0o600)
    except OSError as exc:
        raise DrupeError(f"Cannot write {path}: {exc.strerror}.") from exc
    return len(data["providers"])


@dataclass
class ImportPlan:
    """What an import will do, decided before anything is written."""

    add: list[dict[str, Any]] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _entry_error(index: int, message: str) -> DrupeError:
    return DrupeError(f"Import file entry {index + 1}: {message} Nothing was imported.")


def _check_entry(index: int, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _entry_error(index, "is not an object.")
    unknown = set(entry) - {"name", "type", "api_keys", "models", *_PROVIDER_KEYS}
    if unknown:
        raise _entry_error(index, f"has unknown fields {sorted(unknown)}.")
    try:
        clean = {"name": check_name(entry.get("name", "")), "type": check_type(entry.get("type", ""))}
        clean["base_url"] = check_base_url(entry.get("base_url", ""), clean["type"])
        clean["proxy"] = check_proxy(entry.get("proxy", ""))
        clean["timeout"] = check_timeout(float(entry.get("timeout", 600.0)))
        for key in ("api_version", "notes"):
            clean[key] = str(entry.get(key, ""))
        clean["enabled"] = bool(entry.get("enabled", True))
        clean["headers"] = {str(k): str(v) for k, v in dict(entry.get("headers", {})).items()}
        clean["options"] = dict(entry.get("options", {}))
        keys = entry.get("api_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise DrupeError("api_keys must be a list of strings.")
        clean["api_keys"] = keys
        clean["models"] = [_check_model(m) for m in entry.get("models", [])]
    except (DrupeError, TypeError, ValueError) as exc:
        raise _entry_error(index, f"({entry.get('name')!r}) {exc}") from exc
    ids = [m["model_id"] for m in clean["models"]]
    if len(ids) != len(set(ids)):
        raise _entry_error(index, f"({clean['name']!r}) lists a model ID twice.")
    return clean


def _check_model(model: Any) -> dict[str, Any]:
    if not isinstance(model, dict):
        raise DrupeError("a model entry is not an object.")
    clean = {"model_id": check_model_id(model.get("model_id", ""))}
    for key in _MODEL_KEYS:
        if model.get(key) is not None:
            clean[key] = model[key]
    if "capabilities" in clean:
        clean["capabilities"] = check_capabilities(list(clean["capabilities"]))
    return clean


def plan_import(registry: Registry, data: Any, on_conflict: OnConflict) -> ImportPlan:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DrupeError("This is not a drupe export file (no \"format\": \"drupe-export\"). Nothing was imported.")
    if data.get("version") != VERSION:
        raise DrupeError(
            f"This export file has schema version {data.get('version')!r}; this drupe reads version {VERSION}. "
            "Nothing was imported."
        )
    entries = data.get("providers")
    if not isinstance(entries, list):
        raise DrupeError("The export file has no \"providers\" list. Nothing was imported.")
    plan = ImportPlan()
    taken = {p.name.lower() for p in registry.list_providers()}
    in_file: set[str] = set()
    for index, raw in enumerate(entries):
        entry = _check_entry(index, raw)
        key = entry["name"].lower()
        if key in in_file:
            raise _entry_error(index, f"the name {entry['name']!r} appears twice in the file.")
        in_file.add(key)
        if key in taken:
            if on_conflict == "skip":
                plan.skipped.append(entry["name"])
                continue
            if on_conflict == "replace":
                plan.replace.append(entry["name"])
            else:
                entry["name"] = _free_name(entry["name"], taken)
        taken.add(entry["name"].lower())
        plan.add.append(entry)
    return plan


def _free_name(name: str, taken: set[str]) -> str:
    for n in range(2, 1000):
        suffix = f" ({n})"
        candidate = name[: 32 - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
    raise DrupeError(f"Cannot find a free name for {name!r}.")


def import_file(registry: Registry, path: Path, on_conflict: OnConflict = "skip") -> ImportPlan:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise DrupeError(f"Cannot read {path}: {exc.strerror}.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DrupeError(f"{path} is not valid JSON ({exc}). Nothing was imported.") from exc
    plan = plan_import(registry, data, on_conflict)
    for name in plan.replace:
        registry.remove_provider(name)
    for entry in plan.add:
        models = entry.pop("models")
        provider = registry.add_provider(entry.pop("name"), entry.pop("type"), **entry)
        for model in models:
            registry.add_model(provider.id, model.pop("model_id"), **model)
    return plan

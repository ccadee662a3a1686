"""Export and import providers with their models as one JSON document.

Secrets (API keys, secret header values, URL credentials) are written only when asked.
Import checks the whole file before it writes anything, and writes it in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.keys import is_secret_header, split_userinfo
from drupe.provider_records import MODEL_FIELDS, PROVIDER_FIELDS
from drupe.registry import Registry
from drupe.validation import (
    check_base_url,
    check_capabilities,
    check_model_id,
    check_name,
    check_options,
    check_proxy,
    check_timeout,
    check_type,
)

FORMAT = "drupe-export"
VERSION = 1
OnConflict = Literal["skip", "rename", "replace"]
_PROVIDER_KEYS = tuple(key for key in PROVIDER_FIELDS if key not in ("name", "type", "api_keys"))
_MODEL_KEYS = MODEL_FIELDS


def export_data(registry: Registry, include_keys: bool = False) -> dict[str, Any]:
    providers = []
    for provider in registry.list_providers():
        entry: dict[str, Any] = {"name": provider.name, "type": provider.type}
        entry.update({key: getattr(provider, key) for key in _PROVIDER_KEYS})
        if include_keys:
            entry["api_keys"] = list(provider.api_keys)
        else:
            entry["base_url"] = split_userinfo(provider.base_url)[0]
            entry["proxy"] = split_userinfo(provider.proxy)[0]
            entry["headers"] = {k: v for k, v in provider.headers.items() if not is_secret_header(k)}
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
        raise DrupeError(
            _("Cannot write {path}: {problem}.", path=path, problem=exc.strerror),
            code="unavailable",
            what="file",
            path=str(path),
        ) from exc
    return len(data["providers"])


@dataclass
class ImportPlan:
    """What an import will do, decided before anything is written."""

    add: list[dict[str, Any]] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _entry_error(index: int, message: str, cause: Exception | None = None) -> DrupeError:
    """An `invalid` error naming the entry, with the field the cause names, if any."""
    data = {"field": cause.data["field"]} if isinstance(cause, DrupeError) and "field" in cause.data else {}
    message = f"Import file entry {index + 1}: {message} Nothing was imported."
    return DrupeError(message, code="invalid", entry=index + 1, **data)


def _check_entry(index: int, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _entry_error(index, "is not an object.")
    unknown = set(entry) - {"name", "type", "api_keys", "models", *_PROVIDER_KEYS}
    if unknown:
        raise _entry_error(index, f"has unknown fields {sorted(unknown)}.")
    try:
        clean: dict[str, Any] = {
            "name": check_name(_typed(entry, "name", str, "a text", "")),
            "type": check_type(entry.get("type", "")),
        }
        clean["base_url"] = check_base_url(_typed(entry, "base_url", str, "a URL", ""), clean["type"])
        clean["proxy"] = check_proxy(_typed(entry, "proxy", str, "a URL", ""))
        clean["timeout"] = check_timeout(_typed(entry, "timeout", (int, float), "a number of seconds", 600.0))
        for key in ("api_version", "notes"):
            clean[key] = _typed(entry, key, str, "a text", "")
        clean["enabled"] = _typed(entry, "enabled", bool, "true or false", True)
        headers = _typed(entry, "headers", dict, "an object of NAME: VALUE texts", {})
        if not all(isinstance(v, str) for v in headers.values()):
            raise DrupeError("headers must be an object of NAME: VALUE texts.", code="invalid", field="headers")
        clean["headers"] = headers
        clean["options"] = check_options(_typed(entry, "options", dict, "an object", {}))
        keys = entry.get("api_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise DrupeError("api_keys must be a list of strings.", code="invalid", field="api_keys")
        clean["api_keys"] = keys
        models = _typed(entry, "models", list, "a list", [])
        clean["models"] = [_check_model(n, m) for n, m in enumerate(models, 1)]
    except (DrupeError, TypeError, ValueError) as exc:
        raise _entry_error(index, f"({entry.get('name')!r}) {exc}", exc) from exc
    ids = [m["model_id"] for m in clean["models"]]
    if len(ids) != len(set(ids)):
        raise _entry_error(index, f"({clean['name']!r}) lists a model ID twice.")
    return clean


_MODEL_EXPECTED = {
    "name": "a text",
    "group": "a text",
    "capabilities": "a list of capability names",
    "context_window": "a whole number above 0",
    "max_output": "a whole number above 0",
    "price_in": "a number, 0 or more",
    "price_out": "a number, 0 or more",
}


def _typed(entry: dict[str, Any], key: str, kind: type | tuple[type, ...], expected: str, default: Any) -> Any:
    """`entry[key]` when it has the type the registry stores; JSON `true` is not a number here."""
    value = entry.get(key, default)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise DrupeError(f"{key} must be {expected}, not {value!r}.", code="invalid", field=key)
    return value


def _model_value_ok(key: str, value: Any) -> bool:
    if key in ("name", "group"):
        return isinstance(value, str)
    if key == "capabilities":
        return isinstance(value, list) and all(isinstance(c, str) for c in value)
    if isinstance(value, bool) or not isinstance(
        value, int if key in ("context_window", "max_output") else (int, float)
    ):
        return False
    return value > 0 if key in ("context_window", "max_output") else value >= 0


def _check_model(number: int, model: Any) -> dict[str, Any]:
    if not isinstance(model, dict):
        raise DrupeError(f"model {number} is not an object.", code="invalid", field="models")
    model_id = model.get("model_id", "")
    if not isinstance(model_id, str):
        raise DrupeError(f"model {number}: model_id must be a text, not {model_id!r}.", code="invalid", field="models")
    clean: dict[str, Any] = {"model_id": check_model_id(model_id)}
    unknown = set(model) - {"model_id", *_MODEL_KEYS}
    if unknown:
        raise DrupeError(
            f"model {clean['model_id']!r} has unknown fields {sorted(unknown)}.", code="invalid", field="models"
        )
    for key in _MODEL_KEYS:
        value = model.get(key)
        if value is None:
            continue
        if not _model_value_ok(key, value):
            raise DrupeError(
                f"model {clean['model_id']!r}: {key} must be {_MODEL_EXPECTED[key]}, not {value!r}.",
                code="invalid", field="models",
            )  # fmt: skip
        clean[key] = value
    if "capabilities" in clean:
        clean["capabilities"] = check_capabilities(clean["capabilities"])
    return clean


def plan_import(registry: Registry, data: Any, on_conflict: OnConflict) -> ImportPlan:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DrupeError(
            _('This is not a drupe export file (no "format": "drupe-export"). Nothing was imported.'),
            code="invalid", field="format",
        )  # fmt: skip
    if data.get("version") != VERSION:
        raise DrupeError(
            _(
                "This export file has schema version {found}; this drupe reads version {version}. "
                "Nothing was imported.",
                found=repr(data.get("version")), version=VERSION,
            ),
            code="invalid", field="version",
        )  # fmt: skip
    entries = data.get("providers")
    if not isinstance(entries, list):
        raise DrupeError(
            _('The export file has no "providers" list. Nothing was imported.'), code="invalid", field="providers"
        )
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
    raise DrupeError(
        _("Cannot find a free name for {name}.", name=repr(name)), code="conflict", what="provider", name=name
    )


def import_file(registry: Registry, path: Path, on_conflict: OnConflict = "skip") -> ImportPlan:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise DrupeError(
            _("Cannot read {path}: {problem}.", path=path, problem=exc.strerror),
            code="unavailable",
            what="file",
            path=str(path),
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DrupeError(
            _("{path} is not valid JSON ({problem}). Nothing was imported.", path=path, problem=exc),
            code="invalid",
            field="file",
            path=str(path),
        ) from exc
    plan = plan_import(registry, data, on_conflict)
    try:
        with registry.transaction():
            for name in plan.replace:
                registry.remove_provider(name)
            for entry in plan.add:
                models = entry.pop("models")
                provider = registry.add_provider(entry.pop("name"), entry.pop("type"), **entry)
                for model in models:
                    registry.add_model(provider.id, model.pop("model_id"), **model)
    except DrupeError as exc:
        raise DrupeError(_("{problem} Nothing was imported.", problem=exc), code=exc.code, **exc.data) from exc
    return plan

"""Providers and their models: validated, stored, with secrets encrypted at rest.

The CLI, the web API and Python callers all go through `Registry`.

A provider's secrets are its API keys, the values of its secret headers (`drupe.keys.is_secret_header`)
and the `user:password@` in its base URL and proxy. They are stored together as one encrypted JSON
object in the `api_keys` column; the clear columns keep the URLs without credentials and the
secret headers' names with empty values. Rows written before (keys alone, as a JSON list, and the
rest in clear) are read as they are and re-encrypted the first time they are read.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from drupe.catalog import CAPABILITIES, default_group, infer_capabilities
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.keys import (
    has_clear_secrets,
    is_secret_header,
    join_secrets,
    split_secrets,
    unmask_headers,
    unmask_url,
)
from drupe.protocols.base import PROVIDER_TYPES
from drupe.provider_records import MODEL_FIELDS, PROVIDER_FIELDS, Model, Provider
from drupe.store.db import Store, inserted_id
from drupe.store.tables import models as models_table
from drupe.store.tables import providers as providers_table
from drupe.store.tables import settings as settings_table
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

_SECRET_FIELDS = {"api_keys", "base_url", "headers", "proxy"}


# Built once: every turn looks its provider and model up (see drupe.chat.service).
_SELECT_PROVIDER = sa.select(providers_table).where(
    sa.or_(providers_table.c.name_key == sa.bindparam("name_key"), providers_table.c.id == sa.bindparam("provider_id"))
)
_SELECT_MODEL = sa.select(models_table).where(
    models_table.c.provider_id == sa.bindparam("provider_id"), models_table.c.model_id == sa.bindparam("model_id")
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Registry:
    """Create, read, change and remove providers and models."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._local = threading.local()

    # -- transactions ----------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every registry change made inside (in this thread) is committed together, or not at all."""
        self.store.vault  # noqa: B018 (first: checking the key may write, which would wait on this transaction)
        with self.store.engine.begin() as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        active = getattr(self._local, "conn", None)
        if active is not None:
            yield active
        else:
            with self.store.engine.begin() as conn:
                yield conn

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        active = getattr(self._local, "conn", None)
        if active is not None:
            yield active
        else:
            with self.store.engine.connect() as conn:
                yield conn

    # -- providers -------------------------------------------------------

    def _provider_from_row(self, row: Any) -> Provider:
        secrets: dict[str, Any] | list[str] = {}
        unreadable = False
        if row.api_keys:
            vault = self.store.vault  # a missing or wrong key stops here, with what to restore
            try:
                secrets = json.loads(vault.decrypt(row.api_keys))
            except DrupeError:
                unreadable = True
        clear = {"base_url": row.base_url, "proxy": row.proxy, "headers": dict(row.headers or {})}
        return Provider(
            id=row.id,
            name=row.name,
            type=row.type,
            enabled=bool(row.enabled),
            api_version=row.api_version,
            timeout=row.timeout,
            **join_secrets(clear, secrets),
            notes=row.notes,
            options=dict(row.options or {}),
            position=row.position,
            created_at=row.created_at,
            updated_at=row.updated_at,
            secrets_unreadable=unreadable,
        )

    def _from_rows(self, rows: list[Any]) -> list[Provider]:
        """Providers from their rows; secrets still in clear (written by an older drupe) get encrypted."""
        found = [self._provider_from_row(row) for row in rows]
        legacy = [
            p for row, p in zip(rows, found)
            if has_clear_secrets(row.headers or {}, row.base_url, row.proxy) and not p.secrets_unreadable
        ]  # fmt: skip
        if legacy:
            self.store.vault  # noqa: B018 (before the transaction: checking the key may write)
            with self._begin() as conn:
                if self.store.is_sqlite:  # overwrite the clear text, not just unlink it
                    conn.exec_driver_sql("PRAGMA secure_delete = ON")
                for provider in legacy:
                    values = self._provider_values(provider)
                    conn.execute(
                        providers_table.update()
                        .where(providers_table.c.id == provider.id)
                        .values(**{key: values[key] for key in ("api_keys", "base_url", "headers", "proxy")})
                    )
        return found

    def list_providers(self, enabled_only: bool = False) -> list[Provider]:
        query = sa.select(providers_table).order_by(providers_table.c.position, providers_table.c.name_key)
        if enabled_only:
            query = query.where(providers_table.c.enabled.is_(True))
        with self._connect() as conn:
            rows = list(conn.execute(query))
        return self._from_rows(rows)

    def find_provider(self, name_or_id: str) -> Provider | None:
        key = name_or_id.strip()
        with self._connect() as conn:
            row = conn.execute(_SELECT_PROVIDER, {"name_key": key.lower(), "provider_id": key}).first()
        return self._from_rows([row])[0] if row else None

    def get_provider(self, name_or_id: str) -> Provider:
        provider = self.find_provider(name_or_id)
        if provider is None:
            names = ", ".join(p.name for p in self.list_providers()) or _("none yet")
            raise DrupeError(
                _("No provider named {name}. Providers: {names}.", name=repr(name_or_id), names=names),
                code="not_found", what="provider", name=name_or_id,
            )  # fmt: skip
        return provider

    def _check_provider(self, provider: Provider, *, exclude_id: str | None = None) -> None:
        provider.name = check_name(provider.name)
        check_type(provider.type)
        provider.base_url = check_base_url(provider.base_url, provider.type)
        provider.proxy = check_proxy(provider.proxy)
        check_timeout(provider.timeout)
        check_options(provider.options)
        query = sa.select(providers_table.c.id).where(providers_table.c.name_key == provider.name.lower())
        with self._connect() as conn:
            clash = conn.execute(query).scalar()
        if clash and clash != exclude_id:
            raise DrupeError(
                _("A provider named {name} already exists (names ignore case). Pick another name.", name=repr(provider.name)),
                code="conflict", what="provider", name=provider.name, field="name",
            )  # fmt: skip

    def _provider_values(self, provider: Provider) -> dict[str, Any]:
        """The row to write: secrets sealed in `api_keys`, the clear columns without them."""
        clear, secrets = split_secrets(provider.api_keys, provider.headers, provider.base_url, provider.proxy)
        return {
            "name": provider.name,
            "name_key": provider.name.lower(),
            "type": provider.type,
            "enabled": provider.enabled,
            "api_keys": self.store.vault.encrypt(json.dumps(secrets)) if secrets else "",
            "api_version": provider.api_version,
            "timeout": provider.timeout,
            **clear,
            "notes": provider.notes,
            "options": provider.options,
        }

    def add_provider(self, name: str, type: str, **fields: Any) -> Provider:
        unknown = set(fields) - set(PROVIDER_FIELDS)
        if unknown:
            raise TypeError(f"unknown provider fields: {sorted(unknown)}")
        provider = Provider(id=uuid.uuid4().hex, name=name, type=type, **fields)
        provider.api_keys = _dedupe(provider.api_keys)
        self._check_provider(provider)
        now = _now()
        with self._begin() as conn:
            last = conn.execute(sa.select(sa.func.max(providers_table.c.position))).scalar()
            provider.position = 0 if last is None else last + 1
            conn.execute(
                providers_table.insert().values(
                    id=provider.id, position=provider.position, created_at=now, updated_at=now,
                    **self._provider_values(provider),
                )
            )  # fmt: skip
        provider.created_at = provider.updated_at = now
        return provider

    def edit_provider(self, name_or_id: str, **changes: Any) -> Provider:
        """Change any provider fields; validated as a whole before anything is written.

        A URL or secret header given with the mask of its stored credentials or value (as shown)
        keeps the stored one. For a provider whose secrets cannot be decrypted, changing none of
        its keys, headers, base URL or proxy leaves them as they are; changing any replaces them all.
        """
        unknown = set(changes) - set(PROVIDER_FIELDS)
        if unknown:
            raise TypeError(f"unknown provider fields: {sorted(unknown)}")
        provider = self.get_provider(name_or_id)
        for key in ("base_url", "proxy"):
            if isinstance(changes.get(key), str):
                changes[key] = unmask_url(changes[key], getattr(provider, key))
        if isinstance(changes.get("headers"), dict):
            changes["headers"] = unmask_headers(changes["headers"], provider.headers)
        keep_sealed = provider.secrets_unreadable and not _SECRET_FIELDS & set(changes)
        for key, value in changes.items():
            setattr(provider, key, value)
        provider.api_keys = _dedupe(provider.api_keys)
        self._check_provider(provider, exclude_id=provider.id)
        provider.updated_at = _now()
        if provider.secrets_unreadable and not keep_sealed:
            # The unreadable secret headers' places (empty values) go too: sent, they would replace the auth header.
            provider.headers = {k: v for k, v in provider.headers.items() if v or not is_secret_header(k)}
            provider.secrets_unreadable = False
        values = self._provider_values(provider)
        if keep_sealed:
            del values["api_keys"]
        with self._begin() as conn:
            conn.execute(
                providers_table.update()
                .where(providers_table.c.id == provider.id)
                .values(updated_at=provider.updated_at, **values)
            )
        return provider

    def set_enabled(self, name_or_id: str, enabled: bool) -> Provider:
        return self.edit_provider(name_or_id, enabled=enabled)

    def remove_provider(self, name_or_id: str) -> Provider:
        """Remove a provider and its models."""
        provider = self.get_provider(name_or_id)
        with self._begin() as conn:
            conn.execute(models_table.delete().where(models_table.c.provider_id == provider.id))
            conn.execute(providers_table.delete().where(providers_table.c.id == provider.id))
        return provider

    def move_provider(self, name_or_id: str, position: int) -> list[Provider]:
        """Put a provider at `position` (0-based) in the list order; the others keep their order."""
        provider = self.get_provider(name_or_id)
        ordered = [p for p in self.list_providers() if p.id != provider.id]
        position = max(0, min(position, len(ordered)))
        ordered.insert(position, provider)
        with self._begin() as conn:
            for index, item in enumerate(ordered):
                conn.execute(providers_table.update().where(providers_table.c.id == item.id).values(position=index))
                item.position = index
        return ordered

    def unreadable_secrets(self) -> list[str]:
        """Providers whose stored secrets the current secret key cannot decrypt (`drupe provider reset-secrets`),
        then MCP servers whose secrets it cannot, as "MCP server NAME"."""
        from drupe.secrets import unreadable_providers

        return unreadable_providers(self.store.home, self.store.engine)

    def forget_unreadable_secrets(self) -> list[str]:
        """Clear the secrets the current key cannot decrypt, and use this key from now on."""
        from drupe.secrets import forget_unreadable

        lost = forget_unreadable(self.store.home, self.store.engine)
        self.store._vault = None
        return lost

    # -- models ----------------------------------------------------------

    @staticmethod
    def _model_from_row(row: Any) -> Model:
        return Model(
            id=row.id,
            provider_id=row.provider_id,
            model_id=row.model_id,
            name=row.name,
            group=row.group_name,
            capabilities=list(row.capabilities or []),
            context_window=row.context_window,
            max_output=row.max_output,
            price_in=row.price_in,
            price_out=row.price_out,
            position=row.position,
        )

    def list_models(self, provider: str | None = None) -> list[Model]:
        query = sa.select(models_table).order_by(models_table.c.provider_id, models_table.c.position, models_table.c.id)
        if provider is not None:
            query = query.where(models_table.c.provider_id == self.get_provider(provider).id)
        with self._connect() as conn:
            return [self._model_from_row(row) for row in conn.execute(query)]

    def find_model(self, provider: str | Provider, model_id: str) -> Model | None:
        """`provider` is a name, an id, or a Provider already looked up (one query fewer)."""
        owner = provider if isinstance(provider, Provider) else self.get_provider(provider)
        with self._connect() as conn:
            row = conn.execute(_SELECT_MODEL, {"provider_id": owner.id, "model_id": model_id}).first()
        return self._model_from_row(row) if row else None

    def get_model(self, provider: str | Provider, model_id: str) -> Model:
        model = self.find_model(provider, model_id)
        if model is None:
            provider = provider.name if isinstance(provider, Provider) else provider
            raise DrupeError(
                _("Provider {provider} has no model {model}.", provider=repr(provider), model=repr(model_id)),
                code="not_found", what="model", provider=provider, name=model_id,
            )  # fmt: skip
        return model

    def add_model(self, provider: str, model_id: str, **fields: Any) -> Model:
        unknown = set(fields) - set(MODEL_FIELDS)
        if unknown:
            raise TypeError(f"unknown model fields: {sorted(unknown)}")
        owner = self.get_provider(provider)
        model_id = check_model_id(model_id)
        if self.find_model(owner.id, model_id):
            raise DrupeError(
                _("Provider {provider} already has model {model}.", provider=repr(owner.name), model=repr(model_id)),
                code="conflict", what="model", provider=owner.name, name=model_id,
            )  # fmt: skip
        values = _model_values(model_id, fields)
        with self._begin() as conn:
            last = conn.execute(
                sa.select(sa.func.max(models_table.c.position)).where(models_table.c.provider_id == owner.id)
            ).scalar()
            result = conn.execute(
                models_table.insert().values(
                    provider_id=owner.id, model_id=model_id, position=0 if last is None else last + 1,
                    created_at=_now(), **values,
                )
            )  # fmt: skip
            row = conn.execute(sa.select(models_table).where(models_table.c.id == inserted_id(result))).one()
        return self._model_from_row(row)

    def edit_model(self, provider: str, model_id: str, **changes: Any) -> Model:
        """Change a model's fields; `new_id` renames its model ID."""
        unknown = set(changes) - set(MODEL_FIELDS) - {"new_id"}
        if unknown:
            raise TypeError(f"unknown model fields: {sorted(unknown)}")
        model = self.get_model(provider, model_id)
        values: dict[str, Any] = {}
        new_id = changes.pop("new_id", None)
        if new_id is not None and new_id != model.model_id:
            new_id = check_model_id(new_id)
            if self.find_model(provider, new_id):
                raise DrupeError(
                    _("Provider {provider} already has model {model}.", provider=repr(provider), model=repr(new_id)),
                    code="conflict", what="model", provider=provider, name=new_id, field="model_id",
                )  # fmt: skip
            values["model_id"] = new_id
        if "name" in changes:
            values["name"] = (changes["name"] or "").strip() or values.get("model_id", model.model_id)
        if "group" in changes:
            values["group_name"] = (changes["group"] or "").strip() or default_group(model.model_id)
        if "capabilities" in changes:
            values["capabilities"] = check_capabilities(changes["capabilities"])
        for key in ("context_window", "max_output", "price_in", "price_out"):
            if key in changes:
                values[key] = changes[key]
        if values:
            with self._begin() as conn:
                conn.execute(models_table.update().where(models_table.c.id == model.id).values(**values))
        return self.get_model(provider, values.get("model_id", model.model_id))

    def remove_model(self, provider: str, model_id: str) -> Model:
        model = self.get_model(provider, model_id)
        with self._begin() as conn:
            conn.execute(models_table.delete().where(models_table.c.id == model.id))
        return model

    # -- settings --------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(settings_table.c.value).where(settings_table.c.key == key)).first()
        return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == key))
            conn.execute(settings_table.insert().values(key=key, value=value))


def _dedupe(keys: list[str]) -> list[str]:
    seen: list[str] = []
    for key in keys:
        key = key.strip()
        if key and key not in seen:
            seen.append(key)
    return seen


def _model_values(model_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    capabilities = fields.get("capabilities")
    return {
        "name": (fields.get("name") or "").strip() or model_id,
        "group_name": (fields.get("group") or "").strip() or default_group(model_id),
        "capabilities": check_capabilities(capabilities) if capabilities else infer_capabilities(model_id),
        "context_window": fields.get("context_window"),
        "max_output": fields.get("max_output"),
        "price_in": fields.get("price_in"),
        "price_out": fields.get("price_out"),
    }


__all__ = ["CAPABILITIES", "PROVIDER_TYPES", "Model", "Provider", "Registry"]

"""Routes: a name a client can ask for as its model, standing for `PROVIDER/MODEL` targets tried in order.

The gateway moves to a route's next target when one fails before its first token (the rule of
key failover); this module only keeps routes. A target names an existing provider, looked up by
name ignoring case; its model need not be added to drupe (a provider serves more models than
the user listed). Targets are stored with the provider's id, so a renamed provider stays in its
routes under its new name; a removed one stays under its old name and fails when tried.

Provider names may contain `/` and model IDs often do (`meta-llama/Llama-3.1-8B`), so a target is
split where its head names a provider; when two splits would (`a/b` and `a`), it is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.gateway.keys import utcnow
from drupe.gateway.tables import gateway_routes as routes_table
from drupe.i18n import _
from drupe.store.db import Store
from drupe.store.tables import providers as providers_table

MAX_NAME = 64


@dataclass(frozen=True)
class Route:
    name: str
    targets: tuple[str, ...]
    """`PROVIDER/MODEL` each, in the order they are tried."""
    created_at: datetime | None = None


def check_route_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or "/" in name or any(ch.isspace() for ch in name):
        raise DrupeError(
            _(
                "The route name {name} is not usable: give 1 to {most} characters without '/' or spaces "
                "('/' separates a provider from its model, which a route name must not look like).",
                name=repr(name), most=MAX_NAME,
            ),
            code="invalid", field="name",
        )  # fmt: skip
    return name


class Routes:
    """Add, list, read and remove routes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _providers(self) -> dict[str, tuple[str, str]]:
        """Every provider's id -> (name, name_key); read from its columns alone, no secret decrypted."""
        query = sa.select(providers_table.c.id, providers_table.c.name, providers_table.c.name_key)
        with self.store.engine.connect() as conn:
            return {row.id: (row.name, row.name_key) for row in conn.execute(query)}

    def _target(self, text: str, providers: dict[str, tuple[str, str]]) -> dict[str, str]:
        text = (text or "").strip()
        splits = [i for i, ch in enumerate(text) if ch == "/" and 0 < i < len(text) - 1]
        found = [
            (provider_id, name, text[i + 1 :])
            for i in splits
            for provider_id, (name, name_key) in providers.items()
            if name_key == text[:i].lower()
        ]
        if not splits or any(ch.isspace() for ch in text):
            raise DrupeError(
                _("The route target {target} is not PROVIDER/MODEL, e.g. work/gpt-4o.", target=repr(text)),
                code="invalid", field="targets",
            )  # fmt: skip
        if not found:
            names = ", ".join(sorted(name for name, _id in providers.values())) or _("none yet")
            head = text.split("/", 1)[0]
            raise DrupeError(
                _(
                    "The route target {target} names no provider ({head}?). Providers: {names}.",
                    target=repr(text), head=repr(head), names=names,
                ),
                code="not_found", what="route_target", name=text,
            )  # fmt: skip
        if len(found) > 1:
            raise DrupeError(
                _(
                    "The route target {target} could be any of {choices}: rename one of these providers.",
                    target=repr(text), choices=", ".join(f"{n}/{m}" for _id, n, m in found),
                ),
                code="ambiguous", what="route_target", name=text, matches=[n for _id, n, _model in found],
            )  # fmt: skip
        provider_id, name, model = found[0]
        return {"provider_id": provider_id, "provider": name, "model": model}

    @staticmethod
    def _from_row(row: Any, providers: dict[str, tuple[str, str]]) -> Route:
        targets = tuple(
            f"{providers.get(t['provider_id'], (t['provider'], ''))[0]}/{t['model']}" for t in row.targets or ()
        )
        return Route(name=row.name, targets=targets, created_at=row.created_at)

    def add(self, name: str, targets: Sequence[str]) -> Route:
        """A new route; every target checked before anything is written."""
        name = check_route_name(name)
        if isinstance(targets, str) or not targets:
            raise DrupeError(
                _("A route needs at least one target PROVIDER/MODEL."), code="invalid", field="targets"
            )  # fmt: skip
        providers = self._providers()
        stored = [self._target(text, providers) for text in targets]
        seen = [(t["provider_id"], t["model"]) for t in stored]
        if len(set(seen)) != len(seen):
            raise DrupeError(_("A route lists the same target twice."), code="invalid", field="targets")
        existing = self.find(name)
        if existing is not None:
            raise self._taken(existing.name)
        now = utcnow()
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    routes_table.insert().values(
                        id=uuid.uuid4().hex, name=name, name_key=name.lower(), targets=stored, created_at=now
                    )
                )
        except sa.exc.IntegrityError as exc:  # added by another process meanwhile
            raise self._taken(name) from exc
        return Route(name=name, targets=tuple(f"{t['provider']}/{t['model']}" for t in stored), created_at=now)

    @staticmethod
    def _taken(name: str) -> DrupeError:
        return DrupeError(
            _("A route named {name} already exists (names ignore case).", name=repr(name)),
            code="conflict", what="route", name=name, field="name",
        )  # fmt: skip

    def list_routes(self) -> list[Route]:
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(sa.select(routes_table).order_by(routes_table.c.name_key)))
        providers = self._providers() if rows else {}
        return [self._from_row(row, providers) for row in rows]

    def find(self, name: str) -> Route | None:
        query = sa.select(routes_table).where(routes_table.c.name_key == (name or "").strip().lower())
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        return self._from_row(row, self._providers()) if row else None

    def get(self, name: str) -> Route:
        route = self.find(name)
        if route is None:
            names = ", ".join(r.name for r in self.list_routes()) or _("none yet")
            raise DrupeError(
                _("No route named {name}. Routes: {names}.", name=repr(name), names=names),
                code="not_found", what="route", name=name,
            )  # fmt: skip
        return route

    def remove(self, name: str) -> Route:
        route = self.get(name)
        with self.store.engine.begin() as conn:
            conn.execute(routes_table.delete().where(routes_table.c.name_key == route.name.lower()))
        return route

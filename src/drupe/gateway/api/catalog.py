"""Which provider models a client's `model` names, from a snapshot of the registry and the routes.

A model is addressed as a route's name, as `PROVIDER/MODEL_ID` (the provider's name, any case;
the model need not be listed in drupe, as in a route), or as a bare model ID listed by exactly
one enabled provider. Reading providers decrypts their keys and takes a few milliseconds, too
long for every request's time to first token, so the gateway keeps a `Catalog` snapshot and
builds a new one in a worker thread once it is `MAX_AGE` seconds old (requests meanwhile use the
old one), or at once when a name is not found in a snapshot older than `MISS_AGE` (so a name
that is not there costs at most one rebuild per `MISS_AGE`). A change is seen within about a second, from this
process or another (`drupe provider …`, `drupe route …`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drupe.errors import DrupeError
from drupe.protocols.base import Endpoint
from drupe.protocols.contract import ServedModel

if TYPE_CHECKING:
    from drupe.gateway.routes import Route
    from drupe.provider_records import Model, Provider
    from drupe.store.db import Store

MAX_AGE = 1.0
"""Seconds a snapshot is used before a new one is built (in the background)."""
MISS_AGE = 0.25
"""A name not found in a snapshot older than this builds a new one before answering 404."""


@dataclass(frozen=True)
class Target:
    """One provider model a request can be sent to."""

    provider: str
    provider_type: str
    model_id: str
    endpoint: Endpoint | None
    """None when the provider's secrets cannot be decrypted (`problem` says so)."""
    problem: DrupeError | None = None

    @property
    def address(self) -> str:
        return f"{self.provider}/{self.model_id}"


@dataclass(frozen=True)
class Resolved:
    """What a `model` named: `addressed` is what a key's patterns are matched against
    (`PROVIDER/MODEL` or the route's name), `targets` are tried in order."""

    addressed: str
    targets: tuple[Target, ...]
    route: str | None = None


class Catalog:
    """One snapshot: the enabled providers, their listed models and the routes."""

    def __init__(self, providers: list[Provider], models: list[Model], routes: list[Route]) -> None:
        self.built = time.monotonic()
        self._all = {p.name.lower(): p for p in providers}
        self._providers = {name: p for name, p in self._all.items() if p.enabled}
        self._by_id = {p.id: p for p in providers}
        self._targets: dict[tuple[str, str], Target] = {}
        self._owners: dict[str, list[str]] = {}  # model ID → names of enabled providers listing it
        self.models: list[ServedModel] = []
        for model in models:
            owner = self._by_id.get(model.provider_id)
            if owner is None or not owner.enabled:
                continue
            self._owners.setdefault(model.model_id, []).append(owner.name)
            self.models.append(ServedModel(f"{owner.name}/{model.model_id}", owner.name, model.name))
        self._routes = {r.name.lower(): r for r in routes}
        self.models += [ServedModel(r.name, "route") for r in routes]

    def resolve(self, name: str) -> Resolved:
        """The route, `PROVIDER/MODEL` or bare model ID `name` stands for. Raises DrupeError:
        not_found (also for a disabled provider), ambiguous (a bare ID several providers list,
        or a name two providers' names could start), unavailable (a route none of whose targets
        is on an enabled provider)."""
        route = self._routes.get(name.lower())
        if route is not None:
            found = [self._split(text) for text in route.targets]
            targets = tuple(self._target(*pair) for pair in found if pair is not None and pair[0].enabled)
            if not targets:
                raise DrupeError(
                    f"Every target of route {route.name!r} is on a disabled or removed provider: "
                    f"{', '.join(route.targets)}.",
                    code="unavailable", what="route", name=route.name,
                )  # fmt: skip
            return Resolved(route.name, targets, route.name)
        pair = self._split(name)
        if pair is not None and pair[0].enabled:
            target = self._target(*pair)
            return Resolved(target.address, (target,))
        owners = self._owners.get(name, [])
        if len(owners) == 1:
            target = self._target(self._providers[owners[0].lower()], name)
            return Resolved(target.address, (target,))
        if owners:
            choices = [f"{owner}/{name}" for owner in owners]
            raise DrupeError(
                f"Model {name!r} is offered by several providers: {', '.join(choices)}. Ask for one of them.",
                code="ambiguous", what="model", name=name, matches=choices,
            )  # fmt: skip
        why = f"provider {pair[0].name!r} is disabled" if pair is not None else "no such model or route"
        raise DrupeError(
            f"Model {name!r} is not served here ({why}). GET /v1/models lists the models and routes: "
            "PROVIDER/MODEL_ID, a model ID one provider lists, or a route name.",
            code="not_found", what="model", name=name,
        )  # fmt: skip

    def _split(self, text: str) -> tuple[Provider, str] | None:
        """`PROVIDER/MODEL` as the provider (enabled or not) and the model ID; None when no
        provider's name starts `text`. A provider's name may hold `/` too: when two providers'
        names could start `text` (`a/b/c` with `a` and `a/b`), it is ambiguous (as for a route)."""
        found = [
            (provider, text[index + 1 :])
            for index, char in enumerate(text)
            if char == "/" and 0 < index < len(text) - 1 and (provider := self._all.get(text[:index].lower()))
        ]
        if len(found) > 1:
            choices = [f"{provider.name!r} with model {model!r}" for provider, model in found]
            raise DrupeError(
                f"Model {text!r} could be {' or '.join(choices)}: rename one of these providers.",
                code="ambiguous", what="model", name=text, matches=[provider.name for provider, _ in found],
            )  # fmt: skip
        return found[0] if found else None

    def _target(self, provider: Provider, model_id: str) -> Target:
        key = (provider.id, model_id)
        target = self._targets.get(key)
        if target is None:
            try:
                target = Target(provider.name, provider.type, model_id, provider.endpoint())
            except DrupeError as problem:  # secrets that cannot be decrypted
                target = Target(provider.name, provider.type, model_id, None, problem)
            self._targets[key] = target
        return target


def build_catalog(store: Store) -> Catalog:
    """A fresh snapshot (blocking: call it in a worker thread on an event loop)."""
    from drupe.gateway.routes import Routes
    from drupe.registry import Registry

    registry = Registry(store)
    return Catalog(registry.list_providers(), registry.list_models(), Routes(store).list_routes())


class Catalogs:
    """The current snapshot, renewed in a worker thread as `MAX_AGE` and `MISS_AGE` say."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.current: Catalog | None = None
        self._building: asyncio.Future[Catalog] | None = None

    async def get(self) -> Catalog:
        current = self.current
        if current is None:
            return await self.renew()
        if time.monotonic() - current.built > MAX_AGE and self._building is None:
            self._start()
        return current

    async def resolve(self, name: str) -> Resolved:
        catalog = await self.get()
        try:
            return catalog.resolve(name)
        except DrupeError as error:
            if error.code != "not_found" or time.monotonic() - catalog.built <= MISS_AGE:
                raise
        return (await self.renew()).resolve(name)

    async def renew(self) -> Catalog:
        """A new snapshot; callers at the same time share one build."""
        building = self._building or self._start()
        return await asyncio.shield(building)

    def _start(self) -> asyncio.Future[Catalog]:
        loop = asyncio.get_running_loop()
        building = self._building = loop.run_in_executor(None, build_catalog, self.store)

        def done(future: asyncio.Future[Catalog]) -> None:
            self._building = None
            if not future.cancelled() and future.exception() is None:
                self.current = future.result()

        building.add_done_callback(done)
        return building

"""The gateway, for Settings → Gateway: its keys (a new key's secret returned once), its routes,
its usage summed up, and the address programs reach its `/v1` API at.

The keys and usage objects are the running gateway's own (`app.state.gateway`) when this server
answers `/v1`: they count a key's uses and queue usage rows in memory, and theirs are the
counts a list must include. Without the gateway (`create_app(gateway=False)`) the store is read
directly, as `drupe gateway …` does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from drupe.gateway.keys import MAX_DAYS, MAX_PATTERN, GatewayKey, GatewayKeys, utcnow
from drupe.gateway.routes import Route, Routes
from drupe.gateway.usage import GroupBy, UsageLog, parse_since
from drupe.plain import plain
from drupe.web.api.inputs import SINCE, Count, GatewayKeyName, RouteName, Text
from drupe.web.api.schemas import (
    CreatedGatewayKey,
    GatewayInfo,
    GatewayKeyList,
    GatewayKeyOut,
    Removed,
    RouteList,
    RouteOut,
    UsageSummary,
)
from drupe.web.errors import documented

router = APIRouter(prefix="/api/gateway", tags=["gateway"])

MAX_PATTERNS = 100
MAX_TARGETS = 32

Pattern = Annotated[Text, Field(max_length=MAX_PATTERN)]
Days = Annotated[float, Field(strict=True, gt=0, le=MAX_DAYS, allow_inf_nan=False)]


class GatewayKeyIn(BaseModel):
    name: Text = Field(description="1 to 32 letters, digits, '.', '-' or '_'; unique ignoring case, revoked keys too.")
    models: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        description="What the key may use: PROVIDER/MODEL, a route name, or a pattern with * and ? "
        "(`work/*`, `*/gpt-4o*`). Empty: every model.",
    )
    expires_days: Days | None = Field(None, description="Days until the key stops working; null: never.")
    rpm: Count | None = Field(None, description="Requests per minute it may make (per `drupe serve`); null: no limit.")


class RouteIn(BaseModel):
    name: Text = Field(description="The model name clients ask for: no '/' or spaces, unique ignoring case.")
    targets: list[Text] = Field(
        min_length=1, max_length=MAX_TARGETS, description="PROVIDER/MODEL each, in the order they are tried."
    )


def gateway_keys(request: Request) -> GatewayKeys:
    gateway = request.app.state.gateway
    return gateway.keys if gateway is not None else GatewayKeys(request.app.state.store)


def usage_log(request: Request) -> UsageLog:
    gateway = request.app.state.gateway
    return gateway.usage if gateway is not None else UsageLog(request.app.state.store)


def routes(request: Request) -> Routes:
    return Routes(request.app.state.store)


def key_out(key: GatewayKey) -> dict[str, Any]:
    return {**plain(key), "state": key.state()}


def route_out(route: Route) -> dict[str, Any]:
    return plain(route)


@router.get("/info", response_model=GatewayInfo, responses=documented())
def info(request: Request) -> dict[str, Any]:
    """The server's own address as this request reached it (scheme, host and port), so the
    address shown works from where the page was opened."""
    root = str(request.base_url).rstrip("/")
    return {"base_url": f"{root}/v1", "anthropic_base_url": root, "enabled": request.app.state.gateway is not None}


@router.get("/keys", response_model=GatewayKeyList, responses=documented())
def list_keys(keys: GatewayKeys = Depends(gateway_keys)) -> list[dict[str, Any]]:
    """Every key, revoked ones too, by name: never a key itself, only its prefix."""
    return [key_out(key) for key in keys.list_keys()]


@router.post("/keys", status_code=201, response_model=CreatedGatewayKey, responses=documented(400, 409, 422))
def create_key(body: GatewayKeyIn, keys: GatewayKeys = Depends(gateway_keys)) -> dict[str, Any]:
    """The one answer that carries the key (`secret`): drupe keeps only its hash."""
    key, secret = keys.create(body.name, models=body.models, expires_days=body.expires_days, rpm=body.rpm)
    return {"key": key_out(key), "secret": secret}


@router.post("/keys/{name}/revoke", response_model=GatewayKeyOut, responses=documented(404, 422))
def revoke_key(name: GatewayKeyName, keys: GatewayKeys = Depends(gateway_keys)) -> dict[str, Any]:
    """Refused from now on (within a second, in a running gateway), for good. The key stays in
    the list, so its usage keeps its name; revoking it again changes nothing."""
    return key_out(keys.revoke(name))


@router.get("/routes", response_model=RouteList, responses=documented())
def list_routes(store: Routes = Depends(routes)) -> list[dict[str, Any]]:
    return [route_out(route) for route in store.list_routes()]


@router.post("/routes", status_code=201, response_model=RouteOut, responses=documented(400, 404, 409, 422))
def add_route(body: RouteIn, store: Routes = Depends(routes)) -> dict[str, Any]:
    """Every target must name an existing provider (404 otherwise; 400 when two could)."""
    return route_out(store.add(body.name, body.targets))


@router.delete("/routes/{name}", response_model=Removed, responses=documented(404, 422))
def remove_route(name: RouteName, store: Routes = Depends(routes)) -> dict[str, Any]:
    return {"removed": store.remove(name).name}


@router.get("/usage", response_model=UsageSummary, responses=documented(400, 422))
def usage(
    since: Annotated[str, Query(pattern=SINCE, description="How far back: 30m, 24h, 7d, 2w (or 90s).")] = "7d",
    by: Annotated[GroupBy, Query(description="One row per key (its name), model (as asked) or provider.")] = "key",
    log: UsageLog = Depends(usage_log),
) -> dict[str, Any]:
    length, now = parse_since(since), utcnow()
    start = now - length if length < now - datetime.min else datetime.min
    rows = [{"name": row.pop(by), **row} for row in log.summary(start, by)]
    return {"since": since, "by": by, "rows": rows}

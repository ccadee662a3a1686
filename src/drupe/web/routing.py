"""Routing details the framework gets wrong for this app: the page's catch-all route, and `Allow` on 405."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class PageRoute(APIRoute):
    """The single page's catch-all `GET /{path}`, which never claims an API address.

    Were it to match `/api/...`, a GET of a POST-only endpoint would get the page's 404
    instead of a 405, and an unknown API address would be served the page."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_api_path(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def allowed_methods(scope: Scope, routes: Sequence[BaseRoute]) -> list[str]:
    """Every method the routes for this request's address serve, for the `Allow` header of a 405.

    Starlette answers 405 from the first route whose path matched, so its `Allow` named only
    that route's methods: `GET` for `/api/providers`, which also takes `POST`. Where a fixed
    address also fits a template (`/api/providers/order` and `/api/providers/{provider_id}`),
    the fixed one is the resource the address names, and only its methods count."""
    matching = [
        route
        for route in _every_route(routes)
        if getattr(route, "methods", None) and route.matches(scope)[0] is not Match.NONE
    ]
    fewest = min((len(route.param_convertors) for route in matching), default=0)
    return sorted({method for route in matching if len(route.param_convertors) == fewest for method in route.methods})


def _every_route(routes: Sequence[BaseRoute]) -> Sequence[Any]:
    """The routes of included routers too: newer FastAPI keeps them nested, each behind one entry."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies them into the app's own list
        return routes
    return list(iter_route_contexts(routes))

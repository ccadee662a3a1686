"""Every failure as `{"error": {"kind", "code", "message", ...}}`, with a message the UI shows as is.

The core names a problem with a code and its data (`drupe.errors`); `STATUS` is the one place that
turns codes into HTTP statuses, and `WEB_ADVICE` adds what the page's user can do about it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from drupe.errors import DrupeError, ProviderError
from drupe.hints import error_kind, hint
from drupe.i18n import N_, _
from drupe.web.routing import allowed_methods, is_api_path

STATUS: dict[str, int] = {
    "invalid": 400,
    "ambiguous": 400,
    "not_found": 404,
    "conflict": 409,
    "provider_disabled": 409,
    "secrets_unreadable": 409,
    "unavailable": 503,
    "provider": 502,
    "mcp": 502,  # an MCP server (a tool server) failed: like a provider, an upstream
    "unauthorized": 401,  # a gateway key missing, unknown, revoked or expired
    "rate_limited": 429,  # a gateway key over its requests per minute
}
"""The status of each `drupe.errors.ErrorCode`; a code missing here is a 400."""

WEB_ADVICE: dict[tuple[str, str | None], str] = {
    ("not_found", "provider"): N_("It may have been removed; reload the list."),
    ("not_found", "model"): N_("It may have been removed; reload the list, or add it in Settings."),
    ("not_found", "chat_model"): N_("Add one in Settings, or choose the model to check with."),
    ("provider_disabled", None): N_("Switch it on in Settings."),
    ("secrets_unreadable", "provider"): N_("Enter its keys again in Settings."),
    ("not_found", "mcp_server"): N_("It may have been removed; reload the list."),
    ("conflict", "mcp_server_disabled"): N_("Switch it on in Settings → MCP servers."),
    ("secrets_unreadable", "mcp_server"): N_(
        "Edit it in Settings → MCP servers and enter its variables or headers again."
    ),
    ("not_found", "gateway_key"): N_("It may have been removed; reload the list."),
    ("not_found", "route"): N_("It may have been removed; reload the list."),
    ("not_found", "route_target"): N_("Add the provider in Settings → Model services, or check its name."),
}
"""(code, what it is about) -> what a user of the page can do; `(code, None)` is for any `what`."""


class ErrorDetail(BaseModel):
    """`code` and `kind` for programs (`kind` is the code, or a provider failure's kind), `message`
    for people, `data` for what the message names; a provider failure adds `status`, `url` and `hint`."""

    model_config = ConfigDict(extra="allow")
    kind: str
    message: str
    code: str | None = None
    data: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    """The one shape of every error response."""

    error: ErrorDetail


_WHEN = {
    400: "Something typed or chosen is not acceptable, or the body is not UTF-8: `message` says what to fix.",
    401: "This server needs its access token (it is bound to a non-loopback address).",
    403: "Host or Origin refused (DNS rebinding or a cross-site write).",
    404: "No such provider, model, conversation, message, MCP server, gateway key or route.",
    409: "The thing is not in a state that allows this (a name taken, a provider switched off, secrets unreadable).",
    413: "The request body is over the server's cap (docs/security.md: The web server).",
    422: "A parameter or the body does not have the documented shape or range: `message` names the field.",
    429: "A gateway key went over its requests per minute: `Retry-After` says when to try again.",
    502: "The provider's call failed: its kind, HTTP status, the URL called and a hint.",
    503: "Something drupe needs is not there or not running (the store, the local model server).",
}
GUARDED = (401, 403, 413)
"""What the security and body-limit middlewares may answer to any API request, before any route runs."""


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error statuses a route can answer, for its `responses=`: each with the error shape,
    so the OpenAPI document lists every status and schema a client can get."""
    return {status: {"model": ErrorOut, "description": _WHEN[status]} for status in (*statuses, *GUARDED)}


def provider_error(error: ProviderError, model: str = "", timeout: float | None = None) -> dict[str, Any]:
    return {
        **error.to_dict(), "code": error.code, "kind": error_kind(error, model), "hint": hint(error, model, timeout)
    }  # fmt: skip


def _plain(value: Any) -> Any:
    """A data value as JSON can carry it: texts, numbers and lists of them; anything else as text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


def error_detail(error: DrupeError) -> dict[str, Any]:
    """The `error` object for a core error: its code, the page's words and the data they name."""
    if isinstance(error, ProviderError):
        return provider_error(error)
    what = error.data.get("what")
    advice = WEB_ADVICE.get((error.code, what)) or WEB_ADVICE.get((error.code, None))
    message = f"{error} {_(advice)}" if advice else str(error)
    data = {key: _plain(value) for key, value in error.data.items()}
    return {"kind": error.code, "code": error.code, "message": message, "data": data}


def status_of(error: DrupeError) -> int:
    return STATUS.get(error.code, 400)


def _body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"kind": kind, "code": kind, "message": message, **extra}}


def _problem(item: dict[str, Any]) -> str:
    """One validation error as `field: what is wrong`, the field named as the client sent it."""
    loc = tuple(item.get("loc", ()))
    if item.get("type") == "json_invalid":
        return f"The request body is not valid JSON ({item.get('ctx', {}).get('error', 'unreadable')})."
    if loc == ("body",) and item.get("type") == "missing":
        return "The request body is missing: send a JSON object."
    where = ".".join(str(part) for part in loc if part not in ("body", "query", "path")) or ".".join(map(str, loc[:1]))
    message = item.get("msg", "invalid")
    return f"{where}: {message}" if where else message


def install_error_handlers(app: FastAPI) -> None:
    async def on_drupe_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DrupeError)
        return JSONResponse({"error": error_detail(exc)}, status_code=status_of(exc))

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [_problem(item) for item in exc.errors()]
        return JSONResponse(_body("invalid", "; ".join(problems) or "The request is not valid."), status_code=422)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        status, message, headers = exc.status_code, str(exc.detail), dict(exc.headers or {})
        kind = {400: "invalid", 404: "not_found", 405: "method_not_allowed"}.get(status, "http")
        path = request.url.path
        if status == 400 and message == "There was an error parsing the body":
            message = "The request body could not be read: send JSON encoded as UTF-8."
        elif status == 404 and message == "Not Found":
            message = f"No API endpoint {path}. See docs/api.md." if is_api_path(path) else f"Nothing at {path}."
        elif status == 405:
            allow = allowed_methods(request.scope, request.app.router.routes)
            headers["Allow"] = ", ".join(allow)
            message = f"{path} does not take {request.method}; use {', '.join(allow)}."
        return JSONResponse(_body(kind, message), status_code=status, headers=headers)

    app.add_exception_handler(DrupeError, on_drupe_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)

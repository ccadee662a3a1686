"""Every failure as `{"error": {"kind", "message", ...}}`, with a message the UI shows as is."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from drupe.errors import DrupeError, ProviderError
from drupe.hints import error_kind, hint


class NotFound(Exception):
    """No such provider, model, conversation or message: a 404, not a user mistake."""


class Conflict(Exception):
    """The request is valid but the thing is not in a state that allows it."""


def provider_error(error: ProviderError, model: str = "", timeout: float | None = None) -> dict[str, Any]:
    return {**error.to_dict(), "kind": error_kind(error, model), "hint": hint(error, model, timeout)}


def _body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    async def on_provider_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProviderError)
        return JSONResponse({"error": provider_error(exc)}, status_code=502)

    async def on_drupe_error(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body("invalid", str(exc)), status_code=400)

    async def on_not_found(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body("not_found", str(exc)), status_code=404)

    async def on_conflict(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body("conflict", str(exc)), status_code=409)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for item in exc.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path"))
            problems.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", "invalid"))
        return JSONResponse(_body("invalid", "; ".join(problems) or "The request is not valid."), status_code=422)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return JSONResponse(_body(kind, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(ProviderError, on_provider_error)
    app.add_exception_handler(DrupeError, on_drupe_error)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(Conflict, on_conflict)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)

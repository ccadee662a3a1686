"""What the pages need besides data: form choices, provider presets, the highlight stylesheet, the local model's state."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from drupe.web.api.schemas import Meta, PresetOut
from drupe.web.errors import documented
from drupe.web.local import LocalStatus

if TYPE_CHECKING:
    from drupe.protocols.contract import ProviderType

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/meta", response_model=Meta, responses=documented())
def meta(request: Request) -> dict[str, Any]:
    from drupe import __version__
    from drupe.catalog import CAPABILITIES
    from drupe.protocols.types import TYPES

    return {
        "version": __version__,
        "types": [_type_entry(TYPES[type_id]) for type_id in TYPES],
        "capabilities": list(CAPABILITIES),
        "token_required": request.app.state.token is not None,
    }


@router.get("/presets", response_model=list[PresetOut], responses=documented())
def presets() -> list[dict[str, Any]]:
    """Well-known services, to start a provider from: type, address, popular models, key and docs links."""
    from drupe.presets import all_presets

    return [preset.public_dict() for preset in all_presets()]


def _type_entry(spec: ProviderType) -> dict[str, Any]:
    """What the provider form needs of a type: its label, what the address field shows, and
    which extra fields (`fields`, like "api_version") it has; its words in the request's language."""
    from drupe.i18n import _

    return {
        "id": spec.id,
        "label": spec.label,
        "address_placeholder": _(spec.address_placeholder),  # a URL is no key: it comes back as it is
        "address_help": _(spec.address_help),
        "fields": list(spec.form_fields),
        "api_version_placeholder": _(spec.api_version_placeholder) if spec.api_version_placeholder else "",
    }


@lru_cache(maxsize=1)
def _highlight_css() -> str:
    from drupe.web.render import highlight_css

    return highlight_css()


@router.get("/highlight.css", response_class=Response, responses={200: {"content": {"text/css": {}}}, **documented()})
def highlight_css() -> Response:
    return Response(_highlight_css(), media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.get("/local", response_model=LocalStatus, responses=documented())
def local_status(request: Request) -> LocalStatus:
    """The built-in llama.cpp model: `disabled`, `starting`, `ready`, `stopped` or `error`."""
    local = request.app.state.local
    return LocalStatus("disabled") if local is None else local.status()

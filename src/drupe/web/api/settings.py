"""Settings the pages keep in the database: the language and theme (Settings → General), the
hosts whose images answers load without a click, and automatic conversation titles."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from drupe.chat.records import Target
from drupe.chat.titles import set_title_settings, title_settings
from drupe.errors import DrupeError
from drupe.i18n import LANGUAGES
from drupe.registry import Registry
from drupe.web.api.deps import registry
from drupe.web.api.inputs import Text
from drupe.web.errors import documented
from drupe.web.preferences import Preferences, Theme

router = APIRouter(prefix="/api/settings", tags=["settings"])

TRUSTED_IMAGE_HOSTS = "trusted_image_hosts"
MAX_HOSTS = 500
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[0-9]{1,5})?")
"""As `render.url_host` names them: a lower-case name or [IPv6], and a port if the URL gives one."""


class General(BaseModel):
    language: Annotated[Text, Field(max_length=20)] | None = None
    """A code of `languages`; None: the browser's (`Accept-Language`)."""
    theme: Theme = "system"


class GeneralOut(General):
    languages: dict[str, str]
    """The languages drupe speaks, by code, each named in itself."""


def _preferences(request: Request) -> Preferences:
    preferences: Preferences = request.app.state.preferences
    return preferences if preferences.loaded else preferences.load()


@router.get("/general", responses=documented())
def general(request: Request) -> GeneralOut:
    """The page's language and theme, and the languages to choose from."""
    preferences = _preferences(request)
    return GeneralOut(language=preferences.language, theme=preferences.theme, languages=LANGUAGES)


@router.put("/general", responses=documented(400, 422))
def set_general(body: General, request: Request) -> GeneralOut:
    """Store the language and theme; the page reloads to show them."""
    if body.language is not None and body.language not in LANGUAGES:
        raise DrupeError(
            f"{body.language!r} is not a language drupe speaks: one of {', '.join(LANGUAGES)}, or null for the browser's.",
            code="invalid", field="language", language=body.language,
        )  # fmt: skip
    _preferences(request).save(body.language, body.theme)
    return general(request)


class TrustedHosts(BaseModel):
    hosts: list[Annotated[Text, Field(max_length=300)]] = Field(max_length=MAX_HOSTS)


@router.get("/trusted-image-hosts", responses=documented())
def trusted_image_hosts(registry: Registry = Depends(registry)) -> TrustedHosts:
    """Images from these hosts load as soon as an answer shows them (see docs/security.md)."""
    return TrustedHosts(hosts=registry.get_setting(TRUSTED_IMAGE_HOSTS, []))


@router.put("/trusted-image-hosts", responses=documented(400, 422))
def set_trusted_image_hosts(body: TrustedHosts, registry: Registry = Depends(registry)) -> TrustedHosts:
    """Replace the list (the page adds or removes one host by sending the list it shows)."""
    hosts: list[str] = []
    for host in (h.strip().lower() for h in body.hosts):
        if not _HOST.fullmatch(host):
            raise DrupeError(
                f"{host!r} is not a host name: give it as the placeholder shows it, e.g. images.example.com.",
                code="invalid", field="hosts", host=host,
            )  # fmt: skip
        if host not in hosts:
            hosts.append(host)
    registry.set_setting(TRUSTED_IMAGE_HOSTS, hosts)
    return TrustedHosts(hosts=hosts)


class Titles(BaseModel):
    """Automatic titles: on or off, and the model asked (both null: the model that answered)."""

    enabled: bool = True
    provider: Annotated[Text, Field(max_length=300)] | None = Field(default=None, description="Provider id or name.")
    model: Annotated[Text, Field(max_length=500)] | None = None


class TitlesOut(BaseModel):
    enabled: bool
    provider: str | None = Field(
        description="The title model's provider id; null with `model`: the model that answered."
    )
    model: str | None


@router.get("/titles", responses=documented())
def titles(registry: Registry = Depends(registry)) -> TitlesOut:
    """Whether a conversation is named by a model after its first answer, and by which (see docs/chat.md)."""
    return TitlesOut(**title_settings(registry).to_dict())


@router.put("/titles", responses=documented(400, 404, 409, 422))
def set_titles(body: Titles, registry: Registry = Depends(registry)) -> TitlesOut:
    """Replace the setting. `provider` and `model` go together: both null is the model that answered."""
    if (body.provider is None) != (body.model is None):
        raise DrupeError(
            "Give the title model's provider and model together, or neither (the model that answered).",
            code="invalid", field="model",
        )  # fmt: skip
    model = Target(body.provider, body.model) if body.provider is not None and body.model is not None else None
    settings = set_title_settings(registry, enabled=body.enabled, model=model, own_model=model is None)
    return TitlesOut(**settings.to_dict())

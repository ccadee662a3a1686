"""The user's language and theme for the web page: stored in the settings table, applied to
every request (the context's language for `_()`) and to the page before its first paint.

The page itself learns both from `<html lang="…" data-theme="…">`, written here when it is
served: no script runs before the first paint, so the page never flashes in the wrong colours
or draws its words before it knows the language.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from starlette.datastructures import Headers

from drupe.i18n import LANGUAGES, language_from_accept, set_language

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from drupe.registry import Registry

LANGUAGE_SETTING = "language"
THEME_SETTING = "theme"
Theme = Literal["system", "light", "dark"]
THEMES: tuple[Theme, ...] = get_args(Theme)
_HTML_TAG = re.compile(r"<html\b[^>]*>")


@dataclass
class Preferences:
    """The stored choices, read once and then kept here (the settings API updates them through
    `save`); `language` None means the browser's, `theme` "system" follows the system's."""

    registry: Registry
    language: str | None = None
    theme: Theme = "system"
    loaded: bool = False

    def load(self) -> Preferences:
        language = self.registry.get_setting(LANGUAGE_SETTING)
        theme = self.registry.get_setting(THEME_SETTING)
        self.language = language if language in LANGUAGES else None
        self.theme = theme if theme in THEMES else "system"
        self.loaded = True
        return self

    def save(self, language: str | None, theme: Theme) -> None:
        self.registry.set_setting(LANGUAGE_SETTING, language)
        self.registry.set_setting(THEME_SETTING, theme)
        self.language, self.theme, self.loaded = language, theme, True

    def language_for(self, accept_language: str) -> str:
        """The request's language: the stored choice, else the browser's `Accept-Language`."""
        return self.language or language_from_accept(accept_language)


def html_lang(code: str) -> str:
    """The page's `lang` for a language code (our Chinese is simplified: `zh-Hans`)."""
    return "zh-Hans" if code == "zh" else code


def page_html(index: Path, language: str, theme: Theme) -> str:
    """index.html with its `<html>` tag naming the language and the theme (and `dark` for the
    code-highlighting CSS when dark is chosen; "system" is the stylesheet's media query)."""
    attributes = f'lang="{html.escape(html_lang(language))}" data-theme="{theme}"'
    if theme == "dark":
        attributes += ' class="dark"'
    return _HTML_TAG.sub(f"<html {attributes}>", index.read_text(encoding="utf-8"), count=1)


class LanguageMiddleware:
    """Sets drupe.i18n's language for each HTTP request, so messages made with `_()` while
    answering it are in the user's language."""

    def __init__(self, app: ASGIApp, *, preferences: Preferences) -> None:
        self.app = app
        self.preferences = preferences

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if not self.preferences.loaded:
                await asyncio.to_thread(self.preferences.load)
            set_language(self.preferences.language_for(Headers(scope=scope).get("accept-language", "")))
        await self.app(scope, receive, send)

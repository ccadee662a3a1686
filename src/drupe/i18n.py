"""The language drupe speaks, and its words in that language.

Every text a person reads is written in English in the code, wrapped in `_()` (or `ngettext()`),
and that English text is the key: `make i18n` extracts the keys with Babel into
`locale/drupe.pot`, updates one catalog per language (`locale/LANG/LC_MESSAGES/drupe.po`, where
translators work) and compiles them (`drupe.mo`, read here with the standard library's gettext,
so no import of Babel at run time). The web page has its own catalog (`web`, from the `t()` calls
in its JS modules) built the same way and served as JSON (see `drupe.web.catalogs`).

The language comes from `DRUPE_LANG`, then `LC_ALL`, `LC_MESSAGES` and `LANG` (the CLI), or for
a web request from the user's stored choice, then `Accept-Language`. It lives in a context
variable, so each request of the web server speaks its own user's language, and a message made
in a worker thread (which copies the context) too.

Placeholders are `{name}`, filled in after translation: `_("Model {model} not found", model=m)`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh": "简体中文",
    "es": "Español",
    "pt": "Português",
    "fr": "Français",
    "id": "Bahasa Indonesia",
}
"""The languages drupe speaks (the seed page's), by code, each named in itself."""

DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "drupe"
ENV_VARIABLES = ("DRUPE_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
"""Where the CLI looks for the language, first found first (POSIX's order, drupe's own first)."""

_ALIASES = {"in": "id", "zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh"}
"""Tags that mean one of our languages without starting with its code (`in` is Indonesian's old code)."""

_current: ContextVar[str | None] = ContextVar("drupe_language", default=None)


def match_language(tag: str) -> str | None:
    """Our language for a locale name or language tag (`fr_FR.UTF-8`, `pt-BR`, `zh-Hans-CN`), if any.

    Traditional Chinese (`zh-TW`, `zh-Hant`) is not matched: our Chinese is simplified.
    """
    tag = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if not tag or tag in ("c", "posix"):
        return None
    if tag in _ALIASES:
        return _ALIASES[tag]
    parts = tag.split("-")
    if parts[0] == "zh" and any(p in ("tw", "hk", "mo", "hant") for p in parts[1:]):
        return None
    code = _ALIASES.get(parts[0], parts[0])
    return code if code in LANGUAGES else None


def first_match(tags: Iterable[str]) -> str | None:
    """The first of `tags` that names one of our languages."""
    for tag in tags:
        found = match_language(tag)
        if found:
            return found
    return None


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: the first of `DRUPE_LANG`, `LC_ALL`, `LC_MESSAGES`, `LANG` that is set
    decides (a set `LC_ALL=C` means English, as in any POSIX program); English when none is set."""
    environ = os.environ if environ is None else environ
    for name in ENV_VARIABLES:
        value = environ.get(name, "")
        if value:
            return match_language(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def language_from_accept(header: str) -> str:
    """The language for an `Accept-Language` header: the best-ranked one we speak, else English."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag))
    return first_match(tag for _q, _i, tag in sorted(ranked)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this context: the one set for it, else the environment's."""
    return _current.get() or language_from_env()


def set_language(code: str) -> None:
    """Speak `code` in this context from now on (a web request, the CLI's process)."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; one of {', '.join(LANGUAGES)}")
    _current.set(code)


@cache
def translations(code: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The compiled catalog of one language (English, or a missing catalog: the keys themselves)."""
    if code == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(domain, LOCALE_DIR, languages=[code], fallback=True)


def _(message: str, /, **params: object) -> str:
    """`message` in the current language, its `{placeholders}` filled in from `params`."""
    text = translations(current_language()).gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The singular or plural of a message for the count `n`, by the current language's rules;
    `{n}` is filled in with the count."""
    text = translations(current_language()).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def N_(message: str, /) -> str:
    """Marks `message` for extraction without translating it yet (a constant translated where shown)."""
    return message

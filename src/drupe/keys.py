"""API keys and the other secrets of a provider (secret header values, URL credentials):
parse what users type, mask what we show, and list what to redact from what providers send."""

from __future__ import annotations

import re
from typing import Any

_SEPARATOR = re.compile(r"(?<!\\)[,\n]")


def parse_keys(text: str) -> list[str]:
    """Split one string into keys: commas or new lines separate, `\\,` is a literal comma.

    Keys are trimmed; empty and duplicate keys are dropped, first occurrence kept.
    """
    keys: list[str] = []
    for raw in _SEPARATOR.split(text or ""):
        key = raw.replace("\\,", ",").strip()
        if key and key not in keys:
            keys.append(key)
    return keys


def join_keys(keys: list[str]) -> str:
    """The inverse of `parse_keys`: one editable string."""
    return ",".join(key.replace(",", "\\,") for key in keys)


def mask_key(key: str) -> str:
    """`sk-…wxyz`: a short prefix and the last 4, never enough to use the key."""
    if len(key) <= 8:
        return "…" + key[-2:] if len(key) > 4 else "…"
    prefix = key[:3]
    return f"{prefix}…{key[-4:]}"


# -- other secrets: header values and URL credentials ------------------------

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key", "cookie"})
"""Headers whose values are secrets, by lower-cased name (see also `SECRET_HEADER_WORDS`)."""

SECRET_HEADER_WORDS = (
    "key", "token", "secret", "auth", "password", "passwd", "cookie", "session", "signature", "credential",
)  # fmt: skip
"""A header whose name contains one of these is a secret too (`X-Auth-Token`, `X-Portkey-Api-Key`, `X-Session-Id`)."""

URL_MASK = "***"
"""What replaces the credentials in a URL's `user:password@`: ASCII, so the masked URL is still a URL."""


def is_secret_header(name: str) -> bool:
    """Whether a header's value is treated like an API key: encrypted, masked and redacted."""
    lowered = name.strip().lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_HEADER_WORDS)


def mask_secret(value: str) -> str:
    """A secret header value as shown: like a key when it is long enough that a prefix and
    the last 4 say nothing useful (`Bea…wxyz`), else `…` alone."""
    return mask_key(value) if len(value) >= 20 else "…"


def split_userinfo(url: str) -> tuple[str, str]:
    """(the URL without `user:password@`, that `user:password`); ("url", "") when there is none."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, ""
    end = len(rest)
    for stop in "/?#":
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    userinfo, at, host = rest[:end].rpartition("@")
    if not at:
        return url, ""
    return f"{scheme}://{host}{rest[end:]}", userinfo


def with_userinfo(url: str, userinfo: str) -> str:
    """`url` (without credentials) with `userinfo@` put back in front of its host."""
    if not userinfo or "://" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{userinfo}@{rest}"


def mask_userinfo(userinfo: str) -> str:
    """`user:***`: the user name stays readable, the password does not; a lone user name
    (often a token, as in `https://TOKEN@host`) is masked whole."""
    if not userinfo:
        return ""
    user, sep, _ = userinfo.partition(":")
    return f"{user}:{URL_MASK}" if sep else URL_MASK


def mask_url(url: str) -> str:
    """The URL as shown: any credentials in it masked."""
    bare, userinfo = split_userinfo(url)
    return with_userinfo(bare, mask_userinfo(userinfo))


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: mask_secret(value) if is_secret_header(name) and value else value for name, value in headers.items()}


def unmask_url(given: str, existing: str) -> str:
    """The URL to save: `given` with its masked credentials replaced by the stored ones they mask,
    so a form or a copied `drupe provider show` line sent back unchanged keeps the real ones."""
    old_userinfo = split_userinfo(existing)[1]
    bare, userinfo = split_userinfo(given)
    if old_userinfo and userinfo == mask_userinfo(old_userinfo):
        return with_userinfo(bare, old_userinfo)
    return given


def unmask_headers(given: dict[str, str], existing: dict[str, str]) -> dict[str, str]:
    """The headers to save: a secret header whose value is the mask of the stored value keeps it."""
    stored = {name.lower(): value for name, value in existing.items()}
    merged: dict[str, str] = {}
    for name, value in given.items():
        old = stored.get(name.lower())
        keep = old is not None and is_secret_header(name) and old and value == mask_secret(old)
        merged[name] = old if keep else value  # type: ignore[assignment]
    return merged


def secret_values(keys: list[str], headers: dict[str, str], urls: tuple[str, ...]) -> tuple[str, ...]:
    """Every secret string to remove from what a provider sends back: the keys, the secret
    header values (and the token after `Bearer `), the URLs' `user:password`, password and
    Basic credentials.
    Longest first, so a longer secret is removed before a part of it."""
    found: set[str] = set(keys)
    for name, value in headers.items():
        if is_secret_header(name) and value:
            found.add(value)
            found.add(value.partition(" ")[2].strip())
    for url in urls:
        userinfo = split_userinfo(url)[1]
        if userinfo:
            user, sep, password = userinfo.partition(":")
            found.update((userinfo, password) if sep else (user,))
            found.add(_basic_credentials(userinfo))
    return tuple(sorted((v for v in found if len(v) >= 4), key=len, reverse=True))


def _basic_credentials(userinfo: str) -> str:
    """What the HTTP client sends for `user:password@` (`Authorization: Basic …`): echoed, it is the secret too."""
    import base64
    from urllib.parse import unquote

    user, _, password = userinfo.partition(":")
    return base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()


# -- how a provider's secrets are stored -----------------------------------------


def split_secrets(api_keys: list[str], headers: dict[str, str], base_url: str, proxy: str) -> tuple[dict, dict]:
    """(what is stored in clear, what is stored encrypted). In clear: the URLs without credentials
    and the headers with each secret one's value emptied (its name and place kept). Encrypted:
    the keys, those values and the credentials, each only when there is one."""
    bare_url, url_userinfo = split_userinfo(base_url)
    bare_proxy, proxy_userinfo = split_userinfo(proxy)
    secret_headers = {k: v for k, v in headers.items() if is_secret_header(k) and v}
    clear = {
        "base_url": bare_url,
        "proxy": bare_proxy,
        "headers": {k: "" if k in secret_headers else v for k, v in headers.items()},
    }
    found = {"api_keys": api_keys, "headers": secret_headers, "base_url": url_userinfo, "proxy": proxy_userinfo}
    return clear, {key: value for key, value in found.items() if value}


def join_secrets(clear: dict[str, Any], secrets: dict[str, Any] | list[str]) -> dict[str, Any]:
    """The inverse of `split_secrets`; `secrets` may be a bare list of keys (as stored before
    other secrets were), and clear values written before they were encrypted are kept."""
    if isinstance(secrets, list):
        secrets = {"api_keys": secrets}
    return {
        "api_keys": list(secrets.get("api_keys") or []),
        "base_url": with_userinfo(clear["base_url"], secrets.get("base_url", "")),
        "proxy": with_userinfo(clear["proxy"], secrets.get("proxy", "")),
        "headers": {**clear["headers"], **(secrets.get("headers") or {})},
    }


def has_clear_secrets(headers: dict[str, str], base_url: str, proxy: str) -> bool:
    """Stored fields still holding a secret in clear (written before they were encrypted)."""
    return any(is_secret_header(name) and value for name, value in headers.items()) or bool(
        split_userinfo(base_url)[1] or split_userinfo(proxy)[1]
    )

"""API key strings: parse what users type, and mask what we show."""

from __future__ import annotations

import re

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

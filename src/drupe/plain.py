"""Records as JSON-ready data, so each record's fields are written out in one place: its dataclass."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any


def plain(record: Any) -> dict[str, Any]:
    """A record dataclass as JSON-ready data, in field order: nested records as dicts,
    tuples as lists, times in ISO 8601 (as the web API's schemas declare them)."""
    return {f.name: _plain_value(getattr(record, f.name)) for f in fields(record)}


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return plain(value)
    if isinstance(value, (list, tuple)):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain_value(item) for key, item in value.items()}
    return value

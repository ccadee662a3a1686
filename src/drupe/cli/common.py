"""Small things every command needs: the registry, JSON output, confirmation."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drupe.registry import Registry


def open_registry() -> Registry:
    from drupe.registry import Registry
    from drupe.store import open_store

    return Registry(open_store())


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask on a terminal; elsewhere only `--yes` agrees."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        from drupe.errors import DrupeError

        raise DrupeError(f"{question} Not on a terminal to ask: pass --yes to confirm.", code="invalid", field="yes")
    import typer

    return typer.confirm(question, default=False)

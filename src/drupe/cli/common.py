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
        from drupe.i18n import _

        raise DrupeError(
            _("{question} Not on a terminal to ask: pass --yes to confirm.", question=question),
            code="invalid",
            field="yes",
        )
    import typer

    return typer.confirm(question, default=False)


def labelled(fields: list[tuple[str, str]], width: int = 12) -> str:
    """`Label:  value` lines with the values in one column, after at least `width` cells of label,
    however long the labels are in the language spoken (a Chinese character takes two cells)."""
    from rich.cells import cell_len

    width = max([width, *(cell_len(f"{label}:") for label, _ in fields)])
    return "\n".join(f"{label}:{' ' * (width - cell_len(label) - 1)} {value}" for label, value in fields)

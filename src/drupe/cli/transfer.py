"""`drupe export` and `drupe import`."""

from __future__ import annotations

from pathlib import Path

import typer

from drupe.cli.common import open_registry


def export(
    file: Path,
    include_keys: bool = typer.Option(False, "--include-keys", help="Also write API keys, in clear text."),
) -> None:
    """Write all providers and their models to a JSON file (keys left out unless asked)."""
    from drupe.transfer import export_file

    count = export_file(open_registry(), file, include_keys)
    note = " with API keys (keep the file private)" if include_keys else " without API keys"
    typer.echo(f"Exported {count} provider(s) to {file}{note}.")


def import_(
    file: Path,
    on_conflict: str = typer.Option("skip", "--on-conflict", help="skip, rename or replace a provider whose name exists."),
) -> None:
    """Read providers and models from a JSON export; the whole file is checked first."""
    from drupe.errors import DrupeError
    from drupe.transfer import import_file

    if on_conflict not in ("skip", "rename", "replace"):
        raise DrupeError(f"--on-conflict must be skip, rename or replace, not {on_conflict!r}.")
    plan = import_file(open_registry(), file, on_conflict)  # type: ignore[arg-type]
    typer.echo(f"Imported {len(plan.add)} provider(s)" + (f"; skipped {', '.join(plan.skipped)}" if plan.skipped else "") + ".")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)

"""`drupe export` and `drupe import`."""

from __future__ import annotations

from pathlib import Path

import typer

from drupe.cli.common import open_registry
from drupe.i18n import _


def export(
    file: Path,
    include_keys: bool = typer.Option(
        False, "--include-keys", help=_("Also write API keys, secret headers and URL credentials, in clear text.")
    ),
) -> None:
    from drupe.transfer import export_file

    registry = open_registry()
    count = export_file(registry, file, include_keys)
    note = " with API keys and other secrets (keep the file private)" if include_keys else " without secrets"
    typer.echo(f"Exported {count} provider(s) to {file}{note}.")
    unreadable = [p.name for p in registry.list_providers() if p.secrets_unreadable]
    if include_keys and unreadable:
        typer.echo(f"The secrets of {', '.join(unreadable)} cannot be decrypted and were not written.", err=True)


def import_(
    file: Path,
    on_conflict: str = typer.Option(
        "skip", "--on-conflict", help=_("skip, rename or replace a provider whose name exists.")
    ),
) -> None:
    from drupe.errors import DrupeError
    from drupe.transfer import import_file

    if on_conflict not in ("skip", "rename", "replace"):
        raise DrupeError(
            f"--on-conflict must be skip, rename or replace, not {on_conflict!r}.", code="invalid", field="on_conflict"
        )
    plan = import_file(open_registry(), file, on_conflict)  # type: ignore[arg-type]
    typer.echo(
        f"Imported {len(plan.add)} provider(s)" + (f"; skipped {', '.join(plan.skipped)}" if plan.skipped else "") + "."
    )


def register(app: typer.Typer) -> None:
    app.command(
        "export", help=_("Write all providers and their models to a JSON file (secrets left out unless asked).")
    )(export)
    app.command("import", help=_("Read providers and models from a JSON export; the whole file is checked first."))(
        import_
    )

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
    if include_keys:
        done = _(
            "Exported {n} provider(s) to {file} with API keys and other secrets (keep the file private).",
            n=count, file=file,
        )  # fmt: skip
    else:
        done = _("Exported {n} provider(s) to {file} without secrets.", n=count, file=file)
    typer.echo(done)
    unreadable = [p.name for p in registry.list_providers() if p.secrets_unreadable]
    if include_keys and unreadable:
        typer.echo(
            _("The secrets of {names} cannot be decrypted and were not written.", names=", ".join(unreadable)), err=True
        )


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
            _("--on-conflict must be skip, rename or replace, not {value}.", value=repr(on_conflict)),
            code="invalid",
            field="on_conflict",
        )
    plan = import_file(open_registry(), file, on_conflict)  # type: ignore[arg-type]
    if plan.skipped:
        typer.echo(_("Imported {n} provider(s); skipped {names}.", n=len(plan.add), names=", ".join(plan.skipped)))
    else:
        typer.echo(_("Imported {n} provider(s).", n=len(plan.add)))


def register(app: typer.Typer) -> None:
    app.command(
        "export", help=_("Write all providers and their models to a JSON file (secrets left out unless asked).")
    )(export)
    app.command("import", help=_("Read providers and models from a JSON export; the whole file is checked first."))(
        import_
    )

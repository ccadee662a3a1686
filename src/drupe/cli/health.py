"""`drupe provider check NAME --all-models`: the health matrix (models × keys) and its follow-up,
removing the keys the provider refused."""

from __future__ import annotations

import typer

from drupe.cli.common import confirm, open_registry, print_json
from drupe.health import Health
from drupe.i18n import _


def cell_text(health: Health, model: str, index: int) -> str:
    cell = health.cell(model, index)
    if not cell.ok:
        return f"✗ {cell.kind}"
    ms = f"{cell.latency_ms:.0f}"
    return _("✓ {ms} ms (not listed)", ms=ms) if cell.listed is False else _("✓ {ms} ms", ms=ms)


def matrix(health: Health) -> list[str]:
    """Rows: models; columns: keys, masked; plain text, padded to line up."""
    header = [_("model"), *health.keys]
    rows = [[model, *(cell_text(health, model, i) for i in range(len(health.keys)))] for model in health.models]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    return ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def method_line(health: Health) -> str:
    if health.method == "models":
        return _("Checked each key with the model list (no answer paid for); --model-checks sends a chat per model.")
    return _("Checked each model and key with a tiny chat request.")


def run(name: str, *, model_checks: bool, as_json: bool, remove: bool, yes: bool, timeout: float | None) -> None:
    import asyncio

    from drupe.cli.errors import setting_command
    from drupe.health import check_health, remove_keys

    registry = open_registry()
    health = asyncio.run(check_health(registry, name, model_checks=model_checks, timeout=timeout))
    failing = health.failing_keys()
    if as_json:
        print_json(health.to_dict())
    else:
        typer.echo("\n".join(matrix(health)))
        typer.echo(method_line(health))
        for index, kind in failing.items():
            cell = next(c for c in health.cells if c.key_index == index and not c.ok)
            line = _(
                "failed  {key}  {kind}: {hint} {command}",
                key=health.keys[index], kind=kind, hint=cell.hint, command=setting_command(kind, name),
            )  # fmt: skip
            typer.echo(line.rstrip(), err=True)
    if remove and health.refused_keys():
        shown = ", ".join(health.keys[i] for i in health.refused_keys())
        if not confirm(_("Remove the key(s) {provider} refused: {keys}?", provider=health.provider, keys=shown), yes):
            typer.echo(_("Kept."), err=True)
            raise typer.Exit(1)
        removed = remove_keys(registry, name, health)
        typer.echo(_("Removed {n} key(s): {keys}", n=len(removed), keys=", ".join(removed)), err=as_json)
        return
    if failing:
        raise typer.Exit(1)

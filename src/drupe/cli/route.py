"""`drupe route …`: names clients of the gateway can ask for as a model, each standing for
`PROVIDER/MODEL` targets tried in order (the next one when a target fails before its first token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from drupe.cli.common import print_json
from drupe.i18n import _

if TYPE_CHECKING:
    from drupe.gateway.routes import Route, Routes

app = typer.Typer(
    help=_("Routes: a model name for the gateway's clients that tries PROVIDER/MODEL targets in order."),
    no_args_is_help=True,
)


def _routes() -> Routes:
    from drupe.gateway.routes import Routes
    from drupe.store import open_store

    return Routes(open_store())


def _route_dict(route: Route) -> dict:
    from drupe.plain import plain

    return plain(route)


@app.command(help=_("Add a route: `drupe route add fast --to work/gpt-4o-mini --to home/claude-3-5-haiku`."))
def add(
    name: str = typer.Argument(..., help=_("The model name clients will ask for (no '/' or spaces).")),
    to: list[str] = typer.Option(
        [], "--to", help=_("A target PROVIDER/MODEL; repeat for the fallbacks, in the order to try them.")
    ),
) -> None:
    if not to:
        from drupe.errors import DrupeError

        raise DrupeError(
            _("Give at least one target: --to PROVIDER/MODEL (repeat it for fallbacks)."),
            code="invalid",
            field="targets",
        )
    route = _routes().add(name, to)
    typer.echo(
        _(
            "Added route {name}: {targets}. Clients ask for the model {model}.",
            name=route.name, targets=" → ".join(route.targets), model=repr(route.name),
        )
    )  # fmt: skip


@app.command("list", help=_("List the routes and their targets."))
def list_(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    routes = _routes().list_routes()
    if as_json:
        print_json([_route_dict(route) for route in routes])
        return
    if not routes:
        typer.echo(_("No routes yet. Add one: drupe route add NAME --to PROVIDER/MODEL [--to PROVIDER/MODEL ...]"))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(_("Name"), _("Targets, in order"), box=None)
    for route in routes:
        table.add_row(route.name, " → ".join(route.targets))
    Console().print(table)


@app.command(help=_("Show a route's targets, in the order they are tried."))
def show(name: str, as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    route = _routes().get(name)
    if as_json:
        print_json(_route_dict(route))
        return
    name_label = _("Name")
    lines = [f"{name_label}:    {route.name}", _("Targets:")]
    lines += [f"  {index}. {target}" for index, target in enumerate(route.targets, 1)]
    typer.echo("\n".join(lines))


@app.command(help=_("Remove a route; clients asking for it get an unknown-model error from then on."))
def remove(name: str) -> None:
    typer.echo(_("Removed route {name}.", name=_routes().remove(name).name))

"""`drupe gateway …`: the keys other programs use to reach drupe's `/v1` API, and what they used.

A key is printed once, when created: drupe keeps only its hash. The key alone goes to stdout and
the notes around it to stderr, so `KEY=$(drupe gateway key create ci)` captures just the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import typer

from drupe.cli.common import print_json
from drupe.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from drupe.gateway.keys import GatewayKey, GatewayKeys
    from drupe.gateway.usage import GroupBy, UsageLog

app = typer.Typer(
    help=_("Gateway keys (for programs calling drupe's /v1 API) and the gateway's usage."), no_args_is_help=True
)
key_app = typer.Typer(help=_("Create, list and revoke gateway keys."), no_args_is_help=True)
app.add_typer(key_app, name="key")


def _keys() -> GatewayKeys:
    from drupe.gateway.keys import GatewayKeys
    from drupe.store import open_store

    return GatewayKeys(open_store())


def _usage() -> UsageLog:
    from drupe.gateway.usage import UsageLog
    from drupe.store import open_store

    return UsageLog(open_store())


def _console() -> Console:
    """Rich's console; when the output is not a terminal (a pipe, a file), a wide one: Rich would
    assume 80 columns and fold or cut the table to fit them."""
    import os
    import sys

    from rich.console import Console

    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(width=WIDE) if wide else Console()


WIDE = 200


def _when(moment: datetime | None, missing: str = "never", *, day: bool = False) -> str:
    """A time in the store (UTC) as shown: to the minute, or the day alone."""
    if moment is None:
        return missing
    return f"{moment:%Y-%m-%d}" if day else f"{moment:%Y-%m-%d %H:%M}"


def _limits(key: GatewayKey) -> str:
    """What a key may do, as three phrases: its models, its expiry, its rate."""
    models = _("models {names}", names=", ".join(key.models)) if key.models else _("every model")
    expires = _("expires {when} UTC", when=_when(key.expires_at)) if key.expires_at else _("never expires")
    rpm = _("{n} requests a minute", n=key.rpm) if key.rpm else _("no rate limit")
    return f"{models}; {expires}; {rpm}"


MODELS_HELP = _(
    "A model the key may use: PROVIDER/MODEL, a route name, or a pattern like 'work/*' or '*/gpt-4o*'; "
    "repeat for more. Without it: every model."
)


@key_app.command(help=_("Create a key and print it, once: drupe keeps only its hash."))
def create(
    name: str = typer.Argument(..., help=_("A name of 1–32 letters, digits, '.', '-' or '_'.")),
    models: list[str] = typer.Option([], "--models", help=MODELS_HELP),
    expires: float | None = typer.Option(None, "--expires", help=_("Days until the key stops working (e.g. 30).")),
    rpm: int | None = typer.Option(None, "--rpm", help=_("Requests per minute the key may make (per drupe serve).")),
) -> None:
    key, secret = _keys().create(name, models=models, expires_days=expires, rpm=rpm)
    typer.echo(_("Created gateway key {name} ({limits}):", name=key.name, limits=_limits(key)), err=True)
    typer.echo(secret)
    typer.echo(
        _(
            "Copy it now: it will not be shown again (drupe keeps only its hash). Programs send it as their API key "
            "to drupe serve's /v1 API, e.g. base URL http://127.0.0.1:8765/v1."
        ),
        err=True,
    )


def _key_dict(key: GatewayKey) -> dict[str, Any]:
    from drupe.plain import plain

    return {**plain(key), "state": key.state()}


@key_app.command("list", help=_("List the keys (never the keys themselves: their first characters), revoked ones too."))
def list_(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    keys = _keys().list_keys()
    if as_json:
        print_json([_key_dict(key) for key in keys])
        return
    if not keys:
        typer.echo(_("No gateway keys yet. Create one: drupe gateway key create NAME"))
        return
    from rich.table import Table

    table = Table(box=None)
    for column in ("Name", "Prefix", "State", "Models", "Expires", "RPM", "Last used", "Requests"):
        folds = column in ("Models", "Last used")  # on a narrow screen; the rest is never cut
        table.add_column(column, no_wrap=not folds, overflow="fold", min_width=10 if folds else None)
    for key in keys:
        table.add_row(
            key.name, key.prefix, key.state(), ", ".join(key.models) or "all", _when(key.expires_at, "never", day=True),
            str(key.rpm or "-"), _when(key.last_used_at), str(key.requests),
        )  # fmt: skip
    _console().print(table)


@key_app.command(help=_("Refuse a key from now on, for good (its usage keeps its name)."))
def revoke(name: str) -> None:
    keys = _keys()
    before = keys.get(name)
    if before.revoked_at is not None:
        typer.echo(
            _("Gateway key {name} was already revoked on {when} UTC.", name=before.name, when=_when(before.revoked_at))
        )
        return
    key = keys.revoke(before.id)
    typer.echo(
        _(
            "Revoked gateway key {name} ({prefix}…): requests with it are refused from now on.",
            name=key.name, prefix=key.prefix,
        )
    )  # fmt: skip


COLUMNS = {"key": "Key", "model": "Model", "provider": "Provider"}


def _number(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.0f}{unit}"


@app.command(
    help=_("What the gateway's clients used: requests, errors, tokens, cost and times, per key, model or provider.")
)
def usage(
    since: str = typer.Option("7d", "--since", help=_("How far back: 30m, 24h, 7d, 2w…")),
    by: str = typer.Option("key", "--by", help=_("Sum up per key, model (as asked) or provider.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    from drupe.gateway.keys import utcnow
    from drupe.gateway.usage import parse_since

    rows = _usage().summary(utcnow() - parse_since(since), cast("GroupBy", by))  # summary refuses other values
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(_("No gateway requests in the last {since}.", since=since.strip()))
        return
    from rich.table import Table

    table = Table(COLUMNS[by], "Requests", "Errors", "Input", "Output", "Cost", "TTFT p50", "Duration p50", box=None)
    for row in rows:
        cost = "-" if row["cost"] is None else f"${row['cost']:,.4f}"
        table.add_row(
            str(row[by] or "-"), str(row["requests"]), str(row["errors"]), _number(row["input_tokens"]),
            _number(row["output_tokens"]), cost, _number(row["p50_ttft_ms"], " ms"),
            _number(row["p50_duration_ms"], " ms"),
        )  # fmt: skip
    _console().print(table)

"""`drupe provider …`: add, presets, list, show, edit, enable, disable, remove, move, check, reset-secrets."""

from __future__ import annotations

import json
from typing import Any

import typer

from drupe.cli.common import confirm, labelled, open_registry, print_json
from drupe.i18n import N_, _, ngettext
from drupe.protocols.types import TYPES

app = typer.Typer(help=_("Manage AI providers: their type, keys, address and options."), no_args_is_help=True)

TYPES_HELP = ", ".join(TYPES)
"""The provider types, from the registry (which imports no type's module to list them)."""


def _headers(pairs: list[str]) -> dict[str, str]:
    from drupe.validation import parse_header

    return dict(parse_header(pair) for pair in pairs)


def _body_fields(pairs: list[str]) -> dict[str, Any]:
    from drupe.validation import parse_body_field

    return dict(parse_body_field(pair) for pair in pairs)


BODY_HELP = _("A field added to every chat request body, NAME=VALUE (VALUE read as JSON, else text); repeat for more.")
LIMIT_HELP = _(
    "Cap what this provider may send, NAME=NUMBER (answer_chars, event_bytes, response_bytes, error_body_bytes, "
    "error_chars); repeat for more. Defaults: docs/reliability.md."
)


def _limits(pairs: list[str]) -> dict[str, Any]:
    """`NAME=NUMBER` pairs as the `limits` option; `check_options` says what is wrong with them."""
    from drupe.validation import parse_body_field

    return dict(parse_body_field(pair) for pair in pairs)


@app.command(help=_("Add a provider, from a preset or by type. Options given override the preset's."))
def add(
    name: str = typer.Argument(..., help=_("A name you will recognise, 1–32 characters.")),
    type: str = typer.Option("", "--type", "-t", help=_("{types} (or taken from --preset).", types=TYPES_HELP)),
    preset: str = typer.Option(
        "",
        "--preset",
        help=_("Start from a well-known service: its type, address and models (drupe provider presets)."),
    ),
    base_url: str = typer.Option("", "--base-url", help=_("The API address; empty uses the type's official host.")),
    api_key: str = typer.Option("", "--api-key", help=_("One or more keys, separated by commas or new lines.")),
    api_version: str = typer.Option(
        "", "--api-version", help=_("The API version, for a type that takes one (azure-openai: v1, preview or a date).")
    ),
    header: list[str] = typer.Option([], "--header", help=_("An extra HTTP header NAME=VALUE; repeat for more.")),
    timeout: float = typer.Option(600.0, "--timeout", help=_("Seconds to wait for the provider.")),
    proxy: str = typer.Option("", "--proxy", help=_("A proxy URL for this provider only.")),
    notes: str = typer.Option("", "--notes"),
    disabled: bool = typer.Option(False, "--disabled", help=_("Add it switched off.")),
    no_stream_usage: bool = typer.Option(
        False, "--no-stream-usage", help=_("Do not ask for usage in streams (for servers that reject it).")
    ),
    body: list[str] = typer.Option([], "--body", help=BODY_HELP),
    limit: list[str] = typer.Option([], "--limit", help=LIMIT_HELP),
) -> None:
    from drupe.keys import parse_keys

    models: tuple[str, ...] = ()
    if preset:
        from drupe.presets import get_preset

        chosen = get_preset(preset)
        type, base_url, models = type or chosen.type, base_url or chosen.base_url, chosen.models
    if not type:
        from drupe.errors import DrupeError

        raise DrupeError(
            _("Give --type TYPE or --preset ID (see drupe provider presets)."), code="invalid", field="type"
        )
    options: dict[str, Any] = {"stream_usage": False} if no_stream_usage else {}
    if body:
        options["extra_body"] = _body_fields(body)
    if limit:
        options["limits"] = _limits(limit)
    registry = open_registry()
    provider = registry.add_provider(
        name, type,
        base_url=base_url, api_keys=parse_keys(api_key), api_version=api_version, headers=_headers(header),
        timeout=timeout, proxy=proxy, notes=notes, enabled=not disabled, options=options,
    )  # fmt: skip
    for model_id in models:
        registry.add_model(provider.name, model_id)
    typer.echo(_added_words(provider.name, provider.type, not disabled, len(models)))


def _added_words(name: str, type_: str, enabled: bool, models: int) -> str:
    """The line `provider add` prints, one whole sentence for each case."""
    if models and enabled:
        return _("Added provider {name} ({type}, enabled, {n} models).", name=name, type=type_, n=models)
    if models:
        return _("Added provider {name} ({type}, disabled, {n} models).", name=name, type=type_, n=models)
    if enabled:
        return _("Added provider {name} ({type}, enabled).", name=name, type=type_)
    return _("Added provider {name} ({type}, disabled).", name=name, type=type_)


@app.command(help=_("List the well-known services you can add with --preset."))
def presets(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    from drupe.presets import all_presets

    catalog = all_presets()
    if as_json:
        print_json([p.public_dict() for p in catalog])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("ID", _("Name"), _("Type"), _("API address"), box=None)
    for p in catalog:
        table.add_row(p.id, p.name, p.type, p.base_url)
    Console(width=200).print(table)
    typer.echo(_("Add one: drupe provider add NAME --preset ID --api-key KEY"))


@app.command("list", help=_("List providers in their order."))
def list_(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    registry = open_registry()
    providers = registry.list_providers()
    counts: dict[str, int] = {}
    for model in registry.list_models():
        counts[model.provider_id] = counts.get(model.provider_id, 0) + 1
    if as_json:
        print_json([{**p.public_dict(), "model_count": counts.get(p.id, 0)} for p in providers])
        return
    if not providers:
        typer.echo(_("No providers yet. Add one: drupe provider add NAME --type openai --base-url URL"))
        return
    from rich.console import Console
    from rich.table import Table

    from drupe.keys import mask_url

    table = Table("#", _("Name"), _("Type"), _("Enabled"), _("API address"), _("Keys"), _("Models"), box=None)
    for index, p in enumerate(providers, 1):
        table.add_row(
            str(index), p.name, p.type, _("on") if p.enabled else _("off"), mask_url(p.base_url) or _("(official)"),
            _("unreadable") if p.secrets_unreadable else str(len(p.api_keys)), str(counts.get(p.id, 0)),
        )  # fmt: skip
    Console().print(table)


@app.command(help=_("Show one provider, with the URLs drupe will call."))
def show(name: str, as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    registry = open_registry()
    provider = registry.get_provider(name)
    models = registry.list_models(provider.id)
    from drupe.protocols.urls import preview_urls

    shown = provider.public_dict()
    urls = preview_urls(provider.type, shown["base_url"], provider.api_version, models[0].model_id if models else "")
    if as_json:
        print_json({**shown, **urls, "models": [m.public_dict() for m in models]})
        return
    none = _("(none)")
    fields: list[tuple[str, str]] = [
        (_("Name"), provider.name),
        (_("Type"), provider.type),
        (_("Enabled"), _("on") if provider.enabled else _("off")),
        (_("API address"), shown["base_url"] or _("(official host)")),
        (_("Chat URL"), urls["chat_url"]),
        (_("Models URL"), urls["models_url"]),
        (_("API keys"), ", ".join(f"{i}. {k}" for i, k in enumerate(provider.masked_keys, 1)) or none),
    ]
    if provider.secrets_unreadable:
        fields.append((
            _("Secrets"),
            _(
                "cannot be decrypted with the current secret key; restore the original one, "
                "or give new ones (drupe provider edit {name} --api-key KEY)",
                name=repr(provider.name),
            ),
        ))  # fmt: skip
    if provider.api_version:
        fields.append((_("API version"), provider.api_version))
    fields += [(_("Header"), f"{key}: {value}") for key, value in shown["headers"].items()]
    fields.append((_("Timeout"), _("{seconds} s", seconds=f"{provider.timeout:g}")))
    if provider.proxy:
        fields.append((_("Proxy"), shown["proxy"]))
    if provider.options.get("stream_usage") is False:
        fields.append((_("Stream usage"), _("off")))
    fields += [
        (_("Body field"), f"{key} = {json.dumps(value, ensure_ascii=False)}")
        for key, value in provider.options.get("extra_body", {}).items()
    ]
    fields += [(_("Limit"), f"{key} = {value}") for key, value in provider.options.get("limits", {}).items()]
    if provider.notes:
        fields.append((_("Notes"), provider.notes))
    fields.append((_("Models"), ", ".join(m.model_id for m in models) or none))
    typer.echo(labelled(fields))


def _remove_key(keys: list[str], which: str) -> list[str]:
    """Remove a key named by its 1-based index, its masked form, or the key itself."""
    from drupe.errors import DrupeError
    from drupe.keys import mask_key

    if which.isdigit() and 1 <= int(which) <= len(keys):
        return [k for i, k in enumerate(keys, 1) if i != int(which)]
    matches = [k for k in keys if which in (k, mask_key(k))]
    if len(matches) != 1:
        shown = ", ".join(f"{i}. {mask_key(k)}" for i, k in enumerate(keys, 1)) or _("none")
        problem = (
            N_("--remove-key {which} matches several keys. Keys: {keys}. Use the number.")
            if matches
            else N_("--remove-key {which} matches no key. Keys: {keys}. Use the number.")
        )
        raise DrupeError(
            _(problem, which=repr(which), keys=shown),
            code="ambiguous" if matches else "not_found", what="key", field="api_keys",
        )  # fmt: skip
    return [k for k in keys if k != matches[0]]


@app.command(help=_("Change a provider. Only the options given change."))
def edit(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help=_("Rename the provider.")),
    type: str | None = typer.Option(None, "--type", "-t", help=TYPES_HELP),
    base_url: str | None = typer.Option(None, "--base-url"),
    api_key: str | None = typer.Option(None, "--api-key", help=_("Replace all keys (commas or new lines).")),
    add_key: list[str] = typer.Option([], "--add-key", help=_("Add a key.")),
    remove_key: list[str] = typer.Option([], "--remove-key", help=_("Remove a key by number or masked form.")),
    api_version: str | None = typer.Option(None, "--api-version"),
    header: list[str] = typer.Option([], "--header", help=_("Set a header NAME=VALUE.")),
    remove_header: list[str] = typer.Option([], "--remove-header", help=_("Remove a header by name.")),
    timeout: float | None = typer.Option(None, "--timeout"),
    proxy: str | None = typer.Option(None, "--proxy"),
    notes: str | None = typer.Option(None, "--notes"),
    stream_usage: bool | None = typer.Option(None, "--stream-usage/--no-stream-usage"),
    body: list[str] = typer.Option([], "--body", help=_("Set a request body field NAME=VALUE (JSON, else text).")),
    remove_body: list[str] = typer.Option([], "--remove-body", help=_("Remove a request body field by name.")),
    limit: list[str] = typer.Option([], "--limit", help=LIMIT_HELP),
    remove_limit: list[str] = typer.Option([], "--remove-limit", help=_("Go back to the default of a limit, by name.")),
) -> None:
    from drupe.keys import parse_keys

    registry = open_registry()
    provider = registry.get_provider(name)
    changes: dict[str, Any] = {}
    for key, value in (
        ("name", new_name), ("type", type), ("base_url", base_url), ("api_version", api_version),
        ("timeout", timeout), ("proxy", proxy), ("notes", notes),
    ):  # fmt: skip
        if value is not None:
            changes[key] = value
    keys = parse_keys(api_key) if api_key is not None else list(provider.api_keys)
    for key in add_key:
        keys += parse_keys(key)
    for which in remove_key:
        keys = _remove_key(keys, which)
    if keys != provider.api_keys:
        changes["api_keys"] = keys
    if header or remove_header:
        headers = {k: v for k, v in provider.headers.items() if k not in remove_header}
        headers.update(_headers(header))
        changes["headers"] = headers
    options = dict(provider.options)
    if stream_usage is not None:
        options["stream_usage"] = stream_usage
    if body or remove_body:
        fields = {k: v for k, v in options.get("extra_body", {}).items() if k not in remove_body}
        fields.update(_body_fields(body))
        options["extra_body"] = fields
    if limit or remove_limit:
        limits = {k: v for k, v in options.get("limits", {}).items() if k not in remove_limit}
        limits.update(_limits(limit))
        options["limits"] = limits
    if options != provider.options:
        changes["options"] = options
    if not changes:
        typer.echo(_("Nothing to change: give at least one option (see --help)."))
        return
    provider = registry.edit_provider(provider.id, **changes)
    typer.echo(_("Updated provider {name}.", name=provider.name))


@app.command(help=_("Switch a provider on."))
def enable(name: str) -> None:
    provider = open_registry().set_enabled(name, True)
    typer.echo(_("Enabled {name}.", name=provider.name))


@app.command(help=_("Switch a provider off; its settings and models are kept."))
def disable(name: str) -> None:
    provider = open_registry().set_enabled(name, False)
    typer.echo(_("Disabled {name}.", name=provider.name))


@app.command(help=_("Remove a provider and its models."))
def remove(name: str, yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask."))) -> None:
    registry = open_registry()
    provider = registry.get_provider(name)
    count = len(registry.list_models(provider.id))
    question = ngettext(
        "Remove provider {name} and its {n} model?",
        "Remove provider {name} and its {n} models?",
        count,
        name=provider.name,
    )
    if not confirm(question, yes):
        typer.echo(_("Kept."))
        raise typer.Exit(1)
    registry.remove_provider(provider.id)
    typer.echo(
        ngettext(
            "Removed provider {name} and its {n} model.",
            "Removed provider {name} and its {n} models.",
            count,
            name=provider.name,
        )
    )


@app.command(help=_("Move a provider to another place in the list."))
def move(name: str, to: int = typer.Option(..., "--to", help=_("The new place in the list, from 1."))) -> None:
    from drupe.errors import DrupeError

    if to < 1:
        raise DrupeError(_("--to counts from 1 (the top of the list)."), code="invalid", field="to")
    order = open_registry().move_provider(name, to - 1)
    typer.echo(_("Order: {names}", names=", ".join(p.name for p in order)))


@app.command(
    help=_(
        "Verify the provider answers: one tiny streamed request per key, stopped at the first token.\n"
        "\n"
        "With --all-models, every chat model × every key, 4 at a time: when the provider's model list\n"
        "checks keys, one list call per key (nothing paid for) unless --model-checks asks for a chat each."
    )
)
def check(
    name: str,
    model: str | None = typer.Option(
        None, "--model", "-m", help=_("Model to test with (default: the first chat model).")
    ),
    all_keys: bool = typer.Option(False, "--all-keys", help=_("Check every key, not just the first.")),
    all_models: bool = typer.Option(False, "--all-models", help=_("Check every chat model with every key: a matrix.")),
    model_checks: bool = typer.Option(
        False,
        "--model-checks",
        help=_("With --all-models: a chat per model and key, even where the model list would do."),
    ),
    as_json: bool = typer.Option(False, "--json", help=_("With --all-models: the matrix as JSON.")),
    remove_failing_keys: bool = typer.Option(
        False, "--remove-failing-keys", help=_("With --all-models: then remove the keys the provider refused (auth).")
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0.1, help=_("With --all-models: seconds per check (default 30).")
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask before removing keys.")),
) -> None:
    import asyncio

    from drupe.errors import DrupeError

    if all_models:
        from drupe.cli.health import run

        if model:
            raise DrupeError(
                _("--all-models checks every chat model: leave out --model."), code="invalid", field="model"
            )
        run(name, model_checks=model_checks, as_json=as_json, remove=remove_failing_keys, yes=yes, timeout=timeout)
        return
    if model_checks or as_json or remove_failing_keys or timeout is not None:
        raise DrupeError(
            _("--model-checks, --json, --timeout and --remove-failing-keys go with --all-models."), code="invalid"
        )

    from drupe.checks import check_provider
    from drupe.cli.errors import setting_command
    from drupe.hints import error_kind

    model_id, checks = asyncio.run(check_provider(open_registry(), name, model, all_keys))
    for item in checks:
        if item.ok:
            ms = f"{item.latency_ms:.0f}"
            typer.echo(_("ok      {key}  {ms} ms  (model {model})", key=item.key, ms=ms, model=model_id))
        else:
            assert item.error is not None
            failed = _("failed  {key}  {kind}: {error}", key=item.key, kind=item.error.kind, error=item.error.message)
            typer.echo(failed, err=True)
            command = setting_command(error_kind(item.error, model_id), name)
            typer.echo(f"        {item.hint} {command}".rstrip(), err=True)
    if not all(item.ok for item in checks):
        raise typer.Exit(1)


@app.command(
    "reset-secrets",
    help=_(
        "Forget the stored secrets the current secret key cannot decrypt, and use this key from now on.\n"
        "\n"
        "For when the original DRUPE_HOME/secret.key is lost for good: the providers stay, with their\n"
        "models; give them their keys, secret headers and URL credentials again with `drupe provider edit`.\n"
        "MCP servers' environment values and secret headers are forgotten too (`drupe mcp edit` gives them again)."
    ),
)
def reset_secrets(yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask."))) -> None:
    from drupe.secrets import MCP_PREFIX

    registry = open_registry()
    names = registry.unreadable_secrets()
    if not names:
        typer.echo(_("Every stored secret can be decrypted with the current secret key: nothing to reset."))
        return
    question = _(
        "Forget the API keys, secret headers, URL credentials and environment values of {names}? "
        "They cannot be decrypted with the current secret key and cannot be recovered without the original one.",
        names=", ".join(names),
    )
    if not confirm(question, yes):
        typer.echo(_("Kept."))
        raise typer.Exit(1)
    registry.forget_unreadable_secrets()
    how = ["drupe provider edit NAME --api-key KEY"] if any(not n.startswith(MCP_PREFIX) for n in names) else []
    if any(n.startswith(MCP_PREFIX) for n in names):
        how.append("drupe mcp edit NAME --env NAME=VALUE (or --header, --url)")
    typer.echo(
        _("Forgot the secrets of {names}. Give them new ones: {how}", names=", ".join(names), how="; ".join(how))
    )

"""`drupe model …`: add, list, edit, remove the models of a provider."""

from __future__ import annotations

from typing import Any

import typer

from drupe.cli.common import open_registry, print_json
from drupe.i18n import _

app = typer.Typer(help=_("Manage the models of each provider."), no_args_is_help=True)

CAPABILITY_HELP = _("text, vision, reasoning, function_calling, embedding, rerank or web_search; repeat for more.")


@app.command(help=_("Add a model ID to a provider by hand."))
def add(
    provider: str,
    model_id: str = typer.Argument(..., help=_("The ID exactly as the API expects it, e.g. gpt2.")),
    name: str = typer.Option("", "--name", help=_("Display name (default: the ID).")),
    group: str = typer.Option("", "--group", help=_("Group to list it under (default: derived from the ID).")),
    capability: list[str] = typer.Option([], "--capability", "-c", help=CAPABILITY_HELP),
    context_window: int | None = typer.Option(None, "--context-window"),
    max_output: int | None = typer.Option(None, "--max-output"),
    price_in: float | None = typer.Option(None, "--price-in", help=_("USD per million input tokens.")),
    price_out: float | None = typer.Option(None, "--price-out", help=_("USD per million output tokens.")),
) -> None:
    model = open_registry().add_model(
        provider, model_id,
        name=name, group=group, capabilities=capability, context_window=context_window,
        max_output=max_output, price_in=price_in, price_out=price_out,
    )  # fmt: skip
    typer.echo(
        _(
            "Added model {model} to {provider} (group {group}; {capabilities}).",
            model=model.model_id, provider=provider, group=model.group, capabilities=", ".join(model.capabilities),
        )
    )  # fmt: skip


@app.command("list", help=_("List models, grouped by provider."))
def list_(
    provider: str | None = typer.Argument(None, help=_("Only this provider's models.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    registry = open_registry()
    providers = [registry.get_provider(provider)] if provider else registry.list_providers()
    rows = [(p, m) for p in providers for m in registry.list_models(p.id)]
    if as_json:
        print_json([{"provider": p.name, **m.public_dict()} for p, m in rows])
        return
    if not rows:
        typer.echo(_("No models yet. Add one: drupe model add PROVIDER MODEL_ID"))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(_("Provider"), _("Name"), _("Group"), _("Capabilities"), box=None)
    table.add_column(_("Model ID"), overflow="fold")
    for p, m in rows:
        table.add_row(p.name, m.name if m.name != m.model_id else "", m.group, ", ".join(m.capabilities), m.model_id)
    Console().print(table)


@app.command(help=_("Change a model. Only the options given change."))
def edit(
    provider: str,
    model_id: str,
    new_id: str | None = typer.Option(None, "--id", help=_("Change the model ID.")),
    name: str | None = typer.Option(None, "--name"),
    group: str | None = typer.Option(None, "--group"),
    capability: list[str] | None = typer.Option(
        None,
        "--capability",
        "-c",
        help=_(
            "Replace the capabilities: text, vision, reasoning, function_calling, embedding, rerank or web_search; "
            "repeat for more."
        ),
    ),
    context_window: int | None = typer.Option(None, "--context-window"),
    max_output: int | None = typer.Option(None, "--max-output"),
    price_in: float | None = typer.Option(None, "--price-in"),
    price_out: float | None = typer.Option(None, "--price-out"),
) -> None:
    changes: dict[str, Any] = {
        key: value
        for key, value in {
            "new_id": new_id, "name": name, "group": group, "capabilities": capability or None,
            "context_window": context_window, "max_output": max_output, "price_in": price_in, "price_out": price_out,
        }.items()
        if value is not None
    }  # fmt: skip
    if not changes:
        typer.echo(_("Nothing to change: give at least one option (see --help)."))
        return
    registry = open_registry()
    model = registry.edit_model(provider, model_id, **changes)
    if model.model_id != model_id:
        from drupe.chat.targets import follow_rename

        follow_rename(registry, model.provider_id, model_id, model.model_id)
    typer.echo(_("Updated model {model}.", model=model.model_id))


@app.command(help=_("Remove a model from a provider."))
def remove(provider: str, model_id: str) -> None:
    model = open_registry().remove_model(provider, model_id)
    typer.echo(_("Removed model {model} from {provider}.", model=model.model_id, provider=provider))


@app.command(help=_("List the provider's remote models (marking those already added), and add some."))
def fetch(
    provider: str,
    add: list[str] = typer.Option([], "--add", help=_("Add this remote model; repeat for more.")),
    add_all: bool = typer.Option(False, "--add-all", help=_("Add every remote model not added yet.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    import asyncio

    from drupe.errors import DrupeError
    from drupe.remote_models import add_remote, fetch_remote_models

    registry = open_registry()
    entries = asyncio.run(fetch_remote_models(registry, provider))
    by_id = {e.model_id: e for e in entries}
    missing = [model_id for model_id in add if model_id not in by_id]
    if missing:
        raise DrupeError(
            _(
                "The provider does not list {model}. Run `drupe model fetch {provider}` to see its models.",
                model=repr(missing[0]), provider=provider,
            ),
            code="not_found", what="remote_model", provider=provider, name=missing[0],
        )  # fmt: skip
    wanted = [e for e in entries if not e.added and (add_all or e.model_id in add)]
    for entry in wanted:
        add_remote(registry, provider, entry)
    added_now = {e.model_id for e in wanted}
    if as_json:
        print_json([{**e.to_dict(), "added": e.added or e.model_id in added_now} for e in entries])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("", _("Group"), _("Capabilities"), box=None)
    table.add_column(_("Model ID"), overflow="fold")
    for e in entries:
        mark = "+" if e.model_id in added_now else ("✓" if e.added else "")
        table.add_row(mark, e.group, ", ".join(e.capabilities), e.model_id)
    Console().print(table)
    remote = _("{n} remote model(s); ✓ = already added.", n=len(entries))
    added = _("Added {n} model(s).", n=len(added_now))
    typer.echo(f"{added} {remote}" if added_now else remote)


@app.command(help=_("Set the model `drupe chat` uses when given neither -p nor -m."))
def default(provider: str, model_id: str) -> None:
    from drupe.chat.targets import set_default_model

    target = set_default_model(open_registry(), provider, model_id)
    typer.echo(_("Default model: {target}.", target=target))


@app.command(help=_("Which model names conversations after their first answer. With no argument, shows it."))
def title(
    provider: str | None = typer.Argument(None, help=_("The title model's provider (with MODEL_ID).")),
    model_id: str | None = typer.Argument(None, help=_("The title model's ID.")),
    own: bool = typer.Option(False, "--own", help=_("Name each conversation with the model that answered it.")),
    on: bool | None = typer.Option(None, "--on/--off", help=_("Name new conversations automatically, or not.")),
) -> None:
    from drupe.chat.records import Target
    from drupe.chat.titles import set_title_settings, title_settings
    from drupe.errors import DrupeError

    registry = open_registry()
    if (provider is None) != (model_id is None):
        raise DrupeError(
            _("Give both PROVIDER and MODEL_ID, e.g. `drupe model title OpenAI gpt-4o-mini`."), field="model"
        )
    if provider is not None and own:
        raise DrupeError(_("Give PROVIDER MODEL_ID or --own, not both."), field="model")
    model = Target(provider, model_id) if provider is not None and model_id is not None else None
    changed = model is not None or own or on is not None
    settings = (
        set_title_settings(registry, enabled=on, model=model, own_model=own) if changed else title_settings(registry)
    )
    if settings.model is None:
        who = _("the model that answered")
    else:
        owner = registry.find_provider(settings.provider or "")
        who = f"{owner.name if owner else settings.provider}/{settings.model}"
    if settings.enabled:
        typer.echo(_("Automatic titles: on; title model: {model}.", model=who))
    else:
        typer.echo(_("Automatic titles: off (the first message stays the title); title model: {model}.", model=who))

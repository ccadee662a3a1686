"""Which provider and model answer: the `-p`/`-m` rules, shared by the CLI and the web API.

- `-m ID` alone looks the model up across enabled providers; several matches is an error
  listing `provider/model` choices. `-m provider/model` names both at once (when the part
  before the first `/` is a provider's name; otherwise the whole string is the model ID).
- `-p P -m ID` takes P's model ID; P must exist, be enabled and have that model.
- Neither: the default set by `drupe model default`, else the only enabled model there is.
"""

from __future__ import annotations

from drupe.chat.records import Target
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.registry import Model, Provider, Registry

DEFAULT_MODEL_SETTING = "default_model"
"""Settings key holding `{"provider": provider_id, "model": model_id}`."""


def resolve_targets(registry: Registry, provider: str | None, models: list[str]) -> list[Target]:
    if not models:
        return [_default_target(registry, provider)]
    targets: list[Target] = []
    for model in models:
        target = _resolve_one(registry, provider, model)
        if target not in targets:
            targets.append(target)
    return targets


def set_default_model(registry: Registry, provider: str, model_id: str) -> Target:
    owner = _enabled_provider(registry, provider)
    registry.get_model(owner, model_id)
    registry.set_setting(DEFAULT_MODEL_SETTING, {"provider": owner.id, "model": model_id})
    return Target(owner.name, model_id)


def default_model(registry: Registry) -> tuple[Provider, Model] | None:
    """The default as stored, while its provider and model still exist (a disabled provider's too:
    the pages show it as set, and chats fall back until it is switched on again)."""
    default = registry.get_setting(DEFAULT_MODEL_SETTING)
    if not default:
        return None
    owner = registry.find_provider(default["provider"])
    model = registry.find_model(owner, default["model"]) if owner is not None else None
    return (owner, model) if owner is not None and model is not None else None


def follow_rename(registry: Registry, provider_id: str, old_id: str, new_id: str) -> None:
    """A model whose ID changed stays the default if it was (the setting names it by ID)."""
    default = registry.get_setting(DEFAULT_MODEL_SETTING)
    if default and default.get("provider") == provider_id and default.get("model") == old_id:
        registry.set_setting(DEFAULT_MODEL_SETTING, {"provider": provider_id, "model": new_id})


def clear_default_model(registry: Registry) -> None:
    """No default: a chat given no model uses the only enabled model there is, or asks for one."""
    registry.set_setting(DEFAULT_MODEL_SETTING, None)


def _enabled_provider(registry: Registry, name: str) -> Provider:
    found = registry.get_provider(name)
    if not found.enabled:
        raise DrupeError(
            _("Provider {provider} is disabled.", provider=repr(found.name)),
            code="provider_disabled", provider=found.name,
        )  # fmt: skip
    return found


def _resolve_one(registry: Registry, provider: str | None, model: str) -> Target:
    if provider:
        owner = _enabled_provider(registry, provider)
        registry.get_model(owner, model)
        return Target(owner.name, model)
    prefix, _, rest = model.partition("/")
    if rest and registry.find_provider(prefix) is not None:
        return _resolve_one(registry, prefix, rest)
    return _search_enabled(registry, model)


def _search_enabled(registry: Registry, model: str) -> Target:
    owners = [p for p in registry.list_providers() if registry.find_model(p, model) is not None]
    enabled = [p for p in owners if p.enabled]
    if len(enabled) == 1:
        return Target(enabled[0].name, model)
    if len(enabled) > 1:
        choices = [f"{p.name}/{model}" for p in enabled]
        raise DrupeError(
            _("Model {model} is offered by several providers: {choices}.", model=repr(model), choices=", ".join(choices)),
            code="ambiguous", what="model", name=model, matches=choices,
        )  # fmt: skip
    if owners:
        names = [p.name for p in owners]
        raise DrupeError(
            _("Model {model} is only offered by disabled providers ({names}).", model=repr(model), names=", ".join(names)),
            code="provider_disabled", provider=names[0], providers=names, model=model,
        )  # fmt: skip
    raise DrupeError(
        _("No enabled provider has a model {model}.", model=repr(model)), code="not_found", what="model", name=model
    )


def _default_target(registry: Registry, provider: str | None) -> Target:
    default = registry.get_setting(DEFAULT_MODEL_SETTING)
    if default:
        owner = registry.find_provider(default["provider"])
        usable = owner is not None and owner.enabled and registry.find_model(owner, default["model"]) is not None
        if owner is not None and usable and (provider is None or registry.get_provider(provider).id == owner.id):
            return Target(owner.name, default["model"])
    candidates = _enabled_models(registry, provider)
    if len(candidates) == 1:
        owner, model = candidates[0]
        return Target(owner.name, model.model_id)
    raise DrupeError(
        _no_model_chosen(provider, len(candidates)),
        code="invalid", field="model", provider=provider, models=len(candidates),
    )  # fmt: skip


def _no_model_chosen(provider: str | None, count: int) -> str:
    """Why no model could be picked, as one sentence (`count` is never 1: that one would be picked)."""
    if provider and count:
        return _(
            "No model chosen: no default is set and provider {provider} offers {n} models.",
            provider=repr(provider), n=count,
        )  # fmt: skip
    if provider:
        return _("No model chosen: no default is set and provider {provider} has no models.", provider=repr(provider))
    if count:
        return _("No model chosen: no default is set and the enabled providers offer {n} models.", n=count)
    return _("No model chosen: no default is set and the enabled providers have no models.")


def _enabled_models(registry: Registry, provider: str | None) -> list[tuple[Provider, Model]]:
    providers = [_enabled_provider(registry, provider)] if provider else registry.list_providers(enabled_only=True)
    return [(p, m) for p in providers for m in registry.list_models(p.id)]

"""How the CLI words a problem: the core's message, then what to type to fix it.

The core names each problem with a code and its data (`drupe.errors`); the commands to type live
only here. A provider failure's advice comes from the one table in `drupe.hints`, with the command
that changes the setting it names.
"""

from __future__ import annotations

from drupe.errors import DrupeError
from drupe.i18n import N_, _

ADVICE: dict[tuple[str, str | None], str] = {
    ("not_found", "provider"): N_("Add one with `drupe provider add`."),
    ("not_found", "model"): N_(
        "See `drupe model list {provider}`, or add it with `drupe model add {provider} {name}`."
    ),
    ("not_found", "chat_model"): N_("Add one (`drupe model add {provider} MODEL_ID`) or pass --model."),
    ("not_found", "conversation"): N_("See `drupe conversations list`."),
    ("ambiguous", "conversation"): N_("See `drupe conversations list`."),
    ("not_found", "model_file"): N_("Pass an existing GGUF file with --model PATH."),
    ("unavailable", "default_model"): N_("Pass one with --model PATH."),
    ("ambiguous", "model"): N_("Pick one with -p PROVIDER or -m PROVIDER/{name}."),
    ("provider_disabled", None): N_("Enable it with `drupe provider enable {provider}`."),
    ("secrets_unreadable", "provider"): N_("New ones: `drupe provider edit {provider} --api-key KEY`."),
    ("secrets_unreadable", None): N_(
        "To give up those secrets on purpose and enter them again, run `drupe provider reset-secrets` "
        "(it clears only what cannot be decrypted)."
    ),
    ("invalid", "model_file"): N_("Pass a GGUF model file with --model PATH."),
    ("conflict", "port"): N_("Stop what uses it, or pick another port with --port, e.g. --port {free}."),
    ("not_found", "mcp_server"): N_("See `drupe mcp list`, or add one with `drupe mcp add`."),
    ("not_found", "tool"): N_("See its tools with `drupe mcp tools {server}`."),
    ("conflict", "mcp_server_disabled"): N_("Enable it with `drupe mcp enable {name}`."),
    ("invalid", "mcp_server_disabled"): N_("Enable it with `drupe mcp enable {name}`, or leave it out of --tools."),
    ("secrets_unreadable", "mcp_server"): N_("Or remove it (`drupe mcp remove {name}`) and add it again."),
    ("mcp", None): N_("See its settings with `drupe mcp show {server}`."),
    ("not_found", "gateway_key"): N_(
        "See `drupe gateway key list`, or create one with `drupe gateway key create NAME`."
    ),
    ("conflict", "gateway_key"): N_("See `drupe gateway key list`."),
    ("not_found", "route"): N_("See `drupe route list`, or add one with `drupe route add {name} --to PROVIDER/MODEL`."),
    ("conflict", "route"): N_(
        "See it with `drupe route show {name}`; remove it first with `drupe route remove {name}`."
    ),
    ("not_found", "route_target"): N_("See `drupe provider list`, or add one with `drupe provider add`."),
    (
        "unauthorized",
        None,
    ): N_("See the keys with `drupe gateway key list`; create one with `drupe gateway key create NAME`."),
    ("rate_limited", None): N_("Wait {retry_after} seconds; the key allows {rpm} requests a minute."),
}
"""(code, what the error is about) -> what to type; `(code, None)` is for any `what`.
`{name}`-style fields come from the error's data; a missing one is shown as NAME for the user to fill in."""

SETTING_COMMANDS = {
    "api_key": N_("Change it with `drupe provider edit {provider} --api-key KEY`."),
    "keys": N_("Add a key with `drupe provider edit {provider} --add-key KEY`."),
    "base_url": N_("See the address with `drupe provider show {provider}`; change it with --base-url."),
    "model": N_("List its models with `drupe model fetch {provider}`."),
    "timeout": N_("Raise it with `drupe provider edit {provider} --timeout SECONDS`."),
    "type": N_("Change it with `drupe provider edit {provider} --type TYPE`."),
    "limits": N_("Raise it with `drupe provider edit {provider} --limit NAME=NUMBER` (docs/reliability.md#limits)."),
}
"""How to change the provider setting a provider-failure hint names (`drupe.hints.Setting`)."""


KIND_COMMANDS = {
    "tools_refused": N_(
        "To chat on without them, turn tools off for this conversation: "
        "`drupe chat --conversation {conversation} --tools none` (in a session: /tools none)."
    ),
    "mcp": N_(
        "See the servers with `drupe mcp list` and one with `drupe mcp show NAME`; or turn tools off for this "
        "conversation: `drupe chat --conversation {conversation} --tools none` (in a session: /tools none)."
    ),
}
"""What to type for a failed answer whose kind names no provider setting: the conversation's tools."""


class _Fill(dict):
    """Data for a template: a value not known is left for the user to type, as its name in capitals."""

    def __missing__(self, key: str) -> str:
        return key.upper()


def advice(error: DrupeError) -> str:
    """What to type for this error, or "" when the message says all there is."""
    what = error.data.get("what")
    template = ADVICE.get((error.code, what)) or ADVICE.get((error.code, None), "")
    return _(template).format_map(_Fill(error.data)) if template else ""


def describe(error: DrupeError) -> str:
    """The line a command prints after `error: `."""
    extra = advice(error)
    return _("{message} {advice}", message=error, advice=extra) if extra else str(error)


def setting_command(kind: str, provider: str) -> str:
    """The command that changes what the hint for this kind of provider failure names, or ""."""
    from drupe.hints import lookup

    setting = lookup(kind).setting
    return _(SETTING_COMMANDS[setting]).format_map(_Fill(provider=provider)) if setting else ""


def provider_hint(kind: str, provider: str, *, model: str = "", conversation: str = "") -> str:
    """The advice for a failed provider call (`drupe.hints`), with the command to follow it
    (for the kinds about tools, the one that turns them off in `conversation`)."""
    from drupe.hints import advice as hint_for

    template = KIND_COMMANDS.get(kind)
    command = setting_command(kind, provider) or (
        _(template).format_map(_Fill(conversation=conversation[:8] or "ID")) if template else ""
    )
    hint = hint_for(kind, model=model)
    return _("{message} {advice}", message=hint, advice=command) if command else hint

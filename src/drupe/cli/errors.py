"""How the CLI words a problem: the core's message, then what to type to fix it.

The core names each problem with a code and its data (`drupe.errors`); the commands to type live
only here. A provider failure's advice comes from the one table in `drupe.hints`, with the command
that changes the setting it names.
"""

from __future__ import annotations

from drupe.errors import DrupeError

ADVICE: dict[tuple[str, str | None], str] = {
    ("not_found", "provider"): "Add one with `drupe provider add`.",
    ("not_found", "model"): "See `drupe model list {provider}`, or add it with `drupe model add {provider} {name}`.",
    ("not_found", "chat_model"): "Add one (`drupe model add {provider} MODEL_ID`) or pass --model.",
    ("not_found", "conversation"): "See `drupe conversations list`.",
    ("ambiguous", "conversation"): "See `drupe conversations list`.",
    ("not_found", "model_file"): "Pass an existing GGUF file with --model PATH.",
    ("unavailable", "default_model"): "Pass one with --model PATH.",
    ("ambiguous", "model"): "Pick one with -p PROVIDER or -m PROVIDER/{name}.",
    ("provider_disabled", None): "Enable it with `drupe provider enable {provider}`.",
    ("secrets_unreadable", "provider"): "New ones: `drupe provider edit {provider} --api-key KEY`.",
    ("secrets_unreadable", None): (
        "To give up those secrets on purpose and enter them again, run `drupe provider reset-secrets` "
        "(it clears only what cannot be decrypted)."
    ),
    ("invalid", "model_file"): "Pass a GGUF model file with --model PATH.",
    ("conflict", "port"): "Stop what uses it, or pick another port with --port, e.g. --port {free}.",
    ("not_found", "mcp_server"): "See `drupe mcp list`, or add one with `drupe mcp add`.",
    ("not_found", "tool"): "See its tools with `drupe mcp tools {server}`.",
    ("conflict", "mcp_server_disabled"): "Enable it with `drupe mcp enable {name}`.",
    ("invalid", "mcp_server_disabled"): "Enable it with `drupe mcp enable {name}`, or leave it out of --tools.",
    ("secrets_unreadable", "mcp_server"): "Or remove it (`drupe mcp remove {name}`) and add it again.",
    ("mcp", None): "See its settings with `drupe mcp show {server}`.",
    ("not_found", "gateway_key"): "See `drupe gateway key list`, or create one with `drupe gateway key create NAME`.",
    ("conflict", "gateway_key"): "See `drupe gateway key list`.",
    ("not_found", "route"): "See `drupe route list`, or add one with `drupe route add {name} --to PROVIDER/MODEL`.",
    ("conflict", "route"): "See it with `drupe route show {name}`; remove it first with `drupe route remove {name}`.",
    ("not_found", "route_target"): "See `drupe provider list`, or add one with `drupe provider add`.",
    (
        "unauthorized",
        None,
    ): "See the keys with `drupe gateway key list`; create one with `drupe gateway key create NAME`.",
    ("rate_limited", None): "Wait {retry_after} seconds; the key allows {rpm} requests a minute.",
}
"""(code, what the error is about) -> what to type; `(code, None)` is for any `what`.
`{name}`-style fields come from the error's data; a missing one is shown as NAME for the user to fill in."""

SETTING_COMMANDS = {
    "api_key": "Change it with `drupe provider edit {provider} --api-key KEY`.",
    "keys": "Add a key with `drupe provider edit {provider} --add-key KEY`.",
    "base_url": "See the address with `drupe provider show {provider}`; change it with --base-url.",
    "model": "List its models with `drupe model fetch {provider}`.",
    "timeout": "Raise it with `drupe provider edit {provider} --timeout SECONDS`.",
    "type": "Change it with `drupe provider edit {provider} --type TYPE`.",
    "limits": "Raise it with `drupe provider edit {provider} --limit NAME=NUMBER` (docs/reliability.md#limits).",
}
"""How to change the provider setting a provider-failure hint names (`drupe.hints.Setting`)."""


TOOLS_OFF = "turn tools off for this conversation: `drupe chat --conversation {conversation} --tools none` (in a session: /tools none)."

KIND_COMMANDS = {
    "tools_refused": "To chat on without them, " + TOOLS_OFF,
    "mcp": "See the servers with `drupe mcp list` and one with `drupe mcp show NAME`; or " + TOOLS_OFF,
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
    return template.format_map(_Fill(error.data))


def describe(error: DrupeError) -> str:
    """The line a command prints after `error: `."""
    extra = advice(error)
    return f"{error} {extra}" if extra else str(error)


def setting_command(kind: str, provider: str) -> str:
    """The command that changes what the hint for this kind of provider failure names, or ""."""
    from drupe.hints import lookup

    setting = lookup(kind).setting
    return SETTING_COMMANDS[setting].format_map(_Fill(provider=provider)) if setting else ""


def provider_hint(kind: str, provider: str, *, model: str = "", conversation: str = "") -> str:
    """The advice for a failed provider call (`drupe.hints`), with the command to follow it
    (for the kinds about tools, the one that turns them off in `conversation`)."""
    from drupe.hints import advice as hint_for

    command = setting_command(kind, provider) or KIND_COMMANDS.get(kind, "").format_map(
        _Fill(conversation=conversation[:8] or "ID")
    )
    return f"{hint_for(kind, model=model)} {command}".rstrip()

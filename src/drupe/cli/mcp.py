"""`drupe mcp …`: register MCP servers and try their tools by hand.

The `mcp` SDK is imported only by the commands that connect (`show`, `tools`, `call`), through
`drupe.tools.client`: listing and changing servers start as fast as any other command.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from drupe.cli.common import confirm, labelled, print_json
from drupe.i18n import N_, _

if TYPE_CHECKING:
    from drupe.tools.client import ServerInfo
    from drupe.tools.servers import McpServer, McpServers

app = typer.Typer(help=_("Register MCP servers (tools for the models) and try their tools."), no_args_is_help=True)


def _servers() -> McpServers:
    from drupe.store import open_store
    from drupe.tools.servers import McpServers

    return McpServers(open_store())


T = TypeVar("T")

APPROVAL_HELP = _("ask: each call of its tools waits for your approval; always: they run without asking.")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio

    return asyncio.run(coroutine)


@app.command(
    help=_(
        "Add an MCP server: `drupe mcp add NAME -- COMMAND [ARGS...]` or `drupe mcp add NAME --url URL`.\n"
        "\n"
        "An stdio server runs as you, with the command you typed: add only servers you trust."
    )
)
def add(
    name: str = typer.Argument(..., help=_("A name of 1–32 letters, digits, - or _.")),
    command: list[str] = typer.Argument(
        None, help=_("After --: the command that starts an stdio server, and its arguments.")
    ),
    url: str = typer.Option(
        "", "--url", help=_("The address of a Streamable HTTP server, e.g. http://127.0.0.1:8000/mcp")
    ),
    env: list[str] = typer.Option(
        [], "--env", help=_("An environment variable NAME=VALUE for the command (encrypted at rest); repeat for more.")
    ),
    header: list[str] = typer.Option(
        [], "--header", help=_("An HTTP header NAME=VALUE for a URL (secret ones encrypted at rest); repeat for more.")
    ),
    timeout: float = typer.Option(60.0, "--timeout", help=_("Seconds the server has to start and answer one request.")),
    approval: str = typer.Option("ask", "--approval", help=APPROVAL_HELP),
    disabled: bool = typer.Option(False, "--disabled", help=_("Add it switched off.")),
) -> None:
    from drupe.errors import DrupeError
    from drupe.tools.servers import parse_env
    from drupe.validation import parse_header

    command = list(command or [])
    if bool(command) == bool(url):
        raise DrupeError(
            _("Give either a command after -- (drupe mcp add NAME -- COMMAND ARGS...) or --url URL."),
            code="invalid", field="command",
        )  # fmt: skip
    server = _servers().add(
        name, "stdio" if command else "http",
        command=command[0] if command else "", args=command[1:], url=url, env=parse_env(env),
        headers=dict(parse_header(pair) for pair in header), timeout=timeout, enabled=not disabled,
        approval=approval,
    )  # fmt: skip
    added = (
        N_("Added MCP server {name} ({transport}, disabled). Try it: drupe mcp show {name}")
        if disabled
        else N_("Added MCP server {name} ({transport}, enabled). Try it: drupe mcp show {name}")
    )
    typer.echo(_(added, name=server.name, transport=server.transport))


@app.command(help=_("Change a server. Only the options given change."))
def edit(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help=_("Rename the server.")),
    command: str | None = typer.Option(
        None, "--command", help=_("The command that starts it (an HTTP server becomes an stdio one).")
    ),
    arg: list[str] = typer.Option([], "--arg", help=_("Replace the command's arguments: repeat for each, in order.")),
    clear_args: bool = typer.Option(False, "--clear-args", help=_("Remove all the command's arguments.")),
    url: str | None = typer.Option(
        None, "--url", help=_("Its Streamable HTTP address (an stdio server becomes HTTP).")
    ),
    env: list[str] = typer.Option([], "--env", help=_("Set an environment variable NAME=VALUE (encrypted at rest).")),
    remove_env: list[str] = typer.Option([], "--remove-env", help=_("Remove an environment variable by name.")),
    header: list[str] = typer.Option([], "--header", help=_("Set an HTTP header NAME=VALUE (secret ones encrypted).")),
    remove_header: list[str] = typer.Option([], "--remove-header", help=_("Remove an HTTP header by name.")),
    timeout: float | None = typer.Option(None, "--timeout", help=_("Seconds it has to start and answer one request.")),
    approval: str | None = typer.Option(None, "--approval", help=APPROVAL_HELP),
) -> None:
    from drupe.errors import DrupeError
    from drupe.tools.servers import parse_env
    from drupe.validation import parse_header

    servers = _servers()
    server = servers.get(name)
    if command is not None and url is not None:
        raise DrupeError(_("Give either --command or --url, not both."), code="invalid", field="command")
    changes: dict[str, Any] = {
        key: value
        for key, value in (("name", new_name), ("timeout", timeout), ("approval", approval))
        if value is not None
    }
    switched = ""
    if command is not None:
        changes["command"] = command
        if server.transport == "http":
            changes.update(transport="stdio", url="", headers={})
            switched = _("Now an stdio server: its URL and headers were removed.")
    if url is not None:
        changes["url"] = url
        if server.transport == "stdio":
            changes.update(transport="http", command="", args=[], env={})
            switched = _("Now an HTTP server: its command, arguments and environment were removed.")
    if arg or clear_args:
        changes["args"] = list(arg)
    if env or remove_env:
        variables = {k: v for k, v in changes.get("env", server.env).items() if k not in remove_env}
        changes["env"] = {**variables, **parse_env(env)}
    if header or remove_header:
        headers = {k: v for k, v in changes.get("headers", server.headers).items() if k not in remove_header}
        changes["headers"] = {**headers, **dict(parse_header(pair) for pair in header)}
    if not changes:
        typer.echo(_("Nothing to change: give at least one option (see --help)."))
        return
    server = servers.edit(server.id, **changes)
    updated = _("Updated MCP server {name}.", name=server.name)
    typer.echo(f"{updated} {switched}".rstrip())


@app.command("list", help=_("List the MCP servers, secrets masked. Does not connect to them."))
def list_(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    servers = _servers().list_servers()
    if as_json:
        print_json([s.public_dict() for s in servers])
        return
    if not servers:
        typer.echo(
            _("No MCP servers yet. Add one: drupe mcp add NAME -- COMMAND [ARGS...]  or  drupe mcp add NAME --url URL")
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(_("Name"), _("Transport"), _("Enabled"), _("Approval"), _("Command or URL"), box=None)
    for server in servers:
        state = _("on") if server.enabled else _("off")
        table.add_row(server.name, server.transport, state, server.approval, _target(server))
    Console().print(table)


def _target(server: McpServer) -> str:
    import shlex

    if server.transport == "stdio":
        return shlex.join([server.command, *server.args])
    return str(server.public_dict()["url"])


APPROVAL_SHOWN = {
    "ask": N_("ask (each call waits for your approval)"),
    "always": N_("always (calls run without asking)"),
}


def _settings(server: McpServer) -> list[tuple[str, str]]:
    shown = server.public_dict()
    approval = APPROVAL_SHOWN.get(server.approval)
    fields = [
        (_("Name"), server.name),
        (_("Transport"), server.transport),
        (_("Enabled"), _("on") if server.enabled else _("off")),
        (_("Command") if server.transport == "stdio" else "URL", _target(server)),
        (_("Timeout"), _("{seconds} s", seconds=f"{server.timeout:g}")),
        (_("Approval"), _(approval) if approval else server.approval),
    ]
    fields += [(_("Env"), f"{key}={value}") for key, value in shown["env"].items()]
    fields += [(_("Header"), f"{key}: {value}") for key, value in shown["headers"].items()]
    if server.secrets_unreadable:
        fields.append((_("Secrets"), _("cannot be decrypted with the current secret key; restore the original one")))
    return fields


def _tool_lines(info: ServerInfo) -> list[str]:
    lines = []
    for tool in info.tools:
        lines.append(
            f"  {tool.name}: {tool.description.strip().splitlines()[0] if tool.description.strip() else ''}".rstrip(
                ": "
            )
        )
        for p in tool.parameters():
            need = _("required") if p.required else _("optional")
            about = f" — {p.description}" if p.description else ""
            lines.append(f"      {p.name} ({p.type}, {need}){about}")
    return lines or ["  " + _("(none)")]


@app.command(help=_("Show a server's settings (secrets masked), then connect: its status and tools, or the error."))
def show(name: str, as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    from dataclasses import asdict

    from drupe.errors import DrupeError
    from drupe.tools.client import server_info

    server = _servers().get(name)
    info = error = None
    if server.enabled:
        try:
            info = _run(server_info(server))
        except DrupeError as exc:
            error = exc
    if as_json:
        status = "connected" if info else "error" if error else "disabled"
        print_json({
            **server.public_dict(), "status": status, "error": str(error) if error else None,
            "server_info": {"name": info.name, "version": info.version} if info else None,
            "tools": [asdict(t) for t in info.tools] if info else [],
        })  # fmt: skip
    else:
        fields = _settings(server)
        if info:
            connected = _("connected ({name} {version})", name=info.name, version=info.version)
            fields += [(_("Status"), connected.replace(" )", ")")), (_("Tools"), str(len(info.tools)))]
        elif error:
            fields.append((_("Status"), _("error: {message}", message=str(error))))
        else:
            fields.append((_("Status"), _("disabled (drupe mcp enable {name})", name=server.name)))
        typer.echo("\n".join([labelled(fields, width=10), *(_tool_lines(info) if info else [])]))
    if error:
        raise typer.Exit(1)


@app.command(help=_("Connect to a server and list its tools with their parameters."))
def tools(name: str, as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    from dataclasses import asdict

    from drupe.tools.client import server_info

    info = _run(server_info(_servers().get(name)))
    if as_json:
        print_json([asdict(t) for t in info.tools])
        return
    typer.echo("\n".join(line[2:] if line.startswith("  ") else line for line in _tool_lines(info)))


@app.command(
    help=_(
        "Call one tool by hand and print its result (cut at 100,000 characters). Exits 1 when the tool reports an error."
    )
)
def call(
    name: str,
    tool: str,
    args: str = typer.Option("{}", "--args", help=_('The arguments as a JSON object, e.g. \'{"timezone": "UTC"}\'.')),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    from drupe.tools.client import MAX_RESULT_CHARS, call_tool, parse_arguments

    arguments = parse_arguments(args)
    result = _run(call_tool(_servers().get(name), tool, arguments))
    if as_json:
        print_json({"text": result.text, "is_error": result.is_error, "cut_chars": result.cut_chars})
    else:
        typer.echo(result.text)
        if result.cut_chars:
            cut = _(
                "[result cut at {most} characters: {more} more left out]",
                most=f"{MAX_RESULT_CHARS:,}", more=f"{result.cut_chars:,}",
            )  # fmt: skip
            typer.echo(cut, err=True)
        if result.is_error:
            typer.echo(_("error: tool {tool} reported an error (above).", tool=tool), err=True)
    if result.is_error:
        raise typer.Exit(1)


@app.command(help=_("Switch a server on."))
def enable(name: str) -> None:
    typer.echo(_("Enabled MCP server {name}.", name=_servers().enable(name).name))


@app.command(help=_("Switch a server off; its settings are kept."))
def disable(name: str) -> None:
    typer.echo(_("Disabled MCP server {name}.", name=_servers().disable(name).name))


@app.command(help=_("Remove a server and its settings."))
def remove(name: str, yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask."))) -> None:
    servers = _servers()
    server = servers.get(name)
    if not confirm(_("Remove MCP server {name}?", name=server.name), yes):
        typer.echo(_("Kept."))
        raise typer.Exit(1)
    servers.remove(server.id)
    typer.echo(_("Removed MCP server {name}.", name=server.name))

"""`drupe conversations …`: list, show, rename, delete (a conversation or one message), search and export.

IDs may be given as any prefix that matches a single conversation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drupe.cli.common import confirm, print_json

if TYPE_CHECKING:
    from drupe.chat import ChatService

app = typer.Typer(help="List, show, rename, delete, search and export conversations.", no_args_is_help=True)

ID_HELP = "A conversation id, or a prefix matching only one."


def open_service() -> ChatService:
    from drupe.chat import ChatService
    from drupe.store import open_store

    return ChatService(open_store())


@app.command("list")
def list_(
    limit: int = typer.Option(50, "--limit", "-n", help="How many, most recent first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List conversations, most recently active first."""
    found = open_service().list_conversations(limit=limit)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    if not found:
        typer.echo('No conversations yet. Start one: drupe chat "Hello"')
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("ID", "Updated", "Title", box=None)
    for c in found:
        table.add_row(c.id[:8], c.updated_at.strftime("%Y-%m-%d %H:%M"), c.title or "(untitled)")
    Console().print(table)


@app.command()
def show(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the current branch of a conversation, with the tool calls of its answers."""
    service = open_service()
    conversation = service.get_conversation(conversation_id)
    messages = service.history(conversation.id)
    if as_json:
        print_json({"conversation": conversation.to_dict(), "messages": [m.to_dict() for m in messages]})
        return
    from rich.console import Console
    from rich.markdown import Markdown

    from drupe.cli.render import attachment_lines, print_tool_steps

    console = Console(highlight=False)
    console.print(f"{conversation.title or '(untitled)'}  [{conversation.id}]", style="bold", markup=False)
    if conversation.settings.system_prompt:
        console.print(f"System: {conversation.settings.system_prompt}", style="dim", markup=False)
    if conversation.settings.reasoning:
        console.print(f"Reasoning: {conversation.settings.reasoning}", style="dim", markup=False)
    for param in conversation.settings.params:
        shown = param.value if param.type in ("text", "json") else json.dumps(param.value)
        console.print(f"Parameter: {param.name} = {shown} ({param.type})", style="dim", markup=False)
    for message in messages:
        who = "you" if message.role == "user" else f"{message.provider}/{message.model}"
        note = "" if message.status == "complete" else f" ({message.status})"
        console.print(f"── #{message.id} {who}{note}", style="bold" if message.role == "user" else "dim", markup=False)
        print_tool_steps(console, message)
        if message.reasoning:
            console.print(message.reasoning.strip(), style="dim italic", markup=False)
        console.print(Markdown(message.content))
        for line in attachment_lines(message.parts):
            console.print(line, style="cyan", markup=False)
        if message.error:
            console.print(f"error: {message.error}", style="red", markup=False)


@app.command()
def rename(conversation_id: str = typer.Argument(..., help=ID_HELP), title: str = typer.Argument(...)) -> None:
    """Give a conversation a new title."""
    conversation = open_service().rename_conversation(conversation_id, title)
    typer.echo(f"Renamed {conversation.id[:8]} to {conversation.title!r}.")


@app.command()
def delete(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete a conversation and all its messages."""
    service = open_service()
    conversation = service.get_conversation(conversation_id)
    if not confirm(f"Delete conversation {conversation.title or conversation.id[:8]!r} and all its messages?", yes):
        typer.echo("Kept.")
        raise typer.Exit(1)
    service.delete_conversation(conversation.id)
    typer.echo(f"Deleted conversation {conversation.id[:8]}.")


@app.command("delete-message")
def delete_message(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    message_id: int = typer.Argument(..., help="The message's number, as `drupe conversations show` prints it (#12)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete one message and everything under it (its answers, the turns after them)."""
    from drupe.errors import DrupeError

    service = open_service()
    conversation = service.get_conversation(conversation_id)
    message = service.get_message(message_id)
    if message.conversation_id != conversation.id:
        raise DrupeError(
            f"No message {message_id} in conversation {conversation.id[:8]}.",
            code="not_found", what="message", id=message_id,
        )  # fmt: skip
    what = "your message" if message.role == "user" else f"the answer from {message.provider}/{message.model}"
    preview = " ".join(message.content.split())[:60]
    if not confirm(f"Delete {what} #{message.id} ({preview!r}) and every message under it?", yes):
        typer.echo("Kept.")
        raise typer.Exit(1)
    removed = service.delete_message(message.id, conversation.id)
    under = len(removed) - 1
    typer.echo(f"Deleted message {message.id} and {under} message{'' if under == 1 else 's'} under it.")


@app.command()
def search(
    text: str,
    limit: int = typer.Option(50, "--limit", "-n"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find messages containing all the words of TEXT."""
    hits = open_service().search(text, limit=limit)
    if as_json:
        print_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        typer.echo(f"No messages match {text!r}.")
        return
    for hit in hits:
        snippet = " ".join(hit.snippet.split())
        typer.echo(f"{hit.conversation_id[:8]}  #{hit.message_id} {hit.role:9}  {hit.conversation_title}: {snippet}")


@app.command()
def export(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    format: str = typer.Option("md", "--format", "-f", help="md or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Export a conversation with every message, alternatives and branches included."""
    import json

    from drupe.errors import DrupeError

    service = open_service()
    if format == "md":
        text = service.export_markdown(conversation_id)
    elif format == "json":
        text = json.dumps(service.export_json(conversation_id), indent=2, ensure_ascii=False) + "\n"
    else:
        raise DrupeError(f"--format must be md or json, not {format!r}.", code="invalid", field="format")
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}.")

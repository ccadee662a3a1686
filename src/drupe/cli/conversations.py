"""`drupe conversations …`: list, show, rename, delete (a conversation or one message), search and export.

IDs may be given as any prefix that matches a single conversation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from drupe.cli.common import confirm, print_json
from drupe.i18n import _, ngettext

if TYPE_CHECKING:
    from drupe.chat import ChatService

app = typer.Typer(help=_("List, show, rename, delete, search and export conversations."), no_args_is_help=True)

ID_HELP = _("A conversation id, or a prefix matching only one.")


def open_service() -> ChatService:
    from drupe.chat import ChatService
    from drupe.store import open_store

    return ChatService(open_store())


@app.command("list", help=_("List conversations, most recently active first."))
def list_(
    limit: int = typer.Option(50, "--limit", "-n", help=_("How many, most recent first.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    found = open_service().list_conversations(limit=limit)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    if not found:
        typer.echo(_('No conversations yet. Start one: drupe chat "Hello"'))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("ID", _("Updated"), _("Title"), box=None)
    for c in found:
        table.add_row(c.id[:8], c.updated_at.strftime("%Y-%m-%d %H:%M"), c.title or "(untitled)")
    Console().print(table)


@app.command(help=_("Show the current branch of a conversation, with the tool calls of its answers."))
def show(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
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
    title = conversation.title or _("(untitled)")
    console.print(f"{title}  [{conversation.id}]", style="bold", markup=False)
    if conversation.settings.system_prompt:
        console.print(_("System: {prompt}", prompt=conversation.settings.system_prompt), style="dim", markup=False)
    if conversation.settings.reasoning:
        console.print(_("Reasoning: {effort}", effort=conversation.settings.reasoning), style="dim", markup=False)
    for param in conversation.settings.params:
        shown = param.value if param.type in ("text", "json") else json.dumps(param.value)
        line = _("Parameter: {name} = {value} ({type})", name=param.name, value=shown, type=param.type)
        console.print(line, style="dim", markup=False)
    for message in messages:
        who = _("you") if message.role == "user" else f"{message.provider}/{message.model}"
        note = "" if message.status == "complete" else f" ({message.status})"
        console.print(f"── #{message.id} {who}{note}", style="bold" if message.role == "user" else "dim", markup=False)
        print_tool_steps(console, message)
        if message.reasoning:
            console.print(message.reasoning.strip(), style="dim italic", markup=False)
        console.print(Markdown(message.content))
        for line in attachment_lines(message.parts):
            console.print(line, style="cyan", markup=False)
        if message.error:
            console.print(_("error: {message}", message=message.error), style="red", markup=False)


@app.command(help=_("Give a conversation a new title."))
def rename(conversation_id: str = typer.Argument(..., help=ID_HELP), title: str = typer.Argument(...)) -> None:
    conversation = open_service().rename_conversation(conversation_id, title)
    typer.echo(_("Renamed {id} to {title}.", id=conversation.id[:8], title=repr(conversation.title)))


@app.command(help=_("Delete a conversation and all its messages."))
def delete(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask.")),
) -> None:
    service = open_service()
    conversation = service.get_conversation(conversation_id)
    question = _(
        "Delete conversation {name} and all its messages?", name=repr(conversation.title or conversation.id[:8])
    )
    if not confirm(question, yes):
        typer.echo(_("Kept."))
        raise typer.Exit(1)
    service.delete_conversation(conversation.id)
    typer.echo(_("Deleted conversation {id}.", id=conversation.id[:8]))


@app.command(
    "delete-message", help=_("Delete one message and everything under it (its answers, the turns after them).")
)
def delete_message(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    message_id: int = typer.Argument(
        ..., help=_("The message's number, as `drupe conversations show` prints it (#12).")
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask.")),
) -> None:
    from drupe.errors import DrupeError

    service = open_service()
    conversation = service.get_conversation(conversation_id)
    message = service.get_message(message_id)
    if message.conversation_id != conversation.id:
        raise DrupeError(
            _("No message {id} in conversation {conversation}.", id=message_id, conversation=conversation.id[:8]),
            code="not_found", what="message", id=message_id,
        )  # fmt: skip
    preview = repr(" ".join(message.content.split())[:60])
    if message.role == "user":
        question = _(
            "Delete your message #{id} ({preview}) and every message under it?", id=message.id, preview=preview
        )
    else:
        question = _(
            "Delete the answer from {model} #{id} ({preview}) and every message under it?",
            model=f"{message.provider}/{message.model}", id=message.id, preview=preview,
        )  # fmt: skip
    if not confirm(question, yes):
        typer.echo(_("Kept."))
        raise typer.Exit(1)
    removed = service.delete_message(message.id, conversation.id)
    under = len(removed) - 1
    typer.echo(
        ngettext(
            "Deleted message {id} and {n} message under it.",
            "Deleted message {id} and {n} messages under it.",
            under,
            id=message.id,
        )
    )


@app.command(help=_("Find messages containing all the words of TEXT."))
def search(
    text: str,
    limit: int = typer.Option(50, "--limit", "-n"),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    hits = open_service().search(text, limit=limit)
    if as_json:
        print_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        typer.echo(_("No messages match {text}.", text=repr(text)))
        return
    for hit in hits:
        snippet = " ".join(hit.snippet.split())
        typer.echo(f"{hit.conversation_id[:8]}  #{hit.message_id} {hit.role:9}  {hit.conversation_title}: {snippet}")


@app.command(help=_("Export a conversation with every message, alternatives and branches included."))
def export(
    conversation_id: str = typer.Argument(..., help=ID_HELP),
    format: str = typer.Option("md", "--format", "-f", help=_("md or json.")),
    output: Path | None = typer.Option(None, "--output", "-o", help=_("Write to this file instead of stdout.")),
) -> None:
    import json

    from drupe.errors import DrupeError

    service = open_service()
    if format == "md":
        text = service.export_markdown(conversation_id)
    elif format == "json":
        text = json.dumps(service.export_json(conversation_id), indent=2, ensure_ascii=False) + "\n"
    else:
        raise DrupeError(
            _("--format must be md or json, not {value}.", value=repr(format)), code="invalid", field="format"
        )
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(_("Wrote {path}.", path=output))

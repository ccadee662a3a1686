"""`drupe chat`: one turn from the command line (or a pipe), or an interactive session.

Ctrl-C while an answer streams (or a tool runs, or the terminal asks about a call) cancels the
turn's task; the chat service's cancellation handling stores the answer as `stopped` with its
partial text and its tool calls. A second Ctrl-C leaves. The exit code is 1 when an answer
failed, was cut off, hit the size cap or the cap on rounds of tool calls, or could not be saved.
Tools: `drupe.cli.tooluse` (which ones, who approves), `drupe.cli.cards` (how calls are shown).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from drupe.i18n import _

TOOLS_HELP = _(
    "MCP servers (NAME) or single tools (NAME.TOOL) the model may call, comma-separated; `all` for every "
    "enabled server, `none` to turn tools off. Kept on the conversation."
)

REASONING_HELP = _(
    "How hard a reasoning model thinks: off, low, medium, high, or default for the provider's own. "
    "Kept on the conversation."
)
PARAM_HELP = _(
    "A field added to every request body, over the provider's own extra fields; repeat for more. "
    'VALUE is read as JSON when it parses (20, true, "text", {...}, null removes a provider field), '
    "else taken as text. Kept on the conversation."
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from drupe.chat import ChatService, MessageRecord, TurnEvent
    from drupe.chat.attachments import Part
    from drupe.chat.service import Content
    from drupe.cli.render import TurnView
    from drupe.cli.tooluse import TerminalApprover


@dataclass
class TurnOutcome:
    """What a turn left in the store, and whether the user asked to leave."""

    user_message_id: int | None = None
    answers: list[MessageRecord] = field(default_factory=list)
    save_errors: dict[int, str] = field(default_factory=dict)
    """Answers the store refused even after retries, by id: what went wrong."""
    cleaned: int = 0
    """Characters removed from or replaced in the user's message so it could be stored."""
    interrupted: bool = False
    leave: bool = False

    @property
    def failed(self) -> bool:
        """An answer that is not whole, or not kept: the caller must not take it as success."""
        incomplete = ("error", "cut_off", "size_limit", "step_limit")
        return bool(self.save_errors) or any(
            answer.status == "error" or answer.stop_reason in incomplete for answer in self.answers
        )


def chat(
    prompt: str | None = typer.Argument(None, help=_("The message. Text piped on stdin is added before it.")),
    provider: str | None = typer.Option(None, "--provider", "-p", help=_("The provider (name or id).")),
    model: list[str] = typer.Option(
        [], "--model", "-m", help=_("A model ID or PROVIDER/MODEL; repeat to ask several models at once.")
    ),
    system: str | None = typer.Option(None, "--system", "-s", help=_("System prompt for the conversation.")),
    temperature: float | None = typer.Option(None, "--temperature", help=_("0–2; default: the provider's.")),
    top_p: float | None = typer.Option(None, "--top-p", help=_("0–1; default: the provider's.")),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help=_("Longest answer, in tokens.")),
    continue_: bool = typer.Option(
        False,
        "--continue",
        "-c",
        help=_("Continue the most recent conversation, with the model(s) of its last answer."),
    ),
    conversation: str | None = typer.Option(
        None,
        "--conversation",
        help=_("Continue this conversation (id or prefix), with the model(s) of its last answer."),
    ),
    no_stream: bool = typer.Option(False, "--no-stream", help=_("Wait for the whole answer instead of streaming.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print the stored answer(s) as JSON.")),
    tools: str | None = typer.Option(None, "--tools", metavar="NAME[,NAME...]", help=TOOLS_HELP),
    max_tool_steps: int | None = typer.Option(
        None,
        "--max-tool-steps",
        help=_("Rounds of tool calls one answer may make (default 10). Kept on the conversation."),
    ),
    reasoning: str | None = typer.Option(
        None, "--reasoning", metavar="off|low|medium|high|default", help=REASONING_HELP
    ),
    param: list[str] = typer.Option([], "--param", metavar="NAME=VALUE", help=PARAM_HELP),
    clear_params: bool = typer.Option(
        False, "--clear-params", help=_("Remove the conversation's parameters (before any --param given).")
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Run every tool call of this command without asking.")),
    continue_answer: bool = typer.Option(
        False,
        "--continue-answer",
        help=_(
            "Have the model go on with the conversation's last answer, which stopped at its token limit "
            "(the most recent conversation, or --conversation). Takes no prompt."
        ),
    ),
    attach: list[Path] = typer.Option(
        [], "--attach", "-a", metavar="FILE", help=_("Attach a text, code, PDF or image file; repeat for several.")
    ),
) -> None:
    import asyncio

    from drupe.chat import ChatService
    from drupe.errors import DrupeError
    from drupe.store import open_store

    text = _prompt_text(prompt)
    files = _attached(attach)
    if files and text is None:
        text = ""  # the files alone are the message
    if continue_answer and (text is not None or provider or model):
        raise DrupeError(
            _("--continue-answer takes no prompt, file, --provider or --model: the answer's own model goes on with it."),
            code="invalid", field="continue_answer",
        )  # fmt: skip
    if text is None and not continue_answer and not sys.stdin.isatty():
        raise DrupeError(_("No prompt: give one as an argument or pipe text on stdin."), code="invalid", field="prompt")
    service = ChatService(open_store())
    given: dict[str, Any] = {
        "system_prompt": system,
        "temperature": temperature,
        "top_p": top_p,
        "max_tokens": max_tokens,
    }
    settings = {key: value for key, value in given.items() if value is not None}
    settings.update(_tool_settings(tools, max_tool_steps))
    settings.update(_reasoning_setting(reasoning))
    going_on = conversation or continue_ or continue_answer
    conversation_id = _conversation_to_continue(service, conversation) if going_on else None
    settings.update(_param_settings(service, conversation_id, param, clear_params))
    _check_settings(settings)
    if continue_answer:
        assert conversation_id is not None
        outcome = asyncio.run(
            _go_on(service, conversation_id, settings, stream=not no_stream, as_json=as_json, yes=yes)
        )
    elif text is None:
        from drupe.cli.interactive import run_session

        targets = _targets(service, conversation_id, provider, model)
        asyncio.run(run_session(service, targets, conversation_id, settings, stream=not no_stream, yes=yes))
        return
    else:
        targets = _targets(service, conversation_id, provider, model)
        conversation_id, outcome = asyncio.run(
            _one_turn(
                service,
                conversation_id,
                settings,
                with_files(text, files),
                targets,
                stream=not no_stream,
                as_json=as_json,
                yes=yes,
            )
        )
    if as_json:
        from drupe.cli.common import print_json

        print_json({
            "conversation_id": conversation_id,
            "user_message_id": outcome.user_message_id,
            "answers": [
                {**a.to_dict(), "cost": service.cost(a), "save_error": _save_error(outcome, a)} for a in outcome.answers
            ],
        })  # fmt: skip
        report(service, outcome, stats=False)
    else:
        report(service, outcome)
    if outcome.interrupted:
        raise typer.Exit(130)
    if outcome.failed:
        raise typer.Exit(1)


def _targets(service: ChatService, conversation_id: str | None, provider: str | None, model: list[str]) -> list[Any]:
    """The models named, else (going on with a conversation) the ones it was talking to, else the default."""
    if conversation_id is not None and provider is None and not model:
        return service.continue_targets(conversation_id)
    return service.resolve_targets(provider, model)


async def _one_turn(
    service: ChatService,
    conversation_id: str | None,
    settings: dict[str, Any],
    content: Content,
    targets: list[Any],
    *,
    stream: bool,
    as_json: bool,
    yes: bool,
) -> tuple[str, TurnOutcome]:
    """Check the tools, store the settings, run the turn; then stop the MCP servers it started."""
    from drupe.cli.tooluse import TerminalApprover, approver_for, prepare

    try:
        await prepare(service, conversation_id, settings, off="--tools none")
        if conversation_id is None:
            from drupe.chat import ConversationSettings

            conversation_id = service.create_conversation(settings=ConversationSettings(**settings)).id
        approver = approver_for(yes)
        events = service.send(conversation_id, content, targets, stream=stream, approver=approver)
        asker = approver if isinstance(approver, TerminalApprover) else None
        return conversation_id, await run_turn(service, events, make_view(as_json), asker)
    finally:
        await service.aclose()


async def _go_on(
    service: ChatService, conversation_id: str, settings: dict[str, Any], *, stream: bool, as_json: bool, yes: bool
) -> TurnOutcome:
    """The conversation's last answer (its current leaf), cut at the token limit, continued by its model."""
    from drupe.cli.tooluse import TerminalApprover, approver_for, prepare
    from drupe.errors import DrupeError

    try:
        await prepare(service, conversation_id, settings, off="--tools none")
        leaf = service.get_conversation(conversation_id).current_leaf_id
        if leaf is None:
            raise DrupeError(
                _("This conversation has no answer to continue yet."), code="invalid", field="continue_answer"
            )
        approver = approver_for(yes)
        events = service.continue_answer(leaf, stream=stream, approver=approver)
        asker = approver if isinstance(approver, TerminalApprover) else None
        return await run_turn(service, events, make_view(as_json), asker)
    finally:
        await service.aclose()


def _attached(paths: list[Path]) -> list[Part]:
    """The files of `--attach`, read and checked before anything is stored or sent."""
    if not paths:
        return []
    from drupe.chat.attachments import check_message, read_path

    files: list[Part] = [read_path(path) for path in paths]
    check_message(files)
    return files


def with_files(text: str, files: list[Part]) -> Content:
    """The message: its text, then the files attached (if any)."""
    if not files:
        return text
    from drupe.protocols.base import TextPart

    return (TextPart(text), *files) if text.strip() else tuple(files)


def _tool_settings(tools: str | None, max_tool_steps: int | None) -> dict[str, Any]:
    """`--tools` and `--max-tool-steps` as conversation settings."""
    from drupe.cli.tooluse import parse_tools

    settings: dict[str, Any] = {}
    if tools is not None:
        settings["tools"] = parse_tools(tools)
    if max_tool_steps is not None:
        settings["max_tool_steps"] = max_tool_steps
    return settings


def _reasoning_setting(reasoning: str | None) -> dict[str, Any]:
    """`--reasoning` as a setting: `default` unsets it; a word it does not know is refused."""
    from drupe.errors import DrupeError

    if reasoning is None:
        return {}
    word = reasoning.strip().lower()
    if word == "default":
        return {"reasoning": None}
    if word not in ("off", "low", "medium", "high"):
        raise DrupeError(
            _("--reasoning takes off, low, medium, high or default, not {value}.", value=repr(reasoning)),
            code="invalid", field="reasoning", value=reasoning,
        )  # fmt: skip
    return {"reasoning": word}


def _param_settings(service: ChatService, conversation_id: str | None, given: list[str], clear: bool) -> dict[str, Any]:
    """`--param` and `--clear-params` as the conversation's whole list: those given are set over
    the stored ones by name (all of them gone first with `--clear-params`)."""
    from drupe.chat.params import merged_params, param_from_text

    if not given and not clear:
        return {}
    stored = () if clear or conversation_id is None else service.get_conversation(conversation_id).settings.params
    return {"params": merged_params(stored, [param_from_text(text) for text in given])}


def _check_settings(settings: dict[str, Any]) -> None:
    """Every setting given in range before anything starts (an MCP server, a conversation)."""
    from drupe.chat import ConversationSettings
    from drupe.chat.repository import checked_settings

    checked_settings(ConversationSettings(**settings))


def _save_error(outcome: TurnOutcome, answer: MessageRecord) -> dict[str, str] | None:
    error = outcome.save_errors.get(answer.id)
    return None if error is None else {"kind": "storage", "message": error}


def _prompt_text(prompt: str | None) -> str | None:
    """The argument, with piped stdin (if any) before it; None when neither gives text."""
    piped = "" if sys.stdin.isatty() else sys.stdin.read()
    pieces = [piece for piece in (piped.strip("\n"), prompt) if piece and piece.strip()]
    return "\n\n".join(pieces) if pieces else None


def _conversation_to_continue(service: ChatService, conversation: str | None) -> str:
    from drupe.errors import DrupeError

    if conversation:
        return service.get_conversation(conversation).id
    recent = service.list_conversations(limit=1)
    if not recent:
        raise DrupeError(_("No conversation to continue yet: start one with `drupe chat PROMPT`."), code="not_found")
    return recent[0].id


def make_view(as_json: bool) -> TurnView:
    from drupe.cli import render

    if as_json:
        return render.SilentView()
    if sys.stdout.isatty():
        from rich.console import Console

        return render.LiveView(Console())
    return render.PipeView()


async def run_turn(
    service: ChatService, events: AsyncIterator[TurnEvent], view: TurnView, asker: TerminalApprover | None = None
) -> TurnOutcome:
    """Consume a turn into `view`. The first SIGINT cancels it (answers stored `stopped`);
    another one, while that settles or later, sets `leave`. `asker`: the approver the turn
    was sent with, when it asks on the terminal (it waits for the view to show each call)."""
    import asyncio
    import signal

    from drupe.chat import AnswerDelta, AnswerFinished, AnswerStarted, UserSaved
    from drupe.chat.events import ToolCallUpdate

    if asker is not None:
        asker.watch(view)

    outcome = TurnOutcome()
    answer_ids: list[int] = []
    finished: dict[int, MessageRecord] = {}

    async def consume() -> None:
        async for event in events:
            if isinstance(event, UserSaved):
                outcome.user_message_id = event.message.id
                outcome.cleaned = event.cleaned
            elif isinstance(event, AnswerStarted):
                answer_ids.append(event.answer_id)
                view.started(event.answer_id, f"{event.provider}/{event.model}")
            elif isinstance(event, AnswerDelta):
                view.delta(event.answer_id, event.event)
            elif isinstance(event, ToolCallUpdate):
                view.tool(event)
                if asker is not None:
                    asker.shown(event)
            elif isinstance(event, AnswerFinished):
                finished[event.answer.id] = event.answer  # as stored, or held in memory if the store refused it
                if event.save_error is not None:
                    outcome.save_errors[event.answer.id] = event.save_error
                view.finished(event.answer)

    task = asyncio.create_task(consume())
    untitled = False  # Ctrl-C once every answer is in skips only the title (drupe.chat.titles)

    def interrupt() -> None:
        nonlocal untitled
        if answer_ids and len(finished) == len(answer_ids) and not outcome.interrupted and not untitled:
            untitled = True
            task.cancel()
            return
        if outcome.interrupted:
            outcome.leave = True
        outcome.interrupted = True
        task.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        await task
    except asyncio.CancelledError:
        if not outcome.interrupted and not untitled:
            raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        view.close()
    outcome.answers = [finished.get(answer_id) or service.get_message(answer_id) for answer_id in answer_ids]
    return outcome


def report(service: ChatService, outcome: TurnOutcome, *, stats: bool = True) -> None:
    """On stderr: a note if the message had to be cleaned, one dim stats line per answer,
    why an answer stopped if it did not simply finish, each error with a hint, and how to allow
    tool calls that did not run for want of a terminal to ask on."""
    from drupe.cli.render import cleaned_line, error_lines, save_error_lines, stats_line, stop_line
    from drupe.cli.tooluse import denied_note

    lines: list[tuple[str, str]] = []
    if outcome.cleaned:
        lines.append((cleaned_line(outcome.cleaned), "yellow"))
    for answer in outcome.answers:
        if stats:
            lines.append((stats_line(answer, service.cost(answer)), "dim"))
            stopped = stop_line(answer)
            if stopped:
                lines.append((stopped, "yellow"))
            if answer.status == "error":
                lines += [(line, "yellow" if index else "red") for index, line in enumerate(error_lines(answer))]
        if answer.id in outcome.save_errors:
            problem = save_error_lines(answer, outcome.save_errors[answer.id])
            lines += [(line, "yellow" if index else "red") for index, line in enumerate(problem)]
    denied = denied_note(outcome.answers)
    if denied:
        lines.append((denied, "yellow"))
    if not lines:
        return
    if not sys.stderr.isatty():  # plain text, and no Rich to import (~20 ms of a one-shot chat)
        sys.stderr.write("".join(f"{text}\n" for text, _style in lines))
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for text, style in lines:
        console.print(text, style=style, markup=False)


def register(app: typer.Typer) -> None:
    app.command(
        "chat", help=_("Chat with one or more models. Without PROMPT on a terminal, starts an interactive session.")
    )(chat)

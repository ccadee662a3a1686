"""Tools in `drupe chat`: which ones a conversation may use (`--tools`, `/tools`), checked before
anything is sent, and who approves a call (`drupe.chat.approval`).

- `--yes`: every call of the command runs.
- A terminal (stdin and stderr are one): the user is asked, `Run server.tool {...}? [y/N/a]`, one
  question at a time, with the answer's display held (`drupe.cli.render.TurnView.hold`) so no
  streamed text runs into it. The answer is read from the terminal with the event loop's reader,
  not a blocking read: Ctrl-C still stops the turn (the call is kept as cancelled), and a read
  left unanswered does not keep the process alive.
- Neither: no approver; nothing that needs approval runs, the model is told so, and the chat
  says once on stderr how to allow calls (`denied_note`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drupe.errors import DrupeError
from drupe.i18n import _, ngettext

if TYPE_CHECKING:
    from drupe.chat import ChatService, MessageRecord
    from drupe.chat.approval import Approver, Decision
    from drupe.chat.events import ToolCallUpdate
    from drupe.chat.records import ToolCallRecord
    from drupe.cli.render import TurnView

SHOWN_WAIT = 2.0
"""Seconds a question waits for the view to show what came before the call (it takes a moment;
past this the question is asked anyway rather than never)."""


def parse_tools(value: str) -> tuple[str, ...]:
    """`--tools` as the conversation stores it: the names in order, once each; () for `none`."""
    items = list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
    lowered = [item.lower() for item in items]
    if not items:
        raise DrupeError(
            _(
                "Give --tools the MCP servers to use, like --tools time or --tools time,fetch.get "
                "(or all, or none to turn tools off)."
            ),
            code="invalid", field="tools",
        )  # fmt: skip
    if "none" in lowered:
        if len(items) > 1:
            raise DrupeError(_("--tools none turns tools off: give it alone."), code="invalid", field="tools")
        return ()
    return ("all",) if "all" in lowered else tuple(items)


async def check_tools(service: ChatService, selection: Sequence[str], *, stored: bool, off: str) -> None:
    """Reach the servers of `selection` before anything is sent: a name that is not a server or
    tool, a disabled server, a server that cannot start fail here, with nothing stored. The
    servers started stay running for the turn (the service's toolbox keeps them).

    `stored`: the selection is the conversation's, not typed now; the error then says how to
    chat without it (`off`: `--tools none` or `/tools none`)."""
    try:
        await service.check_tools(selection)
    except DrupeError as exc:
        if not stored:
            raise
        from drupe.cli.errors import describe

        raise DrupeError(
            _(
                "This conversation's tools ({tools}) cannot be used: {problem} To chat without them: {off}.",
                tools=", ".join(selection), problem=describe(exc), off=off,
            ),
            code="invalid", field="tools",
        ) from exc  # fmt: skip


async def prepare(service: ChatService, conversation_id: str | None, settings: dict[str, Any], *, off: str) -> None:
    """Before a chat's first turn: check its tools (those given now, else the conversation's),
    then store the settings given on an existing conversation (a new one is made with them)."""
    if "tools" in settings:
        await check_tools(service, settings["tools"], stored=False, off=off)
    elif conversation_id is not None:
        await check_tools(service, service.get_conversation(conversation_id).settings.tools, stored=True, off=off)
    if conversation_id is not None and settings:
        service.update_settings(conversation_id, **settings)


def describe_tools(service: ChatService, conversation_id: str | None, settings: dict[str, Any]) -> str:
    """One line: the tools on, those always allowed here, and the step cap."""
    from drupe.chat.records import DEFAULT_MAX_TOOL_STEPS

    if conversation_id is not None:
        stored = service.get_conversation(conversation_id).settings
        tools, allowed, steps = stored.tools, stored.allowed_tools, stored.max_tool_steps
    else:
        tools, allowed, steps = settings.get("tools", ()), (), settings.get("max_tool_steps")
    if not tools:
        return _("Tools: none (turn some on with /tools NAME[,NAME...] or /tools all; see drupe mcp list)")
    names, rounds = ", ".join(tools), steps or DEFAULT_MAX_TOOL_STEPS
    if allowed:
        return _(
            "Tools: {names} · at most {rounds} rounds of calls per answer · always allowed here: {allowed}",
            names=names, rounds=rounds, allowed=", ".join(allowed),
        )  # fmt: skip
    return _("Tools: {names} · at most {rounds} rounds of calls per answer", names=names, rounds=rounds)


# -- approval ---------------------------------------------------------------------------------


async def approve_all(answer_id: int, call: ToolCallRecord) -> Decision:
    """`--yes`: every call runs."""
    return "run"


def can_ask() -> bool:
    """A person is there to answer: stdin is a terminal, and stderr (where the question goes) too."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def approver_for(yes: bool) -> Approver | None:
    if yes:
        return approve_all
    return TerminalApprover() if can_ask() else None


def decision(answer: str) -> Decision:
    """`y`/`yes` runs it, `a`/`always` runs it and every later call of the tool here; anything
    else (Enter alone too) denies it."""
    word = answer.strip().lower()
    if word in ("y", "yes"):
        return "run"
    if word in ("a", "always"):
        return "always"
    return "deny"


class TerminalApprover:
    """Asks on the terminal. A question waits until the turn's view has shown what came before
    the call (`shown`, called by `drupe.cli.chat.run_turn` for each update), holds the view while
    it is asked, and questions of answers streaming at once are asked one after the other."""

    def __init__(self, fd: int | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.view: TurnView | None = None
        self._shown: dict[tuple[int, str], asyncio.Event] = {}
        self._asking: asyncio.Lock | None = None

    def watch(self, view: TurnView) -> None:
        """The view of the turn about to run (an interactive session makes one per turn)."""
        self.view = view

    def shown(self, update: ToolCallUpdate) -> None:
        if update.call.status == "awaiting":
            self._event(update.answer_id, update.call.id).set()

    def _event(self, answer_id: int, call_id: str) -> asyncio.Event:
        return self._shown.setdefault((answer_id, call_id), asyncio.Event())

    async def __call__(self, answer_id: int, call: ToolCallRecord) -> Decision:
        from drupe.cli.cards import question

        try:
            await asyncio.wait_for(self._event(answer_id, call.id).wait(), SHOWN_WAIT)
        except TimeoutError:
            pass
        finally:
            self._shown.pop((answer_id, call.id), None)
        if self._asking is None:
            self._asking = asyncio.Lock()
        async with self._asking:
            view = self.view
            if view is not None:
                view.hold()
            try:
                discard_typeahead(self.fd)
                sys.stderr.write(question(call))
                sys.stderr.flush()
                answer = await read_line(self.fd)
            except asyncio.CancelledError:
                sys.stderr.write("\n")  # Ctrl-C: what follows starts on a line of its own
                raise
            finally:
                if view is not None:
                    view.release()
        return decision(answer)


def discard_typeahead(fd: int) -> None:
    """Throw away what was typed before a question (while an answer streamed): it was not an answer to it."""
    import termios

    try:
        termios.tcflush(fd, termios.TCIFLUSH)
    except termios.error:
        pass


async def read_line(fd: int) -> str:
    """One line the user types on the terminal `fd`, read when the event loop sees it come: the
    loop keeps running meanwhile, and a cancelled read leaves nothing behind."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[bytes] = loop.create_future()

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not line.done():
            line.set_result(data)

    loop.add_reader(fd, readable)
    try:
        return (await line).decode(errors="replace")
    finally:
        loop.remove_reader(fd)


# -- what the chat says about calls that did not run -----------------------------------------


def denied_note(answers: Sequence[MessageRecord]) -> str | None:
    """When calls did not run for want of someone to ask: how to allow them, or None."""
    from drupe.chat.tooling import NOT_ASKED

    calls = [
        call
        for answer in answers
        for step in answer.tool_steps
        for call in step.calls
        if call.status == "denied" and call.result == NOT_ASKED
    ]
    if not calls:
        return None
    servers = list(dict.fromkeys(call.server for call in calls if call.server))
    always = "; ".join(f"`drupe mcp edit {server} --approval always`" for server in servers) or (
        "`drupe mcp edit NAME --approval always`"
    )
    return ngettext(
        "note: {n} tool call did not run: a call needs your approval, and there is no terminal to ask on "
        "(the model was told). Approve every call of a command with --yes, or set the server to always "
        "allow its tools: {always}.",
        "note: {n} tool calls did not run: a call needs your approval, and there is no terminal to ask on "
        "(the model was told). Approve every call of a command with --yes, or set the server to always "
        "allow its tools: {always}.",
        len(calls),
        always=always,
    )

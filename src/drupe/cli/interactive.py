"""The interactive `drupe chat` session: prompt_toolkit input, slash commands, streamed answers.

Enter sends; Esc then Enter (or Alt+Enter) starts a new line. Input history is kept in
DRUPE_HOME. The conversation is created with the first message, so an empty session
leaves nothing behind. Tool calls are approved on the terminal (`drupe.cli.tooluse`), or all
of them with `--yes`; the MCP servers the session started stop when it ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drupe.i18n import N_, _

if TYPE_CHECKING:
    from drupe.chat import ChatService, Target
    from drupe.chat.approval import Approver
    from drupe.chat.attachments import Part

HELP = N_("""Commands:
  /model [MODEL ...]   show the models answering, or switch (MODEL or PROVIDER/MODEL; several at once)
  /system [TEXT | -]   show the system prompt, set it, or clear it with -
  /tools [NAME,... | all | none]
                       show the MCP tools the model may call, or choose them (servers or server.tool)
  /attach [FILE | -]   attach a text, code, PDF or image file to your next message, list those
                       attached, or drop them with -
  /new                 start a new conversation
  /regenerate          answer the last message again (the old answer stays as an alternative)
  /edit                edit your last message and resend it (a new branch)
  /continue            have the model go on with the last answer, which stopped at its token limit
  /history             show the current branch of this conversation
  /exit                leave (so does Ctrl-D, or Ctrl-C at the prompt)
Enter sends; Esc then Enter adds a new line. Ctrl-C while an answer streams stops it.
A tool call asks first: y runs it, a runs it and the tool's later calls here, Enter denies it.""")


class Session:
    """The state of one interactive session: which conversation, which models, which settings."""

    def __init__(
        self,
        service: ChatService,
        targets: list[Target],
        conversation_id: str | None,
        settings: dict[str, Any],
        approver: Approver | None = None,
    ) -> None:
        from rich.console import Console

        self.service = service
        self.targets = targets
        self.conversation_id = conversation_id
        self.settings = settings
        self.approver = approver
        self.console = Console(highlight=False)
        self.attached: list[Part] = []
        """Files for the next message (`/attach`), sent with it and then dropped."""

    async def turn(self, events: Any) -> bool:
        """Run one turn; False when the user pressed Ctrl-C twice to leave."""
        from drupe.cli.chat import make_view, report, run_turn
        from drupe.cli.tooluse import TerminalApprover

        asker = self.approver if isinstance(self.approver, TerminalApprover) else None
        outcome = await run_turn(self.service, events, make_view(False), asker)
        report(self.service, outcome)
        return not outcome.leave

    async def choose_tools(self, arg: str) -> None:
        """`/tools`: show the tools, or choose them (checked before they are kept)."""
        from drupe.cli.tooluse import check_tools, describe_tools, parse_tools

        if arg:
            tools = parse_tools(arg)
            await check_tools(self.service, tools, stored=False, off="/tools none")
            self.settings["tools"] = tools
            if self.conversation_id:
                self.service.update_settings(self.conversation_id, tools=tools)
        self.console.print(describe_tools(self.service, self.conversation_id, self.settings), style="dim", markup=False)

    def attach(self, arg: str) -> None:
        """`/attach FILE`: read and check it now, so a bad file is said at once, not at sending."""
        from pathlib import Path

        from drupe.chat.attachments import check_message, read_path

        if arg == "-":
            self.attached = []
        elif arg:
            part = read_path(Path(arg).expanduser())
            check_message([*self.attached, part])
            self.attached.append(part)
        from drupe.cli.render import attachment_lines

        listed = "\n".join(attachment_lines(self.attached)) or _("(no files attached)")
        self.console.print(listed, style="dim", markup=False)

    def content(self, text: str) -> Any:
        """The next message: the text, with the files attached (then no longer pending)."""
        from drupe.cli.chat import with_files

        content, self.attached = with_files(text, self.attached), []
        return content

    def ensure_conversation(self) -> str:
        if self.conversation_id is None:
            from drupe.chat import ConversationSettings

            self.conversation_id = self.service.create_conversation(settings=ConversationSettings(**self.settings)).id
        return self.conversation_id

    def last_message(self, role: str) -> Any:
        if self.conversation_id is None:
            return None
        for message in reversed(self.service.history(self.conversation_id, limit=2)):
            if message.role == role:
                return message
        return None

    def show_history(self) -> None:
        from rich.markdown import Markdown

        from drupe.cli.render import attachment_lines, print_tool_steps

        if self.conversation_id is None:
            self.console.print(_("(no messages yet)"), style="dim")
            return
        for message in self.service.history(self.conversation_id):
            who = _("you") if message.role == "user" else f"{message.provider}/{message.model}"
            why = f", {message.stop_reason}" if message.stop_reason not in (None, "stop", "error") else ""
            self.console.print(f"── {who} ({message.status}{why})", style="bold" if message.role == "user" else "dim")
            print_tool_steps(self.console, message)
            self.console.print(Markdown(message.content))
            for line in attachment_lines(message.parts):
                self.console.print(line, style="cyan", markup=False)

    def command(self, line: str) -> str | None:
        """Handle a slash command that needs no answer; returns the name of one that does."""
        name, _sep, arg = line.partition(" ")
        arg = arg.strip()
        if name == "/model":
            if arg:
                self.targets = self.service.resolve_targets(None, arg.split())
            self.console.print(_("Models: {models}", models=", ".join(str(t) for t in self.targets)), style="dim")
        elif name == "/system":
            if arg:
                value = None if arg == "-" else arg
                self.settings["system_prompt"] = value
                if self.conversation_id:
                    self.service.update_settings(self.conversation_id, system_prompt=value)
            current = self.settings.get("system_prompt")
            if self.conversation_id:
                current = self.service.get_conversation(self.conversation_id).settings.system_prompt
            self.console.print(_("System prompt: {prompt}", prompt=current or _("(none)")), style="dim")
        elif name == "/new":
            self.conversation_id = None
            self.console.print(_("New conversation."), style="dim")
        elif name == "/history":
            self.show_history()
        elif name == "/attach":
            self.attach(arg)
        elif name in ("/regenerate", "/edit", "/continue", "/tools", "/exit", "/quit"):
            return name
        else:
            self.console.print(_(HELP), style="dim")
        return None


async def run_session(
    service: ChatService,
    targets: list[Target],
    conversation_id: str | None,
    settings: dict[str, Any],
    *,
    stream: bool = True,
    yes: bool = False,
) -> None:
    """The session, until /exit: its tools are checked and its settings stored first; the MCP
    servers its turns started are stopped at the end."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    from drupe import config
    from drupe.cli.tooluse import approver_for, prepare
    from drupe.protocols.client import Connections

    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(config.home() / "chat_history")), key_bindings=bindings
    )
    given, service.connections = service.connections, Connections()  # the session's turns share them
    try:
        await prepare(service, conversation_id, settings, off="--tools none")
        session = Session(service, targets, conversation_id, settings, approver_for(yes))
        await _converse(prompt, session, stream)
    finally:
        await service.aclose()
        await service.connections.aclose()
        service.connections = given


async def _converse(prompt: Any, session: Session, stream: bool) -> None:
    from drupe.cli.chat import with_files
    from drupe.cli.errors import describe
    from drupe.errors import DrupeError

    service, approver = session.service, session.approver
    session.console.print(
        _(
            "Chatting with {models}. /help for commands, /exit to leave.",
            models=", ".join(str(t) for t in session.targets),
        ),
        style="dim",
    )
    if session.conversation_id:
        session.show_history()
    while True:
        try:
            line = (await prompt.prompt_async("> ", prompt_continuation="… ")).strip()
        except (EOFError, KeyboardInterrupt):
            return
        if not line:
            continue
        try:
            action = session.command(line) if line.startswith("/") else "/send"
            if action in ("/exit", "/quit"):
                return
            events = None
            if action == "/tools":
                await session.choose_tools(line.partition(" ")[2].strip())
            elif action == "/send":
                conversation_id = session.ensure_conversation()
                content = session.content(line)
                events = service.send(conversation_id, content, session.targets, stream=stream, approver=approver)
            elif action == "/regenerate":
                answer = session.last_message("assistant")
                if answer is None:
                    raise DrupeError(_("Nothing to regenerate yet."), code="conflict", what="answer")
                events = service.regenerate(answer.id, session.targets, stream=stream, approver=approver)
            elif action == "/continue":
                answer = session.last_message("assistant")
                if answer is None:
                    raise DrupeError(_("Nothing to continue yet."), code="conflict", what="answer")
                events = service.continue_answer(answer.id, stream=stream, approver=approver)
            elif action == "/edit":
                asked = session.last_message("user")
                if asked is None:
                    raise DrupeError(_("Nothing to edit yet."), code="conflict", what="message")
                edited = await prompt.prompt_async("edit> ", default=asked.content, prompt_continuation="… ")
                new_text = edited.strip()
                if new_text:
                    kept = [part for part in asked.parts if part.type != "text"]  # its files go again
                    content = with_files(new_text, kept)
                    events = service.edit(asked.id, content, session.targets, stream=stream, approver=approver)
            if events is not None and not await session.turn(events):
                return
        except DrupeError as exc:
            session.console.print(_("error: {message}", message=describe(exc)), style="red", markup=False)

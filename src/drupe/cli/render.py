"""Showing answers as they arrive: Rich Live Markdown on a terminal, raw text in a pipe, or JSON.

Each view gets the same calls from the turn runner: `started`, `delta`, `tool` (a tool call
changed: its card goes to stderr, see `drupe.cli.cards`), `finished`, then `close`; and `hold` /
`release` around a question on the terminal, so no answer streams into it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from drupe.chat.events import ToolCallUpdate
from drupe.chat.records import MessageRecord
from drupe.cli.cards import ToolCards
from drupe.i18n import N_, _, ngettext
from drupe.protocols.base import ReasoningDelta, TextDelta

if TYPE_CHECKING:
    from drupe.chat.attachments import Part

COLUMN_MIN_WIDTH = 50
"""Side by side only when each answer gets at least this many columns."""

STOP_WORDS = {
    "length": N_("the answer reached the model's token limit (raise it with --max-tokens)"),
    "tool_calls": N_("the model ended its answer to call a tool, but no complete tool call came"),
    "content_filter": N_("the provider's content filter ended the answer"),
    "cut_off": N_("the provider's answer ended without saying it was finished (cut off)"),
    "size_limit": N_("size limit: the answer reached the most drupe keeps of one answer"),
    "cancelled": N_("you stopped it"),
    "interrupted": N_("drupe was stopped (a crash or kill) while the answer came; the text saved until then is kept"),
}
"""Why an answer ended, in words, for every stop reason but a normal finish (and errors, shown as such)."""

STEP_LIMIT_WORDS = N_(
    "the model made {rounds} rounds of tool calls (the cap); raise it with --max-tool-steps (kept on the conversation)"
)
NO_TOOLS_WORDS = N_(
    "the model asked to call a tool, but no tools are turned on for this conversation (turn some on with --tools)"
)

CONTINUE_HINT = N_(
    "To have {model} go on from where it stopped: `drupe chat --conversation {conversation} --continue-answer` "
    "(/continue in a session)."
)

SIZE_LIMIT_HINT = N_(
    "To keep longer answers from {provider}, raise its cap: "
    "`drupe provider edit {provider} --limit answer_chars=NUMBER` (see docs/reliability.md#limits)."
)


class TurnView(Protocol):
    def started(self, answer_id: int, label: str) -> None: ...
    def delta(self, answer_id: int, event: TextDelta | ReasoningDelta) -> None: ...
    def tool(self, update: ToolCallUpdate) -> None: ...
    def finished(self, answer: MessageRecord) -> None: ...
    def hold(self) -> None:
        """Show nothing until `release`: the terminal is asking the user something."""

    def release(self) -> None: ...
    def close(self) -> None: ...


def label(answer: MessageRecord) -> str:
    return f"{answer.provider}/{answer.model}"


def stats_line(answer: MessageRecord, cost: float | None) -> str:
    """model · tokens in/out · time to first token · tokens/s · cost, and the status if not complete."""
    pieces = [label(answer)]
    if answer.input_tokens is not None or answer.output_tokens is not None:
        pieces.append(
            _("{input} in / {output} out", input=_count(answer.input_tokens), output=_count(answer.output_tokens))
        )
    if answer.time_to_first_token_ms is not None:
        pieces.append(_("first token {ms} ms", ms=f"{answer.time_to_first_token_ms:.0f}"))
    if answer.tokens_per_second is not None:
        pieces.append(_("{rate} tok/s", rate=f"{answer.tokens_per_second:.1f}"))
    if cost is not None:
        pieces.append(f"${cost:.6f}".rstrip("0").rstrip(".") if cost else "$0")
    if answer.left_out:
        pieces.append(left_out_words(answer.left_out))
    if answer.stop_reason == "length":
        pieces.append(_("stopped: token limit"))
    elif answer.status != "complete":
        pieces.append(answer.status)
    return " · ".join(pieces)


def left_out_words(count: int) -> str:
    return ngettext(
        "{n} earlier message left out to fit the context window",
        "{n} earlier messages left out to fit the context window",
        count,
    )


def error_lines(answer: MessageRecord) -> list[str]:
    """The stored error, and for a provider failure what to try (`drupe.hints`) and the command for it."""
    from drupe.cli.errors import provider_hint
    from drupe.hints import HINTS

    lines = [_("error: {model}: {message}", model=label(answer), message=answer.error)]
    if answer.error_kind in HINTS:
        hint = provider_hint(
            answer.error_kind, answer.provider or "", model=answer.model or "", conversation=answer.conversation_id
        )
        lines.append(_("hint: {hint}", hint=hint))
    return lines


def stop_line(answer: MessageRecord) -> str | None:
    """Why the answer stopped, unless it simply finished or failed (its error says why)."""
    if answer.role != "assistant" or answer.status in ("error", "streaming") or answer.stop_reason == "stop":
        return None
    if answer.stop_reason is None:
        if answer.status != "stopped":
            return None
        return _("stopped: {model}: ended before it finished", model=label(answer))
    if answer.stop_reason == "step_limit":  # the last round is the one refused at the cap
        rounds = len(answer.tool_steps) - 1
        words = _(STEP_LIMIT_WORDS, rounds=rounds) if rounds > 0 else _(NO_TOOLS_WORDS)
    else:
        known = STOP_WORDS.get(answer.stop_reason)
        words = _(known) if known else _("the provider gave {reason} as the reason", reason=repr(answer.stop_reason))
    line = _("stopped: {model}: {why}", model=label(answer), why=words)
    if answer.stop_reason == "size_limit":
        line += "\n" + _("hint: {hint}", hint=_(SIZE_LIMIT_HINT, provider=answer.provider))
    if answer.stop_reason == "length":
        hint = _(CONTINUE_HINT, model=answer.model, conversation=answer.conversation_id)
        line += "\n" + _("hint: {hint}", hint=hint)
    return line


def full_text(answer: MessageRecord) -> str:
    """What the model said in the whole answer: each round's text before its tool calls, then the final text."""
    pieces = [step.text for step in answer.tool_steps if step.text.strip()]
    return "\n\n".join([*pieces, answer.content] if answer.content or not pieces else pieces)


def attachment_lines(parts: Iterable[Part]) -> list[str]:
    """A line for each file or image among a message's parts: `📎 notes.txt (1.2 KB, text/plain)`."""
    from drupe.chat.attachments import FilePart, describe_size

    return [
        f"📎 {part.name} ({describe_size(part.size)}, {part.media_type})"
        if isinstance(part, FilePart)
        else f"🖼 image ({part.media_type})"
        for part in parts
        if part.type != "text"
    ]


def print_tool_steps(console: Any, message: MessageRecord) -> None:
    """A stored answer's rounds of tool calls, to print before its final text: each round's
    reasoning and text, then its calls as cards."""
    from rich.markdown import Markdown

    from drupe.cli.cards import stored_lines

    for step in message.tool_steps:
        if step.reasoning.strip():
            console.print(step.reasoning.strip(), style="dim italic", markup=False)
        if step.text.strip():
            console.print(Markdown(step.text))
        for call in step.calls:
            for line, style in stored_lines(call, console.width):
                console.print(line, style=style, markup=False, highlight=False)


def save_error_lines(answer: MessageRecord, problem: str) -> list[str]:
    return [
        _("error: {model}: the answer could not be saved ({problem})", model=label(answer), problem=problem),
        _(
            "hint: The answer is shown above but is not stored. Check free disk space and the database "
            "(DRUPE_HOME or DRUPE_DATABASE_URL); an interactive session tries again with its next message."
        ),
    ]


def cleaned_line(count: int) -> str:
    return ngettext(
        "note: removed {n} character no database can store (NUL or a broken surrogate) from your message",
        "note: removed {n} characters no database can store (NUL or a broken surrogate) from your message",
        count,
    )


def _unless_complete(status: str | None) -> str | None:
    return None if status == "complete" else status


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


class PipeView:
    """Plain text for pipes: one answer streams straight to stdout; several are printed
    whole, labelled, once all have finished. Reasoning is left out."""

    def __init__(self) -> None:
        self.labels: dict[int, str] = {}
        self.texts: dict[int, str] = {}
        self.steps: dict[int, int] = {}
        self.cards = ToolCards()

    def started(self, answer_id: int, label: str) -> None:
        self.labels[answer_id] = label
        self.texts[answer_id] = ""

    def delta(self, answer_id: int, event: TextDelta | ReasoningDelta) -> None:
        if isinstance(event, ReasoningDelta):
            return
        self.texts[answer_id] += event.text
        if len(self.labels) == 1:
            sys.stdout.write(event.text)
            sys.stdout.flush()

    def tool(self, update: ToolCallUpdate) -> None:
        """The card on stderr; the text of the round before it ends its line on stdout, so the
        next round's text starts on a line of its own."""
        answer_id = update.answer_id
        if self.steps.get(answer_id, -1) < update.step:
            self.steps[answer_id] = update.step
            text = self.texts.get(answer_id, "")
            if text and not text.endswith("\n"):
                self.texts[answer_id] += "\n"
                if len(self.labels) == 1:
                    sys.stdout.write("\n")
                    sys.stdout.flush()
        self.cards.show(update, f"{self.labels[answer_id]}: " if len(self.labels) > 1 else "")

    def finished(self, answer: MessageRecord) -> None:
        self.texts[answer.id] = full_text(answer)

    def hold(self) -> None:
        """Nothing to hold: one answer waits for the question; several are printed at the end."""

    def release(self) -> None:
        pass

    def close(self) -> None:
        if len(self.labels) == 1:
            if any(self.texts.values()):
                sys.stdout.write("\n")
        else:
            for answer_id, name in self.labels.items():
                sys.stdout.write(f"## {name}\n\n{self.texts[answer_id].rstrip()}\n\n")
        sys.stdout.flush()


class SilentView:
    """For `--json`: nothing while streaming; the stored answers are printed afterwards."""

    def started(self, answer_id: int, label: str) -> None:
        pass

    def delta(self, answer_id: int, event: TextDelta | ReasoningDelta) -> None:
        pass

    def tool(self, update: ToolCallUpdate) -> None:
        pass

    def finished(self, answer: MessageRecord) -> None:
        pass

    def hold(self) -> None:
        pass

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


class LiveView:
    """Rendered Markdown that updates in place, reasoning dimmed above the answer;
    several answers as labelled panels, side by side when the terminal is wide enough.

    A tool call ends the display where it is (what it shows stays on the screen), its card
    follows on stderr, and the text after it starts a new display: text, cards and the next
    round's text read in the order they came. A question on the terminal (`hold`) ends it the
    same way, and nothing is shown until it is answered."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.labels: dict[int, str] = {}
        self.texts: dict[int, str] = {}
        self.reasoning: dict[int, str] = {}
        self.status: dict[int, str] = {}
        self.shown: dict[int, tuple[int, int]] = {}
        """Characters of each answer's current text and reasoning already left on the screen
        by an ended display: `texts` and `reasoning` hold only what came after them."""
        self.steps: dict[int, int] = {}
        self.cards = ToolCards()
        self.held = False
        self.waiting: list[ToolCallUpdate] = []
        self.live: Any = None
        self._start()

    def _start(self) -> None:
        from rich.live import Live

        self.live = Live(console=self.console, refresh_per_second=10, vertical_overflow="visible")
        self.live.start()

    def started(self, answer_id: int, label: str) -> None:
        self.labels[answer_id] = label
        self.texts[answer_id] = ""
        self.reasoning[answer_id] = ""
        self._refresh()

    def delta(self, answer_id: int, event: TextDelta | ReasoningDelta) -> None:
        if isinstance(event, ReasoningDelta):
            self.reasoning[answer_id] += event.text
        else:
            self.texts[answer_id] += event.text
        self._refresh()

    def tool(self, update: ToolCallUpdate) -> None:
        if self.held:
            self.waiting.append(update)
            return
        self._end_display()
        answer_id = update.answer_id
        if self.steps.get(answer_id, -1) < update.step:
            self.steps[answer_id] = update.step
            self.shown[answer_id] = (0, 0)  # what comes next is the next round's text (or the final one)
        self.cards.show(update, f"{self.labels[answer_id]}: " if len(self.labels) > 1 else "")

    def finished(self, answer: MessageRecord) -> None:
        text, reasoning = self.shown.get(answer.id, (0, 0))
        self.texts[answer.id] = answer.content[text:]
        self.reasoning[answer.id] = answer.reasoning[reasoning:]
        self.status[answer.id] = answer.status
        self._refresh()

    def hold(self) -> None:
        self._end_display()
        self.held = True

    def release(self) -> None:
        self.held = False
        waiting, self.waiting = self.waiting, []
        for update in waiting:
            self.tool(update)
        self._refresh()

    def close(self) -> None:
        self.held = False
        self._refresh()
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _pending(self) -> bool:
        return any(self.texts.values()) or any(self.reasoning.values())

    def _end_display(self) -> None:
        """Leave what is shown (and what came but was not shown yet) on the screen, and stop updating it."""
        if self.live is None and self._pending():
            self._start()
        if self.live is None:
            return
        self._refresh()
        self.live.stop()
        self.live = None
        for answer_id in self.labels:
            text, reasoning = self.shown.get(answer_id, (0, 0))
            self.shown[answer_id] = (text + len(self.texts[answer_id]), reasoning + len(self.reasoning[answer_id]))
            self.texts[answer_id] = self.reasoning[answer_id] = ""

    def _body(self, answer_id: int) -> Any:
        from rich.console import Group
        from rich.markdown import Markdown
        from rich.text import Text

        parts: list[Any] = []
        if self.reasoning[answer_id]:
            parts.append(Text(self.reasoning[answer_id].strip(), style="dim italic"))
        parts.append(Markdown(self.texts[answer_id]))
        return Group(*parts)

    def _refresh(self) -> None:
        from rich.columns import Columns
        from rich.console import Group
        from rich.panel import Panel

        if self.held:
            return
        if self.live is None:
            if not self._pending():
                return
            self._start()
        if len(self.labels) == 1:
            self.live.update(self._body(next(iter(self.labels))))
            return
        ids = [i for i in self.labels if not self.shown or self.texts[i] or self.reasoning[i]]
        if not ids:  # after a display ended, a new one shows only the answers with something new
            return
        panels = [
            Panel(
                self._body(i), title=self.labels[i], subtitle=_unless_complete(self.status.get(i)), title_align="left"
            )
            for i in ids
        ]
        if self.console.width >= COLUMN_MIN_WIDTH * len(ids):
            width = self.console.width // len(ids) - 1
            self.live.update(Columns(panels, width=width, equal=True))
        else:
            self.live.update(Group(*panels))

"""Showing answers as they arrive: Rich Live Markdown on a terminal, raw text in a pipe, or JSON.

Each view gets the same calls from the turn runner: `started`, `delta`, `finished`, then `close`.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from drupe.chat.records import MessageRecord
from drupe.protocols.base import ReasoningDelta, TextDelta

COLUMN_MIN_WIDTH = 50
"""Side by side only when each answer gets at least this many columns."""

STOP_WORDS = {
    "length": "the answer reached the model's length limit (raise it with --max-tokens)",
    "tool_calls": "the model asked to call a tool, which drupe does not do",
    "content_filter": "the provider's content filter ended the answer",
    "cut_off": "the provider's answer ended without saying it was finished (cut off)",
    "size_limit": "size limit: the answer reached the most drupe keeps of one answer",
    "cancelled": "you stopped it",
    "interrupted": "drupe was stopped (a crash or kill) while the answer came; the text saved until then is kept",
}
"""Why an answer ended, in words, for every stop reason but a normal finish (and errors, shown as such)."""

SIZE_LIMIT_HINT = (
    "To keep longer answers from {provider}, raise its cap: "
    "`drupe provider edit {provider} --limit answer_chars=NUMBER` (see docs/reliability.md#limits)."
)


class TurnView(Protocol):
    def started(self, answer_id: int, label: str) -> None: ...
    def delta(self, answer_id: int, event: TextDelta | ReasoningDelta) -> None: ...
    def finished(self, answer: MessageRecord) -> None: ...
    def close(self) -> None: ...


def label(answer: MessageRecord) -> str:
    return f"{answer.provider}/{answer.model}"


def stats_line(answer: MessageRecord, cost: float | None) -> str:
    """model · tokens in/out · time to first token · tokens/s · cost, and the status if not complete."""
    pieces = [label(answer)]
    if answer.input_tokens is not None or answer.output_tokens is not None:
        pieces.append(f"{_count(answer.input_tokens)} in / {_count(answer.output_tokens)} out")
    if answer.time_to_first_token_ms is not None:
        pieces.append(f"first token {answer.time_to_first_token_ms:.0f} ms")
    if answer.tokens_per_second is not None:
        pieces.append(f"{answer.tokens_per_second:.1f} tok/s")
    if cost is not None:
        pieces.append(f"${cost:.6f}".rstrip("0").rstrip(".") if cost else "$0")
    if answer.status != "complete":
        pieces.append(answer.status)
    return " · ".join(pieces)


def error_lines(answer: MessageRecord) -> list[str]:
    """The stored error, and for a provider failure what to try (`drupe.hints`) and the command for it."""
    from drupe.cli.errors import provider_hint
    from drupe.hints import HINTS

    lines = [f"error: {label(answer)}: {answer.error}"]
    if answer.error_kind in HINTS:
        lines.append("hint: " + provider_hint(answer.error_kind, answer.provider or "", model=answer.model or ""))
    return lines


def stop_line(answer: MessageRecord) -> str | None:
    """Why the answer stopped, unless it simply finished or failed (its error says why)."""
    if answer.role != "assistant" or answer.status in ("error", "streaming") or answer.stop_reason == "stop":
        return None
    if answer.stop_reason is None:
        return f"stopped: {label(answer)}: ended before it finished" if answer.status == "stopped" else None
    words = STOP_WORDS.get(answer.stop_reason, f"the provider gave {answer.stop_reason!r} as the reason")
    line = f"stopped: {label(answer)}: {words}"
    if answer.stop_reason == "size_limit":
        line += "\nhint: " + SIZE_LIMIT_HINT.format(provider=answer.provider)
    return line


def save_error_lines(answer: MessageRecord, problem: str) -> list[str]:
    return [
        f"error: {label(answer)}: the answer could not be saved ({problem})",
        "hint: The answer is shown above but is not stored. Check free disk space and the database "
        "(DRUPE_HOME or DRUPE_DATABASE_URL); an interactive session tries again with its next message.",
    ]


def cleaned_line(count: int) -> str:
    which = "character" if count == 1 else "characters"
    return f"note: removed {count} {which} no database can store (NUL or a broken surrogate) from your message"


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

    def finished(self, answer: MessageRecord) -> None:
        self.texts[answer.id] = answer.content

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

    def finished(self, answer: MessageRecord) -> None:
        pass

    def close(self) -> None:
        pass


class LiveView:
    """Rendered Markdown that updates in place, reasoning dimmed above the answer;
    several answers as labelled panels, side by side when the terminal is wide enough."""

    def __init__(self, console: Any) -> None:
        from rich.live import Live

        self.console = console
        self.labels: dict[int, str] = {}
        self.texts: dict[int, str] = {}
        self.reasoning: dict[int, str] = {}
        self.status: dict[int, str] = {}
        self.live = Live(console=console, refresh_per_second=10, vertical_overflow="visible")
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

    def finished(self, answer: MessageRecord) -> None:
        self.texts[answer.id] = answer.content
        self.reasoning[answer.id] = answer.reasoning
        self.status[answer.id] = answer.status
        self._refresh()

    def close(self) -> None:
        self._refresh()
        self.live.stop()

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

        ids = list(self.labels)
        if len(ids) == 1:
            self.live.update(self._body(ids[0]))
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

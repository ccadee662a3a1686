"""Tool calls as one-line cards: `→ time.get_current_time {"timezone":"Asia/Tokyo"}` when a call
runs, `← ok 12 ms: …`, `← denied` or `← error: …` when it ends.

While a turn streams they go to stderr (stdout carries only the answer's text, so a pipe gets
the answer alone); stored answers (`drupe conversations show`, `/history`) show the same lines
between the rounds' texts. Arguments and results are the model's and the tool's text: every
character a terminal could act on (escape sequences, other control and format characters) is
dropped, and a card is one line, cut to the terminal's width.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drupe.chat.events import ToolCallUpdate
    from drupe.chat.records import ToolCallRecord

ENDED = ("ok", "error", "denied", "cancelled")

STYLES = {"call": "dim", "ok": "dim", "error": "red", "denied": "yellow", "cancelled": "yellow"}
"""Rich styles of the lines, by the call's status (`call` for the `→` line)."""

_ANSI = {"dim": "\x1b[2m", "red": "\x1b[31m", "yellow": "\x1b[33m"}


def printable(text: str) -> str:
    """`text` on one line, runs of whitespace made one space, with nothing a terminal acts on."""
    return "".join(char for char in " ".join(text.split()) if char.isprintable())


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def arguments_text(arguments: str, *, compact: bool) -> str:
    """The call's arguments as JSON on one line (`compact`: without the spaces), or the text the
    model wrote when it is not JSON."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return printable(arguments)
    separators = (",", ":") if compact else (", ", ": ")
    return printable(json.dumps(value, ensure_ascii=False, separators=separators))


def call_line(call: ToolCallRecord, width: int) -> str:
    """`→ server.tool {arguments}`."""
    return cut(f"→ {printable(call.title)} {arguments_text(call.arguments, compact=True)}", width)


def end_line(call: ToolCallRecord, width: int) -> str:
    """How the call ended: `← ok 12 ms: <the result>`, `← error: <why>`, `← denied`, `← cancelled`."""
    if call.status == "ok":
        took = f" {call.duration_ms:.0f} ms" if call.duration_ms is not None else ""
        return cut(f"← ok{took}: {printable(call.result)}", width)
    if call.status == "error":
        return cut(f"← error: {printable(call.result)}", width)
    return cut(f"← {call.status}", width)


def stored_lines(call: ToolCallRecord, width: int) -> list[tuple[str, str]]:
    """A stored call as (line, style) pairs: the call, and how it ended if it did."""
    lines = [(call_line(call, width), STYLES["call"])]
    if call.status in ENDED:
        lines.append((end_line(call, width), STYLES[call.status]))
    return lines


def question(call: ToolCallRecord) -> str:
    """What the terminal asks before a call runs; the arguments whole: the user approves what they see."""
    return f"Run {printable(call.title)} {arguments_text(call.arguments, compact=False)}? [y/N/a] "


def stderr_width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return shutil.get_terminal_size().columns


class ToolCards:
    """Prints the cards of a turn's calls on stderr as their updates come. A call waiting for
    approval prints nothing (the question shows it); a call that ends without having run or been
    asked about (denied for want of a terminal, refused at the step cap) gets its `→` line first."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int, str]] = set()
        self.color = sys.stderr.isatty()

    def show(self, update: ToolCallUpdate, prefix: str = "") -> None:
        call = update.call
        key = (update.answer_id, update.step, call.id)
        width = stderr_width()
        lines: list[tuple[str, str]] = []
        if call.status == "awaiting":
            self.seen.add(key)
        elif call.status == "running":
            self.seen.add(key)
            lines.append((call_line(call, width - len(prefix)), STYLES["call"]))
        elif call.status in ENDED:
            if key not in self.seen:
                self.seen.add(key)
                lines.append((call_line(call, width - len(prefix)), STYLES["call"]))
            lines.append((end_line(call, width - len(prefix)), STYLES[call.status]))
        self.write([(prefix + line, style) for line, style in lines])

    def write(self, lines: list[tuple[str, str]]) -> None:
        if not lines:
            return
        if self.color:
            text = "".join(f"{_ANSI[style]}{line}\x1b[0m\n" for line, style in lines)
        else:
            text = "".join(f"{line}\n" for line, _ in lines)
        sys.stderr.write(text)
        sys.stderr.flush()

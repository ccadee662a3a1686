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
import sys
from typing import TYPE_CHECKING

from drupe.i18n import _

if TYPE_CHECKING:
    from drupe.chat.events import ToolCallUpdate
    from drupe.chat.records import ToolCallRecord

ENDED = ("ok", "error", "denied", "cancelled")

STYLES = {"call": "dim", "ok": "dim", "error": "red", "denied": "yellow", "cancelled": "yellow"}
"""Rich styles of the lines, by the call's status (`call` for the `→` line)."""

MIN_WIDTH = 20

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


def end_line(call: ToolCallRecord, width: int, *, named: bool = False) -> str:
    """How the call ended: `← ok 12 ms: <the result>`, `← error: <why>`, `← denied`, `← cancelled`;
    `named`: with the call's name after the arrow, for when its `→` line is not just above."""
    arrow = f"← {printable(call.title)} " if named else "← "
    if call.status == "ok":
        took = f" {call.duration_ms:.0f} ms" if call.duration_ms is not None else ""
        return cut(f"{arrow}ok{took}: {printable(call.result)}", width)
    if call.status == "error":
        return cut(f"{arrow}error: {printable(call.result)}", width)
    return cut(f"{arrow}{call.status}", width)


def stored_lines(call: ToolCallRecord, width: int) -> list[tuple[str, str]]:
    """A stored call as (line, style) pairs: the call, and how it ended if it did."""
    lines = [(call_line(call, width), STYLES["call"])]
    if call.status in ENDED:
        lines.append((end_line(call, width), STYLES[call.status]))
    return lines


def question(call: ToolCallRecord) -> str:
    """What the terminal asks before a call runs; the arguments whole: the user approves what they see."""
    return _(
        "Run {tool} {arguments}? [y/N/a] ",
        tool=printable(call.title),
        arguments=arguments_text(call.arguments, compact=False),
    )


def stderr_width() -> int:
    """Columns of the terminal stderr shows on (COLUMNS first, as Rich and the shell take it); 80 elsewhere."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 0
    return max(columns, MIN_WIDTH) if columns > 0 else 80


class ToolCards:
    """Prints the cards of a turn's calls on stderr as their updates come: a call's `→` line when
    it runs, or when it ends without having run (denied, refused at the step cap), then how it
    ended. A call waiting for approval prints nothing: the question shows it. When other lines
    came between a call's two lines (calls running at once, questions), the ending names the call."""

    def __init__(self) -> None:
        self.last: tuple[int, int, str] | None = None
        """The call whose `→` line was printed last, if that was the last line."""
        self.announced: set[tuple[int, int, str]] = set()
        self.color = sys.stderr.isatty()

    def show(self, update: ToolCallUpdate, prefix: str = "") -> None:
        call = update.call
        key = (update.answer_id, update.step, call.id)
        width = stderr_width() - len(prefix)
        lines: list[tuple[str, str]] = []
        if call.status == "awaiting":
            self.last = None  # a question comes
        elif call.status == "running" or (call.status in ENDED and key not in self.announced):
            self.announced.add(key)
            lines.append((call_line(call, width), STYLES["call"]))
            self.last = key
        if call.status in ENDED:
            lines.append((end_line(call, width, named=self.last != key), STYLES[call.status]))
            self.last = None
        self.write([(prefix + line, style) for line, style in lines])

    def write(self, lines: list[tuple[str, str]]) -> None:
        if not lines:
            return
        if self.color:
            text = "".join(f"{_ANSI[style]}{line}\x1b[0m\n" for line, style in lines)
        else:
            text = "".join(f"{line}\n" for line, _style in lines)
        sys.stderr.write(text)
        sys.stderr.flush()

"""Receiving one answer from its provider: deltas handed to the turn's consumer, the size
cap, rounds of tool calls (see `drupe.chat.tooling`), why the answer stopped, and its final
write (see `drupe.chat.answers`)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from drupe.chat.answers import Answer, Text, Writer, storable
from drupe.chat.approval import Approver
from drupe.chat.events import AnswerDelta, AnswerFinished, ToolCallUpdate, TurnEvent
from drupe.chat.records import ToolCallRecord
from drupe.chat.tooling import CANCELLED, NO_TOOLS, UNFINISHED, Round, run_round, step_limit_result, step_messages
from drupe.errors import DrupeError, ProviderError
from drupe.protocols.base import ChatRequest, Finish, Metrics, ReasoningDelta, TextDelta, ToolCall, Usage

if TYPE_CHECKING:
    from drupe.protocols.client import Connections
    from drupe.tools.toolbox import Toolbox

log = logging.getLogger("drupe.chat")


@dataclass(eq=False)
class Pending:
    """Deltas of one kind for one answer, queued once and added to until the turn takes them:
    a fast stream costs one queue item per wake-up of the consumer instead of one per chunk."""

    answer: Answer
    kind: type[TextDelta] | type[ReasoningDelta]
    pieces: list[str]

    def take(self) -> AnswerDelta:
        if self.answer.pending is self:
            self.answer.pending = None
        return AnswerDelta(self.answer.id, self.kind("".join(self.pieces)))


@dataclass
class ToolUse:
    """What one turn may do with tools (see `drupe.chat.tooling`): the toolbox, the servers or
    tools turned on, who approves, what is always allowed here, and the step cap."""

    toolbox: Toolbox
    selection: tuple[str, ...]
    approver: Approver | None
    allowed: set[str]
    max_steps: int
    remember: Callable[[str], Awaitable[None]]


async def receive(
    answer: Answer,
    request: ChatRequest,
    stream: bool,
    queue: asyncio.Queue[TurnEvent | Pending],
    writer: Writer,
    connections: Connections | None,
    tools: ToolUse | None = None,
) -> None:
    """Run the provider calls of `answer` into it (one, or one per round of tool calls), handing
    its deltas and tool calls to `queue` and saving it on a timer; always ends in a final write,
    then `AnswerFinished` on the queue."""
    saver = asyncio.create_task(writer.keep_saved(answer))
    round_: Round | None = None

    def update(record: ToolCallRecord) -> None:
        answer.pending = None  # deltas after this belong to the next round: a new queue item
        answer.changes += 1
        if round_ is not None:
            answer.steps[-1] = round_.step(answer.steps[-1].text, answer.steps[-1].reasoning)
        queue.put_nowait(ToolCallUpdate(answer.id, len(answer.steps) - 1, record))

    try:
        endpoint = answer.provider.endpoint()
        answer.room = endpoint.limits.answer_chars - answer.text.length - answer.reasoning.length  # continued: less
        offer = None
        if tools is not None and tools.selection:
            offer = await tools.toolbox.offer(tools.selection)
            request = replace(request, tools=offer.specs())
        while True:
            calls = await _call(answer, request, stream, queue, connections)
            if not calls or answer.stop_reason == "size_limit":
                break
            round_ = Round.of(calls, offer, tools.allowed if tools else set())
            answer.steps.append(round_.step(str(answer.text), str(answer.reasoning)))
            answer.text, answer.reasoning = Text(), Text()
            if tools is None:  # a model calling tools nobody offered: told so, and the answer ends
                round_.settle_all("error", NO_TOOLS, update)
                break
            if len(answer.steps) > tools.max_steps:
                round_.settle_all("error", step_limit_result(tools.max_steps), update)
                answer.stop_reason = "step_limit"
                break
            await run_round(answer.id, round_, tools.toolbox, tools.approver, update, tools.remember)
            request = replace(request, messages=request.messages + tuple(step_messages(answer.steps[-1])))
            round_, answer.stop_reason = None, None
        reason = answer.stop_reason or "cut_off"  # no finish at all: the answer may be cut short
        answer.conclude("stopped" if reason in ("cut_off", "size_limit", "step_limit") else "complete", reason)
    except asyncio.CancelledError:
        if round_ is not None:
            round_.settle("cancelled", CANCELLED, update)
        answer.conclude("stopped", "cancelled")
        saver.cancel()
        await writer.store(answer)  # if cancelled again meanwhile, the service's `_settled` writes it
        raise
    except ProviderError as exc:
        text = storable(str(exc))
        kind = "tools_refused" if refuses_tools(request, answer, exc) else exc.kind
        answer.conclude("error", "error", error=text, error_kind=kind)
    except DrupeError as exc:  # an MCP server of the conversation could not be started or reached
        answer.conclude("error", "error", error=storable(str(exc)), error_kind=exc.code)
    except Exception as exc:  # a bug must not leave it 'streaming'; its details (maybe SQL) go to the log
        log.error("Answer %s failed", answer.id, exc_info=exc)
        if round_ is not None:
            round_.settle("error", UNFINISHED, update)
        message = f"drupe failed while receiving this answer ({type(exc).__name__}); the details are in its log."
        answer.conclude("error", "error", error=message, error_kind="internal")
    saver.cancel()
    save_error = await writer.store(answer)
    queue.put_nowait(AnswerFinished(answer.record(), save_error))


TOOLS_REFUSED_STATUSES = (400, 404, 422)
"""Statuses with which servers that cannot use tools refuse a request offering them."""

_MENTIONS_TOOLS = re.compile(r"\btool|\bfunction", re.IGNORECASE)


def refuses_tools(request: ChatRequest, answer: Answer, error: ProviderError) -> bool:
    """Whether the provider refused the first call because it offered tools, as servers that
    cannot use them say: Ollama "… does not support tools" (400), OpenRouter "No endpoints found
    that support tool use" (404), vLLM "\"auto\" tool choice requires --enable-auto-tool-choice"
    (400), llama.cpp "tools param requires --jinja flag" (400)."""
    return bool(
        request.tools
        and not answer.steps
        and error.status in TOOLS_REFUSED_STATUSES
        and _MENTIONS_TOOLS.search(error.message[:2000])
    )


async def _call(
    answer: Answer,
    request: ChatRequest,
    stream: bool,
    queue: asyncio.Queue[TurnEvent | Pending],
    connections: Connections | None,
) -> list[ToolCall]:
    """One provider call into the answer; the tool calls it made (none once past the size cap)."""
    from drupe.protocols import client

    endpoint = answer.provider.endpoint()
    calls: list[ToolCall] = []
    if stream:
        async with aclosing(client.stream_chat(endpoint, request, connections=connections)) as events:
            async for event in events:
                if type(event) is ToolCall:
                    calls.append(event)
                    answer.room -= len(event.arguments)
                if take(answer, event, queue):
                    return []  # past the size cap: stop reading
        return calls
    result = await client.complete_chat(endpoint, request, connections=connections)
    for delta in (ReasoningDelta(result.reasoning), TextDelta(result.text)):
        if delta.text and take(answer, delta, queue):
            return []
    answer.input_tokens, answer.output_tokens = result.input_tokens, result.output_tokens
    answer.time_to_first_token_ms = result.time_to_first_token_ms
    answer.tokens_per_second = result.tokens_per_second
    answer.stop_reason = answer.stop_reason or _reason(result.finish_reason)
    return list(result.tool_calls)


def take(answer: Answer, event: Any, queue: asyncio.Queue[TurnEvent | Pending]) -> bool:
    """Add one event to the answer; True when the answer reached its size cap (what fits is kept)."""
    kind = type(event)
    if kind is TextDelta or kind is ReasoningDelta:
        text = event.text
        if "\x00" in text or not text.isascii():
            text = storable(text)
        answer.room -= len(text)
        if answer.room < 0:
            text = text[: len(text) + answer.room]
            answer.stop_reason = "size_limit"
        (answer.text if kind is TextDelta else answer.reasoning).add(text)
        pending = answer.pending
        if pending is not None and pending.kind is kind:
            pending.pieces.append(text)
        else:
            answer.pending = Pending(answer, kind, [text])
            queue.put_nowait(answer.pending)
        return answer.room < 0
    if kind is Finish:
        answer.stop_reason = _reason(event.reason)
    elif isinstance(event, Usage):
        answer.input_tokens = event.input_tokens if event.input_tokens is not None else answer.input_tokens
        answer.output_tokens = event.output_tokens if event.output_tokens is not None else answer.output_tokens
    elif isinstance(event, Metrics):
        answer.time_to_first_token_ms = event.time_to_first_token_ms
        answer.tokens_per_second = event.tokens_per_second
    return False


def _reason(reason: str | None) -> str | None:
    """A finish reason as stored: the protocol layer normalises it to a `StopReason`; a raw one
    it does not know yet is kept, cut to the column's 32 characters."""
    return reason[:32] if reason else None

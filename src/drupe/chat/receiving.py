"""Receiving one answer from its provider: deltas handed to the turn's consumer, the size
cap, why the answer stopped, and its final write (see `drupe.chat.answers`)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drupe.chat.answers import Answer, Writer, storable
from drupe.chat.events import AnswerDelta, AnswerFinished, TurnEvent
from drupe.errors import ProviderError
from drupe.protocols.base import ChatRequest, Finish, Metrics, ReasoningDelta, TextDelta, Usage

if TYPE_CHECKING:
    from drupe.protocols.client import Connections

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


async def receive(
    answer: Answer,
    request: ChatRequest,
    stream: bool,
    queue: asyncio.Queue[TurnEvent | Pending],
    writer: Writer,
    connections: Connections | None,
) -> None:
    """Run one provider call into `answer`, handing its deltas to `queue` and saving it on a
    timer; always ends in a final write, then `AnswerFinished` on the queue."""
    from drupe.protocols import client

    saver = asyncio.create_task(writer.keep_saved(answer))
    try:
        endpoint = answer.provider.endpoint()
        answer.room = endpoint.limits.answer_chars
        if stream:
            async with aclosing(client.stream_chat(endpoint, request, connections=connections)) as events:
                async for event in events:
                    if take(answer, event, queue):
                        break  # past the size cap: stop reading
        else:
            result = await client.complete_chat(endpoint, request, connections=connections)
            for delta in (ReasoningDelta(result.reasoning), TextDelta(result.text)):
                if delta.text and take(answer, delta, queue):
                    break
            answer.input_tokens, answer.output_tokens = result.input_tokens, result.output_tokens
            answer.time_to_first_token_ms = result.time_to_first_token_ms
            answer.tokens_per_second = result.tokens_per_second
            answer.stop_reason = answer.stop_reason or _reason(result.finish_reason)
        reason = answer.stop_reason or "cut_off"  # no finish at all: the answer may be cut short
        answer.conclude("stopped" if reason in ("cut_off", "size_limit") else "complete", reason)
    except asyncio.CancelledError:
        answer.conclude("stopped", "cancelled")
        saver.cancel()
        await writer.store(answer)  # if cancelled again meanwhile, the service's `_settled` writes it
        raise
    except ProviderError as exc:
        answer.conclude("error", "error", error=storable(str(exc)), error_kind=exc.kind)
    except Exception as exc:  # a bug must not leave it 'streaming'; its details (maybe SQL) go to the log
        log.error("Answer %s failed", answer.id, exc_info=exc)
        message = f"drupe failed while receiving this answer ({type(exc).__name__}); the details are in its log."
        answer.conclude("error", "error", error=message, error_kind="internal")
    saver.cancel()
    save_error = await writer.store(answer)
    queue.put_nowait(AnswerFinished(answer.record(), save_error))


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

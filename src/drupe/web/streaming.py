"""Relay a turn from the chat service to the browser as Server-Sent Events.

The turn runs in its own task so `POST /api/answers/{id}/stop` can cancel it (the chat
service then stores the partial text as `stopped`). The relay renders each finished
Markdown block once and the growing tail at most every `TAIL_INTERVAL`, and writes
whatever events are queued in one chunk, with the text deltas queued for one answer
joined into one event, so it keeps up with a fast stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from drupe.chat import AnswerDelta, AnswerFinished, AnswerStarted, ChatService, MessageRecord, TurnEvent, UserSaved
from drupe.chat.answers import storable
from drupe.chat.events import TitleChanged, ToolCallUpdate
from drupe.errors import DrupeError
from drupe.plain import plain
from drupe.protocols.base import TextDelta
from drupe.web.errors import error_detail
from drupe.web.render import BlockSplitter, render_markdown, render_plain

TAIL_INTERVAL = 0.05
"""Seconds between renders of an answer's unfinished tail."""

TAIL_RENDER_SHARE = 4
"""A slow tail render (a huge code block) waits this many times its own cost before the next."""

TAIL_BYTES_PER_SECOND = 256 * 1024
"""At most this much re-rendered tail HTML per answer and second: an endless paragraph (no blank
line ever ends it) is sent whole at each render, so a big one is sent less often instead of
flooding the browser with megabytes a second. A normal tail (a few KB) is not slowed."""

log = logging.getLogger("drupe.web")


def message_json(message: MessageRecord, siblings: tuple[int, int] | None = None) -> dict[str, Any]:
    """A stored message for the pages: with its rendered, sanitised `html`."""
    data = message.to_dict()
    if message.role == "assistant":
        data["html"] = render_markdown(message.content)
    else:
        data["html"] = render_plain(message.content)
    data["reasoning_html"] = render_markdown(message.reasoning) if message.reasoning else ""
    data["tool_steps_html"] = [render_markdown(step.text) if step.text else "" for step in message.tool_steps]
    if siblings is not None:
        data["siblings"] = {"index": siblings[0], "count": siblings[1]}
    return data


def sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


@dataclass(eq=False)
class Turn:
    """A running turn: the task that drives it and the answers it is streaming."""

    task: asyncio.Task[None]
    answer_ids: set[int] = field(default_factory=set)


class Turns:
    """Running turns by answer id, so a stop request reaches the task that streams them."""

    def __init__(self) -> None:
        self._by_answer: dict[int, Turn] = {}
        self._all: set[Turn] = set()

    def add(self, turn: Turn) -> None:
        self._all.add(turn)
        turn.task.add_done_callback(lambda _task: self._forget(turn))

    def track(self, turn: Turn, answer_id: int) -> None:
        turn.answer_ids.add(answer_id)
        self._by_answer[answer_id] = turn

    def untrack(self, answer_id: int) -> None:
        turn = self._by_answer.pop(answer_id, None)
        if turn is not None:
            turn.answer_ids.discard(answer_id)

    def stop(self, answer_id: int) -> list[int]:
        """Cancel the turn streaming `answer_id`; returns the answers it was still streaming."""
        turn = self._by_answer.get(answer_id)
        if turn is None or turn.task.done():
            raise DrupeError(
                f"Answer {answer_id} is not streaming; there is nothing to stop.",
                code="conflict", what="answer", name=answer_id,
            )  # fmt: skip
        turn.task.cancel()
        return sorted(turn.answer_ids)

    async def stop_all(self) -> None:
        """At shutdown: every running answer is stored as stopped before the server exits."""
        tasks = [turn.task for turn in self._all]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, turn: Turn) -> None:
        self._all.discard(turn)
        for answer_id in list(turn.answer_ids):
            if self._by_answer.get(answer_id) is turn:
                del self._by_answer[answer_id]


class _End:
    """Queued last: the turn is over, with the exception that ended it, if any."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class _AnswerView:
    """What the browser has been sent of one answer: finished blocks, and when the tail was last sent."""

    def __init__(self) -> None:
        self.splitter = BlockSplitter()
        self.blocks = 0
        self.tail_due = 0.0
        self.tail_dirty = False
        self.step = -1
        """The round of tool calls the answer is in (-1: none yet): its text so far was that round's."""


def error_event(error: BaseException) -> dict[str, Any]:
    if isinstance(error, DrupeError):
        body = error_detail(error)
    else:  # its text may hold SQL or the answer's text: to the log, not to the page
        log.error("A turn failed", exc_info=error)
        body = {
            "kind": "internal",
            "message": f"The turn failed ({type(error).__name__}); the details are in the server's log.",
        }
    return {"type": "error", "error": body}


class _Deltas:
    """Text deltas waiting to be written: one `delta` (or `reasoning`) event per answer and
    batch instead of one per upstream chunk, each at the place of its first piece in `out`."""

    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.pending: dict[tuple[str, int], tuple[int, list[str]]] = {}

    def add(self, kind: str, answer_id: int, text: str) -> None:
        slot = self.pending.get((kind, answer_id))
        if slot is None:
            self.out.append("")
            self.pending[(kind, answer_id)] = (len(self.out) - 1, [text])
        else:
            slot[1].append(text)

    def write(self) -> None:
        """Fill the reserved places; called before any other event, so the order holds."""
        for (kind, answer_id), (index, pieces) in self.pending.items():
            self.out[index] = sse({"type": kind, "answer_id": answer_id, "text": "".join(pieces)})
        self.pending.clear()


class Relay:
    """Turns one chat-service event stream into SSE text."""

    def __init__(self, chat: ChatService, turns: Turns, clock: Callable[[], float] = time.monotonic) -> None:
        self.chat = chat
        self.turns = turns
        self.clock = clock
        self.queue: asyncio.Queue[TurnEvent | _End] = asyncio.Queue()
        self.views: dict[int, _AnswerView] = {}
        self.turn: Turn | None = None
        self._first: TurnEvent | _End | None = None

    async def start(self, events: AsyncIterator[TurnEvent]) -> None:
        """Start the turn; returns once its first event is in. Errors raised before anything
        happened (an empty message, a disabled provider) are raised here, so they become
        an ordinary JSON error response instead of a stream."""
        self.turn = Turn(asyncio.create_task(self._produce(events)))
        self.turns.add(self.turn)
        first = await self.queue.get()
        if isinstance(first, _End) and first.error is not None:
            raise first.error
        self._first = first

    async def _produce(self, events: AsyncIterator[TurnEvent]) -> None:
        error: BaseException | None = None
        assert self.turn is not None
        try:
            async for event in events:
                if isinstance(event, AnswerStarted):
                    self.turns.track(self.turn, event.answer_id)
                elif isinstance(event, AnswerFinished):
                    self.turns.untrack(event.answer.id)
                self.queue.put_nowait(event)
        except Exception as exc:  # reported to the browser as an `error` event
            error = exc
        finally:
            self.queue.put_nowait(_End(error))

    async def stream(self) -> AsyncIterator[bytes]:
        """The SSE text as UTF-8, one chunk per wake-up. Closing it early stops the turn."""
        assert self.turn is not None
        try:
            ended: _End | None = None
            while ended is None:
                item = await self._next()
                out: list[str] = []
                deltas = _Deltas(out)
                while item is not None:
                    if isinstance(item, _End):
                        ended = item
                        break
                    self._handle(item, out, deltas)
                    item = self.queue.get_nowait() if not self.queue.empty() else None
                deltas.write()
                self._send_due_tails(out, force=ended is not None)
                if out:
                    yield _utf8("".join(out))
            yield _utf8(self._finish(ended))
        finally:
            if not self.turn.task.done():
                self.turn.task.cancel()

    async def _next(self) -> TurnEvent | _End | None:
        """The next event, or None when a throttled tail falls due first."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        due = [view.tail_due for view in self.views.values() if view.tail_dirty]
        if not due:
            return await self.queue.get()
        wait = min(due) - self.clock()
        if wait <= 0:
            return self.queue.get_nowait() if not self.queue.empty() else None
        try:
            async with asyncio.timeout(wait):
                return await self.queue.get()
        except TimeoutError:
            return None

    def _handle(self, event: TurnEvent, out: list[str], deltas: _Deltas) -> None:
        if isinstance(event, AnswerDelta):
            if isinstance(event.event, TextDelta):
                deltas.add("delta", event.answer_id, event.event.text)
                view = self.views.get(event.answer_id)
                if view is not None:
                    self._feed(event.answer_id, view, event.event.text, out)
            else:
                deltas.add("reasoning", event.answer_id, event.event.text)
            return
        deltas.write()
        if isinstance(event, AnswerStarted):
            self.views[event.answer_id] = _AnswerView()
            out.append(
                sse({"type": "start", "answer_id": event.answer_id, "provider": event.provider, "model": event.model})
            )
        elif isinstance(event, ToolCallUpdate):
            self._tool_call(event, out)
        elif isinstance(event, AnswerFinished):
            self._done(event.answer, out, event.save_error)
        elif isinstance(event, TitleChanged):
            out.append(sse({"type": "title", "conversation_id": event.conversation_id, "title": event.title}))
        elif isinstance(event, UserSaved):
            message = message_json(event.message)
            if event.cleaned:
                message["cleaned"] = event.cleaned
            out.append(sse({"type": "user", "message": message}))

    def _tool_call(self, event: ToolCallUpdate, out: list[str]) -> None:
        """A call changed. Its round's text ended with the first update of the round: the text
        shown so far (its last tail sent now) is that round's, and `block` indices count again
        from 0 for the text after it."""
        view = self.views.get(event.answer_id)
        if view is not None and event.step != view.step:
            if view.tail_dirty:
                self._send_tail(event.answer_id, view, out)
            view.splitter, view.blocks, view.step = BlockSplitter(), 0, event.step
        call = plain(event.call)
        out.append(sse({"type": "tool_call", "answer_id": event.answer_id, "step": event.step, "call": call}))

    def _feed(self, answer_id: int, view: _AnswerView, text: str, out: list[str]) -> None:
        blocks = view.splitter.feed(text)
        if blocks:
            # Blocks finished by the same delta are rendered together, as one: the page only
            # appends them, and each render call has a cost of its own beyond the text's.
            html = render_markdown("".join(blocks))
            out.append(sse({"type": "block", "answer_id": answer_id, "index": view.blocks, "html": html}))
            view.blocks += 1
            # The tail shown so far held these blocks' text: replace it now, not at the next tick.
            self._send_tail(answer_id, view, out)
        else:
            view.tail_dirty = True

    def _send_tail(self, answer_id: int, view: _AnswerView, out: list[str]) -> None:
        started = self.clock()
        html = render_markdown(view.splitter.tail) if view.splitter.tail.strip() else ""
        now = self.clock()
        out.append(sse({"type": "tail", "answer_id": answer_id, "html": html}))
        pace = len(html) / TAIL_BYTES_PER_SECOND
        view.tail_due = now + max(TAIL_INTERVAL, TAIL_RENDER_SHARE * (now - started), pace)
        view.tail_dirty = False

    def _send_due_tails(self, out: list[str], force: bool = False) -> None:
        now = self.clock()
        for answer_id, view in self.views.items():
            if view.tail_dirty and (force or view.tail_due <= now):
                self._send_tail(answer_id, view, out)

    def _done(self, answer: MessageRecord, out: list[str], save_error: str | None = None) -> None:
        self.views.pop(answer.id, None)
        message = message_json(answer)
        if save_error is not None:
            message["save_error"] = {"kind": "storage", "message": save_error}
        out.append(sse({"type": "done", "answer_id": answer.id, "message": message}))

    def _finish(self, ended: _End) -> str:
        """`done` for answers cut short (the chat service stored them as stopped), then `end`."""
        out: list[str] = []
        if ended.error is not None:
            out.append(sse(error_event(ended.error)))
        for answer_id in list(self.views):
            self._done(self.chat.get_message(answer_id), out)
        out.append(sse({"type": "end"}))
        return "".join(out)


def _utf8(text: str) -> bytes:
    """Encoded for the wire. Text from the chat service is already storable; anything else (a
    provider's error message) could still hold a lone surrogate, which UTF-8 cannot encode."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return storable(text).encode()

"""An answer being received, and how it reaches the store without losing text or freezing others.

While an answer streams, a timer saves its text every `SAVE_INTERVAL` seconds, whether or not
chunks keep coming. At the end its final state is written once. Every one of these writes runs
in a worker thread (one at a time per answer), so a database that is slow or locked by another
process never holds up the event loop, which streams every other answer. A final write that
fails is retried; if it still fails the answer stays in memory, the caller is told, and the
service tries again with its next turn (`Writer.store_unsaved`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from drupe.chat.records import MessageRecord, ToolStep, message_from_row, steps_from_json, steps_to_json
from drupe.chat.tables import messages
from drupe.protocols.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from drupe.registry import Provider

log = logging.getLogger("drupe.chat")

SAVE_INTERVAL = 1.0
"""Seconds between saves of a streaming answer's text: bounded loss on a crash, few writes."""

BUSY_RETRY_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits before each new try of a final write the database turned away for now (another process
holding SQLite's write lock past its busy timeout, a dropped PostgreSQL connection): about 16 s."""

OTHER_RETRY_DELAYS = (0.1, 0.5)
"""Waits before each new try of a final write refused for any other reason (a full disk, a value
the database rejects): a refusal that outlasts these is reported, not waited on."""

_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as every database can store it, and every terminal and browser encode it: NUL
    removed (PostgreSQL refuses it), lone surrogates replaced by U+FFFD (UTF-8 cannot encode
    them). Two scans in C for ordinary text, so it can run on every chunk."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            text = _SURROGATES.sub("\ufffd", text)
    return text


def storable_counted(text: str) -> tuple[str, int]:
    """`storable(text)`, and how many characters that removed or replaced (to say so)."""
    clean = storable(text)
    if clean is text:
        return text, 0
    return clean, text.count("\x00") + len(_SURROGATES.findall(text))


class Text:
    """Text growing by small pieces: `str +=` on an attribute copies the whole text on every
    chunk, which is quadratic over a long answer; pieces are joined only when read."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self.length = 0

    def add(self, piece: str) -> None:
        self._pieces.append(piece)
        self.length += len(piece)

    def __str__(self) -> str:
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""


@dataclass(eq=False)
class Answer:
    """An answer being received: what has arrived so far, what is saved, how it ended."""

    id: int
    provider: Provider
    model: str
    conversation_id: str
    parent_id: int
    created_at: datetime
    text: Text = field(default_factory=Text)
    reasoning: Text = field(default_factory=Text)
    input_tokens: int | None = None
    output_tokens: int | None = None
    time_to_first_token_ms: float | None = None
    tokens_per_second: float | None = None
    room: int = DEFAULT_LIMITS.answer_chars
    """Characters (text plus reasoning) still allowed before the size cap."""
    stop_reason: str | None = None
    saved_length: int = 0
    final: dict[str, Any] | None = None
    """The values of the final write, fixed once by `conclude`."""
    stored: MessageRecord | None = None
    """The answer as the final write stored it; None until that succeeded."""
    writing: asyncio.Future[Any] | None = None
    pending: Any = None
    """The consumer's queue item still taking this answer's deltas (see the service)."""
    steps: list[ToolStep] = field(default_factory=list)
    """Its rounds of tool calls so far, the one running included (see `drupe.chat.tooling`)."""
    changes: int = 0
    """Counts changes to `steps`, so the timer knows there is something to save."""
    left_out: int | None = None
    """Earlier messages left out of its request to fit the model's context window (None: unknown window)."""
    earlier_tokens: tuple[int | None, int | None] = (None, None)
    """Tokens in and out of the calls that gave its text before it was continued (see `going_on`)."""

    @classmethod
    def going_on(cls, record: MessageRecord, provider: Provider) -> Answer:
        """An answer cut at the token limit, to be continued: the text, reasoning, rounds of tool
        calls and token counts it has are kept, and what comes next is added to them."""
        assert record.parent_id is not None and record.model is not None
        answer = cls(record.id, provider, record.model, record.conversation_id, record.parent_id, record.created_at)
        answer.text.add(record.content)
        answer.reasoning.add(record.reasoning)
        answer.steps = list(record.tool_steps)
        answer.earlier_tokens = (record.input_tokens, record.output_tokens)
        answer.left_out = record.left_out
        answer.saved_length = answer.length
        return answer

    @property
    def length(self) -> int:
        return self.text.length + self.reasoning.length + self.changes

    def steps_json(self) -> list[dict[str, Any]] | None:
        return steps_to_json(self.steps)

    def conclude(
        self, status: str, stop_reason: str, *, error: str | None = None, error_kind: str | None = None
    ) -> None:
        """Fix how the answer ended. The first conclusion wins: a cancel arriving while the final
        write is retried changes nothing."""
        if self.final is not None:
            return
        self.final = {
            "message_id": self.id, "content": str(self.text), "reasoning": str(self.reasoning), "status": status,
            "stop_reason": stop_reason, "error": error, "error_kind": error_kind,
            "input_tokens": _sum(self.earlier_tokens[0], self.input_tokens),
            "output_tokens": _sum(self.earlier_tokens[1], self.output_tokens), "time_to_first_token_ms": self.time_to_first_token_ms,
            "tokens_per_second": self.tokens_per_second, "tool_steps": self.steps_json(), "left_out": self.left_out,
        }  # fmt: skip

    def record(self) -> MessageRecord:
        """As stored, or (when the store refused it) as held in memory."""
        if self.stored is not None:
            return self.stored
        assert self.final is not None
        final = {key: value for key, value in self.final.items() if key not in ("message_id", "tool_steps")}
        return MessageRecord(
            id=self.id, conversation_id=self.conversation_id, parent_id=self.parent_id, role="assistant",
            created_at=self.created_at, provider_id=self.provider.id, provider=self.provider.name, model=self.model,
            tool_steps=steps_from_json(self.final["tool_steps"]), **final,
        )  # fmt: skip


def _sum(earlier: int | None, now: int | None) -> int | None:
    """Tokens of the calls before a continuation and of the continuation, as far as known."""
    return now if earlier is None else earlier + (now or 0)


_SAVE_PROGRESS = messages.update().where(messages.c.id == sa.bindparam("message_id"), messages.c.status == "streaming")
"""Only while it streams: a periodic save finishing late never undoes the final write."""
_WRITE_FINAL = messages.update().where(messages.c.id == sa.bindparam("message_id"))
_WRITE_FINAL_RETURNING = _WRITE_FINAL.returning(messages)


def _save_progress(engine: sa.Engine, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(_SAVE_PROGRESS, values)


def _write_final(engine: sa.Engine, values: dict[str, Any]) -> MessageRecord:
    """Write the final state, reading it back in the same statement where the database has RETURNING."""
    with engine.begin() as conn:
        if conn.dialect.update_returning:
            return message_from_row(conn.execute(_WRITE_FINAL_RETURNING, values).one())
        conn.execute(_WRITE_FINAL, values)
        return message_from_row(conn.execute(sa.select(messages).where(messages.c.id == values["message_id"])).one())


def describe(exc: BaseException) -> str:
    """A database error in words fit to show: the driver's own first line, never the SQL
    statement or its parameters (which hold the answer's text)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        return (lines[0] if lines else type(exc.orig).__name__)[:300]
    return type(exc).__name__


class Writer:
    """The answer writes of one chat service."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.unsaved: dict[int, Answer] = {}
        """Answers whose final write failed after every retry, by id: kept for the next try."""

    async def keep_saved(self, answer: Answer) -> None:
        """Save the answer's text on a timer until cancelled (the final write follows)."""
        while True:
            await asyncio.sleep(SAVE_INTERVAL)
            length = answer.length
            if length == answer.saved_length or answer.writing is not None:
                continue
            values = {
                "message_id": answer.id, "content": str(answer.text), "reasoning": str(answer.reasoning),
                "tool_steps": answer.steps_json(),
            }  # fmt: skip
            try:
                await self._run(answer, _save_progress, values)
            except Exception as exc:  # kept in memory: the next tick or the final write stores it
                log.info("Saving answer %s failed for now: %s", answer.id, describe(exc))
            else:
                answer.saved_length = length

    async def store(self, answer: Answer) -> str | None:
        """The final write, retried; None once stored, else what went wrong (the answer is then
        kept in `unsaved`)."""
        assert answer.final is not None
        busy, other = iter(BUSY_RETRY_DELAYS), iter(OTHER_RETRY_DELAYS)
        while True:
            try:
                answer.stored = await self._run(answer, _write_final, answer.final)
            except Exception as exc:
                delay = next(busy if isinstance(exc, sa.exc.OperationalError) else other, None)
                if delay is None:
                    log.info("Answer %s could not be stored", answer.id, exc_info=exc)
                    self.unsaved[answer.id] = answer
                    return describe(exc)
                await asyncio.sleep(delay)
            else:
                self.unsaved.pop(answer.id, None)
                return None

    def store_now(self, answer: Answer) -> None:
        """One final write on the calling thread, for when there is no loop left to wait on."""
        assert answer.final is not None
        try:
            answer.stored = _write_final(self.engine, answer.final)
        except Exception as exc:
            log.info("Answer %s could not be stored", answer.id, exc_info=exc)
            self.unsaved[answer.id] = answer

    async def store_unsaved(self) -> None:
        """Try once more to store the answers earlier final writes could not."""
        for answer in list(self.unsaved.values()):
            assert answer.final is not None  # kept unsaved only after `conclude` set it
            try:
                answer.stored = await self._run(answer, _write_final, answer.final)
            except Exception as exc:
                log.info("Answer %s still could not be stored: %s", answer.id, describe(exc))
            else:
                del self.unsaved[answer.id]

    async def _run(
        self, answer: Answer, write: Callable[[sa.Engine, dict[str, Any]], Any], values: dict[str, Any]
    ) -> Any:
        """`write` in a worker thread, after the answer's write still in flight (if any)."""
        while answer.writing is not None:
            await asyncio.wait((answer.writing,))
        future = asyncio.ensure_future(asyncio.to_thread(write, self.engine, values))
        answer.writing = future
        future.add_done_callback(functools.partial(_written, answer))
        return await asyncio.shield(future)


def _written(answer: Answer, future: asyncio.Future[Any]) -> None:
    if answer.writing is future:
        answer.writing = None
    if not future.cancelled():
        future.exception()  # retrieved here: whoever awaited it may have been cancelled

"""Turns: a user's message (sent, or an edit of an earlier one) or a regeneration, answered by
one or more models at once, their events streamed interleaved; or the continuation of an answer
cut at the token limit, into the same answer.

Writes happen in an order that survives crashes and interrupts:

1. the user's message is committed before any provider is called, in the same
   transaction as a `streaming` row for each answer;
2. each answer's text is saved every `SAVE_INTERVAL` seconds while it streams, on a
   timer, so text received before a pause upstream is saved during the pause;
3. it ends `complete`, `stopped` (cancelled, closed, cut off upstream or past the size
   cap; partial text kept) or `error` (partial text and the error kept), with a
   `stop_reason`; a final write that fails is retried, and reported if it still fails;
4. after the first turn of a conversation, a title is asked for (`drupe.chat.titles`) and, when
   one comes, stored and announced with `TitleChanged`, after every answer's final write;
5. answers left `streaming` by a crash are marked `stopped` when a service is first used
   (`Repository.recover`); each streaming answer names its owner process, so one still
   streaming in another live process (a web server while the CLI runs) is left alone.

A turn's writes run in worker threads (see `drupe.chat.answers`), so a locked or slow
database never holds up the event loop that streams every other answer; they are
retried while the database is busy. The reads a turn makes first are short synchronous
statements made from the loop (SQLite's WAL never blocks them).
Text is made storable on every backend before it is kept: no NUL, no lone surrogates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from drupe.chat import history
from drupe.chat.answers import BUSY_RETRY_DELAYS, Answer, Writer, describe, storable_counted
from drupe.chat.approval import Approver
from drupe.chat.attachments import FilePart, Part, check_message
from drupe.chat.events import AnswerFinished, AnswerStarted, TitleChanged, TurnEvent, UserSaved
from drupe.chat.receiving import Pending, ToolUse, receive
from drupe.chat.records import DEFAULT_MAX_TOOL_STEPS, Conversation, MessageRecord, Target, part_to_json
from drupe.chat.repository import Repository
from drupe.chat.titles import TITLE_TIMEOUT, ask_title, title_from, title_model, title_request, title_settings
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.protocols.base import TextPart
from drupe.registry import Provider, Registry

if TYPE_CHECKING:
    from drupe.protocols.client import Connections
    from drupe.tools.toolbox import Toolbox

_T = TypeVar("_T")

log = logging.getLogger("drupe.chat")

Content = str | tuple[Part, ...]
"""A user's message: its text, or its parts (text, images, attached files)."""


class TurnRunner:
    """Runs turns against one repository: checks the targets, writes the rows, streams the answers."""

    def __init__(self, repository: Repository, registry: Registry, connections: Connections | None) -> None:
        self.repository = repository
        self.registry = registry
        self.connections = connections
        self.writer = Writer(repository.engine)
        self.title_timeout = TITLE_TIMEOUT
        self._toolbox: Toolbox | None = None

    @property
    def toolbox(self) -> Toolbox:
        """The MCP connections of this runner's turns, made on first use (the SDK is heavy)."""
        if self._toolbox is None:
            from drupe.tools.servers import McpServers
            from drupe.tools.toolbox import Toolbox

            self._toolbox = Toolbox(McpServers(self.repository.store))
        return self._toolbox

    async def aclose(self) -> None:
        """Stop the MCP servers; a later turn starts a new toolbox (on its own event loop)."""
        toolbox, self._toolbox = self._toolbox, None
        if toolbox is not None:
            await toolbox.aclose()

    async def send(
        self,
        conversation_id: str,
        content: Content,
        targets: Sequence[Target],
        parent_id: int | None,
        stream: bool,
        approver: Approver | None = None,
    ) -> AsyncIterator[TurnEvent]:
        conversation = self.repository.get_conversation(conversation_id)
        if parent_id is None:
            parent_id = conversation.current_leaf_id
        elif self.repository.get_message(parent_id).conversation_id != conversation.id:
            raise DrupeError(
                _("Message {id} is not in conversation {conversation}.", id=parent_id, conversation=conversation.id),
                code="invalid", field="parent_id", id=parent_id, conversation=conversation.id,
            )  # fmt: skip
        async with aclosing(self._turn(conversation, parent_id, content, targets, stream, approver)) as events:
            async for event in events:
                yield event

    async def regenerate(
        self, answer_id: int, targets: Sequence[Target] | None, stream: bool, approver: Approver | None = None
    ) -> AsyncIterator[TurnEvent]:
        answer = self.repository.get_message(answer_id)
        if answer.role != "assistant" or answer.parent_id is None:
            raise DrupeError(
                _("Message {id} is not an answer; only answers can be regenerated.", id=answer_id),
                code="invalid", field="answer_id", id=answer_id,
            )  # fmt: skip
        if not targets:
            if not answer.provider_id or not answer.model:
                raise DrupeError(
                    _("Answer {id} does not say which model gave it; pass the targets.", id=answer_id),
                    code="invalid", field="targets", id=answer_id,
                )  # fmt: skip
            targets = [Target(answer.provider_id, answer.model)]
        answerers = list(zip(self._providers(targets), (t.model for t in targets)))
        conversation = self.repository.get_conversation(answer.conversation_id)
        user = self.repository.get_message(answer.parent_id)

        def insert() -> list[Answer]:
            ids, stamp = self.repository.insert_answers(conversation.id, user.id, answerers)
            return _answers_for(ids, answerers, conversation.id, user.id, stamp)

        answers = await self._first_write(insert)
        with self._settled(answers):
            async with aclosing(self._answers(conversation, user.id, answers, stream, approver)) as events:
                async for event in events:
                    yield event

    async def go_on(self, answer_id: int, stream: bool, approver: Approver | None = None) -> AsyncIterator[TurnEvent]:
        """Continue an answer cut at the token limit, in place (see `ChatService.continue_answer`):
        its row goes back to `streaming` and, like any answer, always ends in a final write."""
        answer = self.repository.get_message(answer_id)
        if answer.role != "assistant" or answer.stop_reason != "length" or answer.parent_id is None:
            raise DrupeError(
                _(
                    "Answer {id} did not stop at the model's token limit; only such an answer can be continued.",
                    id=answer_id,
                ),
                code="invalid", field="answer_id", id=answer_id,
            )  # fmt: skip
        if not answer.provider_id or not answer.model:
            raise DrupeError(
                _("Answer {id} does not say which model gave it, so it cannot be continued.", id=answer_id),
                code="invalid", field="answer_id", id=answer_id,
            )  # fmt: skip
        [provider] = self._providers([Target(answer.provider_id, answer.model)])
        conversation = self.repository.get_conversation(answer.conversation_id)

        def reopen() -> list[Answer]:
            return [Answer.going_on(answer, provider)] if self.repository.reopen_answer(answer.id) else []

        going_on = await self._first_write(reopen)
        if not going_on:
            raise DrupeError(
                _("Answer {id} is being continued already.", id=answer_id),
                code="conflict",
                what="answer",
                name=answer_id,
            )
        with self._settled(going_on):
            turn = self._answers(conversation, answer.parent_id, going_on, stream, approver, answer)
            async with aclosing(turn) as events:
                async for event in events:
                    yield event

    async def edit(
        self,
        user_message_id: int,
        new_content: Content,
        targets: Sequence[Target],
        stream: bool,
        approver: Approver | None = None,
    ) -> AsyncIterator[TurnEvent]:
        original = self.repository.get_message(user_message_id)
        if original.role != "user":
            raise DrupeError(
                _("Message {id} is not a user message; only those can be edited.", id=user_message_id),
                code="invalid", field="message_id", id=user_message_id,
            )  # fmt: skip
        conversation = self.repository.get_conversation(original.conversation_id)
        turn = self._turn(conversation, original.parent_id, new_content, targets, stream, approver)
        async with aclosing(turn) as events:
            async for event in events:
                yield event

    async def _turn(
        self,
        conversation: Conversation,
        parent_id: int | None,
        content: Content,
        targets: Sequence[Target],
        stream: bool,
        approver: Approver | None,
    ) -> AsyncGenerator[TurnEvent, None]:
        answerers = list(zip(self._providers(targets), (t.model for t in targets)))
        content, cleaned = _storable_content(content)
        text = content if isinstance(content, str) else "".join(p.text for p in content if isinstance(p, TextPart))
        parts = None if isinstance(content, str) else [part_to_json(p) for p in content]
        if not text.strip() and not parts:
            raise DrupeError(_("The message is empty."), code="invalid", field="content")
        files = [] if isinstance(content, str) else [p.name for p in content if isinstance(p, FilePart)]
        # The first turn names the conversation: its text, or its first file's name.
        title = None if conversation.title else title_from(text if text.strip() or not files else files[0])

        def insert() -> tuple[MessageRecord, list[Answer]]:
            values = {"content": text, "parts": parts}
            user, ids, stamp = self.repository.insert_turn(conversation, parent_id, values, answerers, title)
            return user, _answers_for(ids, answerers, conversation.id, user.id, stamp)

        user, answers = await self._first_write(insert)
        finished: list[MessageRecord] = []
        with self._settled(answers):
            yield UserSaved(user, cleaned)
            async with aclosing(self._answers(conversation, user.id, answers, stream, approver)) as events:
                async for event in events:
                    if isinstance(event, AnswerFinished):
                        finished.append(event.answer)
                    yield event
        if title is not None:
            named = await self._retitle(conversation.id, title, text, finished)
            if named is not None:
                yield TitleChanged(conversation.id, named)

    async def _retitle(
        self, conversation_id: str, title: str, question: str, finished: list[MessageRecord]
    ) -> str | None:
        """After the first turn, its title (the first message) replaced by one the title model
        gives for the first whole answer; None when titles are off, no answer is whole, or the
        model fails or takes too long (see `drupe.chat.titles`)."""
        settings = title_settings(self.registry)
        answer = next((a for a in finished if a.status == "complete" and a.content.strip()), None)
        chosen = title_model(self.registry, settings, answer) if settings.enabled and answer else None
        if answer is None or chosen is None:
            return None
        provider, model = chosen
        request = title_request(model, question, answer.content)
        named = await ask_title(provider, request, self.connections, self.title_timeout)
        if named is None or named == title:
            return None
        try:
            kept = await asyncio.to_thread(self.repository.retitle, conversation_id, title, named)
        except sa.exc.DBAPIError as exc:
            log.info("The title of %s was not stored: %s", conversation_id, describe(exc))
            return None
        return named if kept else None

    def _providers(self, targets: Sequence[Target]) -> list[Provider]:
        """Check every target before anything is written."""
        if not targets:
            raise DrupeError(_("No model to answer: give at least one target."), code="invalid", field="targets")
        found = []
        for target in targets:
            provider = self.registry.get_provider(target.provider)
            if not provider.enabled:
                raise DrupeError(
                    _("Provider {provider} is disabled.", provider=repr(provider.name)),
                    code="provider_disabled",
                    provider=provider.name,
                )
            found.append(provider)
        return found

    async def _first_write(self, insert: Callable[[], _T]) -> _T:
        """A turn's first transaction (the answer rows, and the user's message with them) in a
        worker thread, so a locked database holds up no other stream; retried while it is
        busy. If the caller goes away meanwhile, answers it still writes are settled as stopped."""
        busy = iter(BUSY_RETRY_DELAYS)
        while True:
            job = asyncio.ensure_future(asyncio.to_thread(insert))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                job.add_done_callback(self._settle_abandoned)
                raise
            except sa.exc.DBAPIError as exc:
                delay = next(busy, None) if isinstance(exc, sa.exc.OperationalError) else None
                if delay is None:
                    reason = describe(exc)
                    raise DrupeError(
                        _("Your message could not be stored: {reason}. Nothing was sent.", reason=reason),
                        code="unavailable", what="store", reason=reason,
                    ) from exc  # fmt: skip
                await asyncio.sleep(delay)

    def _settle_abandoned(self, job: asyncio.Future[Any]) -> None:
        if job.cancelled() or job.exception() is not None:
            return
        result = job.result()
        for answer in result[1] if isinstance(result, tuple) else result:
            answer.conclude("stopped", "cancelled")
            self.writer.store_now(answer)

    async def _answers(
        self,
        conversation: Conversation,
        user_id: int,
        answers: list[Answer],
        stream: bool,
        approver: Approver | None,
        going_on: MessageRecord | None = None,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Stream the answers, their rows already inserted, all at once. `going_on`: the answer
        being continued, sent after the user's message as the model's own text so far."""
        if self.writer.unsaved:  # answers an earlier turn could not store: another try
            await self.writer.store_unsaved()
        with self.repository.connect() as conn:
            built = history.build_history(conn, conversation, user_id)
        if going_on is not None:
            built = history.continuing(built, going_on)
        requests = []
        for answer in answers:
            model = self.registry.find_model(answer.provider, answer.model)
            request, answer.left_out = history.request_for(built, conversation.settings, model, answer.model)
            requests.append(request)
        for answer in answers:
            yield AnswerStarted(answer.id, answer.provider.name, answer.model)
        queue: asyncio.Queue[TurnEvent | Pending] = asyncio.Queue()
        tools = self._tool_use(conversation, approver)
        tasks = [
            asyncio.create_task(receive(answer, request, stream, queue, self.writer, self.connections, tools))
            for answer, request in zip(answers, requests)
        ]
        try:
            running = len(tasks)
            while running:
                event = await queue.get()
                if isinstance(event, Pending):
                    yield event.take()
                    continue
                if isinstance(event, AnswerFinished):
                    running -= 1
                yield event
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _tool_use(self, conversation: Conversation, approver: Approver | None) -> ToolUse | None:
        """What the turn's answers may do with tools: None when the conversation turned none on."""
        settings = conversation.settings
        if not settings.tools:
            return None
        allowed = set(settings.allowed_tools)

        async def remember(title: str) -> None:
            """An "always allow" chosen during the turn, kept on the conversation."""
            if title not in allowed_stored:
                allowed_stored.append(title)
                await asyncio.to_thread(
                    self.repository.update_conversation, conversation.id, allowed_tools=list(allowed_stored)
                )

        allowed_stored = list(settings.allowed_tools)
        steps = settings.max_tool_steps or DEFAULT_MAX_TOOL_STEPS
        return ToolUse(self.toolbox, settings.tools, approver, allowed, steps, remember)

    @contextmanager
    def _settled(self, answers: list[Answer]) -> Iterator[None]:
        """However the turn ends (finished, cancelled, closed before it began), no answer stays
        `streaming`: one whose final write never ran (or was cut short) gets one here."""
        try:
            yield
        finally:
            for answer in answers:
                if answer.stored is None and answer.id not in self.writer.unsaved:
                    answer.conclude("stopped", "cancelled")
                    self.writer.store_now(answer)


def _answers_for(
    ids: list[int], answerers: list[tuple[Provider, str]], conversation_id: str, user_id: int, stamp: Any
) -> list[Answer]:
    return [
        Answer(answer_id, provider, model, conversation_id, user_id, stamp)
        for answer_id, (provider, model) in zip(ids, answerers)
    ]


def _storable_content(content: Content) -> tuple[Content, int]:
    """The user's message as every database can store it, and how many characters that changed."""
    if isinstance(content, str):
        return storable_counted(content)
    check_message(content)
    parts: list[Part] = []
    cleaned = 0
    for part in content:
        if isinstance(part, (TextPart, FilePart)):
            text, count = storable_counted(part.text)
            part, cleaned = replace(part, text=text), cleaned + count
        parts.append(part)
    return tuple(parts), cleaned

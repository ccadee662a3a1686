"""`ChatService`: conversations, their message trees, and turns streamed from one or more models.

Writes happen in an order that survives crashes and interrupts:

1. the user's message is committed before any provider is called, in the same
   transaction as a `streaming` row for each answer;
2. each answer's text is saved every `SAVE_INTERVAL` seconds while it streams, on a
   timer, so text received before a pause upstream is saved during the pause;
3. it ends `complete`, `stopped` (cancelled, closed, cut off upstream or past the size
   cap; partial text kept) or `error` (partial text and the error kept), with a
   `stop_reason`; a final write that fails is retried, and reported if it still fails;
4. answers left `streaming` by a crash are marked `stopped` when a service opens;
   each streaming answer names its owner process, so one still streaming in another
   live process (a web server while the CLI runs) is left alone.

A turn's writes run in worker threads (see `drupe.chat.answers`), so a locked or slow
database never holds up the event loop that streams every other answer; they are
retried while the database is busy. The other database calls are short synchronous
SQLAlchemy Core statements made from the loop (reads, which SQLite's WAL never blocks,
and the quick edits of conversations).
Text is made storable on every backend before it is kept: no NUL, no lone surrogates.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from drupe.chat import export, history, search
from drupe.chat.answers import BUSY_RETRY_DELAYS, Answer, Writer, describe, storable_counted
from drupe.chat.events import AnswerFinished, AnswerStarted, TurnEvent, UserSaved
from drupe.chat.receiving import Pending, receive
from drupe.chat.records import (
    Conversation,
    ConversationSettings,
    MessageRecord,
    SearchHit,
    Target,
    conversation_from_row,
    message_from_row,
    part_to_json,
)
from drupe.chat.tables import conversations, messages
from drupe.chat.targets import resolve_targets
from drupe.errors import DrupeError
from drupe.protocols.base import ContentPart, TextPart
from drupe.registry import Provider, Registry
from drupe.store.db import Store

if TYPE_CHECKING:
    from drupe.protocols.client import Connections

log = logging.getLogger("drupe.chat")
_T = TypeVar("_T")

TITLE_LENGTH = 60

Content = str | tuple[ContentPart, ...]


OWNER = f"{socket.gethostname()}:{os.getpid()}"

# The statements of every turn, built once: SQLAlchemy composes and cache-keys a statement on
# each `.values()` call, which cost more than SQLite running it. The columns to set come with
# the parameters.
_INSERT_MESSAGE = messages.insert()
_INSERT_MESSAGE_RETURNING = messages.insert().returning(messages)
_UPDATE_CONVERSATION = conversations.update().where(conversations.c.id == sa.bindparam("conversation_id"))
_SELECT_CONVERSATION = sa.select(conversations).where(conversations.c.id == sa.bindparam("conversation_id"))
_SELECT_MESSAGE = sa.select(messages).where(messages.c.id == sa.bindparam("message_id"))


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that started a streaming answer still runs (on this host)."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_orphaned_answers(conn: sa.Connection) -> None:
    """Answers left `streaming` by a process that died are `stopped`, partial text kept."""
    rows = conn.execute(sa.select(messages.c.id, messages.c.owner).where(messages.c.status == "streaming"))
    orphans = [row.id for row in rows if not _owner_alive(row.owner)]
    if orphans:
        conn.execute(messages.update().where(messages.c.id.in_(orphans)).values(status="stopped"))


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ChatService:
    """Everything the CLI and the web app do with conversations goes through here."""

    def __init__(self, store: Store, *, connections: Connections | None = None) -> None:
        """`connections`: HTTP connections to providers kept open between turns, for a
        long-lived caller; without it each answer opens (and closes) its own."""
        self.store = store
        self.connections = connections
        self.registry = Registry(store)
        self.writer = Writer(store.engine)
        with store.engine.connect() as conn:
            self._has_fts = store.is_sqlite and search.has_fts(conn)
        try:
            with store.engine.begin() as conn:
                _stop_orphaned_answers(conn)
        except sa.exc.OperationalError as exc:  # another process holds the write lock: next time
            log.info("Answers left streaming were not settled now: %s", describe(exc))

    # -- conversations ---------------------------------------------------

    def create_conversation(
        self, title: str | None = None, settings: ConversationSettings | None = None
    ) -> Conversation:
        settings = _checked_settings(settings or ConversationSettings())
        now = _now()
        conversation_id = uuid.uuid4().hex
        with self.store.engine.begin() as conn:
            conn.execute(
                conversations.insert().values(
                    id=conversation_id, title=(title or "").strip(), created_at=now, updated_at=now,
                    **_settings_values(settings),
                )
            )  # fmt: skip
        return self.get_conversation(conversation_id)

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Most recently active first."""
        query = (
            sa.select(conversations)
            .order_by(conversations.c.updated_at.desc(), conversations.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.store.engine.connect() as conn:
            return [conversation_from_row(row) for row in conn.execute(query)]

    def get_conversation(self, conversation_id: str) -> Conversation:
        """By id, or by a prefix of the id that matches only one conversation."""
        key = conversation_id.strip().lower()
        with self.store.engine.connect() as conn:
            row = conn.execute(_SELECT_CONVERSATION, {"conversation_id": key}).first()
            if row is None and key:
                escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                rows = conn.execute(
                    sa.select(conversations).where(conversations.c.id.like(f"{escaped}%", escape="\\")).limit(2)
                ).all()
                if len(rows) > 1:
                    raise DrupeError(
                        f"Conversation id prefix {conversation_id!r} matches several; give more of the id."
                    )
                row = rows[0] if rows else None
        if row is None:
            raise DrupeError(f"No conversation {conversation_id!r}. See `drupe conversations list`.")
        return conversation_from_row(row)

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        title = title.strip()
        if not title:
            raise DrupeError("A conversation title cannot be empty.")
        conversation = self.get_conversation(conversation_id)
        self._update_conversation(conversation.id, title=title)
        return self.get_conversation(conversation.id)

    def delete_conversation(self, conversation_id: str) -> Conversation:
        """Its messages are first unlinked from their parents, so deleting them cascades
        nowhere: on SQLite each cascade level is a trigger level, and a chain of more than
        ~1,000 messages would exceed SQLite's trigger depth."""
        conversation = self.get_conversation(conversation_id)
        in_conversation = messages.c.conversation_id == conversation.id
        with self.store.engine.begin() as conn:
            unlink = messages.update().where(in_conversation, messages.c.parent_id.is_not(None)).values(parent_id=None)
            conn.execute(unlink)
            conn.execute(messages.delete().where(in_conversation))
            conn.execute(conversations.delete().where(conversations.c.id == conversation.id))
        return conversation

    def update_settings(self, conversation_id: str, **fields: Any) -> Conversation:
        """Change some settings; a field set to `None` goes back to the provider's default."""
        unknown = set(fields) - set(ConversationSettings.names())
        if unknown:
            raise TypeError(f"unknown conversation settings: {sorted(unknown)}")
        conversation = self.get_conversation(conversation_id)
        settings = _checked_settings(replace(conversation.settings, **fields))
        self._update_conversation(conversation.id, **_settings_values(settings))
        return self.get_conversation(conversation.id)

    def _update_conversation(self, conversation_id: str, **values: Any) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                conversations.update().where(conversations.c.id == conversation_id).values(updated_at=_now(), **values)
            )

    # -- messages --------------------------------------------------------

    def get_message(self, message_id: int) -> MessageRecord:
        with self.store.engine.connect() as conn:
            row = conn.execute(_SELECT_MESSAGE, {"message_id": message_id}).first()
        if row is None:
            raise DrupeError(f"No message {message_id}.")
        return message_from_row(row)

    def history(
        self, conversation_id: str, limit: int | None = None, before_id: int | None = None
    ) -> list[MessageRecord]:
        """The current branch, oldest first. `limit` keeps the most recent N; `before_id`
        starts above that message, to page back through a long conversation."""
        conversation = self.get_conversation(conversation_id)
        leaf = conversation.current_leaf_id if before_id is None else self.get_message(before_id).parent_id
        if leaf is None:
            return []
        with self.store.engine.connect() as conn:
            return [message_from_row(row) for row in history.path_rows(conn, leaf, limit)]

    def alternatives(self, message_id: int) -> list[MessageRecord]:
        """The versions of one turn: messages with the same parent and role, oldest first."""
        message = self.get_message(message_id)
        parent = messages.c.parent_id
        query = (
            sa.select(messages)
            .where(
                messages.c.conversation_id == message.conversation_id,
                messages.c.role == message.role,
                parent.is_(None) if message.parent_id is None else parent == message.parent_id,
            )
            .order_by(messages.c.id)
        )
        with self.store.engine.connect() as conn:
            return [message_from_row(row) for row in conn.execute(query)]

    def select(self, message_id: int) -> Conversation:
        """Make this message's branch current, down to its most recent descendant."""
        message = self.get_message(message_id)
        leaf = message.id
        with self.store.engine.connect() as conn:
            while True:
                child = conn.execute(
                    sa.select(sa.func.max(messages.c.id)).where(messages.c.parent_id == leaf)
                ).scalar()
                if child is None:
                    break
                leaf = child
        self._update_conversation(message.conversation_id, current_leaf_id=leaf)
        return self.get_conversation(message.conversation_id)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Messages containing all the words of `text` (FTS5), or the text itself (LIKE fallback)."""
        if not text.strip():
            return []
        with self.store.engine.connect() as conn:
            if self._has_fts:
                return search.search_fts(conn, text, limit)
            return search.search_like(conn, text, limit)

    def export_markdown(self, conversation_id: str) -> str:
        conversation = self.get_conversation(conversation_id)
        return export.to_markdown(conversation, self._all_messages(conversation.id))

    def export_json(self, conversation_id: str) -> dict[str, Any]:
        conversation = self.get_conversation(conversation_id)
        return export.to_json(conversation, self._all_messages(conversation.id))

    def _all_messages(self, conversation_id: str) -> list[MessageRecord]:
        query = sa.select(messages).where(messages.c.conversation_id == conversation_id).order_by(messages.c.id)
        with self.store.engine.connect() as conn:
            return [message_from_row(row) for row in conn.execute(query)]

    # -- targets and prices ----------------------------------------------

    def resolve_targets(self, provider: str | None, models: list[str]) -> list[Target]:
        """Apply the `-p`/`-m` rules (see `drupe.chat.targets`)."""
        return resolve_targets(self.registry, provider, models)

    def cost(self, answer: MessageRecord) -> float | None:
        """USD for this answer when its model has prices and the provider reported usage."""
        if not answer.provider_id or not answer.model or self.registry.find_provider(answer.provider_id) is None:
            return None
        model = self.registry.find_model(answer.provider_id, answer.model)
        if model is None or (model.price_in is None and model.price_out is None):
            return None
        if answer.input_tokens is None and answer.output_tokens is None:
            return None
        spent_in = (answer.input_tokens or 0) * (model.price_in or 0)
        spent_out = (answer.output_tokens or 0) * (model.price_out or 0)
        return (spent_in + spent_out) / 1e6

    # -- turns -----------------------------------------------------------

    async def send(
        self,
        conversation_id: str,
        content: Content,
        targets: Sequence[Target],
        parent_id: int | None = None,
        *,
        stream: bool = True,
    ) -> AsyncIterator[TurnEvent]:
        """Add a user message (under `parent_id`, default the current leaf) and have each
        target answer it, concurrently. Events of all answers come interleaved."""
        conversation = self.get_conversation(conversation_id)
        if parent_id is None:
            parent_id = conversation.current_leaf_id
        elif self.get_message(parent_id).conversation_id != conversation.id:
            raise DrupeError(f"Message {parent_id} is not in conversation {conversation.id}.")
        async with aclosing(self._turn(conversation, parent_id, content, targets, stream)) as events:
            async for event in events:
                yield event

    async def regenerate(
        self, answer_id: int, targets: Sequence[Target] | None = None, *, stream: bool = True
    ) -> AsyncIterator[TurnEvent]:
        """New answers to the same user message, kept beside the old one as alternatives.
        Without `targets`, the model that gave `answer_id` answers again."""
        answer = self.get_message(answer_id)
        if answer.role != "assistant" or answer.parent_id is None:
            raise DrupeError(f"Message {answer_id} is not an answer; only answers can be regenerated.")
        if not targets:
            if not answer.provider_id or not answer.model:
                raise DrupeError(f"Answer {answer_id} does not say which model gave it; pass the targets.")
            targets = [Target(answer.provider_id, answer.model)]
        providers = self._providers(targets)
        conversation = self.get_conversation(answer.conversation_id)
        user = self.get_message(answer.parent_id)
        models = [t.model for t in targets]

        def insert() -> list[Answer]:
            with self.store.engine.begin() as conn:
                return _insert_answers(conn, conversation.id, user.id, providers, models, _now())

        answers = await self._first_write(insert)
        with self._settled(answers):
            async with aclosing(self._answers(conversation, user, targets, answers, stream)) as events:
                async for event in events:
                    yield event

    async def edit(
        self, user_message_id: int, new_content: Content, targets: Sequence[Target], *, stream: bool = True
    ) -> AsyncIterator[TurnEvent]:
        """Send `new_content` as a sibling of a user message: a new branch; the old one stays."""
        original = self.get_message(user_message_id)
        if original.role != "user":
            raise DrupeError(f"Message {user_message_id} is not a user message; only those can be edited.")
        conversation = self.get_conversation(original.conversation_id)
        async with aclosing(self._turn(conversation, original.parent_id, new_content, targets, stream)) as events:
            async for event in events:
                yield event

    async def _turn(
        self,
        conversation: Conversation,
        parent_id: int | None,
        content: Content,
        targets: Sequence[Target],
        stream: bool,
    ) -> AsyncIterator[TurnEvent]:
        providers = self._providers(targets)
        content, cleaned = _storable_content(content)
        models = [t.model for t in targets]
        user, answers = await self._first_write(
            lambda: self._insert_turn(conversation, parent_id, content, providers, models)
        )
        with self._settled(answers):
            yield UserSaved(user, cleaned)
            async with aclosing(self._answers(conversation, user, targets, answers, stream)) as events:
                async for event in events:
                    yield event

    def _providers(self, targets: Sequence[Target]) -> list[Provider]:
        """Check every target before anything is written."""
        if not targets:
            raise DrupeError("No model to answer: give at least one target.")
        found = []
        for target in targets:
            provider = self.registry.get_provider(target.provider)
            if not provider.enabled:
                raise DrupeError(
                    f"Provider {provider.name!r} is disabled. Enable it with `drupe provider enable {provider.name}`."
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
                    raise DrupeError(f"Your message could not be stored: {describe(exc)}. Nothing was sent.") from exc
                await asyncio.sleep(delay)

    def _settle_abandoned(self, job: asyncio.Future[Any]) -> None:
        if job.cancelled() or job.exception() is not None:
            return
        result = job.result()
        for answer in result[1] if isinstance(result, tuple) else result:
            answer.conclude("stopped", "cancelled")
            self.writer.store_now(answer)

    def _insert_turn(
        self,
        conversation: Conversation,
        parent_id: int | None,
        content: Content,
        providers: list[Provider],
        models: list[str],
    ) -> tuple[MessageRecord, list[Answer]]:
        """The user's message and a `streaming` row for each answer, in one transaction."""
        text = content if isinstance(content, str) else "".join(p.text for p in content if isinstance(p, TextPart))
        parts = None if isinstance(content, str) else [part_to_json(p) for p in content]
        if not text.strip() and not parts:
            raise DrupeError("The message is empty.")
        now = _now()
        with self.store.engine.begin() as conn:
            user = _insert_message(
                conn,
                {
                    "conversation_id": conversation.id, "parent_id": parent_id, "role": "user", "content": text,
                    "parts": parts, "reasoning": "", "status": "complete", "created_at": now,
                },
            )  # fmt: skip
            title = None if conversation.title else _title_from(text)
            answers = _insert_answers(conn, conversation.id, user.id, providers, models, now, title=title)
        return user, answers

    async def _answers(
        self,
        conversation: Conversation,
        user: MessageRecord,
        targets: Sequence[Target],
        answers: list[Answer],
        stream: bool,
    ) -> AsyncIterator[TurnEvent]:
        """Stream the answers, their rows already inserted, all at once."""
        if self.writer.unsaved:  # answers an earlier turn could not store: another try
            await self.writer.store_unsaved()
        with self.store.engine.connect() as conn:
            request = history.build_request(conn, conversation, user.id, targets[0].model)
        for answer in answers:
            yield AnswerStarted(answer.id, answer.provider.name, answer.model)
        queue: asyncio.Queue[TurnEvent | Pending] = asyncio.Queue()
        tasks = [
            asyncio.create_task(
                receive(answer, replace(request, model=answer.model), stream, queue, self.writer, self.connections)
            )
            for answer in answers
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

def _insert_answers(
    conn: sa.Connection,
    conversation_id: str,
    user_id: int,
    providers: list[Provider],
    models: list[str],
    now: datetime,
    *,
    title: str | None = None,
) -> list[Answer]:
    """One `streaming` row per target, owned by this process; the first becomes the
    conversation's current leaf (and `title`, if given, its title)."""
    answers = []
    for provider, model in zip(providers, models):
        answer_id = conn.execute(
            _INSERT_MESSAGE,
            {
                "conversation_id": conversation_id, "parent_id": user_id, "role": "assistant", "content": "",
                "reasoning": "", "provider_id": provider.id, "provider": provider.name, "model": model,
                "status": "streaming", "owner": OWNER, "created_at": now,
            },
        ).inserted_primary_key[0]  # fmt: skip
        answers.append(Answer(answer_id, provider, model, conversation_id, user_id, now))
    values: dict[str, Any] = {"current_leaf_id": answers[0].id, "updated_at": now}
    if title is not None:
        values["title"] = title
    conn.execute(_UPDATE_CONVERSATION, {"conversation_id": conversation_id, **values})
    return answers


def _insert_message(conn: sa.Connection, values: dict[str, Any]) -> MessageRecord:
    """Insert a message and read it back, in one statement where the database has RETURNING."""
    if conn.dialect.insert_returning:
        return message_from_row(conn.execute(_INSERT_MESSAGE_RETURNING, values).one())
    message_id = conn.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]
    return message_from_row(conn.execute(sa.select(messages).where(messages.c.id == message_id)).one())


def _storable_content(content: Content) -> tuple[Content, int]:
    """The user's message as every database can store it, and how many characters that changed."""
    if isinstance(content, str):
        return storable_counted(content)
    parts: list[ContentPart] = []
    cleaned = 0
    for part in content:
        if isinstance(part, TextPart):
            text, count = storable_counted(part.text)
            part, cleaned = replace(part, text=text), cleaned + count
        parts.append(part)
    return tuple(parts), cleaned


def _title_from(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def _settings_values(settings: ConversationSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in ConversationSettings.names()}


def _checked_settings(settings: ConversationSettings) -> ConversationSettings:
    checks = (
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("max_tokens", 1, None),
        ("context_count", 0, None),
    )
    for name, low, high in checks:
        value = getattr(settings, name)
        if value is not None and (value < low or (high is not None and value > high)):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise DrupeError(f"{name.replace('_', ' ').capitalize()} must be {bounds}, not {value}.")
    if settings.system_prompt is not None and not settings.system_prompt.strip():
        settings = replace(settings, system_prompt=None)
    return settings

"""Conversations and messages in the store: reads, edits, the rows a turn inserts, and the
settling of answers a crashed process left `streaming`.

Every method is one short transaction. Reads of a page of messages are batched: the current
branch is one recursive query, and where each message sits among its alternatives is one
more query for the whole page, never a query per message.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from drupe.chat import history, search
from drupe.chat.answers import describe
from drupe.chat.params import checked_params
from drupe.chat.records import (
    REASONING_EFFORTS,
    Conversation,
    ConversationSettings,
    MessageRecord,
    SearchHit,
    conversation_from_row,
    message_from_row,
)
from drupe.chat.tables import conversations, messages
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.plain import plain
from drupe.registry import Provider
from drupe.store.db import Store, inserted_id

log = logging.getLogger("drupe.chat")

OWNER = f"{socket.gethostname()}:{os.getpid()}"
"""Who streams an answer ("host:pid"), so another process can tell a live stream from a crashed one."""

LATEST_ANSWER_DEPTH = 3
"""How far up from a leaf the latest answer is looked for: the leaf is an answer, or a user
message whose answers were deleted (its parent is then the answer before it)."""

PREFIX_MATCHES_SHOWN = 5
"""How many conversations an ambiguous id prefix lists."""

# The statements of every turn, built once: SQLAlchemy composes and cache-keys a statement on
# each `.values()` call, which cost more than SQLite running it. The columns to set come with
# the parameters.
_INSERT_MESSAGE = messages.insert()
_INSERT_MESSAGE_RETURNING = messages.insert().returning(messages)
_UPDATE_CONVERSATION = conversations.update().where(conversations.c.id == sa.bindparam("conversation_id"))
_SELECT_CONVERSATION = sa.select(conversations).where(conversations.c.id == sa.bindparam("conversation_id"))
_SELECT_MESSAGE = sa.select(messages).where(messages.c.id == sa.bindparam("message_id"))

_NEWEST_LEAF = sa.text(
    "WITH RECURSIVE down(id) AS ("
    " SELECT CAST(:message_id AS INTEGER)"
    " UNION ALL"
    " SELECT (SELECT m.id FROM messages AS m WHERE m.parent_id = down.id ORDER BY m.id DESC LIMIT 1)"
    " FROM down WHERE down.id IS NOT NULL"
    ") SELECT MAX(id) FROM down"
)
"""From a message down through its newest reply at each level, in one statement: a reply's id
is always above its parent's, so the deepest message reached has the highest id."""


_SUBTREE = sa.text(
    "WITH RECURSIVE down(id) AS ("
    " SELECT CAST(:message_id AS INTEGER)"
    " UNION ALL"
    " SELECT m.id FROM messages AS m JOIN down ON m.parent_id = down.id"
    ") SELECT id FROM down"
)
"""A message and everything under it: its answers, their follow-ups, every branch."""

_DELETE_CHUNK = 500
"""Ids per statement when a subtree is deleted: far below any database's cap on parameters."""


def now() -> datetime:
    """UTC, without a zone: how every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class Repository:
    """The chat tables of one store. Nothing is written when it is made: answers a crashed
    process left `streaming` are settled by `recover`, which the first use runs once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self._recovered = False
        self._indexes: search.Indexes | None = None

    # -- opening ---------------------------------------------------------

    def recover(self) -> bool:
        """Mark answers left `streaming` by a process that is gone as `stopped` / `interrupted`, partial
        text kept.
        Runs once; False when another process held the write lock (settled another time)."""
        self._recovered = True
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(sa.select(messages.c.id, messages.c.owner).where(messages.c.status == "streaming"))
                orphans = [row.id for row in rows if not _owner_alive(row.owner)]
                if orphans:
                    conn.execute(
                        messages.update()
                        .where(messages.c.id.in_(orphans))
                        .values(status="stopped", stop_reason="interrupted")
                    )
        except sa.exc.OperationalError as exc:
            log.info("Answers left streaming were not settled now: %s", describe(exc))
            return False
        return True

    def connect(self) -> sa.Connection:
        """A connection for reads (settling crashed answers first, on the first use)."""
        if not self._recovered:
            self.recover()
        return self.engine.connect()

    def begin(self) -> AbstractContextManager[sa.Connection]:
        """A transaction (settling crashed answers first, on the first use)."""
        if not self._recovered:
            self.recover()
        return self.engine.begin()

    @property
    def indexes(self) -> search.Indexes:
        """Which SQLite full-text indexes exist; looked up once."""
        if self._indexes is None:
            if self.store.is_sqlite:
                with self.connect() as conn:
                    self._indexes = search.indexes(conn)
            else:
                self._indexes = search.Indexes(words=False, trigrams=False)
        return self._indexes

    @property
    def has_fts(self) -> bool:
        """Whether the SQLite full-text index over words exists."""
        return self.indexes.words

    # -- conversations ---------------------------------------------------

    def create_conversation(self, title: str, settings: ConversationSettings) -> Conversation:
        stamp = now()
        conversation_id = uuid.uuid4().hex
        with self.begin() as conn:
            conn.execute(
                conversations.insert().values(
                    id=conversation_id, title=title, created_at=stamp, updated_at=stamp, **settings_values(settings)
                )
            )
        return self.get_conversation(conversation_id)

    def list_conversations(self, limit: int, offset: int) -> list[Conversation]:
        query = (
            sa.select(conversations)
            .order_by(conversations.c.updated_at.desc(), conversations.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.connect() as conn:
            return [conversation_from_row(row) for row in conn.execute(query)]

    def get_conversation(self, conversation_id: str) -> Conversation:
        """By id, or by a prefix of the id that matches only one conversation."""
        key = conversation_id.strip().lower()
        with self.connect() as conn:
            row = conn.execute(_SELECT_CONVERSATION, {"conversation_id": key}).first()
            if row is None and key:
                escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                like = conversations.c.id.like(f"{escaped}%", escape="\\")
                rows = conn.execute(sa.select(conversations).where(like).limit(PREFIX_MATCHES_SHOWN)).all()
                if len(rows) > 1:
                    raise DrupeError(
                        _("Conversation id prefix {prefix} matches several; give more of the id.", prefix=repr(conversation_id)),
                        code="ambiguous", what="conversation", name=conversation_id, matches=[r.id for r in rows],
                    )  # fmt: skip
                row = rows[0] if rows else None
        if row is None:
            raise DrupeError(
                _("No conversation {id}.", id=repr(conversation_id)),
                code="not_found",
                what="conversation",
                name=conversation_id,
            )
        return conversation_from_row(row)

    def update_conversation(self, conversation_id: str, **values: Any) -> None:
        with self.begin() as conn:
            conn.execute(_UPDATE_CONVERSATION, {"conversation_id": conversation_id, "updated_at": now(), **values})

    def retitle(self, conversation_id: str, expected: str, title: str) -> bool:
        """Set the title only while it is still `expected` (a rename in between wins); whether it was set."""
        with self.begin() as conn:
            changed = conn.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id, conversations.c.title == expected)
                .values(title=title)
            )
        return changed.rowcount == 1

    def delete_conversation(self, conversation_id: str) -> None:
        """Its messages are first unlinked from their parents, so deleting them cascades
        nowhere: on SQLite each cascade level is a trigger level, and a chain of more than
        ~1,000 messages would exceed SQLite's trigger depth."""
        in_conversation = messages.c.conversation_id == conversation_id
        with self.begin() as conn:
            unlink = messages.update().where(in_conversation, messages.c.parent_id.is_not(None)).values(parent_id=None)
            conn.execute(unlink)
            conn.execute(messages.delete().where(in_conversation))
            conn.execute(conversations.delete().where(conversations.c.id == conversation_id))

    # -- messages --------------------------------------------------------

    def get_message(self, message_id: int) -> MessageRecord:
        with self.connect() as conn:
            row = conn.execute(_SELECT_MESSAGE, {"message_id": message_id}).first()
        if row is None:
            raise DrupeError(_("No message {id}.", id=message_id), code="not_found", what="message", id=message_id)
        return message_from_row(row)

    def branch(self, leaf_id: int, limit: int | None) -> list[MessageRecord]:
        """From `leaf_id` up towards the root, at most `limit` messages, oldest first."""
        with self.connect() as conn:
            return [message_from_row(row) for row in history.path_rows(conn, leaf_id, limit)]

    def alternatives(self, message: MessageRecord) -> list[MessageRecord]:
        """The versions of one turn: messages with the same parent and role, oldest first."""
        query = sa.select(messages).where(*_siblings_of(message)).order_by(messages.c.id)
        with self.connect() as conn:
            return [message_from_row(row) for row in conn.execute(query)]

    def sibling_positions(self, records: Sequence[MessageRecord]) -> dict[int, tuple[int, int]]:
        """Where each message sits among its alternatives, `(index, count)` by id, for a whole
        page in one query."""
        if not records:
            return {}
        parents = sorted({m.parent_id for m in records if m.parent_id is not None})
        roots = {m.conversation_id for m in records if m.parent_id is None}
        wanted: list[sa.ColumnElement[bool]] = [messages.c.parent_id.in_(parents)] if parents else []
        if roots:
            wanted.append(sa.and_(messages.c.parent_id.is_(None), messages.c.conversation_id.in_(sorted(roots))))
        query = sa.select(messages.c.id, messages.c.parent_id, messages.c.role, messages.c.conversation_id)
        with self.connect() as conn:
            rows = conn.execute(query.where(sa.or_(*wanted)).order_by(messages.c.id)).all()
        versions: dict[tuple[Any, ...], list[int]] = {}
        for row in rows:
            key = (row.parent_id if row.parent_id is not None else row.conversation_id, row.role)
            versions.setdefault(key, []).append(row.id)
        positions = {}
        for m in records:
            ids = versions.get((m.parent_id if m.parent_id is not None else m.conversation_id, m.role), [m.id])
            positions[m.id] = (ids.index(m.id) if m.id in ids else 0, len(ids))
        return positions

    def newest_leaf(self, message_id: int) -> int:
        """The leaf reached from a message by following its newest reply at each level."""
        with self.connect() as conn:
            return conn.execute(_NEWEST_LEAF, {"message_id": message_id}).scalar_one()

    def delete_subtree(self, message: MessageRecord, current_leaf_id: int | None) -> tuple[list[int], int | None]:
        """Delete a message and every message under it, in one transaction; the rest of the tree
        stays. When the current leaf goes with them, the branch moves to the newest remaining
        alternative of the message (down to its newest leaf), else to its parent. Returns the
        deleted ids and the current leaf after. Refused (`conflict`) while one of them streams."""
        with self.begin() as conn:
            ids = list(conn.execute(_SUBTREE, {"message_id": message.id}).scalars())
            chunks = [ids[i : i + _DELETE_CHUNK] for i in range(0, len(ids), _DELETE_CHUNK)]
            for chunk in chunks:
                streaming = messages.c.id.in_(chunk) & (messages.c.status == "streaming")
                if conn.execute(sa.select(messages.c.id).where(streaming).limit(1)).first() is not None:
                    raise DrupeError(
                        f"Message {message.id} has an answer still streaming: stop it first.",
                        code="conflict", what="message", id=message.id,
                    )  # fmt: skip
            leaf = current_leaf_id
            if leaf is None or leaf in ids:
                others = sa.select(sa.func.max(messages.c.id)).where(
                    *_siblings_of(message), messages.c.id != message.id
                )
                sibling = conn.execute(others).scalar()
                leaf = (
                    message.parent_id
                    if sibling is None
                    else conn.execute(_NEWEST_LEAF, {"message_id": sibling}).scalar_one()
                )
            for chunk in chunks:  # unlinked first, so no cascade runs (see delete_conversation)
                conn.execute(messages.update().where(messages.c.id.in_(chunk)).values(parent_id=None))
            for chunk in chunks:
                conn.execute(messages.delete().where(messages.c.id.in_(chunk)))
            values = {"conversation_id": message.conversation_id, "current_leaf_id": leaf, "updated_at": now()}
            conn.execute(_UPDATE_CONVERSATION, values)
        return ids, leaf

    def latest_turn_answers(self, leaf_id: int) -> list[MessageRecord]:
        """The answers of the last turn on the branch ending at `leaf_id`: the branch's latest
        answer and those written with it (same user message, same moment: one multi-model turn),
        oldest first. None when the branch has no answer yet."""
        with self.connect() as conn:
            rows = history.path_rows(conn, leaf_id, LATEST_ANSWER_DEPTH)
            answer = next((message_from_row(row) for row in reversed(rows) if row.role == "assistant"), None)
            if answer is None:
                return []
            query = (
                sa.select(messages)
                .where(*_siblings_of(answer), messages.c.created_at == answer.created_at)
                .order_by(messages.c.id)
            )
            return [message_from_row(row) for row in conn.execute(query)]

    def all_messages(self, conversation_id: str) -> list[MessageRecord]:
        """Every message of a conversation, every branch, in the order they were written."""
        query = sa.select(messages).where(messages.c.conversation_id == conversation_id).order_by(messages.c.id)
        with self.connect() as conn:
            return [message_from_row(row) for row in conn.execute(query)]

    def search(self, text: str, limit: int) -> list[SearchHit]:
        """Messages containing all the words of `text` (FTS5; CJK words as substrings), or each
        word anywhere (LIKE fallback)."""
        found = self.indexes
        with self.connect() as conn:
            if found.words:
                return search.search_fts(conn, text, limit, trigrams=found.trigrams)
            return search.search_like(conn, text, limit)

    # -- the rows of a turn ----------------------------------------------

    def insert_turn(
        self, conversation: Conversation, parent_id: int | None, user: dict[str, Any],
        answerers: Sequence[tuple[Provider, str]], title: str | None,
    ) -> tuple[MessageRecord, list[int], datetime]:  # fmt: skip
        """The user's message (`content`, `parts`) and a `streaming` row for each answer, in one
        transaction; the first answer becomes the current leaf. The new ids, and when."""
        stamp = now()
        values = {
            "conversation_id": conversation.id, "parent_id": parent_id, "role": "user", "reasoning": "",
            "status": "complete", "created_at": stamp, **user,
        }  # fmt: skip
        with self.begin() as conn:
            record = _insert_message(conn, values)
            ids = _insert_answers(conn, conversation.id, record.id, answerers, stamp, title)
        return record, ids, stamp

    def insert_answers(
        self, conversation_id: str, user_id: int, answerers: Sequence[tuple[Provider, str]]
    ) -> tuple[list[int], datetime]:
        """New `streaming` answers to an existing user message, in one transaction."""
        stamp = now()
        with self.begin() as conn:
            return _insert_answers(conn, conversation_id, user_id, answerers, stamp, None), stamp

    def reopen_answer(self, answer_id: int) -> bool:
        """Make an answer cut at the token limit `streaming` again, owned by this process, so it
        can be continued; False when it is not such an answer any more (already being continued)."""
        with self.begin() as conn:
            reopened = conn.execute(
                messages.update()
                .where(messages.c.id == answer_id, messages.c.stop_reason == "length", messages.c.status != "streaming")
                .values(status="streaming", owner=OWNER)
            )
            return reopened.rowcount == 1


def _insert_answers(
    conn: sa.Connection,
    conversation_id: str,
    user_id: int,
    answerers: Iterable[tuple[Provider, str]],
    stamp: datetime,
    title: str | None,
) -> list[int]:
    """One `streaming` row per target, owned by this process; the first becomes the
    conversation's current leaf (and `title`, if given, its title)."""
    ids = []
    for provider, model in answerers:
        values = {
            "conversation_id": conversation_id, "parent_id": user_id, "role": "assistant", "content": "",
            "reasoning": "", "provider_id": provider.id, "provider": provider.name, "model": model,
            "status": "streaming", "owner": OWNER, "created_at": stamp,
        }  # fmt: skip
        ids.append(inserted_id(conn.execute(_INSERT_MESSAGE, values)))
    values = {"current_leaf_id": ids[0], "updated_at": stamp}
    if title is not None:
        values["title"] = title
    conn.execute(_UPDATE_CONVERSATION, {"conversation_id": conversation_id, **values})
    return ids


def _insert_message(conn: sa.Connection, values: dict[str, Any]) -> MessageRecord:
    """Insert a message and read it back, in one statement where the database has RETURNING."""
    if conn.dialect.insert_returning:
        return message_from_row(conn.execute(_INSERT_MESSAGE_RETURNING, values).one())
    message_id = inserted_id(conn.execute(_INSERT_MESSAGE, values))
    return message_from_row(conn.execute(_SELECT_MESSAGE, {"message_id": message_id}).one())


def _siblings_of(message: MessageRecord) -> tuple[sa.ColumnElement[bool], ...]:
    parent = messages.c.parent_id
    return (
        messages.c.conversation_id == message.conversation_id,
        messages.c.role == message.role,
        parent.is_(None) if message.parent_id is None else parent == message.parent_id,
    )


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that started a streaming answer still runs (on this host)."""
    host, _sep, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settings_values(settings: ConversationSettings) -> dict[str, Any]:
    """The settings as column values: the tool lists and the parameters as JSON lists (NULL when empty)."""
    values = {name: getattr(settings, name) for name in ConversationSettings.names()}
    for name in ("tools", "allowed_tools"):
        values[name] = list(values[name] or ()) or None
    values["params"] = [plain(param) for param in settings.params] or None
    return values


SETTING_BOUNDS: tuple[tuple[str, float, float | None], ...] = (
    ("temperature", 0.0, 2.0),
    ("top_p", 0.0, 1.0),
    ("max_tokens", 1, None),
    ("context_count", 0, None),
    ("max_tool_steps", 1, 100),
)


TOOL_SELECTOR = re.compile(r"all|[A-Za-z0-9_-]{1,32}(\.[^\s.][^\s]{0,127})?")
"""`all`, a server's name (`drupe.tools.servers.NAME`), or `server.tool`."""


def checked_settings(settings: ConversationSettings) -> ConversationSettings:
    """The settings if every value is in range (a blank system prompt becomes none, parameters
    take their types: `drupe.chat.params`), else `invalid`."""
    for name, low, high in SETTING_BOUNDS:
        value = getattr(settings, name)
        if value is not None and (value < low or (high is not None and value > high)):
            setting = name.replace("_", " ").capitalize()
            raise DrupeError(
                _("{setting} must be between {low} and {high}, not {value}.", setting=setting, low=low, high=high, value=value)
                if high is not None
                else _("{setting} must be at least {low}, not {value}.", setting=setting, low=low, value=value),
                code="invalid", field=name, value=value, minimum=low, maximum=high,
            )  # fmt: skip
    for name in ("tools", "allowed_tools"):
        for item in getattr(settings, name) or ():
            if not isinstance(item, str) or not TOOL_SELECTOR.fullmatch(item):
                raise DrupeError(
                    _(
                        "{item} names no MCP server or tool: give a server's name (time), one of its tools "
                        "(time.get_current_time) or all.",
                        item=repr(item),
                    ),
                    code="invalid", field=name, value=item,
                )  # fmt: skip
    if settings.reasoning is not None and settings.reasoning not in REASONING_EFFORTS:
        raise DrupeError(
            _(
                "Reasoning must be off, low, medium or high (or unset for the provider's default), not {value}.",
                value=repr(settings.reasoning),
            ),
            code="invalid", field="reasoning", value=settings.reasoning,
        )  # fmt: skip
    if settings.system_prompt is not None and not settings.system_prompt.strip():
        settings = replace(settings, system_prompt=None)
    return replace(settings, params=checked_params(settings.params or ()))

"""Reading the current branch and building the request from it.

A branch is the path from a leaf up to the root through `parent_id`. It is read with a
recursive query that stops after the rows needed, so a conversation of thousands of
messages with a context count of 10 costs about 10 row reads, never a full load.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from drupe.chat.params import params_body
from drupe.chat.records import REASONING_EFFORTS, Conversation, message_from_row
from drupe.chat.tables import messages
from drupe.chat.tooling import step_messages
from drupe.protocols.base import ChatRequest, Message

NO_LIMIT = 2**31 - 1

_PATH = sa.text(
    "WITH RECURSIVE path(id, parent_id, depth) AS ("
    " SELECT id, parent_id, 1 FROM messages WHERE id = :leaf_id"
    " UNION ALL"
    " SELECT m.id, m.parent_id, path.depth + 1 FROM messages AS m JOIN path ON m.id = path.parent_id"
    " WHERE path.depth < :depth_limit"
    ") SELECT " + ", ".join(f"messages.{column.name}" for column in messages.c) + " FROM messages"
    " JOIN path ON messages.id = path.id ORDER BY path.depth DESC"
).columns(*messages.c)
"""Written out once rather than composed per call: building and cache-keying the composed
recursive query cost more than running it, on every turn."""


def path_rows(conn: sa.Connection, leaf_id: int, limit: int | None = None) -> list[Any]:
    """The messages from `leaf_id` up towards the root, at most `limit` of them, oldest first."""
    return list(conn.execute(_PATH, {"leaf_id": leaf_id, "depth_limit": NO_LIMIT if limit is None else limit}))


def build_request(conn: sa.Connection, conversation: Conversation, leaf_id: int, model: str) -> ChatRequest:
    """The request for answering `leaf_id` (a user message): the system prompt, then the
    last `context_count` earlier messages of its branch, then the message itself; with the
    conversation's reasoning level and its custom parameters as body fields."""
    settings = conversation.settings
    limit = None if settings.context_count is None else settings.context_count + 1
    sent: list[Message] = []
    if settings.system_prompt:
        sent.append(Message(role="system", content=settings.system_prompt))
    for row in path_rows(conn, leaf_id, limit):
        record = message_from_row(row)
        for step in record.tool_steps:  # its rounds of tool calls, each call with its result
            sent.extend(step_messages(step))
        if record.role == "assistant" and not record.content:
            continue  # an answer that failed before any text: nothing to show the model
        sent.append(Message(role=record.role, content=record.message_content))  # type: ignore[arg-type]
    return ChatRequest(
        model=model,
        messages=tuple(sent),
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.max_tokens,
        reasoning_effort=REASONING_EFFORTS.get(settings.reasoning or ""),
        extra_body=params_body(settings.params),
    )

"""Reading the current branch and building the request from it.

A branch is the path from a leaf up to the root through `parent_id`. It is read with a
recursive query that stops after the rows needed, so a conversation of thousands of
messages with a context count of 10 costs about 10 row reads, never a full load.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from drupe.chat.context import History, fit, prompt_budget
from drupe.chat.params import params_body
from drupe.chat.records import REASONING_EFFORTS, Conversation, ConversationSettings, MessageRecord, message_from_row
from drupe.chat.tables import messages
from drupe.chat.tooling import step_messages
from drupe.protocols.base import ChatRequest, Message
from drupe.provider_records import Model

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


def build_history(conn: sa.Connection, conversation: Conversation, leaf_id: int) -> History:
    """The history for answering `leaf_id` (a user message): the system prompt, then the
    last `context_count` earlier messages of its branch, then the message itself. Fitting it
    into each model's context window is `drupe.chat.context.fit`."""
    settings = conversation.settings
    limit = None if settings.context_count is None else settings.context_count + 1
    system = (Message(role="system", content=settings.system_prompt),) if settings.system_prompt else ()
    units = [_sent(message_from_row(row)) for row in path_rows(conn, leaf_id, limit)]
    return History(system=system, earlier=tuple(units[:-1]), last=units[-1])


def _sent(record: MessageRecord) -> tuple[Message, ...]:
    """A stored message as sent: its rounds of tool calls, each call with its result, then its text."""
    sent: list[Message] = []
    for step in record.tool_steps:
        sent.extend(step_messages(step))
    if record.role == "assistant" and not record.content:
        return tuple(sent)  # an answer that failed before any text: nothing more to show the model
    sent.append(Message(role=record.role, content=record.message_content))  # type: ignore[arg-type]
    return tuple(sent)


def continuing(built: History, answer: MessageRecord) -> History:
    """The history with the answer being continued sent last, as the model's own text so far,
    so the model goes on from it. Its trailing white space is left out: Anthropic refuses a
    final assistant message that ends with some."""
    return replace(built, last=built.last + _sent(replace(answer, content=answer.content.rstrip())))


def request_for(
    history: History, settings: ConversationSettings, model: Model | None, model_id: str
) -> tuple[ChatRequest, int | None]:
    """The request one model is sent, fitted into its context window (see `drupe.chat.context`),
    with the conversation's reasoning level and its custom parameters as body fields, and how
    many earlier messages that left out (None: the model's window is unknown)."""
    budget = prompt_budget(
        model.context_window if model else None, model.max_output if model else None, settings.max_tokens
    )
    fitted = fit(history, budget)
    request = ChatRequest(
        model=model_id,
        messages=fitted.messages,
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.max_tokens,
        reasoning_effort=REASONING_EFFORTS.get(settings.reasoning or ""),
        extra_body=params_body(settings.params),
    )
    return request, fitted.left_out

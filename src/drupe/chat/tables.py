"""Conversation and message tables, on the shared metadata. Changed only by migrations (0002, 0003, 0005, 0007, 0008, 0009).

Messages form a tree per conversation: `parent_id` links each message to the one it
answers or follows, so regenerated answers and edited prompts are siblings, never
overwrites. `conversations.current_leaf_id` names the leaf whose root path is the
history shown and sent.
"""

from __future__ import annotations

import sqlalchemy as sa

from drupe.store.tables import metadata

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("system_prompt", sa.Text),
    sa.Column("temperature", sa.Float),
    sa.Column("top_p", sa.Float),
    sa.Column("max_tokens", sa.Integer),
    sa.Column("context_count", sa.Integer),
    sa.Column("current_leaf_id", sa.Integer),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("tools", sa.JSON),  # servers or server.tool names turned on, or ["all"] (0005)
    sa.Column("allowed_tools", sa.JSON),  # server.tool names "always allowed" here
    sa.Column("max_tool_steps", sa.Integer),  # NULL: drupe.chat.tooling.DEFAULT_MAX_STEPS
    sa.Column("reasoning", sa.String(16)),  # off, low, medium, high; NULL: the provider's default (0007)
    sa.Column("params", sa.JSON),  # custom body fields, [{name, type, value}]; NULL: none (0007)
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE")),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False, default=""),
    sa.Column("parts", sa.JSON),
    sa.Column("reasoning", sa.Text, nullable=False, default=""),
    sa.Column("provider_id", sa.String(32)),
    sa.Column("provider", sa.Text),
    sa.Column("model", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("error_kind", sa.String(32)),
    sa.Column("stop_reason", sa.String(32)),
    # Why an answer ended (`drupe.protocols.base.StopReason`); NULL for user messages and older answers.
    sa.Column("owner", sa.String(80)),
    # "host:pid" of the process streaming this answer, so another process knows it is alive.
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("time_to_first_token_ms", sa.Float),
    sa.Column("tokens_per_second", sa.Float),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("tool_steps", sa.JSON),
    # The steps of an answer that called tools (see drupe.chat.records.ToolStep); NULL: none (0005).
    sa.Column("left_out", sa.Integer),
    # Earlier messages left out of an answer's request to fit the context window; NULL: not measured (0008).
)

sa.Index("ix_messages_conversation", messages.c.conversation_id, messages.c.id)
sa.Index("ix_messages_parent", messages.c.parent_id)
sa.Index("ix_messages_status", messages.c.status)
sa.Index("ix_conversations_updated", conversations.c.updated_at)

FTS_TABLE = "messages_fts"
"""SQLite FTS5 index over `messages.content`, kept in step by triggers (see migration 0002)."""

TRIGRAM_TABLE = "messages_trigram"
"""SQLite FTS5 index over `messages.content` with the `trigram` tokenizer, for Chinese, Japanese
and Korean words inside sentences (migration 0009); absent where SQLite has no trigram tokenizer."""

"""Full-text search over messages: SQLite FTS5 when the index exists, else a LIKE scan."""

from __future__ import annotations

import sqlalchemy as sa

from drupe.chat.records import SearchHit
from drupe.chat.tables import FTS_TABLE, conversations, messages

SNIPPET_RADIUS = 40


def has_fts(conn: sa.Connection) -> bool:
    return sa.inspect(conn).has_table(FTS_TABLE)


def fts_query(text: str) -> str:
    """Each word as a quoted FTS5 string, so user text never reads as query syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


def search_fts(conn: sa.Connection, text: str, limit: int) -> list[SearchHit]:
    query = sa.text(
        f"""SELECT m.id, m.conversation_id, m.role, c.title,
                   snippet({FTS_TABLE}, 0, '[', ']', '…', 12) AS snippet
            FROM {FTS_TABLE}
            JOIN messages m ON m.id = {FTS_TABLE}.rowid
            JOIN conversations c ON c.id = m.conversation_id
            WHERE {FTS_TABLE} MATCH :query
            ORDER BY rank LIMIT :limit"""
    )
    rows = conn.execute(query, {"query": fts_query(text), "limit": limit})
    return [SearchHit(row.conversation_id, row.title, row.id, row.role, row.snippet) for row in rows]


def search_like(conn: sa.Connection, text: str, limit: int) -> list[SearchHit]:
    """For databases without FTS5: a case-insensitive substring match, newest first."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        sa.select(messages.c.id, messages.c.conversation_id, messages.c.role, messages.c.content, conversations.c.title)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.content.ilike(f"%{escaped}%", escape="\\"))
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    rows = conn.execute(query)
    return [SearchHit(row.conversation_id, row.title, row.id, row.role, snippet(row.content, text)) for row in rows]


def snippet(content: str, text: str) -> str:
    """The match with some context either side, marked like FTS5's snippets."""
    start = content.lower().find(text.lower())
    if start < 0:
        return content[: 2 * SNIPPET_RADIUS]
    end = start + len(text)
    before = content[max(0, start - SNIPPET_RADIUS) : start]
    after = content[end : end + SNIPPET_RADIUS]
    prefix = "…" if start > SNIPPET_RADIUS else ""
    suffix = "…" if end + SNIPPET_RADIUS < len(content) else ""
    return f"{prefix}{before}[{content[start:end]}]{after}{suffix}"

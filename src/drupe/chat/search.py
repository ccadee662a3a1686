"""Full-text search over messages: SQLite FTS5 when the index exists, else a LIKE scan.

Both find the messages that hold all the words of the query, in any order."""

from __future__ import annotations

import re

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


def words(text: str) -> list[str]:
    """The words of a query, split as FTS5's default tokenizer splits them: on anything that
    is not a letter, digit or underscore, so `sugar "light` is the two words sugar and light."""
    return re.findall(r"\w+", text)


def search_like(conn: sa.Connection, text: str, limit: int) -> list[SearchHit]:
    """For databases without FTS5 (PostgreSQL, or SQLite built without it): messages that
    contain every word of `text`, each anywhere and in any case, newest first."""
    terms = words(text)
    if not terms:
        return []
    query = (
        sa.select(messages.c.id, messages.c.conversation_id, messages.c.role, messages.c.content, conversations.c.title)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(*(messages.c.content.ilike(f"%{_escape_like(term)}%", escape="\\") for term in terms))
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    rows = conn.execute(query)
    return [SearchHit(row.conversation_id, row.title, row.id, row.role, snippet(row.content, terms)) for row in rows]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def snippet(content: str, terms: list[str]) -> str:
    """Some context either side of the first word found, every word in it marked like
    FTS5's snippets mark them: `…light [into] [sug]ar`."""
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(content)
    if first is None:
        return content[: 2 * SNIPPET_RADIUS]
    start, end = max(0, first.start() - SNIPPET_RADIUS), first.end() + SNIPPET_RADIUS
    marked = pattern.sub(lambda match: f"[{match.group(0)}]", content[start:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(content) else ""
    return f"{prefix}{marked}{suffix}"

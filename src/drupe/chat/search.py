"""Full-text search over messages: SQLite FTS5 when the index exists, else a LIKE scan.

Both find the messages that hold all the words of the query, in any order.

Chinese and Japanese are written without spaces, and Korean glues particles to its words, so
FTS5's default tokenizer (unicode61) sees `今天天气怎么样` as one word and a search for 天气 finds
nothing. A query word holding CJK characters is therefore looked for as a substring instead:
through the `trigram` index (migration 0009) when it has 3 characters or more, with a LIKE
when shorter (a trigram index cannot match fewer than 3 characters). Other words keep the
unicode61 index: whole words, best matches first. docs/chat.md has the measurements behind
this choice."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from drupe.chat.records import SearchHit
from drupe.chat.tables import FTS_TABLE, TRIGRAM_TABLE, conversations, messages

SNIPPET_RADIUS = 40
TRIGRAM = 3
"""The shortest text the trigram index can match."""

CJK = re.compile(
    "[\u1100-\u11ff"  # Hangul Jamo
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003ffff]"  # CJK ideographs, extensions B onwards
)


@dataclass(frozen=True)
class Indexes:
    """Which SQLite full-text indexes the database has (none on PostgreSQL)."""

    words: bool
    trigrams: bool


def indexes(conn: sa.Connection) -> Indexes:
    inspector = sa.inspect(conn)
    return Indexes(inspector.has_table(FTS_TABLE), inspector.has_table(TRIGRAM_TABLE))


def fts_query(chunks: list[str]) -> str:
    """Each chunk as a quoted FTS5 string, so user text never reads as query syntax."""
    return " ".join('"' + chunk.replace('"', '""') + '"' for chunk in chunks)


def is_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def search_fts(conn: sa.Connection, text: str, limit: int, *, trigrams: bool) -> list[SearchHit]:
    """Search with the FTS5 index: whole words, best matches first; CJK words as substrings
    (through the trigram index when `trigrams` and the word is long enough, else LIKE)."""
    chunks = [chunk for chunk in text.split() if words(chunk)]  # `!!!` is no word, as in search_like
    if not chunks:
        return []
    plain = [chunk for chunk in chunks if not is_cjk(chunk)]
    cjk = [word for chunk in chunks if is_cjk(chunk) for word in words(chunk)]
    if not cjk:
        return _search_words(conn, plain, limit)
    return _search_cjk(conn, plain, cjk, limit, trigrams)


def _search_words(conn: sa.Connection, chunks: list[str], limit: int) -> list[SearchHit]:
    query = sa.text(
        f"""SELECT m.id, m.conversation_id, m.role, c.title,
                   snippet({FTS_TABLE}, 0, '[', ']', '…', 12) AS snippet
            FROM {FTS_TABLE}
            JOIN messages m ON m.id = {FTS_TABLE}.rowid
            JOIN conversations c ON c.id = m.conversation_id
            WHERE {FTS_TABLE} MATCH :query
            ORDER BY rank LIMIT :limit"""
    )
    rows = conn.execute(query, {"query": fts_query(chunks), "limit": limit})
    return [SearchHit(row.conversation_id, row.title, row.id, row.role, row.snippet) for row in rows]


def _search_cjk(conn: sa.Connection, plain: list[str], cjk: list[str], limit: int, trigrams: bool) -> list[SearchHit]:
    """Ranked by the word index when there are other words, else by the trigram index when a
    CJK word is long enough for it, else newest first. Snippets are cut here, since neither
    index marks every word."""
    long = [word for word in cjk if trigrams and len(word) >= TRIGRAM]
    short = [word for word in cjk if word not in long]
    params: dict[str, object] = {"limit": limit}
    conditions = []
    source = FTS_TABLE if plain else TRIGRAM_TABLE if long else None
    if plain:
        conditions.append(f"{FTS_TABLE} MATCH :words")
        params["words"] = fts_query(plain)
    if long:
        params["trigrams"] = fts_query(long)
        conditions.append(
            f"{TRIGRAM_TABLE} MATCH :trigrams"
            if source == TRIGRAM_TABLE
            else f"m.id IN (SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH :trigrams)"
        )
    for index, word in enumerate(short):
        conditions.append(f"m.content LIKE :like{index} ESCAPE '\\'")
        params[f"like{index}"] = f"%{_escape_like(word)}%"
    joined = f"{source} JOIN messages m ON m.id = {source}.rowid" if source else "messages m"
    query = sa.text(
        f"""SELECT m.id, m.conversation_id, m.role, c.title, m.content
            FROM {joined}
            JOIN conversations c ON c.id = m.conversation_id
            WHERE {" AND ".join(conditions)}
            ORDER BY {"rank" if source else "m.id DESC"} LIMIT :limit"""
    )
    marked = [word for chunk in plain for word in words(chunk)] + cjk
    rows = conn.execute(query, params)
    return [SearchHit(row.conversation_id, row.title, row.id, row.role, snippet(row.content, marked)) for row in rows]


def words(text: str) -> list[str]:
    """The words of a query, split as FTS5's default tokenizer splits them: on anything that
    is not a letter, digit or underscore, so `sugar "light` is the two words sugar and light."""
    return re.findall(r"\w+", text)


def search_like(conn: sa.Connection, text: str, limit: int) -> list[SearchHit]:
    """For databases without FTS5 (PostgreSQL, or SQLite built without it): messages that
    contain every word of `text`, each anywhere and in any case, newest first. CJK words
    inside sentences are found as they are, being substrings too."""
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

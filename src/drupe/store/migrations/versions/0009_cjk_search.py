"""A trigram full-text index over messages, so search finds Chinese, Japanese and Korean words
inside sentences (SQLite only).

FTS5's default tokenizer reads a run of CJK characters (`今天天气怎么样`) as one word. This
second external-content FTS5 table, `messages_trigram`, uses the `trigram` tokenizer (SQLite
3.34 and later) and is kept in step with `messages` by triggers like `messages_fts`; it is
filled from the messages already stored. Where SQLite has no FTS5 or no trigram tokenizer, and
on PostgreSQL, nothing is made: search then finds CJK words with LIKE.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "messages_trigram"
TRIGGERS = ("messages_trigram_insert", "messages_trigram_delete", "messages_trigram_update")
STATEMENTS = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(content, content='messages', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER messages_trigram_insert AFTER INSERT ON messages BEGIN
        INSERT INTO {TABLE}(rowid, content) VALUES (new.id, new.content);
    END""",
    f"""CREATE TRIGGER messages_trigram_delete AFTER DELETE ON messages BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, content) VALUES ('delete', old.id, old.content);
    END""",
    f"""CREATE TRIGGER messages_trigram_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO {TABLE}(rowid, content) VALUES (new.id, new.content);
    END""",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",  # index the messages stored before
)


def _has_trigram(bind: sa.Connection) -> bool:
    """FTS5 with the trigram tokenizer: SQLite 3.34 or later, built with FTS5."""
    if bind.dialect.name != "sqlite":
        return False
    if "ENABLE_FTS5" not in {row[0] for row in bind.exec_driver_sql("PRAGMA compile_options")}:
        return False
    version = tuple(int(part) for part in bind.exec_driver_sql("SELECT sqlite_version()").scalar_one().split("."))
    return version >= (3, 34)


def upgrade() -> None:
    bind = op.get_bind()
    if _has_trigram(bind):
        for statement in STATEMENTS:
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")

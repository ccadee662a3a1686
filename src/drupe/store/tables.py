"""The schema as SQLAlchemy Core tables. Changed only through Alembic migrations."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

providers = sa.Table(
    "providers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_key", sa.String(32), nullable=False, unique=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("api_keys", sa.Text, nullable=False, default=""),
    sa.Column("base_url", sa.Text, nullable=False, default=""),
    sa.Column("api_version", sa.String(64), nullable=False, default=""),
    sa.Column("headers", sa.JSON, nullable=False, default=dict),
    sa.Column("timeout", sa.Float, nullable=False, default=600.0),
    sa.Column("proxy", sa.Text, nullable=False, default=""),
    sa.Column("notes", sa.Text, nullable=False, default=""),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider_id", sa.String(32), sa.ForeignKey("providers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("model_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("group_name", sa.Text, nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False, default=list),
    sa.Column("context_window", sa.Integer),
    sa.Column("max_output", sa.Integer),
    sa.Column("price_in", sa.Float),
    sa.Column("price_out", sa.Float),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("provider_id", "model_id", name="uq_models_provider_model"),
)

sa.Index("ix_models_provider", models.c.provider_id)  # built by migration 0001

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON),
)


mcp_servers = sa.Table(
    "mcp_servers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_key", sa.String(32), nullable=False, unique=True),
    sa.Column("transport", sa.String(16), nullable=False),  # "stdio" or "http"
    sa.Column("command", sa.Text, nullable=False, default=""),
    sa.Column("args", sa.JSON, nullable=False, default=list),
    sa.Column("url", sa.Text, nullable=False, default=""),  # without its `user:password@`
    sa.Column("env", sa.JSON, nullable=False, default=dict),  # the names; every value is in `secrets`
    sa.Column("headers", sa.JSON, nullable=False, default=dict),  # secret ones' values emptied, kept in `secrets`
    sa.Column("secrets", sa.Text, nullable=False, default=""),  # encrypted JSON, as `providers.api_keys`
    sa.Column("timeout", sa.Float, nullable=False, default=60.0),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("approval", sa.String(16), nullable=False, default="ask", server_default="ask"),
    # "ask": each call waits for the user's approval; "always": calls run without asking (0005)
)


def migrated_metadata() -> sa.MetaData:
    """The metadata with every table the migrations build. The chat's tables
    (`drupe.chat.tables`) and the gateway's (`drupe.gateway.tables`) are declared on it too;
    importing them here puts them in what Alembic compares and what tests/test_schema.py
    checks against the migrations."""
    import drupe.chat.tables
    import drupe.gateway.tables  # noqa: F401

    return metadata


FTS_PREFIXES = ("messages_fts", "messages_trigram")


def compared(_obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    """Alembic's `include_object` when it compares the database with `migrated_metadata()`:
    everything but SQLite's full-text indexes (migrations 0002 and 0009), FTS5 virtual tables
    with shadow tables (`messages_fts_data`, ...) and triggers that SQLAlchemy cannot declare."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_PREFIXES))

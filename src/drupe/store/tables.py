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

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON),
)

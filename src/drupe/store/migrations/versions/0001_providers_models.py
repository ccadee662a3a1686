"""Providers, their models, and settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("name_key", sa.String(32), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("api_keys", sa.Text, nullable=False),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("api_version", sa.String(64), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("timeout", sa.Float, nullable=False),
        sa.Column("proxy", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider_id", sa.String(32), sa.ForeignKey("providers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("group_name", sa.Text, nullable=False),
        sa.Column("capabilities", sa.JSON, nullable=False),
        sa.Column("context_window", sa.Integer),
        sa.Column("max_output", sa.Integer),
        sa.Column("price_in", sa.Float),
        sa.Column("price_out", sa.Float),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("provider_id", "model_id", name="uq_models_provider_model"),
    )
    op.create_index("ix_models_provider", "models", ["provider_id"])
    op.create_table("settings", sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.JSON))


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_index("ix_models_provider", "models")
    op.drop_table("models")
    op.drop_table("providers")

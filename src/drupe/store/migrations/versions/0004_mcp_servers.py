"""MCP servers: the tool servers drupe connects to (stdio commands or Streamable HTTP URLs).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("name_key", sa.String(32), nullable=False, unique=True),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("env", sa.JSON, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("secrets", sa.Text, nullable=False),
        sa.Column("timeout", sa.Float, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mcp_servers")

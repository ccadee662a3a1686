"""The gateway: its keys (stored as hashes), its routes, and a record of its requests.

- `gateway_keys`: name (unique ignoring case, through `name_key`), the first characters of the key
  (`prefix`), the SHA-256 of the key (`hash`; the key itself is never stored), the model patterns
  it may use, its requests-per-minute limit, when it expires or was revoked, and its use.
- `gateway_routes`: a name and the `PROVIDER/MODEL` targets it tries in order.
- `gateway_usage`: one row per request (time, key, model, provider, tokens, cost, timings,
  status, error; the content only when asked for), indexed by time.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("name_key", sa.String(32), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("models", sa.JSON, nullable=False),
        sa.Column("rpm", sa.Integer),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("requests", sa.Integer, nullable=False),
    )
    op.create_table(
        "gateway_routes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False, unique=True),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "gateway_usage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("key_id", sa.String(32)),
        sa.Column("key_name", sa.String(32), nullable=False),
        sa.Column("api", sa.String(16), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("provider", sa.Text),
        sa.Column("provider_model", sa.Text),
        sa.Column("route", sa.String(64)),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cost", sa.Float),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("content", sa.JSON),
    )
    op.create_index("ix_gateway_usage_at", "gateway_usage", ["at"])


def downgrade() -> None:
    op.drop_index("ix_gateway_usage_at", table_name="gateway_usage")
    op.drop_table("gateway_usage")
    op.drop_table("gateway_routes")
    op.drop_table("gateway_keys")

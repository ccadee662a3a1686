"""The gateway's tables, on the shared metadata. Changed only by migrations (0006).

- `gateway_keys`: the keys other programs use to call drupe's `/v1` API. Only a hash of each key
  is kept (see `drupe.gateway.keys`), with its first characters (`prefix`) to tell keys apart.
  A revoked key stays, so its usage keeps its name.
- `gateway_routes`: named lists of `PROVIDER/MODEL` targets, tried in order.
- `gateway_usage`: one row per gateway request, read back by time (`ix_gateway_usage_at`).
"""

from __future__ import annotations

import sqlalchemy as sa

from drupe.store.tables import metadata

gateway_keys = sa.Table(
    "gateway_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_key", sa.String(32), nullable=False, unique=True),  # the name lower-cased: unique ignoring case
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the key, hex
    sa.Column("models", sa.JSON, nullable=False, default=list),  # fnmatch patterns; []: every model
    sa.Column("rpm", sa.Integer),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("requests", sa.Integer, nullable=False, default=0),
)

gateway_routes = sa.Table(
    "gateway_routes",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_key", sa.String(64), nullable=False, unique=True),
    sa.Column("targets", sa.JSON, nullable=False),
    # [{"provider_id", "provider", "model"}, ...] in order: the id follows a renamed provider
    sa.Column("created_at", sa.DateTime, nullable=False),
)

gateway_usage = sa.Table(
    "gateway_usage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("key_id", sa.String(32)),
    sa.Column("key_name", sa.String(32), nullable=False),
    sa.Column("api", sa.String(16), nullable=False),  # "openai" or "anthropic": the format the client spoke
    sa.Column("model", sa.Text, nullable=False),  # as the client asked
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
    sa.Column("content", sa.JSON(none_as_null=True)),  # only with `drupe serve --log-gateway-content`
)

sa.Index("ix_gateway_usage_at", gateway_usage.c.at)

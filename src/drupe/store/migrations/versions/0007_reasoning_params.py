"""Per-conversation reasoning and custom parameters.

- `conversations.reasoning`: `off`, `low`, `medium` or `high`; NULL leaves the provider's default.
- `conversations.params`: the custom request body fields, a JSON list of `{name, type, value}`
  (type `number`, `text`, `boolean` or `json`); NULL: none.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("reasoning", sa.String(16)))
    op.add_column("conversations", sa.Column("params", sa.JSON))


def downgrade() -> None:
    op.drop_column("conversations", "params")
    op.drop_column("conversations", "reasoning")

"""Why each answer ended: `messages.stop_reason` (NULL for answers stored before it existed).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("stop_reason", sa.String(32)))


def downgrade() -> None:
    op.drop_column("messages", "stop_reason")

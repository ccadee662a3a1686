"""How many earlier messages each answer's request left out to fit the model's context window:
`messages.left_out` (NULL for user messages, answers whose model's window is unknown, and answers
stored before it existed).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("left_out", sa.Integer))


def downgrade() -> None:
    op.drop_column("messages", "left_out")

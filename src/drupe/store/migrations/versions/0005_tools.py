"""Tools in conversations: the tool steps of each answer, which tools a conversation may use,
and whether an MCP server's calls wait for the user's approval.

- `messages.tool_steps`: the steps of an answer that called tools, each the text said before
  its calls and the calls (arguments, status, result); `content` keeps the final text.
- `conversations.tools`: the servers (`time`) or single tools (`time.get_current_time`) turned
  on, or `["all"]`; NULL: none. `conversations.allowed_tools`: the tools the user chose to
  "always allow" in that conversation. `conversations.max_tool_steps`: the step cap (NULL: 10).
- `mcp_servers.approval`: `ask` (every call waits for the user) or `always`.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("tool_steps", sa.JSON))
    op.add_column("conversations", sa.Column("tools", sa.JSON))
    op.add_column("conversations", sa.Column("allowed_tools", sa.JSON))
    op.add_column("conversations", sa.Column("max_tool_steps", sa.Integer))
    with op.batch_alter_table("mcp_servers") as batch:
        batch.add_column(sa.Column("approval", sa.String(16), nullable=False, server_default="ask"))


def downgrade() -> None:
    with op.batch_alter_table("mcp_servers") as batch:
        batch.drop_column("approval")
    op.drop_column("conversations", "max_tool_steps")
    op.drop_column("conversations", "allowed_tools")
    op.drop_column("conversations", "tools")
    op.drop_column("messages", "tool_steps")

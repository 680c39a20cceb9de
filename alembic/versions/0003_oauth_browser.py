"""Bind each Google OAuth state to the browser that started it.

Revision ID: 0003_oauth_browser
Revises: 0002_calendar
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0003_oauth_browser"
down_revision: str | Sequence[str] | None = "0002_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add oauth_state.browser_hash; states issued before it can't complete."""
    with op.batch_alter_table("oauth_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "browser_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    """Drop oauth_state.browser_hash."""
    with op.batch_alter_table("oauth_state", schema=None) as batch_op:
        batch_op.drop_column("browser_hash")

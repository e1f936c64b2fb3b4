"""Sign-in attempts per client address and per email, for the optional rate limit on login and register.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_attempts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_attempts")),
    )
    op.create_index(op.f("ix_auth_attempts_window_start"), "auth_attempts", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_attempts_window_start"), table_name="auth_attempts")
    op.drop_table("auth_attempts")

"""Persisted documents: query texts by SHA-256, for automatic persisted queries and the trusted-documents list.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persisted_documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_documents")),
    )
    op.create_index(
        "ix_persisted_documents_trusted_created_at",
        "persisted_documents",
        ["trusted", "created_at", "sha256"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_persisted_documents_trusted_created_at", table_name="persisted_documents")
    op.drop_table("persisted_documents")

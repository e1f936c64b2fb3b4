"""Initial schema: users, packages, releases, maintainers, classifiers and their links.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifiers")),
        sa.UniqueConstraint("name", name=op.f("uq_classifiers_name")),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=512), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("home_page", sa.String(length=2048), nullable=True),
        sa.Column("docs_url", sa.String(length=2048), nullable=True),
        sa.Column("license", sa.String(length=512), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("author_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        sa.UniqueConstraint("name", name=op.f("uq_packages_name")),
    )
    op.create_index("ix_packages_created_at_id", "packages", ["created_at", "id"], unique=False)
    op.create_index("ix_packages_license", "packages", ["license"], unique=False)
    op.create_index("ix_packages_updated_at_id", "packages", ["updated_at", "id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("profile_image_url", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index("ix_users_name_id", "users", ["name", "id"], unique=False)

    op.create_table(
        "maintainers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'maintainer')", name=op.f("ck_maintainers_role")),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_maintainers_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_maintainers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "package_id", name=op.f("pk_maintainers")),
    )
    op.create_index(op.f("ix_maintainers_package_id"), "maintainers", ["package_id"], unique=False)

    op.create_table(
        "package_classifiers",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("classifier_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["classifier_id"],
            ["classifiers.id"],
            name=op.f("fk_package_classifiers_classifier_id_classifiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_package_classifiers_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("package_id", "classifier_id", name=op.f("pk_package_classifiers")),
    )
    op.create_index(
        op.f("ix_package_classifiers_classifier_id"), "package_classifiers", ["classifier_id"], unique=False
    )

    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("yanked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_releases_package_id_packages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("package_id", "version", name=op.f("uq_releases_package_id")),
    )
    op.create_index("ix_releases_created_at_id", "releases", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_releases_package_id_created_at_id", "releases", ["package_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_releases_package_id_created_at_id", table_name="releases")
    op.drop_index("ix_releases_created_at_id", table_name="releases")

    op.drop_table("releases")
    op.drop_index(op.f("ix_package_classifiers_classifier_id"), table_name="package_classifiers")

    op.drop_table("package_classifiers")
    op.drop_index(op.f("ix_maintainers_package_id"), table_name="maintainers")

    op.drop_table("maintainers")
    op.drop_index("ix_users_name_id", table_name="users")

    op.drop_table("users")
    op.drop_index("ix_packages_updated_at_id", table_name="packages")
    op.drop_index("ix_packages_license", table_name="packages")
    op.drop_index("ix_packages_created_at_id", table_name="packages")

    op.drop_table("packages")
    op.drop_table("classifiers")

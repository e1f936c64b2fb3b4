"""Releases get a sortable PEP 440 version key and a pre-release flag; one release per PEP 440 version.

Revision ID: 0007
Revises: 0006

Existing rows get their key computed here. Versions that PEP 440 calls equal (`1.0` and `1.0.0`) were two
releases before this revision and are one from now on: the oldest is kept (the first published, as a second
publish would now be refused) and the later ones are deleted, each named in the migration's log, so that the
unique index can be built. A stored version that is not PEP 440 at all stops the migration with its name.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from packaging.version import InvalidVersion, Version

import models.base
from models.version_key import KEY_LENGTH, version_key

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5000
log = logging.getLogger("alembic.runtime.migration")
releases = sa.table(
    "releases",
    sa.column("id", sa.Integer),
    sa.column("package_id", sa.Integer),
    sa.column("version", sa.String),
    sa.column("created_at", models.base.UTCDateTime),
    sa.column("version_key", sa.String),
    sa.column("prerelease", sa.Boolean),
)
packages = sa.table("packages", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    # SQLite adds a NOT NULL column only with a default; PostgreSQL fills the rows first, then forbids NULL.
    if postgresql:
        op.add_column("releases", sa.Column("version_key", sa.String(KEY_LENGTH, collation="C"), nullable=True))
    else:
        op.add_column("releases", sa.Column("version_key", sa.String(KEY_LENGTH), nullable=False, server_default=""))
    op.add_column("releases", sa.Column("prerelease", sa.Boolean(), nullable=False, server_default=sa.false()))

    rows = bind.execute(
        sa.select(releases.c.id, releases.c.package_id, releases.c.version, packages.c.name)
        .join(packages, packages.c.id == releases.c.package_id)
        .order_by(releases.c.package_id, releases.c.created_at, releases.c.id)
    ).all()
    kept: dict[tuple[int, str], str] = {}
    updates, duplicates = [], []
    for row in rows:
        try:
            parsed = Version(row.version)
        except InvalidVersion:
            message = f"release {row.id} of {row.name} has version {row.version!r}, which is not PEP 440"
            raise RuntimeError(f"{message}; fix or delete it, then migrate again") from None
        key = version_key(parsed)
        if (row.package_id, key) in kept:
            duplicates.append(row.id)
            earlier = kept[row.package_id, key]
            log.warning(
                "deleting release %s %s (id %s): PEP 440 calls it %s, published before",
                *(row.name, row.version, row.id, earlier),
            )
            continue
        kept[row.package_id, key] = row.version
        updates.append({"row_id": row.id, "key": key, "pre": parsed.is_prerelease})
    for start in range(0, len(duplicates), CHUNK):
        bind.execute(sa.delete(releases).where(releases.c.id.in_(duplicates[start : start + CHUNK])))
    fill = (
        sa.update(releases)
        .where(releases.c.id == sa.bindparam("row_id"))
        .values(version_key=sa.bindparam("key"), prerelease=sa.bindparam("pre"))
    )
    for start in range(0, len(updates), CHUNK):
        bind.execute(fill, updates[start : start + CHUNK])

    if postgresql:
        op.alter_column("releases", "version_key", nullable=False)
        op.alter_column("releases", "prerelease", server_default=None)
    op.create_index("ix_releases_package_id_version_key", "releases", ["package_id", "version_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_releases_package_id_version_key", table_name="releases")
    # Not a batch rebuild: that would drop the SQLite counting triggers (see 0003). SQLite drops columns itself.
    op.drop_column("releases", "prerelease")
    op.drop_column("releases", "version_key")

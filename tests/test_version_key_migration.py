"""Migration 0007 gives existing releases their version key and keeps the oldest of PEP 440-equal versions."""

from datetime import UTC, datetime

import pytest
from alembic import command
from packaging.version import Version
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from migrations.runner import upgrade
from models.version_key import version_key
from tests.test_counters import alembic, blank, exact_counts

__all__ = ["blank"]  # the fixture, for the tests here

PACKAGES = text(
    "INSERT INTO packages (id, name, created_at, updated_at) VALUES (1, 'cheese', :t, :t), (2, 'brie', :t, :t)"
)
RELEASES = text("SELECT id, package_id, version, version_key, prerelease FROM releases ORDER BY id")


async def test_the_migration_fills_every_key_and_keeps_the_oldest_of_equal_versions(
    blank: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await upgrade(blank)
    await alembic(blank, command.downgrade, "0006")
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [  # (id, package, version, day): 1.0.0 and 1.0.0.0 came after 1.0 and are the same version
        (1, 1, "1.0.0", 2), (2, 1, "1.0", 1), (3, 1, "1.10", 3), (4, 1, "1.9", 4), (5, 1, "2.0rc1", 5),
        (6, 1, "1.0.0.0", 6), (7, 2, "1.0.0", 1),
    ]  # fmt: skip
    async with blank.begin() as conn:
        await conn.execute(PACKAGES, {"t": t.replace(tzinfo=None)})
        for row_id, package_id, version, day in rows:
            await conn.execute(
                text("INSERT INTO releases (id, package_id, version, created_at, size, yanked) "
                     "VALUES (:id, :p, :v, :t, 0, false)"),
                {"id": row_id, "p": package_id, "v": version, "t": t.replace(day=day, tzinfo=None)},
            )  # fmt: skip

    with caplog.at_level("WARNING"):
        await upgrade(blank)

    async with blank.connect() as conn:
        stored = (await conn.execute(RELEASES)).all()
    kept = [(2, 1, "1.0"), (3, 1, "1.10"), (4, 1, "1.9"), (5, 1, "2.0rc1"), (7, 2, "1.0.0")]
    assert [tuple(row[:3]) for row in stored] == kept
    assert [(row[3], bool(row[4])) for row in stored] == [
        (version_key(Version(v)), Version(v).is_prerelease) for _, _, v in kept
    ]
    deleted = [record.getMessage() for record in caplog.records if "deleting release" in record.getMessage()]
    assert len(deleted) == 2
    assert all("cheese" in message and "PEP 440 calls it 1.0" in message for message in deleted)
    await exact_counts(blank)  # the counting triggers saw the deletes


async def test_a_release_inserted_after_the_migration_gets_its_key(blank: AsyncEngine) -> None:
    await upgrade(blank)
    async with blank.begin() as conn:
        await conn.execute(PACKAGES, {"t": datetime(2024, 1, 1)})
        await conn.execute(insert(models.Release).values(package_id=1, version="1.0rc1"))
        found = (await conn.execute(select(models.Release.version_key, models.Release.prerelease))).one()
    assert tuple(found) == (version_key(Version("1.0rc1")), True)

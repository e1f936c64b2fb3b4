"""`seed` writes realistic data, the same for the same seed."""

import hashlib
import statistics

from packaging.version import Version
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from models.seed import CLASSIFIERS, seed
from tests.conftest import TABLES


async def digest(engine: AsyncEngine) -> str:
    """A fingerprint of every seeded row that matters, ids included."""
    async with engine.connect() as conn:
        packages = (await conn.execute(select(models.Package.id, models.Package.name).order_by("id"))).all()
        release_columns = select(models.Release.id, models.Release.package_id, models.Release.version)
        releases = (await conn.execute(release_columns.order_by("id"))).all()
        maintainers = (await conn.execute(select(models.Maintainer.__table__).order_by("package_id", "user_id"))).all()
    return hashlib.sha256(repr((packages, releases, maintainers)).encode()).hexdigest()


async def empty(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(models.Base.metadata.sorted_tables):
                if table is not models.Counter.__table__:  # the triggers keep the counters, emptied or not
                    await conn.execute(table.delete())


async def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not(engine: AsyncEngine) -> None:
    await seed(engine, packages=200, seed=7, progress=False)
    first = await digest(engine)
    await empty(engine)
    await seed(engine, packages=200, seed=7, progress=False)
    assert await digest(engine) == first
    await empty(engine)
    await seed(engine, packages=200, seed=8, progress=False)
    assert await digest(engine) != first


async def test_seeded_data_looks_like_a_real_index(engine: AsyncEngine) -> None:
    counts = await seed(engine, packages=1000, seed=1, progress=False)
    async with engine.connect() as conn:
        per_package = (
            (await conn.execute(select(func.count()).select_from(models.Release).group_by(models.Release.package_id)))
            .scalars()
            .all()
        )
        versions = (await conn.execute(select(models.Release.package_id, models.Release.version))).all()
        owners = await conn.scalar(select(func.count(func.distinct(models.Maintainer.package_id))).where(
            models.Maintainer.role == "owner"
        ))  # fmt: skip
        links = await conn.scalar(select(func.count()).select_from(models.package_classifiers))
        busy_users = select(models.Maintainer.user_id).group_by(models.Maintainer.user_id).having(func.count() > 1)
        shared = await conn.scalar(select(func.count()).select_from(busy_users.subquery()))
    assert counts["packages"] == len(per_package) == 1000, "every package has at least one release"
    assert sum(per_package) == counts["releases"]
    assert statistics.median(per_package) <= 10, "most packages have a handful of releases"
    assert max(per_package) >= 100, "a few packages have hundreds"
    assert all(str(Version(v)) for _, v in versions), "every version is PEP 440"
    assert len(set(versions)) == len(versions), "versions are unique per package"
    assert owners == 1000, "every package has an owner"
    assert (links or 0) >= 1000
    assert (shared or 0) > 0, "users maintain several packages"


async def test_ids_given_by_seed_do_not_block_new_rows(engine: AsyncEngine) -> None:
    await seed(engine, packages=20, seed=0, progress=False)
    async with engine.begin() as conn:
        await conn.execute(insert(models.Classifier).values(name="Zzz :: New"))
        new_id = await conn.scalar(select(func.max(models.Classifier.id)))
    assert (new_id or 0) > len(CLASSIFIERS)

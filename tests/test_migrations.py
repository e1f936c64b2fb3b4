"""Migrations build exactly the models, on both databases."""

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from migrations.runner import alembic_config, current, head, upgrade
from models import Base, outside_the_models
from models.db import make_engine


def differences(conn: Connection) -> list[Any]:
    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return not outside_the_models(name, type_, parent_names)

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_leave_autogenerate_nothing_to_do(migrated: AsyncEngine) -> None:
    async with migrated.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_migrated_database_is_at_the_newest_revision(migrated: AsyncEngine) -> None:
    assert await current(migrated) == head()


async def test_upgrade_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    assert await upgrade(engine) == (None, head())
    assert await upgrade(engine) == (head(), head())
    await engine.dispose()


async def test_downgrade_to_base_removes_every_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await engine.dispose()


@pytest.mark.postgresql
async def test_processes_starting_together_migrate_one_after_another(postgres_database: str) -> None:
    url = make_url(postgres_database)
    fresh = url.set(database=f"{url.database}_race")
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{fresh.database}"')
        engines = [make_engine(fresh) for _ in range(3)]
        # Unserialised, the three deadlock or collide on the first migration.
        results = await asyncio.wait_for(asyncio.gather(*(upgrade(engine) for engine in engines)), timeout=60)
        for engine in engines:
            await engine.dispose()
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)')
        await conn.close()
    assert sorted(results, key=lambda r: r[0] or "") == [(None, head()), (head(), head()), (head(), head())]

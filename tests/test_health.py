"""`/healthz` and `/readyz`: the process, the database and its migration revision."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from migrations.runner import head
from models import Base
from models.db import make_engine, make_sessionmaker
from tests.conftest import settings_for_tests


async def ready(engine: AsyncEngine) -> httpx.Response:
    app = create_app(settings_for_tests(), sessionmaker=make_sessionmaker(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        return await http.get("/readyz")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database with the tables but no migration recorded: create_all on SQLite, a new empty PostgreSQL one."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield engine
        await engine.dispose()
        return
    url = make_url(request.getfixturevalue("postgres_database"))
    name = f"{url.database}_unmigrated"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(url.set(database=name))
    yield engine
    await engine.dispose()
    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_ready_at_the_newest_revision(migrated: AsyncEngine) -> None:
    response = await ready(migrated)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_not_ready_behind_the_newest_revision(unmigrated: AsyncEngine) -> None:
    response = await ready(unmigrated)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": f"behind: (empty) < {head()}"},
    }


async def test_not_ready_one_revision_behind(migrated: AsyncEngine) -> None:
    """Stamped one revision back (and put back after), the database is behind by name."""
    from alembic.script import ScriptDirectory

    from migrations.runner import alembic_config

    newest = head()
    assert newest is not None
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(newest).down_revision
    assert isinstance(previous, str)
    async with migrated.begin() as conn:
        await conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{previous}'")
    try:
        response = await ready(migrated)
    finally:
        async with migrated.begin() as conn:
            await conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{newest}'")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": f"behind: {previous} < {newest}"}


async def test_ready_on_a_database_a_newer_release_migrated(migrated: AsyncEngine) -> None:
    """A rolling deploy migrates first: the replicas of the release before keep serving until replaced."""
    newest = head()
    async with migrated.begin() as conn:
        await conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    try:
        response = await ready(migrated)
    finally:
        async with migrated.begin() as conn:
            await conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{newest}'")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ahead"}}


async def test_not_ready_when_sqlite_cannot_open_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    response = await ready(engine)
    await engine.dispose()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "migrations": "unknown"}
    assert "dir.db" not in response.text


@pytest.mark.postgresql
async def test_not_ready_when_postgresql_does_not_answer_in_time(postgres_database: str) -> None:
    """A server that accepts the connection and says nothing: the check gives up after its timeout."""
    silent: list[asyncio.StreamWriter] = []

    async def accept_and_stay_silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = make_engine(make_url(postgres_database).set(host="127.0.0.1", port=port))
    app = create_app(settings_for_tests(readiness_timeout_seconds=0.3), sessionmaker=make_sessionmaker(engine))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/readyz")
    assert loop.time() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "timeout", "migrations": "unknown"}
    await engine.dispose()
    for writer in silent:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_healthz_does_no_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It answers while the database cannot even be opened, and touches no file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'absent.db'}")
    app = create_app(settings_for_tests(), sessionmaker=make_sessionmaker(engine))
    opened: list[Any] = []
    monkeypatch.setattr(os, "open", lambda *args, **kwargs: opened.append(args))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert opened == []
    assert not (tmp_path / "absent.db").exists()
    await engine.dispose()

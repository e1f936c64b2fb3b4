"""Across processes on PostgreSQL: two app servers on one database, subscribed on one, published through the other."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import contextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url, text

from live.listener import APPLICATION_NAME
from models.db import make_engine, make_sessionmaker
from tests.conftest import TABLES, TEST_SECRET
from tests.live import socket_to
from tests.servers import free_port
from tests.test_subscriptions import RELEASES, maintainer_token, publish

pytestmark = pytest.mark.postgresql
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextmanager
def app_process(database_url: str) -> Iterator[int]:
    """`uvicorn app:app` in a process of its own, configured by the environment; its port once it serves."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_COST": "1024",
        "PASSWORD_PARALLELISM": "1",
    }
    command = [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--ws", "websockets-sansio"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "the app process exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the app process did not start"
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
async def database(postgres_database: str) -> AsyncIterator[str]:
    """The run's PostgreSQL database, emptied after the test."""
    yield postgres_database
    engine = make_engine(postgres_database)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def token_for(database: str, *packages: str) -> str:
    engine = make_engine(database)
    try:
        return await maintainer_token(make_sessionmaker(engine), *packages)
    finally:
        await engine.dispose()


def plain(database: str) -> str:
    return make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)


async def listeners(database: str) -> list[int]:
    """The backends of this database's listeners that are listening (their last statement was the LISTEN)."""
    conn = await asyncpg.connect(plain(database))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1"
            " AND query LIKE 'LISTEN%'",
            APPLICATION_NAME,
        )
        return sorted(row["pid"] for row in rows)
    finally:
        await conn.close()


async def listening(database: str, count: int, not_among: Collection[int] = ()) -> list[int]:
    """Waits until `count` listeners other than `not_among` listen; their backends."""
    async with asyncio.timeout(15):
        while len(pids := [pid for pid in await listeners(database) if pid not in not_among]) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return pids


async def test_an_event_published_through_one_process_reaches_a_subscriber_of_the_other(database: str) -> None:
    token = await token_for(database, "cheese")
    with app_process(database) as one, app_process(database) as other:
        await listening(database, 2)
        async with socket_to(one) as ws:
            await ws.init()
            await ws.subscribe("1", RELEASES, {"package": "Cheese"})
            await asyncio.sleep(0.2)
            await publish(other, token, "cheese", "1.0")
            published = time.monotonic()
            event = await ws.receive(within=1.0)
            assert time.monotonic() - published < 1.0
            assert event["payload"]["data"]["releasePublished"] == {"version": "1.0", "package": {"name": "cheese"}}


async def test_after_its_backend_is_killed_the_listener_listens_again(database: str) -> None:
    token = await token_for(database, "cheese")
    with app_process(database) as one, app_process(database) as other:
        killed = await listening(database, 2)
        async with socket_to(one) as ws:
            await ws.init()
            await ws.subscribe("1", RELEASES)
            conn = await asyncpg.connect(plain(database))
            try:
                terminated = await conn.fetchval(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = $1",
                    APPLICATION_NAME,
                )
            finally:
                await conn.close()
            assert terminated == 2
            await listening(database, 2, not_among=killed)
            await publish(other, token, "cheese", "1.0")
            await publish(one, token, "cheese", "2.0")
            versions = [(await ws.receive(within=1.0))["payload"]["data"]["releasePublished"]["version"] for _ in "12"]
            assert versions == ["1.0", "2.0"]

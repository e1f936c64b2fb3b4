"""PostgreSQL cut off behind a TCP proxy (refused, then partitioned) while the app runs: fast errors, then recovery,
of the requests and of the LISTEN connection behind subscriptions.

Network outages exist for PostgreSQL only; SQLite is a file in the process.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url

from app import create_app
from live.events import CHANNEL, ReleasePublished
from live.hub import Live
from models import db
from models.db import make_engine
from tests.conftest import settings_for_tests
from tests.tcp_proxy import TcpProxy

# A request must fail within the bound; graphql-core's second answer to each planned query, which the other
# tests compare, would wait out the outage a second time within the same request.
pytestmark = [pytest.mark.postgresql, pytest.mark.one_executor]
QUERY = {"query": "query Stats { stats { packageCount } }"}
BOUND = 2.0  # seconds a request may take to fail while the database is away
PROBE = 0.2  # LISTENER_PROBE_SECONDS here
# Seconds the listener may take to listen again once the database is back: its longest wait between attempts
# (5 s), one connection (DATABASE_CONNECT_TIMEOUT_SECONDS, 1 s), and room for a busy machine.
RELISTEN_BOUND = 8.0


@pytest.fixture(autouse=True)
def ping_every_idle_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that served the last request is pinged too, as one that sat idle through the cut would be."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)


@pytest.fixture
async def proxy(postgres_database: str) -> AsyncIterator[TcpProxy]:
    url = make_url(postgres_database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.close()


def behind(proxy: TcpProxy, database: str) -> str:
    """The database's URL through the proxy."""
    return make_url(database).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture
async def http(proxy: TcpProxy, postgres_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own engine (default timeouts) on the database behind the proxy, lifespan and all."""
    app = create_app(settings_for_tests(database_url=behind(proxy, postgres_database)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def timed_query(http: httpx.AsyncClient) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = await http.post("/graphql", json=QUERY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, time.monotonic() - started


async def assert_serves(http: httpx.AsyncClient) -> None:
    body, _ = await timed_query(http)
    assert body == {"data": {"stats": {"packageCount": 0}}}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text


async def assert_fails_fast(http: httpx.AsyncClient) -> dict[str, str]:
    """A query fails within the bound with a clear error naming no SQL; /readyz says 503. Its checks."""
    body, seconds = await timed_query(http)
    assert seconds < BOUND, f"the query took {seconds:.2f} s to fail"
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert "try again" in error["message"]
    assert len(error["extensions"]["requestId"]) > 0
    for leak in ("SELECT", "counters", "Traceback", "asyncpg", "127.0.0.1"):
        assert leak not in str(body)
    started = time.monotonic()
    ready = await http.get("/readyz")
    assert time.monotonic() - started < BOUND
    assert ready.status_code == 503
    checks: dict[str, str] = ready.json()["checks"]
    assert ready.json()["status"] == "unavailable"
    return checks


async def test_refused_connections_fail_fast_and_the_app_recovers(proxy: TcpProxy, http: httpx.AsyncClient) -> None:
    await assert_serves(http)  # the pool now holds an open connection, which the refusal resets
    await proxy.refuse()
    checks = await assert_fails_fast(http)
    assert checks == {"database": "unreachable", "migrations": "unknown"}
    await assert_fails_fast(http)  # and again, now that the pool is empty
    await proxy.forward()
    await assert_serves(http)


async def test_a_partition_fails_fast_and_the_app_recovers(proxy: TcpProxy, http: httpx.AsyncClient) -> None:
    await assert_serves(http)  # a pooled connection, which falls silent
    await proxy.partition()
    checks = await assert_fails_fast(http)
    assert checks["database"] in ("timeout", "unreachable")
    assert checks["migrations"] == "unknown"
    await proxy.forward()
    await assert_serves(http)


async def test_a_mutation_during_an_outage_answers_that_the_database_is_unavailable(
    proxy: TcpProxy, http: httpx.AsyncClient
) -> None:
    await proxy.refuse()
    mutation = 'mutation { login(email: "a@b.org", password: "x") { __typename ... on Error { message } } }'
    response = await http.post("/graphql", json={"query": mutation})
    answer = response.json()["data"]["login"]
    assert answer["__typename"] == "UnexpectedError"
    assert "The database is unavailable" in answer["message"]
    assert "try again" in answer["message"]


@pytest.fixture
async def live(proxy: TcpProxy, postgres_database: str) -> AsyncIterator[Live]:
    """The live machinery of an app on the database behind the proxy, once its listener listens."""
    app = create_app(settings_for_tests(database_url=behind(proxy, postgres_database), listener_probe_seconds=PROBE))
    async with app.router.lifespan_context(app):
        live: Live = app.state.live
        await listening(live, True, within=BOUND)
        yield live


async def listening(live: Live, connected: bool, within: float) -> float:
    """Seconds until the listener is (or is no longer) listening, which must come within `within`."""
    assert live.listener is not None
    started = time.monotonic()
    async with asyncio.timeout(within):
        while live.listener.connected != connected:  # noqa: ASYNC110  # a flag, with no event to wait on
            await asyncio.sleep(0.02)
    return time.monotonic() - started


async def assert_delivers(live: Live, database: str, release_id: int) -> None:
    """A NOTIFY sent straight to the database (not through the proxy) reaches the app's subscribers."""
    event = ReleasePublished(release_id=release_id, package_id=1, package="cheese")
    async with live.broadcaster.subscribe(None) as subscriber:
        conn = await asyncpg.connect(make_url(database).set(drivername="postgresql").render_as_string(False))
        try:
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, event.encode())
        finally:
            await conn.close()
        delivery = await asyncio.wait_for(subscriber.queue.get(), BOUND)
    assert delivery is not None
    assert delivery.event == event


async def test_after_refused_connections_the_listener_listens_again(
    proxy: TcpProxy, live: Live, postgres_database: str
) -> None:
    await assert_delivers(live, postgres_database, 1)
    await proxy.refuse()
    await listening(live, False, within=BOUND)  # its connection was reset
    await proxy.forward()
    await listening(live, True, within=RELISTEN_BOUND)
    await assert_delivers(live, postgres_database, 2)


async def test_after_a_partition_the_listener_listens_again(
    proxy: TcpProxy, live: Live, postgres_database: str
) -> None:
    await assert_delivers(live, postgres_database, 1)
    await proxy.partition()
    # Found by the next probe, which gets no answer within DATABASE_CONNECT_TIMEOUT_SECONDS (1 s).
    await listening(live, False, within=PROBE + 1.0 + BOUND)
    await proxy.forward()
    await listening(live, True, within=RELISTEN_BOUND)
    await assert_delivers(live, postgres_database, 2)


async def test_a_request_that_finds_the_pool_in_use_fails_fast_as_unavailable(postgres_database: str) -> None:
    settings = settings_for_tests(
        database_url=postgres_database,
        database_pool_size=1,
        database_max_overflow=0,
        database_pool_timeout_seconds=0.2,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        await assert_serves(http)
        engine = app.state.sessionmaker.kw["bind"]
        async with engine.connect() as held:  # the pool's one connection
            await held.exec_driver_sql("SELECT 1")
            body, seconds = await timed_query(http)
        assert seconds < BOUND, f"the query took {seconds:.2f} s to fail"
        [error] = body["errors"]
        assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
        assert "QueuePool" not in str(body)
        await assert_serves(http)


async def test_only_a_connection_idle_past_the_bound_is_pinged(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[str] = []
    fetchrow = asyncpg.Connection.fetchrow

    async def counted(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        pings.extend([query] if query == ";" else [])
        return await fetchrow(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", counted)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60.0)
    engine = make_engine(postgres_database, pool_size=1, max_overflow=0, ping_timeout=0.5)
    try:
        for _ in range(3):  # new, then back in the pool a moment ago
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        assert pings == []
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had sat idle past the bound
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        assert pings == [";"]
    finally:
        await engine.dispose()

"""One session per request: safe under concurrent resolvers, closed on success and on error, never shared."""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only

import app
import loaders
import models
from loaders.classifier import ClassifiersByPackageIdLoader
from loaders.user import MaintainersByPackageIdLoader
from models.db import Db, Maker, make_engine, make_sessionmaker
from tests import factories
from tests.conftest import REFERENCE_RUN, GraphQLClient, settings_for_tests
from tests.test_mutations import sign_up

SECRET = "hunter2-at-/srv/cheeseshop/secret.py"

WIDE_QUERY = """
{
  a: packages(first: 5) { edges { node { name releases(first: 3) { edges { node { version } } } } } }
  b: packages(first: 5) { edges { node { name latestRelease { version package { name } } } } }
  c: packages(first: 5) { edges { node { name maintainers { name } } } }
  d: packages(first: 5) { edges { node { name classifiers { name } } } }
  e: packages(first: 5) { edges { node { name releaseCount } } }
  f: packages(first: 5) { totalCount edges { node { name releases(first: 2) { totalCount } } } }
  g: packages(first: 5) { edges { node { name maintainers { packages(first: 2) { edges { node { name } } } } } } }
  h: packages(first: 5) { edges { node { name classifiers { packages(first: 2) { totalCount } } } } }
  i: packages(first: 5) {
    edges { node { name releases(first: 1) { edges { node { package { maintainers { name } } } } } } }
  }
  j: packages(first: 5, after: null) { pageInfo { hasNextPage } edges { node { name latestRelease { version } } } }
  k: package(name: "alpha") { name maintainers { name } releases(first: 2) { edges { node { version } } } }
  l: package(name: "Beta") { name classifiers { name } latestRelease { version } releaseCount }
  m: package(name: "gamma") { name releases(first: 2) { totalCount } maintainers { packages(first: 1) { totalCount } } }
  n: package(name: "missing") { name }
}
"""


async def seed_small_index(session: AsyncSession) -> dict[str, models.Package]:
    """Six packages sharing maintainers and classifiers, each with a few releases."""
    ada, bob = await factories.user(session, "Ada"), await factories.user(session, "Bob")
    web, cli = await factories.classifier(session, "Topic :: Web"), await factories.classifier(session, "Topic :: CLI")
    rows = {}
    for n, name in enumerate(("alpha", "beta", "gamma", "delta", "epsilon", "zeta")):
        rows[name] = await factories.package(
            session,
            name,
            summary=f"The {name} package.",
            versions=[f"{n}.{k}" for k in range(1, 4 + n % 3)],
            yanked=[f"{n}.1"],
            maintainers=[(ada, "owner"), (bob, "maintainer")] if n % 2 else [(bob, "owner")],
            classifiers=[web, cli] if n % 3 else [web],
        )
    return rows


async def idle_in_transaction(engine: AsyncEngine) -> list[int]:
    """On PostgreSQL, the backends of the test database left idle inside a transaction, seen from outside."""
    if engine.dialect.name != "postgresql":
        return []
    conn = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'"
            " AND pid <> pg_backend_pid()",
            engine.url.database,
        )
        return [row["pid"] for row in rows]
    finally:
        await conn.close()


async def terminate(engine: AsyncEngine, pids: list[int]) -> None:
    """End the test database's stuck backends, so that the fixture's TRUNCATE does not wait on them forever."""
    if not pids:
        return
    conn = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids)
    finally:
        await conn.close()


async def leftovers(engine: AsyncEngine, sessions: Sequence[AsyncSession] = ()) -> list[str]:
    """What finished requests left behind: sessions used again after their close, connections still checked out,
    PostgreSQL backends idle in a transaction.

    Waits first for the tasks a request may leave running (DataLoader batches), and cleans up what it finds, so
    that a leak fails the test instead of hanging the run (a leaked aiosqlite connection keeps its thread alive,
    and a leaked PostgreSQL transaction blocks the fixture's TRUNCATE).
    """
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=10)
    problems = []
    reopened = [session for session in sessions if session.in_transaction()]
    if reopened:
        problems.append(f"{len(reopened)} of {len(sessions)} sessions were used again after the request closed them")
    pool: Any = engine.pool
    if pool.checkedout():
        problems.append(f"{pool.checkedout()} connections still checked out of the pool")
    stuck = await idle_in_transaction(engine)
    if stuck:
        problems.append(f"{len(stuck)} PostgreSQL connections left idle in transaction")
    for session in reopened:
        await session.close()
    await terminate(engine, await idle_in_transaction(engine))
    return problems


def assert_nothing_left(problems: list[str]) -> None:
    assert not problems, "; ".join(problems)


def assert_masked(body: dict[str, Any]) -> None:
    """An unexpected error reaches the client as a bare message with a request id, and nothing of its internals."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert error["message"] == "Internal server error.", error
        assert re.fullmatch(r"[0-9a-f]{32}", error["extensions"]["requestId"]), error
        assert set(error["extensions"]) == {"code", "requestId"}, error
    raw = json.dumps(body)
    for leak in (SECRET, "no_such_column", "Traceback", "RuntimeError", "sqlalchemy", "SELECT", ".py"):
        assert leak not in raw, f"{leak!r} leaked to the client: {raw}"


def fail_for_package(package_id: int, original: Callable[[Any, list[int]], Awaitable[Any]]) -> Any:
    """A `batch_load_fn` that raises an unexpected error when its batch holds `package_id`."""

    async def batch_load_fn(self: Any, package_ids: list[int]) -> Any:
        if package_id in package_ids:
            raise RuntimeError(f"unexpected failure, password={SECRET}")
        return await original(self, package_ids)

    return batch_load_fn


def bad_sql_for_package(package_id: int, original: Callable[[Any, list[int]], Awaitable[Any]]) -> Any:
    """A `batch_load_fn` that sends a statement the database rejects when its batch holds `package_id`.

    On PostgreSQL this aborts the request's transaction, which the end of the request must still clean up.
    """

    async def batch_load_fn(self: Any, package_ids: list[int]) -> Any:
        if package_id in package_ids:
            await self.db.rows(text("SELECT no_such_column FROM packages"))
        return await original(self, package_ids)

    return batch_load_fn


@asynccontextmanager
async def client_for(maker: Maker) -> AsyncIterator[GraphQLClient]:
    """A client of an app built on `maker`, as the `client` fixture is built on the test's sessionmaker."""
    application = app.create_app(settings_for_tests(), sessionmaker=maker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as http:
        yield GraphQLClient(http)


Recording = tuple[Maker, list[AsyncSession], list[AsyncSession], list[int]]


def recording(maker: Maker, monkeypatch: pytest.MonkeyPatch) -> Recording:
    """A sessionmaker that records each session it makes, each `close` called on one, and the most open at once."""
    made: list[AsyncSession] = []
    closed: list[AsyncSession] = []
    most_open = [0]

    def make() -> AsyncSession:
        session = maker()
        made.append(session)
        most_open[0] = max(most_open[0], len(made) - len(closed))
        original_close = session.close

        async def close() -> None:
            closed.append(session)
            await original_close()

        monkeypatch.setattr(session, "close", close)
        return session

    return cast(Maker, make), made, closed, most_open


@pytest.fixture
async def recorded(
    sessionmaker: Maker, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Recording]:
    """`recording` over the test's sessionmaker; whatever the test's outcome, what its requests left is cleaned up."""
    result = recording(sessionmaker, monkeypatch)
    yield result
    await leftovers(engine, result[1])


async def test_wide_query_of_aliased_sibling_relationships_shares_the_session_safely(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    await seed_small_index(session)
    # An empty pool: the request's first statement waits for a new connection while its siblings queue behind it.
    await engine.dispose()
    body = await client.execute(WIDE_QUERY)
    assert not body.get("errors"), body["errors"]
    data = body["data"]
    names = ["alpha", "beta", "delta", "epsilon", "gamma"]
    for alias in "abcdefghij":
        assert [e["node"]["name"] for e in data[alias]["edges"]] == names, alias
    assert data["f"]["totalCount"] == 6
    assert data["j"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["releaseCount"] for e in data["e"]["edges"]] == [3, 4, 3, 4, 5]
    assert [m["name"] for m in data["c"]["edges"][1]["node"]["maintainers"]] == ["Ada", "Bob"]
    assert data["k"]["name"] == "alpha"
    assert data["l"] == {"name": "beta", "classifiers": [{"name": "Topic :: CLI"}, {"name": "Topic :: Web"}],
                         "latestRelease": {"version": "1.4"}, "releaseCount": 4}  # fmt: skip
    assert data["m"]["releases"]["totalCount"] == 5
    assert data["n"] is None
    assert_nothing_left(await leftovers(engine))


async def test_wide_query_repeated_concurrently_never_hits_concurrent_operations(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    await seed_small_index(session)
    bodies = await asyncio.gather(*(client.execute(WIDE_QUERY) for _ in range(10)))
    errors = [b["errors"] for b in bodies if b.get("errors")]
    assert errors == [], errors
    assert all(b["data"] == bodies[0]["data"] for b in bodies)
    assert_nothing_left(await leftovers(engine))


GOOD = """
{
  packages(first: 5) { totalCount edges { node { name latestRelease { version } releases(first: 2) { totalCount } } } }
  package(name: "alpha") { maintainers { name } classifiers { name } }
}
"""
BAD_REQUESTS = [
    "{ packages(first: -1) { totalCount } }",
    "{ packages(first: 5000) { edges { node { name } } } }",
    '{ packages(after: "not-a-cursor") { edges { node { name } } } }',
    '{ node(id: "bm9wZQ==") { id } }',
    '{ user(id: "VXNlcjpub3BlCg==") { name } }',
    "{ packages { edges { node { noSuchField } } } }",
]
# Unexpected errors: a nested loader raises, in a small request and in a page whose siblings still have loads pending.
BOOM_ONE = '{ package(name: "beta") { name maintainers { name } releases(first: 3) { edges { node { version } } } } }'
BOOM_PAGE = """
{ packages(first: 6) {
    edges { node { name releaseCount maintainers { name } classifiers { name } releases(first: 2) { totalCount } } }
} }
"""
BROKEN_SQL = '{ package(name: "gamma") { name releaseCount classifiers { name } maintainers { name } } }'
# Six distinct pages of releases: one loader batch that runs six statements in a row, still running when a
# sibling's error ends the request.
BOOM_WHILE_PAGING = """
{ packages(first: 6) { edges { node {
    name maintainers { name }
    r1: releases(first: 1) { totalCount } r2: releases(first: 2) { totalCount } r3: releases(first: 3) { totalCount }
    r4: releases(first: 4) { totalCount } r5: releases(first: 5) { totalCount } r6: releases(first: 6) { totalCount }
} } } }
"""


async def test_200_requests_some_failing_leave_no_connection_checked_out_or_idle_in_transaction(
    recorded: Recording, session: AsyncSession, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await seed_small_index(session)
    monkeypatch.setattr(
        MaintainersByPackageIdLoader,
        "batch_load_fn",
        fail_for_package(rows["beta"].id, MaintainersByPackageIdLoader.batch_load_fn),
    )
    monkeypatch.setattr(
        ClassifiersByPackageIdLoader,
        "batch_load_fn",
        bad_sql_for_package(rows["gamma"].id, ClassifiersByPackageIdLoader.batch_load_fn),
    )
    plan = [GOOD, *BAD_REQUESTS, BOOM_ONE, BOOM_PAGE, BROKEN_SQL, BOOM_WHILE_PAGING]
    documents = [plan[i % len(plan)] for i in range(200)]
    maker, made, closed, _ = recorded
    async with client_for(maker) as client:
        bodies: list[dict[str, Any]] = []
        for start in range(0, 200, 20):
            bodies += await asyncio.gather(*(client.execute(d) for d in documents[start : start + 20]))
        assert len(made) == 200
        assert sorted(map(id, closed)) == sorted(map(id, made)), "every session is closed exactly once"
        assert_nothing_left(await leftovers(engine, made))
        outcomes = {"ok": 0, "bad": 0, "masked": 0}
        for document, body in zip(documents, bodies, strict=True):
            if document == GOOD:
                assert not body.get("errors"), f"a request that should succeed failed: {body}"
                assert len(body["data"]["packages"]["edges"]) == 5
                outcomes["ok"] += 1
            elif document in BAD_REQUESTS:
                assert body["errors"], body
                assert all(e["message"] != "Internal server error." for e in body["errors"]), body
                outcomes["bad"] += 1
            else:
                assert_masked(body)
                outcomes["masked"] += 1
        assert outcomes == {"ok": 19, "bad": 109, "masked": 72}
        # The pool still serves: a request after all of that works.
        data = await client.query(GOOD)
        assert data["packages"]["totalCount"] == 6


async def test_unexpected_error_is_masked_with_a_request_id_and_no_internals(
    client: GraphQLClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await seed_small_index(session)
    monkeypatch.setattr(
        MaintainersByPackageIdLoader,
        "batch_load_fn",
        fail_for_package(rows["beta"].id, MaintainersByPackageIdLoader.batch_load_fn),
    )
    first, second = await client.execute(BOOM_ONE), await client.execute(BOOM_ONE)
    assert_masked(first)
    assert_masked(second)
    assert first["errors"][0]["path"] == ["package", "maintainers"]
    assert first["errors"][0]["extensions"]["requestId"] != second["errors"][0]["extensions"]["requestId"]


async def test_bad_sql_inside_a_request_is_masked(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await seed_small_index(session)
    monkeypatch.setattr(
        ClassifiersByPackageIdLoader,
        "batch_load_fn",
        bad_sql_for_package(rows["gamma"].id, ClassifiersByPackageIdLoader.batch_load_fn),
    )
    assert_masked(await client.execute(BROKEN_SQL))
    assert_nothing_left(await leftovers(engine))


async def test_concurrent_requests_each_get_their_own_session_and_loaders(
    recorded: Recording, session: AsyncSession, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await seed_small_index(session)
    maker, made, closed, most_open = recorded
    bundles: list[loaders.Loaders] = []

    def record_loaders(db: Db) -> loaders.Loaders:
        bundle = loaders.Loaders(db)
        bundles.append(bundle)
        return bundle

    monkeypatch.setattr(app, "Loaders", record_loaders)
    names = [list(rows)[i % len(rows)] for i in range(20)]
    query = "query ($name: String!) { package(name: $name) { name summary maintainers { name } releaseCount } }"
    async with client_for(maker) as client:
        answers = await asyncio.gather(*(client.query(query, {"name": name}) for name in names))
    assert [a["package"]["name"] for a in answers] == names
    assert [a["package"]["summary"] for a in answers] == [f"The {name} package." for name in names]
    assert len(made) == 20
    assert len({id(s) for s in made}) == 20, "two requests shared a session"
    assert most_open[0] > 1, "the requests did not overlap, so the test shows nothing"
    assert len(bundles) == 20
    assert len({id(b) for b in bundles}) == 20, "two requests shared a loader bundle"
    assert len({id(b.package_by_id) for b in bundles}) == 20, "two requests shared a loader cache"
    assert {id(b.db.session) for b in bundles} == {id(s) for s in made}
    assert sorted(map(id, closed)) == sorted(map(id, made)), "every session is closed exactly once"
    assert all(len(made_session.identity_map) == 0 for made_session in made), "a closed session still holds rows"
    assert_nothing_left(await leftovers(engine, made))


async def test_data_changed_between_two_requests_is_seen_by_the_second(
    client: GraphQLClient, session: AsyncSession
) -> None:
    rows = await seed_small_index(session)
    query = """
    { package(name: "alpha") {
        summary releaseCount maintainers { name } latestRelease { version }
        releases(first: 10) { totalCount edges { node { version } } }
    } }
    """
    before = (await client.query(query))["package"]
    carol = await factories.user(session, "Carol")
    alpha = rows["alpha"]
    await session.execute(update(models.Package).where(models.Package.id == alpha.id).values(summary="Changed."))
    session.add_all([
        models.Release(package_id=alpha.id, version="9.0", created_at=factories.tick()),
        models.Maintainer(user_id=carol.id, package_id=alpha.id, role="maintainer"),
    ])  # fmt: skip
    await session.commit()
    after = (await client.query(query))["package"]
    assert before["summary"] == "The alpha package."
    assert after["summary"] == "Changed."
    assert after["releaseCount"] == before["releaseCount"] + 1
    assert after["releases"]["totalCount"] == before["releases"]["totalCount"] + 1
    assert after["releases"]["edges"][0]["node"]["version"] == "9.0"
    assert after["latestRelease"] == {"version": "9.0"}
    assert [m["name"] for m in after["maintainers"]] == [*(m["name"] for m in before["maintainers"]), "Carol"]


async def test_package_fetched_by_id_in_one_request_is_read_again_in_the_next(
    client: GraphQLClient, session: AsyncSession
) -> None:
    rows = await seed_small_index(session)
    query = "{ latestReleases(limit: 1) { package { name summary } } }"
    assert (await client.query(query))["latestReleases"][0]["package"]["summary"] == "The zeta package."
    zeta = rows["zeta"].id
    await session.execute(update(models.Package).where(models.Package.id == zeta).values(summary="Renamed."))
    await session.commit()
    assert (await client.query(query))["latestReleases"][0]["package"]["summary"] == "Renamed."


def raise_in_root_resolver(monkeypatch: pytest.MonkeyPatch, rows: dict[str, models.Package]) -> str:
    async def first(self: Db, stmt: Any) -> Any:
        raise RuntimeError(f"root resolver failed, password={SECRET}")

    monkeypatch.setattr(Db, "first", first)
    return '{ package(name: "alpha") { name } }'


def raise_in_nested_loader(monkeypatch: pytest.MonkeyPatch, rows: dict[str, models.Package]) -> str:
    original = MaintainersByPackageIdLoader.batch_load_fn
    monkeypatch.setattr(MaintainersByPackageIdLoader, "batch_load_fn", fail_for_package(rows["beta"].id, original))
    return BOOM_PAGE


def raise_while_a_loader_batch_is_running(monkeypatch: pytest.MonkeyPatch, rows: dict[str, models.Package]) -> str:
    original = MaintainersByPackageIdLoader.batch_load_fn
    monkeypatch.setattr(MaintainersByPackageIdLoader, "batch_load_fn", fail_for_package(rows["beta"].id, original))
    return BOOM_WHILE_PAGING


def raise_after_bad_sql(monkeypatch: pytest.MonkeyPatch, rows: dict[str, models.Package]) -> str:
    original = ClassifiersByPackageIdLoader.batch_load_fn
    monkeypatch.setattr(ClassifiersByPackageIdLoader, "batch_load_fn", bad_sql_for_package(rows["gamma"].id, original))
    return BROKEN_SQL


@pytest.mark.parametrize(
    "arrange",
    [
        pytest.param(raise_in_root_resolver, id="root-resolver-raises"),
        pytest.param(raise_in_nested_loader, id="nested-loader-raises"),
        pytest.param(raise_after_bad_sql, id="database-rejects-a-statement"),
        pytest.param(raise_while_a_loader_batch_is_running, id="loader-raises-while-another-batch-runs"),
    ],
)
async def test_session_is_closed_when_a_resolver_raises(
    recorded: Recording,
    session: AsyncSession,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    arrange: Callable[[pytest.MonkeyPatch, dict[str, models.Package]], str],
) -> None:
    rows = await seed_small_index(session)
    document = arrange(monkeypatch, rows)
    maker, made, closed, _ = recorded
    async with client_for(maker) as client:
        body = await client.execute(document)
    assert_masked(body)
    assert len(made) == 1
    assert closed == made, "the request's session was not closed"
    assert len(made[0].identity_map) == 0, "the closed session still holds rows"
    assert_nothing_left(await leftovers(engine, made))


async def test_session_is_closed_when_a_resolver_rejects_its_arguments(
    recorded: Recording, engine: AsyncEngine
) -> None:
    maker, made, closed, _ = recorded
    async with client_for(maker) as client:
        message = await client.error("{ packages(first: -1) { totalCount } }")
    assert message == "`first` must be between 0 and 100, got -1."
    assert len(made) == 1
    assert closed == made
    assert_nothing_left(await leftovers(engine, made))


@pytest.fixture
async def transaction_statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The BEGIN, COMMIT and ROLLBACK statements the driver sends (those its own logging sees)."""
    sent: list[str] = []

    def record(statement: str) -> None:
        if statement.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK"}:
            sent.append(statement.split()[0].upper())

    def watch(dbapi_connection: Any, _record: Any) -> None:
        driver = dbapi_connection.driver_connection
        if engine.dialect.name == "postgresql":
            driver.add_query_logger(lambda query: record(query.query))
        else:
            await_only(driver.set_trace_callback(record))

    event.listen(engine.sync_engine, "connect", watch)
    await engine.dispose()  # connections made from here on are watched
    yield sent
    event.remove(engine.sync_engine, "connect", watch)


async def test_a_query_runs_outside_a_transaction_and_a_mutation_inside_one(
    client: GraphQLClient, session: AsyncSession, transaction_statements: list[str]
) -> None:
    """A read needs no transaction (under READ COMMITTED each statement sees a snapshot of its own either way);
    on PostgreSQL one would cost two round trips per request."""
    await seed_small_index(session)
    transaction_statements.clear()
    data = await client.query(
        "{ packages(first: 3) { totalCount pageInfo { hasNextPage } edges { node { name maintainers { name } "
        "releases(first: 2) { totalCount edges { node { version } } } } } } stats { packageCount } }"
    )
    assert data["packages"]["totalCount"] == 6
    assert len(data["packages"]["edges"]) == 3
    assert transaction_statements == []
    await sign_up(client, "Ada")
    # asyncpg sends its COMMIT by a path its query logger does not see; the BEGIN is what tells.
    assert transaction_statements[:1] == ["BEGIN"]
    assert (await client.query("{ users(first: 5) { totalCount } }"))["users"]["totalCount"] == 3


@pytest.mark.postgresql
@pytest.mark.one_executor  # a pool of one connection: the compared second run would wait for the first's
async def test_a_pooled_connection_whose_server_end_closed_is_not_handed_out_again(postgres_database: str) -> None:
    """A connection back in the pool a moment ago is not pinged; one whose socket the driver knows is closed is
    dropped all the same (a read in autocommit gives its connection back without a statement that would tell)."""
    engine = make_engine(postgres_database, ping_timeout=0.5, pool_size=1, max_overflow=0)
    query = "{ stats { packageCount } }"
    try:
        async with client_for(make_sessionmaker(engine)) as client:
            await client.query(query)
            async with engine.connect() as conn:  # the pool's one connection, now idle in it
                backend = await conn.scalar(text("SELECT pg_backend_pid()"))
            await terminate(engine, [backend])
            await asyncio.sleep(0.2)  # the driver reads the end of its socket
            assert (await client.query(query))["stats"]["packageCount"] == 0
    finally:
        await engine.dispose()


async def test_a_session_that_fails_to_close_leaves_the_built_answer_as_it_is(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    closing = Db.close

    async def close_then_fail(db: Db) -> None:
        await closing(db)
        if not REFERENCE_RUN.get():  # the request's own session, not the compared run's
            raise ConnectionResetError("the connection was cut as the request ended")

    monkeypatch.setattr(Db, "close", close_then_fail)
    assert (await client.query("{ stats { packageCount } }"))["stats"]["packageCount"] == 0

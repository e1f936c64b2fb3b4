"""The counters behind `stats` and `totalCount` equal real counts after every kind of write, concurrent ones too."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, delete, distinct, func, insert, inspect, make_url, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

import models
import resolvers.maintainers
import resolvers.package_mutations
from migrations.runner import alembic_config, upgrade
from models.counter import COUNTER_NAMES
from models.db import Maker, make_engine
from models.seed import CLASSIFIERS, seed
from resolvers.permissions import authorize
from tests import factories
from tests.conftest import TABLES, GraphQLClient, SqlCounter
from tests.test_mutations import ADD, CREATE, DELETE, PUBLISH, REMOVE, answer, post, sign_up, user_row
from tests.test_transactions import assert_masked, explode

Counts = dict[str, int]

TRUTH = select(
    select(func.count()).select_from(models.Package).scalar_subquery().label("packages"),
    select(func.count()).select_from(models.Release).scalar_subquery().label("releases"),
    select(func.count()).select_from(models.User).scalar_subquery().label("users"),
    select(func.count()).select_from(models.Classifier).scalar_subquery().label("classifiers"),
    select(func.count(distinct(models.Maintainer.user_id))).scalar_subquery().label("maintainers"),
)
STATS = "{ stats { packageCount releaseCount userCount maintainerCount } }"
TOTALS = "{ packages { totalCount } users { totalCount } classifiers { totalCount } }"


async def exact_counts(conn: AsyncConnection | AsyncEngine) -> Counts:
    """The counters, once checked against the rows they count (in one snapshot)."""
    if isinstance(conn, AsyncEngine):
        async with conn.connect() as own:
            return await exact_counts(own)
    truth = dict((await conn.execute(TRUTH)).one()._mapping)
    kept: Counts = dict((await conn.execute(select(models.Counter.name, models.Counter.value))).all())
    assert kept == truth, f"counters {kept} != real counts {truth}"
    return kept


def counts(packages: int = 0, releases: int = 0, users: int = 0, classifiers: int = 0, maintainers: int = 0) -> Counts:
    return {"packages": packages, "releases": releases, "users": users, "classifiers": classifiers,
            "maintainers": maintainers}  # fmt: skip


async def stats(client: GraphQLClient) -> Counts:
    data = (await client.query(STATS))["stats"]
    return {"packages": data["packageCount"], "releases": data["releaseCount"], "users": data["userCount"],
            "maintainers": data["maintainerCount"]}  # fmt: skip


# Through the API


async def test_counters_follow_every_mutation_and_the_cascades_of_a_delete(
    client: GraphQLClient, engine: AsyncEngine, session: AsyncSession
) -> None:
    assert await exact_counts(engine) == counts()
    ada_token, _ = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    await sign_up(client, "Carol")
    await factories.classifier(session, "Typing :: Typed")
    assert await exact_counts(engine) == counts(users=3, classifiers=1)

    for name in ("cheese", "eggs"):
        assert (await answer(client, CREATE, {"input": {"name": name}}, ada_token))["__typename"] == "PackagePayload"
    for name, version in [("cheese", "1.0"), ("cheese", "1.1"), ("eggs", "1.0")]:
        result = await answer(client, PUBLISH, {"input": {"package": name, "version": version}}, ada_token)
        assert result["__typename"] == "ReleasePayload", result
    assert await exact_counts(engine) == counts(packages=2, releases=3, users=3, classifiers=1, maintainers=1)

    async def maintainer(mutation: str, package: str) -> None:
        result = await answer(client, mutation, {"package": package, "user": bob}, ada_token)
        assert result["__typename"] == "MaintainerPayload", result

    await maintainer(ADD, "cheese")  # Bob's first package: one more maintainer
    assert (await exact_counts(engine))["maintainers"] == 2
    await maintainer(ADD, "eggs")  # his second: still the same people
    assert (await exact_counts(engine))["maintainers"] == 2
    await maintainer(REMOVE, "cheese")  # he still maintains eggs
    assert (await exact_counts(engine))["maintainers"] == 2

    deleted = await answer(client, DELETE, {"package": "eggs"}, ada_token)
    assert deleted["__typename"] == "DeletePackagePayload", deleted
    # The cascade took eggs' release and Bob's last maintainer row with it.
    expected = counts(packages=1, releases=2, users=3, classifiers=1, maintainers=1)
    assert await exact_counts(engine) == expected
    assert await stats(client) == {k: v for k, v in expected.items() if k != "classifiers"}


async def test_a_rolled_back_unit_of_work_counts_nothing(
    client: GraphQLClient, engine: AsyncEngine, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ada = await sign_up(client, "Ada")
    before = await exact_counts(engine)
    monkeypatch.setattr(resolvers.package_mutations, "PackagePayload", explode)  # fails after the flush
    assert_masked(await post(client, CREATE, {"input": {"name": "cheese"}}, token))
    assert await exact_counts(engine) == before

    async with sessionmaker() as session:
        owner = await user_row(session, ada)
        row = models.Package(name="eggs")
        session.add_all([row, models.Maintainer(package=row, user_id=owner.id, role="owner")])
        await session.flush()
        session.add_all([models.Release(package_id=row.id, version=v) for v in ("1.0", "2.0")])
        await session.flush()
        inside = dict((await session.execute(select(models.Counter.name, models.Counter.value))).all())
        assert inside == {**before, "packages": 1, "releases": 2, "maintainers": 1}, "the triggers ran"
        await session.rollback()
    assert await exact_counts(engine) == before == counts(users=1)


async def test_writes_outside_the_api_are_counted_too(engine: AsyncEngine) -> None:
    await seed(engine, packages=30, seed=3, progress=False)
    by_packages = select(models.Maintainer.user_id).group_by(models.Maintainer.user_id)
    async with engine.begin() as conn:
        busiest = await conn.scalar(by_packages.order_by(func.count().desc(), models.Maintainer.user_id).limit(1))
        heir = await conn.scalar(select(func.min(models.User.id)).where(models.User.id != busiest))
        # As in a psql session: hand one user's packages to another, delete that one with all their rows, thin out
        # the releases, add classifiers.
        hand_over = (
            "UPDATE maintainers SET user_id = :heir WHERE user_id = :busiest"
            " AND package_id NOT IN (SELECT package_id FROM maintainers WHERE user_id = :heir)"
        )
        assert (await conn.execute(text(hand_over), {"busiest": busiest, "heir": heir})).rowcount > 0
        await conn.execute(text("DELETE FROM users WHERE id = :heir"), {"heir": heir})
        await conn.execute(text("DELETE FROM releases WHERE id % 3 = 0"))
        await conn.execute(text("INSERT INTO classifiers (name) VALUES ('Zzz :: One'), ('Zzz :: Two')"))
        await exact_counts(conn)
    after = await exact_counts(engine)
    assert after["users"] == 14
    assert after["classifiers"] == len(CLASSIFIERS) + 2


async def test_one_delete_of_several_packages_counts_all_their_cascades(engine: AsyncEngine) -> None:
    await seed(engine, packages=30, seed=4, progress=False)
    async with engine.begin() as conn:
        ids = (await conn.scalars(select(models.Package.id).order_by(models.Package.id).limit(3))).all()
        before = await exact_counts(conn)
        # One statement whose cascades delete the releases and maintainers of three packages at once.
        await conn.execute(text("DELETE FROM packages WHERE id IN (:a, :b, :c)"), dict(zip("abc", ids, strict=True)))
        after = await exact_counts(conn)
    assert after["packages"] == before["packages"] - 3
    assert after["releases"] < before["releases"]
    assert await exact_counts(engine) == after


async def test_seed_leaves_the_counters_exact(engine: AsyncEngine) -> None:
    written = await seed(engine, packages=200, seed=5, progress=False)
    kept = await exact_counts(engine)
    assert {name: kept[name] for name in written} == written
    assert 0 < kept["maintainers"] <= written["users"]


# What reads them


async def test_stats_is_one_statement_that_reads_only_the_counters(
    client: GraphQLClient, engine: AsyncEngine, sql: SqlCounter
) -> None:
    await seed(engine, packages=20, seed=1, progress=False)
    with sql.count() as seen:
        answered = await stats(client)
    assert len(seen) == 1, seen
    assert re.findall(r"\bFROM\s+(\w+)", seen[0]) == ["counters"], seen[0]
    assert answered == {k: v for k, v in (await exact_counts(engine)).items() if k != "classifiers"}
    assert answered["packages"] == 20


async def test_unfiltered_total_counts_read_the_counters_and_filtered_ones_count_rows(
    client: GraphQLClient, engine: AsyncEngine, session: AsyncSession
) -> None:
    await factories.package(session, "cheese")
    await factories.package(session, "eggs")
    await factories.user(session)
    await factories.classifier(session, "Typing :: Typed")
    async with engine.begin() as conn:  # a counter that is off shows which count was read
        await conn.execute(text("UPDATE counters SET value = value + 40"))
    data = await client.query(TOTALS)
    assert [data[field]["totalCount"] for field in ("packages", "users", "classifiers")] == [42, 41, 41]
    filtered = await client.query('{ packages(filter: {namePrefix: "ch"}) { totalCount } }')
    assert filtered["packages"]["totalCount"] == 1
    empty_filter = await client.query("{ packages(filter: {}) { totalCount } }")
    assert empty_filter["packages"]["totalCount"] == 42


# Concurrency: PostgreSQL runs writers side by side (SQLite queues them, and passes these tests trivially)


async def test_twenty_concurrent_publishes_are_all_counted(
    client: GraphQLClient, engine: AsyncEngine, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    owner = await user_row(session, ada)
    for name in ("cheese", "eggs", "spam", "ham"):
        await factories.package(session, name, maintainers=[(owner, "owner")])
    results = await asyncio.gather(*(
        answer(client, PUBLISH, {"input": {"package": name, "version": f"1.{n}"}}, token)
        for name in ("cheese", "eggs", "spam", "ham") for n in range(5)
    ))  # fmt: skip
    assert {r["__typename"] for r in results} == {"ReleasePayload"}, results
    assert (await exact_counts(engine))["releases"] == 20


async def test_one_user_added_to_two_packages_at_once_is_one_more_maintainer(
    client: GraphQLClient, engine: AsyncEngine, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    owner = await user_row(session, ada)
    for name in ("cheese", "eggs"):
        await factories.package(session, name, maintainers=[(owner, "owner")])
    authorized = 0
    both = asyncio.Event()

    async def authorize_then_wait_for_the_other(*args: Any, **kwargs: Any) -> Any:
        nonlocal authorized
        allowed = await authorize(*args, **kwargs)
        authorized += 1
        if authorized == 2:
            both.set()
        # Both inserts then run together on PostgreSQL; SQLite lets one transaction in at a time, so give up soon.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), 0.5)
        return allowed

    monkeypatch.setattr(resolvers.maintainers, "authorize", authorize_then_wait_for_the_other)
    results = await asyncio.gather(
        *(answer(client, ADD, {"package": p, "user": bob}, token) for p in ("cheese", "eggs"))
    )
    assert {r["__typename"] for r in results} == {"MaintainerPayload"}, results
    assert (await exact_counts(engine))["maintainers"] == 2


async def committed_in_turn(
    engine: AsyncEngine, first: str, second: str, parameters: dict[str, Any]
) -> tuple[bool, Counts]:
    """Run `first` and, while it is uncommitted, `second` in another transaction; whether `second` had to wait for
    `first` to commit, and the counts once both have."""
    async with engine.connect() as one, engine.connect() as two:
        await one.begin()
        await two.begin()
        await one.execute(text(first), parameters)
        later = asyncio.ensure_future(two.execute(text(second), parameters))
        waited = not (await asyncio.wait([later], timeout=0.5))[0]
        await one.commit()
        await later
        await two.commit()
    return waited, await exact_counts(engine)


@pytest.mark.postgresql
async def test_first_rows_of_one_user_in_two_transactions_count_them_once(pg: AsyncEngine) -> None:
    ids = await two_packages_and_bob(pg, bob_maintains=())
    add = "INSERT INTO maintainers (user_id, package_id, role) VALUES (:bob, :{}, 'maintainer')"
    waited, after = await committed_in_turn(pg, add.format("p1"), add.format("p2"), ids)
    assert waited, "the second transaction decides whether Bob is new only once the first has committed"
    assert after["maintainers"] == 2


@pytest.mark.postgresql
async def test_last_rows_of_one_user_deleted_in_two_transactions_count_them_gone(pg: AsyncEngine) -> None:
    ids = await two_packages_and_bob(pg, bob_maintains=("p1", "p2"))
    delete = "DELETE FROM maintainers WHERE user_id = :bob AND package_id = :{}"
    waited, after = await committed_in_turn(pg, delete.format("p1"), delete.format("p2"), ids)
    assert waited
    assert after["maintainers"] == 1


@pytest.mark.postgresql
async def test_repeatable_read_transaction_that_would_miscount_fails_to_serialise_instead(pg: AsyncEngine) -> None:
    ids = await two_packages_and_bob(pg, bob_maintains=("p1", "p2"))
    async with pg.connect() as late:
        await late.execution_options(isolation_level="REPEATABLE READ")
        await late.begin()
        await late.execute(text("SELECT 1"))  # its snapshot: Bob maintains both packages
        async with pg.begin() as early:
            await early.execute(text("DELETE FROM maintainers WHERE user_id = :bob AND package_id = :p1"), ids)
        with pytest.raises(DBAPIError, match="could not serialize"):
            await late.execute(text("DELETE FROM maintainers WHERE user_id = :bob AND package_id = :p2"), ids)
        await late.rollback()
    assert (await exact_counts(pg))["maintainers"] == 2


@pytest.mark.postgresql
async def test_a_cascading_delete_and_an_insert_take_the_counters_in_one_order_and_never_deadlock(
    pg: AsyncEngine,
) -> None:
    ids = await two_packages_and_bob(pg, bob_maintains=("p2",))
    async with pg.connect() as creating, pg.connect() as deleting:
        await creating.begin()
        await deleting.begin()
        package = insert(models.Package).values(name="new", created_at=factories.tick(), updated_at=factories.tick())
        new = (await creating.execute(package.returning(models.Package.id))).scalar_one()
        # Deleting p2 cascades to Bob's last maintainer row; it waits for the packages counter before taking the
        # maintainers one, so the insert below does not wait for it in turn.
        delete = asyncio.ensure_future(deleting.execute(text("DELETE FROM packages WHERE id = :p2"), ids))
        await asyncio.sleep(0.3)
        await creating.execute(
            text("INSERT INTO maintainers (user_id, package_id, role) VALUES (:bob, :new, 'owner')"),
            {**ids, "new": new},
        )
        await creating.commit()
        await asyncio.wait_for(delete, 10)
        await deleting.commit()
    assert await exact_counts(pg) == counts(packages=2, users=2, maintainers=2)


@pytest.mark.postgresql
async def test_truncate_zeroes_what_it_empties_and_nothing_else(pg: AsyncEngine) -> None:
    await seed(pg, packages=20, seed=2, progress=False)
    async with pg.begin() as conn:
        await conn.execute(text("TRUNCATE packages CASCADE"))
    assert await exact_counts(pg) == counts(users=10, classifiers=len(CLASSIFIERS))
    async with pg.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))  # as the fixtures do
    assert await exact_counts(pg) == counts()


@pytest.fixture
async def pg(postgres_database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(postgres_database)
    yield engine
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def two_packages_and_bob(engine: AsyncEngine, bob_maintains: tuple[str, ...]) -> dict[str, int]:
    """Ada owns p1 and p2; Bob maintains those named. Their ids, by name."""
    ids: dict[str, int] = {}
    async with engine.begin() as conn:
        for who in ("ada", "bob"):
            user = insert(models.User).values(name=who, email=f"{who}@example.org", created_at=factories.tick())
            ids[who] = (await conn.execute(user.returning(models.User.id))).scalar_one()
        for name in ("p1", "p2"):
            package = insert(models.Package).values(name=name, created_at=factories.tick(), updated_at=factories.tick())
            ids[name] = (await conn.execute(package.returning(models.Package.id))).scalar_one()
            roles = [("ada", "owner"), ("bob", "maintainer")] if name in bob_maintains else [("ada", "owner")]
            for who, role in roles:
                await conn.execute(insert(models.Maintainer).values(user_id=ids[who], package_id=ids[name], role=role))
    assert (await exact_counts(engine))["maintainers"] == (2 if bob_maintains else 1)
    return ids


# The migration


async def recreate(url: URL, *, drop_only: bool = False) -> None:
    """Drop the PostgreSQL database `url` names, and create it afresh unless told not to."""
    admin = await asyncpg.connect(url.set(drivername="postgresql", database="postgres").render_as_string(False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        if not drop_only:
            await admin.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await admin.close()


@asynccontextmanager
async def new_database(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> AsyncIterator[AsyncEngine]:
    """An empty database of the kind the test runs on, that no migration has touched; dropped afterwards."""
    if request.node.callspec.params["blank"] == "sqlite":
        url = make_url(f"sqlite:///{tmp_path / name}.db")
    else:
        run = make_url(request.getfixturevalue("postgres_database"))
        url = run.set(database=f"{run.database}_{name}")
        await recreate(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        if url.get_backend_name() == "postgresql":
            await recreate(url, drop_only=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def blank(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with new_database(request, tmp_path, "blank") as engine:
        yield engine


async def alembic(engine: AsyncEngine, action: Callable[[Config, str], None], revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: action(alembic_config(sync), revision))


def counting_objects(conn: Connection) -> set[tuple[str, ...]]:
    """The triggers (and on PostgreSQL the functions) of the database, as the database prints them."""
    if conn.dialect.name == "sqlite":
        # Only the counting ones: the search index keeps triggers of its own (models/search.py).
        stmt = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%counter%'"
    else:
        stmt = (
            "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
            " UNION ALL SELECT proname, '', pg_get_functiondef(oid) FROM pg_proc"
            " WHERE pronamespace = 'public'::regnamespace"
        )
    return {tuple(row) for row in conn.execute(text(stmt))}


async def test_upgrade_starts_the_counters_from_existing_rows_and_downgrade_takes_them_away(blank: AsyncEngine) -> None:
    # Seeded through today's models, then taken back to before the counters: the rows stay.
    await upgrade(blank)
    await seed(blank, packages=40, seed=4, progress=False)
    async with blank.begin() as conn:  # someone who maintains nothing
        await conn.execute(
            insert(models.User).values(id=100, name="Idle", email="idle@example.org", created_at=factories.tick())
        )
    await alembic(blank, command.downgrade, "0001")
    await upgrade(blank)
    kept = await exact_counts(blank)
    assert kept["packages"] == 40
    assert 0 < kept["maintainers"] < kept["users"] == 21

    await alembic(blank, command.downgrade, "0001")
    async with blank.begin() as conn:
        assert await conn.run_sync(counting_objects) == set()
        assert "counters" not in await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        # Writes still work: nothing left behind refers to the counters.
        await conn.execute(text("DELETE FROM releases WHERE id % 2 = 0"))
        await conn.execute(text("DELETE FROM users WHERE id = 1"))

    await upgrade(blank)
    again = await exact_counts(blank)
    assert again["users"] == 20
    assert 0 < again["releases"] < kept["releases"]


async def test_migrations_and_create_all_build_the_same_triggers(
    blank: AsyncEngine, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await upgrade(blank)
    async with new_database(request, tmp_path, "created") as created:
        async with created.begin() as conn:
            await conn.run_sync(models.Base.metadata.create_all)
        async with blank.connect() as migrated_conn, created.connect() as created_conn:
            migrated = await migrated_conn.run_sync(counting_objects)
            # PostgreSQL: 2 functions, 3 triggers on each of 5 tables and 1 on updates; SQLite: 2 on each, 1 on updates.
            assert len(migrated) == (18 if blank.dialect.name == "postgresql" else 11)
            assert await created_conn.run_sync(counting_objects) == migrated
        assert await exact_counts(created) == await exact_counts(blank) == dict.fromkeys(COUNTER_NAMES, 0)


ROW_TABLES = ("users", "packages", "releases", "maintainers", "classifiers", "package_classifiers")


async def every_row(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows as the database holds them, in key order, without the columns later revisions add."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in ROW_TABLES:
            result = await conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))
            later = ("token_key", "search_vector", "version_key", "prerelease")  # added by later revisions
            keep = [i for i, name in enumerate(result.keys()) if name not in later]
            found[table] = [tuple(row[i] for i in keep) for row in result]
    return found


async def test_the_token_key_migration_keeps_every_row_and_the_counting_and_never_reuses_an_id(
    blank: AsyncEngine,
) -> None:
    await upgrade(blank)
    await seed(blank, packages=20, seed=5, progress=False)
    await alembic(blank, command.downgrade, "0002")  # a database from before the keys, full of rows
    before = await every_row(blank)

    await upgrade(blank)

    assert await every_row(blank) == before  # no cascade ran while the tables were rebuilt
    async with blank.connect() as conn:
        keys = (await conn.execute(select(models.User.token_key))).scalars().all()
    assert len(keys) == len(set(keys)) == len(before["users"]) > 0
    assert all(keys)
    async with blank.begin() as conn:
        newest_user = (await conn.execute(select(func.max(models.User.id)))).scalar_one()
        newest_package = (await conn.execute(select(func.max(models.Package.id)))).scalar_one()
        await conn.execute(delete(models.User).where(models.User.id == newest_user))
        await conn.execute(delete(models.Package).where(models.Package.id == newest_package))
        user_id = (
            await conn.execute(
                insert(models.User).values(name="New", email="new@example.org").returning(models.User.id)
            )
        ).scalar_one()
        package_id = (
            await conn.execute(insert(models.Package).values(name="new").returning(models.Package.id))
        ).scalar_one()
    assert user_id > newest_user
    assert package_id > newest_package
    await exact_counts(blank)  # the rebuilt tables count again

"""search(query:): ranking, cursors, hostile text, and an index that follows every write, on both databases."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import models
from app import create_app
from migrations.runner import alembic_config, upgrade
from models.db import make_engine, make_sessionmaker
from models.search import VECTOR, VECTOR_INDEX
from models.seed import seed
from tests import factories
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests
from tests.test_counters import new_database

PASSWORD = "correct horse battery staple"
BENCH_PAGE = Path(__file__).parent.parent / "bench" / "queries" / "search_page.graphql"
PAGE = "{ totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"
SEARCH = (
    "query ($q: String!, $first: Int, $after: String, $last: Int, $before: String) {"
    " search(query: $q, first: $first, after: $after, last: $last, before: $before) " + PAGE + " }"
)


async def search(client: GraphQLClient, query: str, **page: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await client.query(SEARCH, {"q": query, **page}))["search"]
    return connection


async def found(client: GraphQLClient, query: str) -> list[str]:
    return [edge["node"]["name"] for edge in (await search(client, query, first=100))["edges"]]


async def write(client: GraphQLClient, document: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = await client.http.post(
        "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def sign_up(client: GraphQLClient) -> str:
    register = "mutation($input: RegisterInput!) { register(input: $input) { ... on AuthPayload { token } } }"
    data = await client.query(register, {"input": {"name": "Ada", "email": "ada@example.org", "password": PASSWORD}})
    token: str = data["register"]["token"]
    return token


# Ranking


async def test_the_package_named_by_the_query_comes_first(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "retry-tools", summary="Retry, retry, retry.")
    await factories.package(session, "retry", summary="Runs a function once more when it fails, up to a limit.")
    await factories.package(session, "backoff", summary="Retry with waits.")
    assert await found(client, "retry") == ["retry", "retry-tools", "backoff"]
    assert (await found(client, "RETRY"))[0] == "retry"


async def test_a_word_in_the_name_outranks_the_same_word_in_the_summary(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "gouda", summary="A Dutch cheese.")  # older: a lower id
    await factories.package(session, "cheese-board")
    await factories.package(session, "brie", summary="Cheese, cheese, cheese.")
    assert await found(client, "cheese") == ["cheese-board", "brie", "gouda"]


async def test_names_match_on_their_parts_however_the_query_writes_them(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "aiohttp-retry", summary="Retries for aiohttp.")
    await factories.package(session, "aiohttp", summary="HTTP client and server.")
    await factories.package(session, "zope-interface")
    assert await found(client, "retry") == ["aiohttp-retry"]
    assert await found(client, "aiohttp") == ["aiohttp", "aiohttp-retry"]
    for query in ("aiohttp-retry", "aiohttp_retry", "AIOHTTP.Retry", "retry aiohttp"):
        assert await found(client, query) == ["aiohttp-retry"], query
    for query in ("zope.interface", "Zope_Interface", "interface"):
        assert await found(client, query) == ["zope-interface"], query


async def test_every_word_must_match(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "fastjson", summary="A fast JSON parser.")
    await factories.package(session, "slowjson", summary="A slow JSON parser.")
    await factories.package(session, "speedy", summary="Fast, but no json.")
    assert await found(client, "fast json parser") == ["fastjson"]
    assert await found(client, "json") == ["fastjson", "slowjson", "speedy"]


async def test_words_match_whole_in_any_case_and_unicode(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "kaese", summary="Käse für alle.")
    await factories.package(session, "nihongo", summary="日本語 テキスト")
    await factories.package(session, "crackers", summary="Crackers.")
    assert await found(client, "KÄSE") == ["kaese"]
    assert await found(client, "日本語") == ["nihongo"]
    assert await found(client, "rack") == []


async def test_packages_that_rank_equally_come_by_id(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("zebra", "apple", "mango", "kiwi"):
        await factories.package(session, name, summary="A fruit.")
    assert await found(client, "fruit") == ["zebra", "apple", "mango", "kiwi"]


# Paging


async def ranked_packages(session: AsyncSession) -> list[str]:
    """Packages matching "cheese" with several ranks and many ties; their names in search order."""
    await factories.package(session, "cheese")
    for i in range(9):
        await factories.package(session, f"cheese-{i}")
    for i in range(9):
        await factories.package(session, f"plain-{i}", summary="Cheese.")
    await factories.package(session, "other", summary="No match.")
    return ["cheese", *(f"cheese-{i}" for i in range(9)), *(f"plain-{i}" for i in range(9))]


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def test_walking_forward_with_cursors_visits_every_match_once_in_order(
    client: GraphQLClient, session: AsyncSession
) -> None:
    expected = await ranked_packages(session)
    seen: list[str] = []
    after = None
    while True:
        connection = await search(client, "cheese", first=4, after=after)
        assert connection["totalCount"] == len(expected)
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += names(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == expected


async def test_walking_backward_with_cursors_visits_every_match_once_in_order(
    client: GraphQLClient, session: AsyncSession
) -> None:
    expected = await ranked_packages(session)
    seen: list[str] = []
    before = None
    while True:
        connection = await search(client, "cheese", last=4, before=before)
        assert connection["totalCount"] == len(expected)
        assert connection["pageInfo"]["hasNextPage"] is (before is not None)
        seen = names(connection) + seen
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    assert seen == expected


async def test_cursors_of_every_edge_resume_right_after_it(client: GraphQLClient, session: AsyncSession) -> None:
    expected = await ranked_packages(session)
    edges = (await search(client, "cheese", first=100))["edges"]
    for i, edge in enumerate(edges):
        assert names(await search(client, "cheese", first=3, after=edge["cursor"])) == expected[i + 1 : i + 4]
        assert names(await search(client, "cheese", last=2, before=edge["cursor"])) == expected[max(0, i - 2) : i]


async def test_a_cursor_from_another_ordering_is_an_argument_error(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await ranked_packages(session)
    cursor = (await client.query("{ packages(first: 1) { pageInfo { endCursor } } }"))["packages"]["pageInfo"]
    body = await client.execute(SEARCH, {"q": "cheese", "after": cursor["endCursor"]})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("`after`")


# Hostile input

NASTY = [
    '"', '""', "'", "' OR 1=1 --", 'cheese"', '"cheese', '"cheese brie"', "cheese*", "*", "*cheese", "-", "--",
    "-cheese", "cheese -brie", "(cheese", "cheese)", "()", "(cheese OR brie)", "OR", "AND", "NOT", "cheese OR brie",
    "cheese AND", "NOT cheese", "NEAR", "NEAR(cheese brie)", "cheese NEAR/2 brie", "name:cheese", "summary : brie",
    "{name}: cheese", "^cheese", "cheese + brie", "+", "!cheese", "!!", "cheese & brie", "cheese | brie",
    "cheese:*", "cheese:A", "\\", "\\\"", "%", "_", "%_%", "a'b\"c", ";", "; DROP TABLE packages; --", "<->",
    "cheese <-> brie", "Käse", "日本語", "🧀 cheese", "\u202echeese", "\u200b", "ﬁ", "İ", "x " * 100, "c" * 200,
]  # fmt: skip


async def test_hostile_text_is_only_ever_text(client: GraphQLClient, session: AsyncSession, sql: SqlCounter) -> None:
    await factories.package(session, "cheese", summary="Brie, or not brie.")
    await factories.package(session, "brie", summary="A soft cheese.")
    with sql.count() as plain:
        await client.query("query ($q: String!) { search(query: $q) { totalCount edges { node { name } } } }",
                           {"q": "cheese"})  # fmt: skip
    for query in NASTY:
        with sql.count() as seen:
            body = await client.execute(
                "query ($q: String!) { search(query: $q) { totalCount edges { node { name } } } }", {"q": query}
            )
        assert not body.get("errors"), (query, body)
        assert seen in ([], plain), (query, seen)  # the same SQL as any search, or none at all
        connection = body["data"]["search"]
        assert connection["totalCount"] == len(connection["edges"]) <= 2, query
        assert {edge["node"]["name"] for edge in connection["edges"]} <= {"cheese", "brie"}, query


@pytest.mark.parametrize("query", ["*", "-", '"()"', "...", " !!! ", "_", "-- ;"])
async def test_text_without_a_single_word_finds_nothing_without_asking_the_database(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter, query: str
) -> None:
    await factories.package(session, "cheese")
    with sql.expect(0):
        connection = await search(client, query)
    assert connection == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "cheese " * 1500, "c" * 201])
async def test_blank_or_overlong_text_is_an_argument_error_before_any_sql(
    client: GraphQLClient, sql: SqlCounter, query: str
) -> None:
    with sql.expect(0):
        body = await client.execute(SEARCH, {"q": query})
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`query`" in error["message"]


# The index follows every write


async def test_created_updated_and_deleted_packages_are_searched_as_they_are_now(client: GraphQLClient) -> None:
    token = await sign_up(client)
    create = "mutation($input: CreatePackageInput!) { createPackage(input: $input) { __typename } }"
    await write(client, create, {"input": {"name": "gouda", "summary": "A Dutch cheese."}}, token)
    assert await found(client, "dutch") == ["gouda"]

    change = "mutation($input: UpdatePackageInput!) { updatePackage(input: $input) { __typename } }"
    await write(client, change, {"input": {"package": "gouda", "summary": "Aged for months."}}, token)
    assert await found(client, "dutch") == []
    assert await found(client, "aged months") == ["gouda"]
    await write(client, change, {"input": {"package": "gouda", "summary": None}}, token)
    assert await found(client, "aged") == []
    assert await found(client, "gouda") == ["gouda"]

    remove = "mutation($package: String!) { deletePackage(package: $package) { __typename } }"
    await write(client, remove, {"package": "gouda"}, token)
    assert await found(client, "gouda") == []
    assert (await search(client, "gouda"))["totalCount"] == 0


async def test_writes_that_bypass_the_api_are_searched_too(client: GraphQLClient, session: AsyncSession) -> None:
    row = await factories.package(session, "brie", summary="Soft.")
    await session.execute(update(models.Package).where(models.Package.id == row.id).values(name="camembert"))
    await session.commit()
    assert await found(client, "brie") == []
    assert await found(client, "camembert") == ["camembert"]
    await session.execute(text("DELETE FROM packages"))
    await session.commit()
    assert await found(client, "camembert") == []


async def test_seeded_packages_are_indexed_exactly(engine: AsyncEngine) -> None:
    await seed(engine, packages=60, seed=3, progress=False)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            stale = await conn.scalar(text(f"SELECT count(*) FROM packages WHERE search_vector <> ({VECTOR})"))
            assert stale == 0
            index = await conn.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": VECTOR_INDEX}
            )
            assert index is not None
            assert index.endswith("USING gin (search_vector)")
        else:
            indexed = (await conn.execute(text("SELECT rowid, name, summary FROM packages_search ORDER BY 1"))).all()
            rows = (await conn.execute(text("SELECT id, name, summary FROM packages ORDER BY 1"))).all()
            assert [tuple(row) for row in indexed] == [tuple(row) for row in rows]
            assert len(rows) == 60


# The ranking written out by hand, read straight from each database's index.
DIRECT = {
    "postgresql": "SELECT name FROM packages, websearch_to_tsquery('simple', :q) AS q WHERE search_vector @@ q"
    " ORDER BY name = :exact DESC, ts_rank('{0.1, 0.2, 0.4, 1.0}', search_vector, q) DESC, id",
    "sqlite": "SELECT p.name FROM packages_search AS s JOIN packages AS p ON p.id = s.rowid"
    " WHERE packages_search MATCH '\"' || :q || '\"'"
    " ORDER BY p.name = :exact DESC, bm25(packages_search, 10.0, 1.0), p.id",
}


@pytest.mark.parametrize("query", ["json", "data", "kube", "http-client", "async"])
async def test_search_ranks_as_the_index_read_directly_does(
    client: GraphQLClient, engine: AsyncEngine, query: str
) -> None:
    await seed(engine, packages=300, seed=7, progress=False)
    async with engine.connect() as conn:
        words = query.replace("-", '" "') if engine.dialect.name == "sqlite" else query.replace("-", " ")
        direct = (await conn.execute(text(DIRECT[engine.dialect.name]), {"q": words, "exact": query})).scalars().all()
    seen: list[str] = []
    after = None
    while True:
        connection = await search(client, query, first=40, after=after)
        assert connection["totalCount"] == len(direct)
        seen += names(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) > 1
    assert seen == direct


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def blank(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with new_database(request, tmp_path, "search") as engine:
        yield engine


async def test_the_migration_indexes_the_packages_already_there(blank: AsyncEngine) -> None:
    async with blank.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0005"))
        for name, summary in (("gouda", "A Dutch cheese."), ("aiohttp-retry", None)):
            when = factories.tick()
            await conn.execute(
                insert(models.Package).values(name=name, summary=summary, created_at=when, updated_at=when)
            )
    await upgrade(blank)
    app = create_app(settings_for_tests(), sessionmaker=make_sessionmaker(blank))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        client = GraphQLClient(http)
        assert await found(client, "cheese") == ["gouda"]
        assert await found(client, "retry") == ["aiohttp-retry"]


async def test_migrations_and_create_all_build_the_same_sqlite_index(tmp_path: Path) -> None:
    migrated, created = (make_engine(f"sqlite:///{tmp_path / name}.db") for name in ("migrated", "created"))
    await upgrade(migrated)
    async with created.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    listing = "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'packages_search%' ORDER BY name"
    found_in = []
    for engine in (migrated, created):
        async with engine.connect() as conn:
            found_in.append({tuple(row) for row in await conn.execute(text(listing))})
        await engine.dispose()
    assert found_in[0] == found_in[1]
    triggers = {f"packages_search_{event}" for event in ("insert", "delete", "update")}
    assert {name for _, name, _ in found_in[0]} >= {"packages_search", *triggers}


# Statements


async def test_a_search_page_runs_one_statement_and_one_more_for_its_count(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    await ranked_packages(session)
    with sql.expect(1):
        await client.query('{ search(query: "cheese", first: 5) { edges { cursor node { name summary } } } }')
    with sql.expect(2):
        connection = (await client.query('{ search(query: "cheese") ' + PAGE + " }"))["search"]
    after = json.dumps(connection["pageInfo"]["endCursor"])
    with sql.expect(3):  # the bench's search page: the latest releases of the whole page in one more
        await client.query(BENCH_PAGE.read_text(), {"query": "cheese"})
    with sql.expect(3):  # past a cursor, whether a page lies before it is one more question
        await client.query(f'{{ search(query: "cheese", first: 5, after: {after}) {PAGE} }}')


async def test_on_postgresql_operators_work_and_exclusions_alone_find_nothing(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    await factories.package(session, "fastjson", summary="A fast JSON parser.")
    await factories.package(session, "yamlish", summary="A YAML parser.")
    await factories.package(session, "other", summary="Something else.")
    if engine.dialect.name == "postgresql":
        assert await found(client, "json or yaml") == ["fastjson", "yamlish"]
        assert await found(client, "parser -json") == ["yamlish"]
        assert await found(client, '"fast json"') == ["fastjson"]
        assert await found(client, '"json fast"') == []
        assert await found(client, "-json") == []
        assert await found(client, "-json or -yaml") == []
    else:  # SQLite: every word must match, and operators are words or separators
        assert await found(client, "json or yaml") == []
        assert await found(client, "parser -json") == ["fastjson"]
        assert await found(client, '"json fast"') == ["fastjson"]
        assert await found(client, "-json") == ["fastjson"]

"""SQL statement counts per query shape: one statement per relationship level, whatever the number of parents."""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from strawberry import relay

import models
from models.db import Db
from tests import factories
from tests.conftest import REFERENCE_RUN, GraphQLClient, SqlCounter

Rows = dict[str, list[dict[str, Any]]]

DEEP_QUERY = """
query Deep($n: Int!) {
  packages(first: $n) {
    %(root_total)s
    edges { node {
      releases(first: 5) {
        %(releases_total)s
        edges { node { package { maintainers {
          packages(first: 3) { %(packages_total)s edges { node { name } } }
        } } } }
      }
    } }
  }
}
"""
# Root page, releases window, maintainers, the maintainers' packages window; Release.package was primed by the root.
DEEP_QUERY_STATEMENTS = 4
DEEP_QUERY_LEVELS = 4  # releases, package, maintainers, packages


async def seed_index(session: AsyncSession, *, packages: int = 120, users: int = 30, classifiers: int = 12) -> Rows:
    """A deterministic index written in bulk: packages with several releases, maintainers and classifiers.

    Returns the rows written, ids included. Some releases share a timestamp (the id breaks the tie) and some
    are yanked, so orders and `latestRelease` are exercised.
    """
    rng = random.Random(1234)
    user_rows = [
        {"name": f"User {i:02d}", "email": f"user{i}@example.org", "created_at": factories.tick()} for i in range(users)
    ]
    classifier_rows = [{"name": f"Topic :: Thing {i:02d}"} for i in range(classifiers)]
    package_rows: list[dict[str, Any]] = []
    for i in range(packages):
        created = factories.tick()
        package_rows.append(
            {"name": f"pkg-{i:03d}", "summary": f"Package number {i}.", "created_at": created, "updated_at": created}
        )
    await _insert_returning_ids(session, models.User, user_rows)
    await _insert_returning_ids(session, models.Classifier, classifier_rows)
    await _insert_returning_ids(session, models.Package, package_rows)

    release_rows: list[dict[str, Any]] = []
    maintainer_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    for package in package_rows:
        when = package["created_at"]
        for k in range(rng.randint(3, 9)):
            if rng.random() > 0.2:  # otherwise the same instant as the release before it
                when += timedelta(seconds=rng.randint(1, 5000))
            release_rows.append({
                "package_id": package["id"], "version": f"1.{k}.0", "created_at": when,
                "yanked": rng.random() < 0.15, "size": 1000 + k,
            })  # fmt: skip
        for n, user in enumerate(rng.sample(user_rows, rng.randint(1, 3))):
            maintainer_rows.append(
                {"user_id": user["id"], "package_id": package["id"], "role": "owner" if n == 0 else "maintainer"}
            )
        for classifier in rng.sample(classifier_rows, rng.randint(1, 4)):
            link_rows.append({"package_id": package["id"], "classifier_id": classifier["id"]})
    await _insert_returning_ids(session, models.Release, release_rows)
    await session.execute(insert(models.Maintainer), maintainer_rows)
    await session.execute(insert(models.package_classifiers), link_rows)
    await session.commit()
    return {
        "users": user_rows,
        "classifiers": classifier_rows,
        "packages": package_rows,
        "releases": release_rows,
        "maintainers": maintainer_rows,
        "links": link_rows,
    }


async def _insert_returning_ids(session: AsyncSession, model: type[models.Base], rows: list[dict[str, Any]]) -> None:
    """One bulk INSERT; each row dict gets the id the database gave it."""
    table: Any = model.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = (await session.scalars(stmt, rows)).all()
    for row, id_ in zip(rows, ids, strict=True):
        row["id"] = id_


def newest_first(rows: Rows, package_id: int) -> list[dict[str, Any]]:
    """A package's releases in the API's default order, computed from the rows written."""
    mine = [r for r in rows["releases"] if r["package_id"] == package_id]
    return sorted(mine, key=lambda r: (r["created_at"], r["id"]), reverse=True)


def packages_by_name(rows: Rows) -> list[dict[str, Any]]:
    return sorted(rows["packages"], key=lambda r: (r["name"], r["id"]))


def global_id(type_name: str, id_: int) -> str:
    return relay.to_base64(type_name, id_)


def deep_query(*, root_total: bool = False, releases_total: bool = False, packages_total: bool = False) -> str:
    return DEEP_QUERY % {
        "root_total": "totalCount" if root_total else "",
        "releases_total": "totalCount" if releases_total else "",
        "packages_total": "totalCount" if packages_total else "",
    }


async def statements_of(client: GraphQLClient, sql: SqlCounter, query: str, variables: dict[str, Any]) -> list[str]:
    """The statements one request ran; the request must succeed."""
    with sql.count() as seen:
        await client.query(query, variables)
    return seen


def listing(statements: list[str]) -> str:
    return "\n\n".join(f"[{i}] {s}" for i, s in enumerate(statements, 1))


@contextmanager
def parameters_of(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement with its parameters, while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def release_rows_fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of rows each statement that reads the releases table fetched while the block runs."""
    fetched: list[int] = []
    rows = Db.rows

    async def counting(self: Db, stmt: Any, params: Any = None) -> Any:
        found = await rows(self, stmt, params)
        if "releases" in str(stmt) and not REFERENCE_RUN.get():
            fetched.append(len(found))
        return found

    with monkeypatch.context() as patch:
        patch.setattr(Db, "rows", counting)
        yield fetched


async def test_deep_query_runs_as_many_statements_for_100_packages_as_for_10(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    await seed_index(session)
    counts = {n: len(await statements_of(client, sql, deep_query(), {"n": n})) for n in (10, 100)}
    assert counts[10] == counts[100] == DEEP_QUERY_STATEMENTS, (
        f"deep query: N=10 ran {counts[10]} statements, N=100 ran {counts[100]}; expected {DEEP_QUERY_STATEMENTS}"
    )
    assert counts[100] <= DEEP_QUERY_LEVELS + 1, f"{counts[100]} statements for {DEEP_QUERY_LEVELS} levels + root"


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        pytest.param({"root_total": True}, DEEP_QUERY_STATEMENTS + 1, id="root-totalCount-adds-1-statement"),
        # A nested page without a cursor counts each parent's children in the statement that loads it.
        pytest.param({"releases_total": True}, DEEP_QUERY_STATEMENTS, id="releases-totalCount-adds-none"),
        pytest.param({"packages_total": True}, DEEP_QUERY_STATEMENTS, id="packages-totalCount-adds-none"),
        pytest.param(
            {"root_total": True, "releases_total": True, "packages_total": True},
            DEEP_QUERY_STATEMENTS + 1,
            id="all-three-totalCounts-add-1-statement",
        ),
    ],
)
async def test_deep_query_asking_total_count_adds_a_statement_only_for_the_root_connection(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter, totals: dict[str, bool], expected: int
) -> None:
    await seed_index(session)
    counts = {n: len(await statements_of(client, sql, deep_query(**totals), {"n": n})) for n in (10, 100)}
    assert counts[10] == counts[100] == expected, (
        f"deep query with {sorted(totals)}: N=10 ran {counts[10]}, N=100 ran {counts[100]}; expected {expected}"
    )


async def test_deep_query_returns_the_data_the_index_holds(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    data = await client.query(deep_query(root_total=True, releases_total=True), {"n": 100})
    assert data["packages"]["totalCount"] == len(rows["packages"])
    users = {u["id"]: u["name"] for u in rows["users"]}
    for package, edge in zip(packages_by_name(rows), data["packages"]["edges"], strict=False):
        releases = edge["node"]["releases"]
        assert releases["totalCount"] == len(newest_first(rows, package["id"]))
        assert len(releases["edges"]) == min(5, releases["totalCount"])
        for release in releases["edges"]:
            names = [m["packages"]["edges"] for m in release["node"]["package"]["maintainers"]]
            expected = sorted(users[m["user_id"]] for m in rows["maintainers"] if m["package_id"] == package["id"])
            assert len(names) == len(expected)
            assert all(1 <= len(page) <= 3 for page in names)


PACKAGE_PAGE = """
query PackagePage($name: String!) {
  package(name: $name) {
    id name summary createdAt
    releases(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { version yanked } } }
    latestRelease { version createdAt package { name } }
    maintainers { name }
    classifiers { name }
    releaseCount
  }
}
"""
# The package with its release count (for releaseCount and totalCount), releases window, latest release,
# maintainers, classifiers.
PACKAGE_PAGE_STATEMENTS = 5


async def test_package_page_runs_one_statement_per_field_that_needs_one(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    package = rows["packages"][7]
    with sql.expect(PACKAGE_PAGE_STATEMENTS):
        data = await client.query(PACKAGE_PAGE, {"name": package["name"].upper()})
    page = data["package"]
    releases = newest_first(rows, package["id"])
    assert [e["node"]["version"] for e in page["releases"]["edges"]] == [r["version"] for r in releases]
    assert page["releaseCount"] == page["releases"]["totalCount"] == len(releases)
    not_yanked = [r for r in releases if not r["yanked"]]
    expected_latest = not_yanked[0]["version"] if not_yanked else None
    assert (page["latestRelease"] or {}).get("version") == expected_latest
    users = {u["id"]: u["name"] for u in rows["users"]}
    expected_maintainers = sorted(users[m["user_id"]] for m in rows["maintainers"] if m["package_id"] == package["id"])
    assert [m["name"] for m in page["maintainers"]] == expected_maintainers


async def test_package_page_of_a_missing_package_runs_only_the_lookup(client: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(1):
        data = await client.query(PACKAGE_PAGE, {"name": "no-such-package"})
    assert data["package"] is None


HOME_PAGE = """
{
  stats { packageCount releaseCount userCount maintainerCount }
  latestReleases(limit: 10) { version yanked package { name summary } }
}
"""
# stats, the latest releases, their packages (one statement for all of them).
HOME_PAGE_STATEMENTS = 3


async def test_home_page_runs_3_statements(client: GraphQLClient, session: AsyncSession, sql: SqlCounter) -> None:
    rows = await seed_index(session)
    with sql.expect(HOME_PAGE_STATEMENTS):
        data = await client.query(HOME_PAGE)
    newest = sorted(rows["releases"], key=lambda r: (r["created_at"], r["id"]), reverse=True)[:10]
    names = {p["id"]: p["name"] for p in rows["packages"]}
    assert [(r["version"], r["package"]["name"]) for r in data["latestReleases"]] == [
        (r["version"], names[r["package_id"]]) for r in newest
    ]


async def test_stats_counts_all_four_in_one_statement(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    with sql.expect(1):
        data = await client.query("{ stats { packageCount releaseCount userCount maintainerCount } }")
    assert data["stats"] == {
        "packageCount": len(rows["packages"]),
        "releaseCount": len(rows["releases"]),
        "userCount": len(rows["users"]),
        "maintainerCount": len({m["user_id"] for m in rows["maintainers"]}),
    }


async def test_release_package_already_loaded_by_package_field_is_not_fetched_again(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    await factories.package(session, "beta", versions=["1.0"])
    await factories.package(session, "alpha", versions=["1.0", "2.0", "3.0"])
    query = '{ package(name: "alpha") { name } latestReleases(limit: 3) { version package { name } } }'
    with sql.expect(2):  # the package, the latest releases; every release's package is alpha, already loaded
        data = await client.query(query)
    assert [r["package"]["name"] for r in data["latestReleases"]] == ["alpha"] * 3


async def test_release_packages_fetch_only_those_not_already_loaded(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine, sql: SqlCounter
) -> None:
    beta = await factories.package(session, "beta", versions=["1.0"])
    await factories.package(session, "alpha", versions=["1.0", "2.0", "3.0"])
    query = '{ package(name: "alpha") { name } latestReleases(limit: 4) { version package { name } } }'
    with parameters_of(engine) as seen, sql.expect(3):  # the package, the latest releases, beta alone
        data = await client.query(query)
    assert [r["package"]["name"] for r in data["latestReleases"]] == ["alpha"] * 3 + ["beta"]
    statement, parameters = seen[-1]
    assert "FROM packages" in statement
    bound = list(parameters)
    keys = bound[0] if engine.dialect.name == "postgresql" else bound  # PostgreSQL gets the keys as one array
    assert keys == [beta.id], f"the package lookup asked for {parameters}, not beta's id alone"


async def test_release_from_latest_releases_is_primed_for_node_lookups_later_in_the_request(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    await factories.package(session, "alpha", versions=["1.0", "2.0"])
    query = "{ latestReleases(limit: 2) { version package { name latestRelease { version package { name } } } } }"
    with sql.expect(3):  # latest releases, their package, its latest release; its package is cached
        data = await client.query(query)
    assert data["latestReleases"][0]["package"]["latestRelease"] == {"version": "2.0", "package": {"name": "alpha"}}


LIST_PAGE = """
{
  packages(first: 50) {
    totalCount
    edges { node { name latestRelease { version } maintainers { name } } }
  }
}
"""
# page, count, latest releases, maintainers.
LIST_PAGE_STATEMENTS = 4


async def test_list_page_of_50_packages_runs_4_statements(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    with sql.expect(LIST_PAGE_STATEMENTS):
        data = await client.query(LIST_PAGE)
    connection = data["packages"]
    assert connection["totalCount"] == len(rows["packages"])
    expected = packages_by_name(rows)[:50]
    assert [e["node"]["name"] for e in connection["edges"]] == [p["name"] for p in expected]
    for package, edge in zip(expected, connection["edges"], strict=True):
        not_yanked = [r for r in newest_first(rows, package["id"]) if not r["yanked"]]
        assert (edge["node"]["latestRelease"] or {}).get("version") == (
            not_yanked[0]["version"] if not_yanked else None
        ), package["name"]


USER_PAGE = """
query UserPage($id: ID!) {
  user(id: $id) {
    name
    packages(first: 20) { edges { node { name releases(first: 3) { edges { node { version } } } } } }
  }
}
"""
# user, packages window, releases window.
USER_PAGE_STATEMENTS = 3


async def test_user_page_runs_3_statements(client: GraphQLClient, session: AsyncSession, sql: SqlCounter) -> None:
    rows = await seed_index(session)
    busiest = max(rows["users"], key=lambda u: sum(m["user_id"] == u["id"] for m in rows["maintainers"]))
    with sql.expect(USER_PAGE_STATEMENTS):
        data = await client.query(USER_PAGE, {"id": global_id("User", busiest["id"])})
    mine = {m["package_id"] for m in rows["maintainers"] if m["user_id"] == busiest["id"]}
    expected = [p for p in packages_by_name(rows) if p["id"] in mine][:20]
    assert len(expected) >= 5, "the busiest user should maintain several packages"
    edges = data["user"]["packages"]["edges"]
    assert [e["node"]["name"] for e in edges] == [p["name"] for p in expected]
    for package, edge in zip(expected, edges, strict=True):
        assert [e["node"]["version"] for e in edge["node"]["releases"]["edges"]] == [
            r["version"] for r in newest_first(rows, package["id"])[:3]
        ]


PER_PARENT_PAGES = """
{
  packages(first: 100) {
    edges { node { id name releases(first: 5) { pageInfo { hasNextPage } edges { node { id version } } } } }
  }
}
"""


async def test_five_newest_releases_of_100_packages_are_one_statement(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await seed_index(session)
    with sql.count() as seen, release_rows_fetched(monkeypatch) as fetched:
        data = await client.query(PER_PARENT_PAGES)
    on_releases = [s for s in seen if "releases" in s]
    assert len(seen) == 2, f"expected 2 statements (page, releases window), got {len(seen)}:\n{listing(seen)}"
    assert len(on_releases) == 1, f"releases(first: 5) on 100 packages ran {len(on_releases)} statements"
    assert fetched, "no statement read the releases table"
    assert sum(fetched) <= 5 * 100, f"{fetched} release rows were fetched for 100 pages of 5"
    edges = data["packages"]["edges"]
    assert len(edges) == 100
    for package, edge in zip(packages_by_name(rows), edges, strict=False):
        assert edge["node"]["name"] == package["name"]
        expected = newest_first(rows, package["id"])
        page = edge["node"]["releases"]
        assert [e["node"]["version"] for e in page["edges"]] == [r["version"] for r in expected[:5]], package["name"]
        assert page["pageInfo"]["hasNextPage"] is (len(expected) > 5), package["name"]


async def test_per_parent_pages_break_timestamp_ties_on_id(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    tied = {
        r["package_id"]
        for r in rows["releases"]
        for other in rows["releases"]
        if other["package_id"] == r["package_id"] and other["id"] != r["id"] and other["created_at"] == r["created_at"]
    }
    assert tied, "the seed should have releases that share a timestamp"
    with sql.expect(2):
        data = await client.query(PER_PARENT_PAGES)
    by_name = {e["node"]["name"]: e["node"] for e in data["packages"]["edges"]}
    checked = 0
    for package in packages_by_name(rows)[:100]:
        if package["id"] in tied:
            expected = [global_id("Release", r["id"]) for r in newest_first(rows, package["id"])[:5]]
            assert [e["node"]["id"] for e in by_name[package["name"]]["releases"]["edges"]] == expected
            checked += 1
    assert checked > 0


NODES = """
query Nodes($p1: ID!, $p2: ID!, $p3: ID!, $missing: ID!, $r1: ID!, $r2: ID!, $u1: ID!, $u2: ID!, $c1: ID!, $c2: ID!) {
  p1: node(id: $p1) { id ... on Package { name } }
  p2: node(id: $p2) { id ... on Package { name } }
  p3: node(id: $p3) { id ... on Package { name } }
  missing: node(id: $missing) { id }
  r1: node(id: $r1) { id ... on Release { version } }
  r2: node(id: $r2) { id ... on Release { version } }
  u1: node(id: $u1) { id ... on User { name } }
  u2: node(id: $u2) { id ... on User { name } }
  c1: node(id: $c1) { id ... on Classifier { name } }
  c2: node(id: $c2) { id ... on Classifier { name } }
}
"""


async def test_aliased_node_lookups_batch_into_one_statement_per_type(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    rows = await seed_index(session)
    packages, releases, users, classifiers = rows["packages"], rows["releases"], rows["users"], rows["classifiers"]
    variables = {
        "p1": global_id("Package", packages[0]["id"]),
        "p2": global_id("Package", packages[50]["id"]),
        "p3": global_id("Package", packages[99]["id"]),
        "missing": global_id("Package", 10**6),
        "r1": global_id("Release", releases[3]["id"]),
        "r2": global_id("Release", releases[300]["id"]),
        "u1": global_id("User", users[1]["id"]),
        "u2": global_id("User", users[2]["id"]),
        "c1": global_id("Classifier", classifiers[0]["id"]),
        "c2": global_id("Classifier", classifiers[5]["id"]),
    }
    with sql.count() as seen:
        data = await client.query(NODES, variables)
    tables = sorted(next(t for t in ("packages", "releases", "users", "classifiers") if f"FROM {t}" in s) for s in seen)
    assert tables == ["classifiers", "packages", "releases", "users"], (
        f"expected one statement per type (4), got {len(seen)}:\n{listing(seen)}"
    )
    assert data["missing"] is None
    assert [data[k]["name"] for k in ("p1", "p2", "p3")] == [packages[i]["name"] for i in (0, 50, 99)]
    assert [data[k]["version"] for k in ("r1", "r2")] == [releases[i]["version"] for i in (3, 300)]
    assert [data[k]["name"] for k in ("u1", "u2")] == [users[i]["name"] for i in (1, 2)]
    assert [data[k]["name"] for k in ("c1", "c2")] == [classifiers[i]["name"] for i in (0, 5)]
    assert data["p2"]["id"] == variables["p2"]


async def test_a_batch_of_any_size_binds_its_keys_as_one_parameter_on_postgresql(
    client: GraphQLClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    """PostgreSQL gets `= ANY($1)` over an array, one SQL text (and prepared statement) for any batch size;
    SQLite an expanding `IN` with a placeholder per key."""
    for n in range(5):
        await factories.package(session, f"pkg-{n}", versions=["1.0"])
    query = "query ($n: Int!) { packages(first: $n) { edges { node { name maintainers { name } } } } }"
    texts = []
    for size in (2, 5):
        with parameters_of(engine) as seen:
            await client.query(query, {"n": size})
        # The comparison run of the other executor sends the same statement again.
        (statement,) = {text for text, _ in seen if "FROM maintainers" in text}
        texts.append(statement)
    if engine.dialect.name == "postgresql":
        assert texts[0] == texts[1]
        assert "= ANY (" in texts[0]
    else:
        assert [text.count("?") for text in texts] == [2, 5]

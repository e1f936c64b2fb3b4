"""PEP 440 versions through the API: the VERSION order, one release per PEP 440 version, highestRelease, and
`releases(filter:)`, with their statement counts."""

import asyncio
from collections import Counter
from typing import Any

import pytest
from packaging.version import Version
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from models.db import Maker
from models.version_key import version_key
from tests import factories
from tests.conftest import GraphQLClient, SqlCounter
from tests.test_mutations import PUBLISH, answer, sign_up, user_row, versions

# Published in this order (oldest first), which is not their PEP 440 order.
VERSIONS = ["1.10", "1.9", "1.0.post1", "1.0", "1.0a1", "1.0.dev0", "1.0a1.dev1", "2.0rc1", "1.0+local", "1!0.1"]
PEP_440_ORDER = sorted(VERSIONS, key=Version)

RELEASES = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: ReleaseOrder,
      $filter: ReleaseFilter) {
  package(name: "cheese") {
    releases(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
      totalCount
      edges { cursor node { version } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


async def releases(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.query(RELEASES, variables)
    connection: dict[str, Any] = data["package"]["releases"]
    return connection


def versions_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["version"] for edge in connection["edges"]]


async def walk(client: GraphQLClient, size: int, *, backward: bool = False, **variables: Any) -> list[str]:
    """Every version, a page at a time to the end, forwards with first/after or backwards with last/before."""
    seen: list[str] = []
    cursor = None
    while True:
        if backward:
            page = await releases(client, last=size, before=cursor, **variables)
            seen[:0] = versions_of(page)
            more, cursor = page["pageInfo"]["hasPreviousPage"], page["pageInfo"]["startCursor"]
        else:
            page = await releases(client, first=size, after=cursor, **variables)
            seen += versions_of(page)
            more, cursor = page["pageInfo"]["hasNextPage"], page["pageInfo"]["endCursor"]
        assert len(seen) <= 100, "the walk does not end"
        if not more:
            return seen


@pytest.fixture
async def cheese(session: AsyncSession) -> models.Package:
    return await factories.package(session, "cheese", versions=VERSIONS, yanked={"1.9"})


@pytest.mark.usefixtures("cheese")
async def test_releases_by_version_follow_pep_440_both_ways_and_on_every_page(client: GraphQLClient) -> None:
    ascending = {"field": "VERSION", "direction": "ASC"}
    descending = {"field": "VERSION", "direction": "DESC"}
    assert PEP_440_ORDER[:4] == ["1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0"]
    assert versions_of(await releases(client, orderBy=ascending)) == PEP_440_ORDER
    assert versions_of(await releases(client, orderBy=descending)) == PEP_440_ORDER[::-1]
    for size in (1, 3, 4):
        assert await walk(client, size, orderBy=ascending) == PEP_440_ORDER
        assert await walk(client, size, orderBy=descending) == PEP_440_ORDER[::-1]
        assert await walk(client, size, backward=True, orderBy=ascending) == PEP_440_ORDER
        assert await walk(client, size, backward=True, orderBy=descending) == PEP_440_ORDER[::-1]


async def test_releases_by_version_break_ties_by_id_across_packages_in_one_statement(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    # Two packages with the same versions: each package's page is in version order, whatever the ids.
    await factories.package(session, "brie", versions=["2.0", "10.0", "2.0.1"])
    await factories.package(session, "feta", versions=["10.0", "2.0.1", "2.0"])
    document = """{ packages(first: 10) { edges { node { name
        releases(first: 2, orderBy: {field: VERSION, direction: DESC}) { edges { node { version } } } } } } }"""
    with sql.expect(2):  # the packages, then one windowed statement for both packages' pages
        data = await client.query(document)
    pages = {e["node"]["name"]: versions_of(e["node"]["releases"]) for e in data["packages"]["edges"]}
    assert pages == {"brie": ["10.0", "2.0.1"], "feta": ["10.0", "2.0.1"]}


@pytest.mark.usefixtures("cheese")
async def test_a_cursor_of_the_version_order_is_refused_by_another_order(client: GraphQLClient) -> None:
    page = await releases(client, first=1, orderBy={"field": "VERSION"})
    body = await client.execute(RELEASES, {"first": 1, "after": page["pageInfo"]["endCursor"]})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_pep_440_equal_versions_are_one_release_publishing_the_second_is_a_conflict(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    token, _ = await sign_up(client, "Ada Lovelace")
    created = await answer(client, 'mutation { createPackage(input: {name: "cheese"}) { __typename } }', token=token)
    assert created["__typename"] == "PackagePayload", created
    first = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "1.0"}}, token=token)
    assert first["__typename"] == "ReleasePayload"
    for spelling in ("1.0.0", "v1.0", "1.0.0.0", "1.0", "0!1"):
        again = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": spelling}}, token=token)
        assert again["__typename"] == "Conflict", (spelling, again)
        assert again["message"].startswith(f"Version {Version(spelling)!s} of this package already exists")
    async with sessionmaker() as session:
        stored = (await session.execute(select(models.Release.version, models.Release.version_key))).all()
    assert stored == [("1.0", version_key(Version("1.0")))]


async def test_release_finds_a_version_by_any_pep_440_spelling(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "cheese", versions=["1.0", "2.0rc1"])
    for spelling, found in [("1.0.0", "1.0"), ("v1.0", "1.0"), ("1.0.0.0", "1.0"), ("2.0-RC1", "2.0rc1"),
                            ("2.0.0c1", "2.0rc1"), ("1.0.1", None), ("not a version", None)]:  # fmt: skip
        data = await client.query(
            'query($v: String!) { release(package: "Cheese", version: $v) { version } }', {"v": spelling}
        )
        assert (data["release"] or {}).get("version") == found, spelling


async def test_a_unique_index_refuses_a_second_pep_440_equal_version_written_past_the_check(
    session: AsyncSession,
) -> None:
    row = await factories.package(session, "cheese", versions=["1.0"])
    session.add(models.Release(package_id=row.id, version="1.0.0"))
    with pytest.raises(Exception, match=r"(?i)unique"):
        await session.commit()


HIGHEST = "{ packages(first: 10) { edges { node { name highestRelease { version } latestRelease { version } } } } }"


async def test_highest_release_is_what_pip_would_pick_in_one_statement_for_all_packages(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    await factories.package(session, "a-final", versions=["1.10", "1.9", "2.0rc1", "1.0.post1"])
    await factories.package(session, "b-yanked", versions=["1.0", "2.0", "3.0a1"], yanked={"2.0"})
    await factories.package(session, "c-only-pre", versions=["1.0a1", "1.0b2", "1.0.dev5"])
    await factories.package(session, "d-all-yanked", versions=["1.0"], yanked={"1.0"})
    await factories.package(session, "e-none")
    await factories.package(session, "f-post", versions=["1.0.post2", "1.0", "1.0.post10"])
    with sql.expect(3):  # the packages, their highest releases, their latest releases
        data = await client.query(HIGHEST)
    nodes = {e["node"]["name"]: e["node"] for e in data["packages"]["edges"]}
    highest = {name: (node["highestRelease"] or {}).get("version") for name, node in nodes.items()}
    assert highest == {"a-final": "1.10", "b-yanked": "1.0", "c-only-pre": "1.0b2", "d-all-yanked": None,
                       "e-none": None, "f-post": "1.0.post10"}  # fmt: skip
    # latestRelease stays newest by time.
    assert nodes["a-final"]["latestRelease"] == {"version": "1.0.post1"}


FILTERED = """{ packages(first: 100) { edges { node {
    releases(filter: {version: ">=1.0,<2", yanked: false}, first: 3, orderBy: {field: VERSION}) {
      totalCount edges { node { version } } } } } } }"""


async def test_filtered_releases_of_a_hundred_packages_are_one_statement(
    client: GraphQLClient, session: AsyncSession, sql: SqlCounter
) -> None:
    for i in range(100):
        await factories.package(
            session, f"p{i:03}", versions=["0.9", "1.0", "1.5", "1.9", "2.0", "1.2"], yanked={"1.5"}
        )
    with sql.expect(2):  # the packages, then every package's filtered page with its count
        data = await client.query(FILTERED)
    pages = [e["node"]["releases"] for e in data["packages"]["edges"]]
    assert len(pages) == 100
    expected = {
        "totalCount": 3,
        "edges": [{"node": {"version": v}} for v in ("1.9", "1.2", "1.0")],
    }  # highest first: DESC is the default
    assert pages[0] == expected
    assert all(page == expected for page in pages)


@pytest.mark.usefixtures("cheese")
@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, VERSIONS),
        ({"yanked": True}, ["1.9"]),
        ({"yanked": False}, [v for v in VERSIONS if v != "1.9"]),
        ({"prerelease": True}, ["1.0a1", "1.0.dev0", "1.0a1.dev1", "2.0rc1"]),
        ({"prerelease": False}, ["1.10", "1.9", "1.0.post1", "1.0", "1.0+local", "1!0.1"]),
        ({"version": ">=1.0,<2"}, ["1.10", "1.9", "1.0.post1", "1.0", "1.0+local"]),
        ({"version": ">=1.0a1,<2"}, ["1.10", "1.9", "1.0.post1", "1.0", "1.0a1", "1.0+local"]),
        ({"version": ">1.0"}, ["1.10", "1.9", "1!0.1"]),
        ({"version": "==1.0"}, ["1.0", "1.0+local"]),
        ({"version": "==1.0+local"}, ["1.0+local"]),
        ({"version": "==1.*"}, ["1.10", "1.9", "1.0.post1", "1.0", "1.0+local"]),
        ({"version": "!=1.*"}, ["1!0.1"]),
        ({"version": "~=1.9"}, ["1.10", "1.9"]),
        ({"version": "===1.0"}, ["1.0"]),
        ({"version": ""}, ["1.10", "1.9", "1.0.post1", "1.0", "1.0+local", "1!0.1"]),
        (
            {"version": ">=1.0", "yanked": False, "prerelease": False},
            ["1.10", "1.0.post1", "1.0", "1.0+local", "1!0.1"],
        ),
        # `prerelease` set decides about pre-releases, whatever the specifiers imply.
        ({"version": ">=1.0a1", "prerelease": True}, ["1.0a1", "2.0rc1"]),
        ({"version": "<2", "prerelease": True}, ["1.0a1", "1.0.dev0", "1.0a1.dev1"]),
    ],
)
async def test_each_filter_alone_and_combined(
    client: GraphQLClient, filter: dict[str, Any], expected: list[str]
) -> None:
    ordering = {"field": "VERSION", "direction": "ASC"}
    page = await releases(client, filter=filter, first=20, orderBy=ordering)
    assert versions_of(page) == sorted(expected, key=Version)
    assert page["totalCount"] == len(expected)
    # Under a cursor the count comes from a statement of its own: it reflects the filter too.
    if expected:
        after = await releases(client, filter=filter, first=1, after=page["edges"][0]["cursor"], orderBy=ordering)
        assert after["totalCount"] == len(expected)
        assert versions_of(after) == sorted(expected, key=Version)[1:2]
    assert await walk(client, 2, backward=True, filter=filter, orderBy=ordering) == sorted(expected, key=Version)


@pytest.mark.usefixtures("cheese")
@pytest.mark.parametrize("spec", [">=1.0,<", "lolwat", "~=1", "==1.0.*+local", ">=1.0.*", "=>1.0", "1.0"])
async def test_an_invalid_specifier_set_is_an_argument_error_naming_it_before_the_releases_are_read(
    client: GraphQLClient, sql: SqlCounter, spec: str
) -> None:
    document = 'query($v: String!) { package(name: "cheese") { releases(filter: {version: $v}) { totalCount } } }'
    with sql.expect(1):  # the package; nothing of its releases
        body = await client.execute(document, {"v": spec})
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.version"}
    assert repr(spec) in error["message"]
    assert "Traceback" not in str(body)
    assert "SELECT" not in str(body)


async def test_twenty_concurrent_publishes_of_pep_440_equal_spellings_make_one_release(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    # Each normalises to a different string, so only the unique index on the key can tell they are one version.
    spellings = ["2.0", "2.0.0", "2", "2.0.0.0"]
    results = await asyncio.gather(
        *(
            answer(client, PUBLISH, {"input": {"package": "cheese", "version": spellings[n % 4]}}, token)
            for n in range(20)
        )
    )
    assert Counter(r["__typename"] for r in results) == {"ReleasePayload": 1, "Conflict": 19}, results
    (winner,) = [r["release"]["version"] for r in results if r["__typename"] == "ReleasePayload"]
    assert await versions(sessionmaker, "cheese") == {"1.0": False, winner: False}


@pytest.mark.usefixtures("cheese")
async def test_each_release_says_whether_it_is_a_pre_release(client: GraphQLClient) -> None:
    data = await client.query(
        '{ package(name: "cheese") { releases(first: 20) { edges { node { version prerelease } } } } }'
    )
    flags = {e["node"]["version"]: e["node"]["prerelease"] for e in data["package"]["releases"]["edges"]}
    assert flags == {v: Version(v).is_prerelease for v in VERSIONS}
    assert sum(flags.values()) == 4

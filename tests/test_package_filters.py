"""Composable package filters through HTTP: every condition alone and combined, on both databases.

Every answer is compared with a reading of the same data in Python (`matches`), written from the rules in
README.md rather than from the SQL, so that a condition compiled wrongly shows as a difference.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from packaging.utils import canonicalize_name
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from strawberry import relay

import models
from app import create_app
from loaders import columns
from loaders.package_filter import PackageWhere
from models.db import Maker
from schema.package_filter import ANY_CLASSIFIERS, FILTERS_IN_ALL, SUB_FILTERS
from tests import factories
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests

Filter = dict[str, Any]
# Names sort by code point on both databases; these mix ASCII with letters that UTF-8 writes in 2 and 3 bytes.
WORDS = ("alpha", "flask", "flask-ext", "zope", "ñandú", "über", "żółw", "日本", "café", "a")
LICENSES = (None, "MIT", "BSD-3-Clause", "Apache-2.0")
CLASSIFIER_NAMES = (
    "Framework :: Flask",
    "Framework :: Django",
    "Programming Language :: Python :: 3",
    "License :: OSI Approved :: MIT License",
    "Topic :: Internet",
    "Natural Language :: 日本語",
)


@dataclass
class Pkg:
    """What the test wrote for one package, to read filters against in Python."""

    id: int
    name: str
    license: str | None
    created_at: datetime
    updated_at: datetime
    releases: int
    classifiers: set[str]
    maintainer_ids: set[int]
    maintainer_emails: set[str]


@dataclass
class Index:
    """The whole data set, as written."""

    packages: list[Pkg]
    users: list[models.User]
    classifiers: list[models.Classifier]
    by_user: dict[int, list[Pkg]] = field(default_factory=dict)
    by_classifier: dict[int, list[Pkg]] = field(default_factory=dict)

    def passing(self, filter: Filter | None, among: list[Pkg] | None = None) -> list[str]:
        """The names of the packages that pass `filter`, by name, as the API orders them."""
        found = [p.name for p in (self.packages if among is None else among) if matches(p, filter or {})]
        return sorted(found)


def global_id(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def matches(p: Pkg, filter: Filter) -> bool:
    """The rules: the fields of one filter all hold; `and` all, `or` any, `not` none; empty `or` is false."""
    for key, value in filter.items():
        if key == "namePrefix":
            ok = p.name.startswith(canonicalize_name(value))
        elif key == "nameContains":
            ok = canonicalize_name(value) in p.name
        elif key == "classifier":
            ok = value in p.classifiers
        elif key == "classifiers":
            ok = bool(p.classifiers & set(value))
        elif key == "maintainer":
            ok = int(relay.GlobalID.from_id(value).node_id) in p.maintainer_ids
        elif key == "maintainerEmail":
            ok = value.strip().lower() in p.maintainer_emails
        elif key == "license":
            ok = p.license == value
        elif key == "hasReleases":
            ok = (p.releases > 0) == value
        elif key == "createdAfter":
            ok = p.created_at >= datetime.fromisoformat(value)
        elif key == "createdBefore":
            ok = p.created_at < datetime.fromisoformat(value)
        elif key == "updatedAfter":
            ok = p.updated_at >= datetime.fromisoformat(value)
        elif key == "updatedBefore":
            ok = p.updated_at < datetime.fromisoformat(value)
        elif key == "and":
            ok = all(matches(p, item) for item in value)
        elif key == "or":
            ok = any(matches(p, item) for item in value)
        elif key == "not":
            ok = not matches(p, value)
        else:
            raise AssertionError(f"no rule for {key}")
        if not ok:
            return False
    return True


@pytest.fixture
async def index(session: AsyncSession) -> Index:
    """About forty packages with random licenses, releases, maintainers and classifiers (a fixed seed)."""
    rng = random.Random(9)
    users = [await factories.user(session, name) for name in ("Ada", "Alan", "Grace", "Édith", "Linus", "Nobody")]
    classifiers = [await factories.classifier(session, name) for name in CLASSIFIER_NAMES]
    packages: list[Pkg] = []
    for i in range(40):
        name = f"{WORDS[i % len(WORDS)]}-{i}" if i % 7 else WORDS[i % len(WORDS)] + "x" * (i // 7)
        assert canonicalize_name(name) == name
        maintainers = rng.sample(users[:5], rng.choice((0, 1, 1, 2, 3)))
        carried = rng.sample(classifiers, rng.choice((0, 1, 2, 3)))
        versions = [f"1.{n}" for n in range(rng.choice((0, 0, 1, 2, 3)))]
        row = await factories.package(
            session,
            name,
            versions=versions,
            yanked=versions[:1] if i % 5 == 0 else (),
            maintainers=[(user, "owner") for user in maintainers],
            classifiers=carried,
            license=rng.choice(LICENSES),
        )
        packages.append(
            Pkg(
                id=row.id,
                name=name,
                license=row.license,
                created_at=row.created_at,
                updated_at=row.updated_at,
                releases=len(versions),
                classifiers={c.name for c in carried},
                maintainer_ids={u.id for u in maintainers},
                maintainer_emails={u.email for u in maintainers},
            )
        )
    found = Index(packages, users, classifiers)
    for user in users:
        found.by_user[user.id] = [p for p in packages if user.id in p.maintainer_ids]
    for classifier in classifiers:
        found.by_classifier[classifier.id] = [p for p in packages if classifier.name in p.classifiers]
    return found


PACKAGES = """
query($filter: PackageFilter, $first: Int, $after: String, $last: Int, $before: String) {
  packages(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def filtered(client: GraphQLClient, filter: Filter | None) -> list[str]:
    """Every package that passes `filter`, in one page; totalCount must agree with it."""
    connection = (await client.query(PACKAGES, {"filter": filter, "first": 100}))["packages"]
    found = [edge["node"]["name"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)
    return found


async def walked(client: GraphQLClient, filter: Filter | None, size: int, *, backward: bool = False) -> list[str]:
    """Every package that passes `filter`, a page of `size` at a time to the end, in display order."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        arguments = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        connection = (await client.query(PACKAGES, {"filter": filter, **arguments}))["packages"]
        page = [edge["node"]["name"] for edge in connection["edges"]]
        assert len(page) <= size
        found = page + found if backward else found + page
        info = connection["pageInfo"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return found
        assert len(page) == size
        cursor = info["startCursor"] if backward else info["endCursor"]


def field_filters(index: Index) -> list[Filter]:
    """One filter per new field, with values that match some packages and not others."""
    ada, alan = index.users[0], index.users[1]
    return [
        {"classifiers": ["Framework :: Flask", "Framework :: Django"]},
        {"classifiers": ["Natural Language :: 日本語"]},
        {"classifiers": ["No :: Such :: Classifier", "Topic :: Internet"]},
        {"hasReleases": True},
        {"hasReleases": False},
        {"maintainerEmail": ada.email},
        {"maintainerEmail": ada.email.upper()},
        {"maintainerEmail": f"  {alan.email.title()} "},
        {"maintainerEmail": "nobody@example.org"},
        {"not": {"license": "MIT"}},
        {"or": [{"license": "MIT"}, {"hasReleases": False}]},
        {"and": [{"namePrefix": "flask"}, {"hasReleases": True}]},
        {"and": [{"license": "MIT"}, {"license": "BSD-3-Clause"}]},
        {"namePrefix": "ñandú"},
        {"nameContains": "日本"},
        {"namePrefix": "Über"},
    ]


async def test_each_new_field_alone_finds_what_python_finds(client: GraphQLClient, index: Index) -> None:
    for filter in field_filters(index):
        expected = index.passing(filter)
        assert await filtered(client, filter) == expected, filter
    # Each of them says something: some packages pass and some do not.
    for filter in field_filters(index)[:5]:
        assert 0 < len(index.passing(filter)) < len(index.packages), filter


async def test_not_license_finds_packages_without_a_license(client: GraphQLClient, index: Index) -> None:
    unlicensed = {p.name for p in index.packages if p.license is None}
    assert unlicensed
    found = set(await filtered(client, {"not": {"license": "MIT"}}))
    assert unlicensed <= found
    assert found.isdisjoint(p.name for p in index.packages if p.license == "MIT")


async def test_not_is_the_complement_of_every_filter(client: GraphQLClient, index: Index) -> None:
    everything = set(await filtered(client, None))
    assert len(everything) == len(index.packages)
    for filter in field_filters(index):
        kept, dropped = set(await filtered(client, filter)), set(await filtered(client, {"not": filter}))
        assert kept | dropped == everything, filter
        assert not kept & dropped, filter


def random_filter(rng: random.Random, index: Index, depth: int) -> Filter:
    """A filter of random conditions, nested at most `depth` deep."""
    leaves: list[Callable[[], Filter]] = [
        lambda: {"namePrefix": rng.choice(WORDS)[:2]},
        lambda: {"nameContains": rng.choice(("-1", "a", "ó", "ext", "本"))},
        lambda: {"classifier": rng.choice(CLASSIFIER_NAMES)},
        lambda: {"classifiers": rng.sample(CLASSIFIER_NAMES, rng.randint(0, 3))},
        lambda: {"maintainer": global_id("User", rng.choice(index.users).id)},
        lambda: {"maintainerEmail": rng.choice(index.users).email.swapcase()},
        lambda: {"license": rng.choice(LICENSES[1:])},
        lambda: {"hasReleases": rng.random() < 0.5},
        lambda: {"createdAfter": rng.choice(index.packages).created_at.isoformat()},
        lambda: {"updatedBefore": rng.choice(index.packages).updated_at.isoformat()},
    ]
    if depth <= 1 or rng.random() < 0.3:
        filter = rng.choice(leaves)()
        if rng.random() < 0.3:
            filter.update(rng.choice(leaves)())  # fields of one object are ANDed
        return filter
    kind = rng.choice(("and", "or", "not", "mixed"))
    if kind == "not":
        return {"not": random_filter(rng, index, depth - 1)}
    items = [random_filter(rng, index, depth - 1) for _ in range(rng.randint(0, 3))]
    if kind == "mixed":
        return {**rng.choice(leaves)(), "or": items, "not": random_filter(rng, index, depth - 1)}
    return {kind: items}


async def test_nested_random_filters_find_what_python_finds(client: GraphQLClient, index: Index) -> None:
    rng = random.Random(4)
    seen_sizes = set()
    for _ in range(40):
        filter = random_filter(rng, index, depth=5)
        expected = index.passing(filter)
        seen_sizes.add(len(expected))
        assert await filtered(client, filter) == expected, filter
    # The filters found nothing, everything, and many sizes in between: they tell conditions apart.
    assert {0, len(index.packages)} <= seen_sizes
    assert len(seen_sizes) >= 10


async def test_empty_lists_follow_logic(client: GraphQLClient, index: Index) -> None:
    everything = [p.name for p in sorted(index.packages, key=lambda p: p.name)]
    assert await filtered(client, {}) == everything
    assert await filtered(client, {"and": []}) == everything  # no condition left to fail
    assert await filtered(client, {"or": []}) == []  # no alternative to meet
    assert await filtered(client, {"classifiers": []}) == []  # any of none
    assert await filtered(client, {"not": {}}) == []
    assert await filtered(client, {"not": {"or": []}}) == everything
    assert await filtered(client, {"or": [{}]}) == everything


async def test_every_filter_walks_to_the_end_in_both_directions(client: GraphQLClient, index: Index) -> None:
    rng = random.Random(7)
    filters = [*field_filters(index), *(random_filter(rng, index, depth=3) for _ in range(4))]
    for filter in filters:
        expected = index.passing(filter)
        assert await walked(client, filter, 3) == expected, filter
        assert await walked(client, filter, 4, backward=True) == expected, filter


async def test_a_nested_filtered_connection_walks_to_the_end(client: GraphQLClient, index: Index) -> None:
    document = """query($id: ID!, $filter: PackageFilter, $after: String) { node(id: $id) { ... on User {
      packages(first: 2, after: $after, filter: $filter) {
        totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } } } }"""
    ada = index.users[0]
    for filter in ({"not": {"license": "MIT"}}, {"or": [{"hasReleases": False}, {"nameContains": "a"}]}):
        expected = index.passing(filter, index.by_user[ada.id])
        assert len(expected) > 2
        found: list[str] = []
        cursor = None
        while True:
            variables = {"id": global_id("User", ada.id), "filter": filter, "after": cursor}
            connection = (await client.query(document, variables))["node"]["packages"]
            assert connection["totalCount"] == len(expected)
            found += [edge["node"]["name"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            cursor = connection["pageInfo"]["endCursor"]
        assert found == expected, filter


async def test_filtered_total_count_is_one_statement(client: GraphQLClient, index: Index, sql: SqlCounter) -> None:
    filter = {"or": [{"classifiers": list(CLASSIFIER_NAMES[:2])}, {"not": {"hasReleases": True}}],
              "maintainerEmail": index.users[0].email.upper()}  # fmt: skip
    document = "query($filter: PackageFilter) { packages(filter: $filter) { totalCount } }"
    with sql.expect(2):  # the page (even unasked), the count
        data = await client.query(document, {"filter": filter})
    assert data["packages"]["totalCount"] == len(index.passing(filter))
    with sql.expect(2):  # the same as without a filter, which reads the counter instead
        await client.query(document, {"filter": None})


USERS_PACKAGES = """
query($filter: PackageFilter) {
  users(first: 20) { edges { node { id
    packages(first: 5, filter: $filter) { totalCount edges { node { name } } }
  } } }
}
"""
CLASSIFIERS_PACKAGES = """
query($filter: PackageFilter) {
  classifiers(first: 20) { edges { node { id
    packages(first: 5, filter: $filter) { totalCount edges { node { name } } }
  } } }
}
"""
NESTED_STATEMENTS = 2  # the parents' page, one window of packages over all of them (its counts included)


def row_id(node_id: str) -> int:
    return int(relay.GlobalID.from_id(node_id).node_id)


@pytest.mark.parametrize(
    ("document", "root", "children"),
    [(USERS_PACKAGES, "users", "by_user"), (CLASSIFIERS_PACKAGES, "classifiers", "by_classifier")],
)
async def test_nested_connections_filter_each_parent_in_one_statement(
    client: GraphQLClient, index: Index, sql: SqlCounter, document: str, root: str, children: str
) -> None:
    rng = random.Random(11)
    filters = [None, *field_filters(index)[:9], *(random_filter(rng, index, depth=3) for _ in range(4))]
    for filter in filters:
        with sql.expect(NESTED_STATEMENTS):
            data = await client.query(document, {"filter": filter})
        parents = [edge["node"] for edge in data[root]["edges"]]
        assert len(parents) == len(getattr(index, children))
        for parent in parents:
            expected = index.passing(filter, getattr(index, children)[row_id(parent["id"])])
            connection = parent["packages"]
            assert [edge["node"]["name"] for edge in connection["edges"]] == expected[:5], filter
            assert connection["totalCount"] == len(expected), filter


async def test_each_distinct_nested_filter_is_one_statement_over_all_parents(
    client: GraphQLClient, index: Index, sql: SqlCounter
) -> None:
    document = """
    query($a: PackageFilter, $b: PackageFilter) {
      users(first: 20) { edges { node { id
        released: packages(filter: $a) { totalCount edges { node { name } } }
        same: packages(filter: $a) { totalCount }
        unreleased: packages(filter: $b) { totalCount edges { node { name } } }
      } } }
    }
    """
    a, b = {"hasReleases": True}, {"not": {"hasReleases": True}, "classifiers": []}
    with sql.expect(3):  # users, and one window per distinct filter
        data = await client.query(document, {"a": a, "b": b})
    for edge in data["users"]["edges"]:
        mine = index.by_user[row_id(edge["node"]["id"])]
        released = edge["node"]["released"]
        assert [e["node"]["name"] for e in released["edges"]] == index.passing(a, mine)
        assert released["totalCount"] == edge["node"]["same"]["totalCount"] == len(index.passing(a, mine))
        assert edge["node"]["unreleased"] == {"totalCount": 0, "edges": []}


async def test_nested_total_count_after_a_cursor_counts_the_filter_in_one_statement(
    client: GraphQLClient, index: Index, sql: SqlCounter
) -> None:
    filter = {"or": [{"hasReleases": True}, {"license": "MIT"}]}
    ada = index.users[0]
    mine = index.passing(filter, index.by_user[ada.id])
    assert len(mine) > 2
    first = """query($id: ID!, $filter: PackageFilter) { node(id: $id) { ... on User {
      packages(first: 1, filter: $filter) { pageInfo { endCursor } } } } }"""
    data = await client.query(first, {"id": global_id("User", ada.id), "filter": filter})
    # Ada's cursor after her first package, used on every user: past a cursor, the window cannot count
    # each user's packages, so the counts are a statement of their own, one for all users.
    cursor = data["node"]["packages"]["pageInfo"]["endCursor"]
    document = """query($filter: PackageFilter, $after: String) { users(first: 20) { edges { node { id
      packages(first: 1, after: $after, filter: $filter) { totalCount edges { node { name } } } } } } }"""
    with sql.expect(3):  # users, the window, the filtered counts of all users at once
        data = await client.query(document, {"filter": filter, "after": cursor})
    counts = {row_id(e["node"]["id"]): e["node"]["packages"]["totalCount"] for e in data["users"]["edges"]}
    assert counts == {user.id: len(index.passing(filter, index.by_user[user.id])) for user in index.users}


async def test_a_nested_filter_on_the_parents_own_link_is_not_confused_with_it(
    client: GraphQLClient, index: Index
) -> None:
    # Inside User.packages the statement joins maintainers; the filter's own maintainer must be another row.
    ada, alan = index.users[0], index.users[1]
    document = """query($id: ID!, $filter: PackageFilter) { node(id: $id) { ... on User {
      packages(first: 100, filter: $filter) { totalCount edges { node { name } } } } } }"""
    both = sorted(p.name for p in index.packages if {ada.id, alan.id} <= p.maintainer_ids)
    assert 0 < len(both) < len(index.by_user[ada.id])
    by_user: list[Filter] = [{"maintainer": global_id("User", alan.id)}, {"maintainerEmail": alan.email.upper()}]
    for filter in by_user:
        data = await client.query(document, {"id": global_id("User", ada.id), "filter": filter})
        assert [edge["node"]["name"] for edge in data["node"]["packages"]["edges"]] == both
        assert data["node"]["packages"]["totalCount"] == len(both)
    flask, django = index.classifiers[0], index.classifiers[1]
    document = document.replace("User", "Classifier")
    both = sorted(p.name for p in index.packages if {flask.name, django.name} <= p.classifiers)
    assert 0 < len(both) < len(index.by_classifier[flask.id])
    by_classifier: list[Filter] = [{"classifier": django.name}, {"classifiers": [django.name]}]
    for filter in by_classifier:
        data = await client.query(document, {"id": global_id("Classifier", flask.id), "filter": filter})
        assert [edge["node"]["name"] for edge in data["node"]["packages"]["edges"]] == both


def nested(levels: int) -> Filter:
    filter: Filter = {"license": "MIT"}
    for i in range(levels - 1):
        filter = {"not": filter} if i % 3 == 0 else {"and": [filter]} if i % 3 == 1 else {"or": [{}, filter]}
    return filter


async def test_nesting_up_to_the_depth_limit_runs(client: GraphQLClient, index: Index) -> None:
    filter = nested(5)
    assert await filtered(client, filter) == index.passing(filter)


async def refused(client: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await client.execute(document, variables)
    assert body["data"] is None or all(value is None for value in body["data"].values()), body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return dict(error)


@pytest.mark.usefixtures("index")
async def test_nesting_past_the_depth_limit_is_an_argument_error_naming_it_before_any_sql(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    filter = nested(6)
    with sql.expect(0):
        error = await refused(client, PACKAGES, {"filter": filter})
    assert "the limit (MAX_FILTER_DEPTH) is 5" in error["message"]
    assert error["extensions"]["argument"].count(".") == 5  # the sixth filter, named by its path
    with sql.expect(1):  # the users' page: each one's packages are refused before their window runs
        body = await client.execute(USERS_PACKAGES, {"filter": filter})
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    assert all("MAX_FILTER_DEPTH" in e["message"] for e in body["errors"])


async def test_max_filter_depth_is_a_setting(sessionmaker: Maker, index: Index) -> None:
    app = create_app(settings_for_tests(max_filter_depth=2), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        client = GraphQLClient(http)
        assert await filtered(client, nested(2)) == index.passing(nested(2))
        error = await refused(client, PACKAGES, {"filter": nested(3)})
    assert "the limit (MAX_FILTER_DEPTH) is 2" in error["message"]


@pytest.mark.usefixtures("index")
@pytest.mark.parametrize(
    ("filter", "argument", "says"),
    [
        ({"or": [{}] * (SUB_FILTERS + 1)}, "filter.or", f"at most {SUB_FILTERS} filters"),
        ({"not": {"and": [{}] * (SUB_FILTERS + 1)}}, "filter.not.and", f"at most {SUB_FILTERS} filters"),
        ({"classifiers": ["x"] * (ANY_CLASSIFIERS + 1)}, "filter.classifiers", f"at most {ANY_CLASSIFIERS}"),
        # Twenty by twenty: each list is within its bound, the whole is not.
        ({"or": [{"and": [{}] * SUB_FILTERS}] * SUB_FILTERS}, "filter.or", f"at most {FILTERS_IN_ALL} in all"),
        ({"or": [{"maintainer": "not an id"}]}, "filter.or[0].maintainer", "is not a valid ID"),
        ({"and": [{}, {"createdAfter": "2024-01-01T00:00:00"}]}, "filter.and[1].createdAfter", "UTC offset"),
        ({"not": {"maintainerEmail": "a" * 255}}, "filter.not.maintainerEmail", "at most 254 characters"),
        ({"classifiers": ["ok", "c" * 201]}, "filter.classifiers", "at most 200 characters"),
    ],
)
async def test_bad_filters_are_argument_errors_naming_the_place_before_any_sql(
    client: GraphQLClient, sql: SqlCounter, filter: Filter, argument: str, says: str
) -> None:
    with sql.expect(0):
        error = await refused(client, PACKAGES, {"filter": filter})
    assert error["extensions"]["argument"].startswith(argument), error
    assert says in error["message"], error


@pytest.mark.usefixtures("index")
async def post_nested_filter(client: GraphQLClient, levels: int) -> httpx.Response:
    variables = '{"filter": ' + '{"not": ' * levels + "{}" + "}" * levels + "}"
    return await client.http.post(
        "/graphql", content=f'{{"query": {json.dumps(PACKAGES)}, "variables": {variables}}}',
        headers={"content-type": "application/json"},
    )  # fmt: skip


async def test_a_filter_nested_deep_in_variables_is_refused_by_the_depth_limit(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    with sql.expect(0):
        response = await post_nested_filter(client, 50)  # within MAX_JSON_DEPTH, far past MAX_FILTER_DEPTH
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "the limit (MAX_FILTER_DEPTH) is 5" in error["message"]


async def test_a_filter_nested_past_the_json_depth_is_refused_at_the_edge(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    with sql.expect(0):
        response = await post_nested_filter(client, 2000)
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_filters_do_not_change_the_query_cost(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(report_cost=True), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        client = GraphQLClient(http)
        costs = set()
        for filter in (None, {"or": [{"hasReleases": True}] * SUB_FILTERS, "classifiers": ["x"] * ANY_CLASSIFIERS}):
            body = await client.execute(USERS_PACKAGES, {"filter": filter})
            assert not body.get("errors"), body
            costs.add(body["extensions"]["cost"])
    assert len(costs) == 1


# Each leads with package_id: (package_id, created_at, id), (package_id, version_key), the unique (package_id, version).
RELEASES_BY_PACKAGE = (
    "ix_releases_package_id_created_at_id",
    "ix_releases_package_id_version_key",
    "sqlite_autoindex_releases_1",
    "uq_releases_package_id",
)
# Each new condition's subquery, and the indexes it may find its rows by (SQLite's names, PostgreSQL's).
SUBQUERY_INDEXES: list[tuple[PackageWhere, str, tuple[str, ...]]] = [
    (PackageWhere(classifiers=("Framework :: Flask", "Topic :: Internet")), "package_classifiers",
     ("sqlite_autoindex_package_classifiers_1", "pk_package_classifiers", "ix_package_classifiers_classifier_id")),
    (PackageWhere(maintainer_email="ada@example.org"), "users", ("sqlite_autoindex_users_1", "uq_users_email")),
    (PackageWhere(maintainer_email="ada@example.org"), "maintainers",
     ("ix_maintainers_package_id", "sqlite_autoindex_maintainers_1", "pk_maintainers")),
    (PackageWhere(has_releases=True), "releases", RELEASES_BY_PACKAGE),
    (PackageWhere(none_of=PackageWhere(has_releases=True)), "releases", RELEASES_BY_PACKAGE),
]  # fmt: skip


@pytest.mark.parametrize(("where", "table", "indexes"), SUBQUERY_INDEXES)
async def test_each_new_condition_finds_its_rows_by_an_index(
    engine: AsyncEngine, where: PackageWhere, table: str, indexes: tuple[str, ...]
) -> None:
    stmt = select(*columns.PACKAGE).where(where.clause())
    async with engine.connect() as conn:
        # The test's own values, written into the text: EXPLAIN takes no parameters on PostgreSQL.
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan = "\n".join(str(row[-1]) for row in await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert f"SCAN {table}" not in plan, plan
        else:
            # A few rows make a sequential scan cheapest; without it, only a usable index beats its penalty.
            await conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(row[0] for row in await conn.execute(text(f"EXPLAIN {sql}")))
            await conn.execute(text("RESET enable_seqscan"))
            assert f"Seq Scan on {table}" not in plan, plan
        assert any(index in plan for index in indexes), plan

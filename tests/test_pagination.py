"""Relay pagination on every connection: walking both ways, pageInfo, totalCount, page sizes and cursors."""

import math
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

import models
from tests import factories
from tests.conftest import GraphQLClient, settings_for_tests

PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 100  # SPEC.md: "Page size is capped (default 20, max 100)"
PAGE = "{ totalCount edges { cursor node { FIELD } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"

# Every connection as a document (ARGS: its page arguments; PAGE: its selection), the path from the answer to the
# connection, and the field that names a node. The nested ones hang off the parents that `seed` makes.
CONNECTIONS: dict[str, tuple[str, tuple[str | int, ...], str]] = {
    "packages": ("{ packages(ARGS) PAGE }", ("packages",), "name"),
    "users": ("{ users(ARGS) PAGE }", ("users",), "name"),
    "classifiers": ("{ classifiers(ARGS) PAGE }", ("classifiers",), "name"),
    "search": ('{ search(query: "cheese", ARGS) PAGE }', ("search",), "name"),
    "Package.releases": ('{ package(name: "cheddar") { releases(ARGS) PAGE } }', ("package", "releases"), "version"),
    "User.packages": (
        "{ users(first: 1) { edges { node { packages(ARGS) PAGE } } } }",  # Ada sorts first
        ("users", "edges", 0, "node", "packages"),
        "name",
    ),
    "Classifier.packages": (
        "{ classifiers(first: 1) { edges { node { packages(ARGS) PAGE } } } }",  # the cheese classifier sorts first
        ("classifiers", "edges", 0, "node", "packages"),
        "name",
    ),
}
KINDS = list(CONNECTIONS)


async def seed(session: AsyncSession, count: int) -> dict[str, list[str]]:
    """`count` items in each connection of CONNECTIONS (two more in `packages`); each one's names in API order.

    Packages, users and classifiers are made in a shuffled order, so ids do not follow names; releases are made
    two to a timestamp, so the id breaks ties on every other page boundary.
    """
    shuffled = random.Random(count).sample
    cheeses = []
    for i in range(count):
        name, summary = [
            (f"brie-{i:03}", "A soft CHEESE."),
            (f"cheese-{i:03}", None),
            (f"feta-{i:03}", "A firm CHEESE."),
        ][i % 3]
        cheeses.append(models.Package(name=name, summary=summary, created_at=factories.tick()))
    cheddar = models.Package(name="cheddar", summary="Sharp.", created_at=factories.tick())
    wine = models.Package(name="wine", created_at=factories.tick())
    ada = models.User(name="Ada", email="ada@example.org")
    users = [
        ada,
        *(models.User(name=f"{('user', 'User')[i % 2]} {i:03}", email=f"u{i}@example.org") for i in range(1, count)),
    ]
    cheese_lovers = models.Classifier(name="Audience :: Cheese lovers")
    classifiers = [cheese_lovers, *(models.Classifier(name=f"Topic :: {i:03}") for i in range(1, count))]
    packages = [*cheeses, cheddar, wine]
    session.add_all(shuffled(packages, len(packages)) + shuffled(users, count) + shuffled(classifiers, count))
    await session.flush()
    start = factories.tick()
    for i in range(count):
        session.add(
            models.Release(package_id=cheddar.id, version=f"1.{i}", created_at=start + timedelta(minutes=i // 2))
        )
        await session.flush()  # one at a time, so ids follow the order of making
    session.add_all(models.Maintainer(user_id=ada.id, package_id=row.id, role="owner") for row in cheeses)
    await session.execute(
        models.package_classifiers.insert(),
        [{"package_id": row.id, "classifier_id": cheese_lovers.id} for row in cheeses],
    )
    await session.commit()
    cheese_names = sorted(row.name for row in cheeses)
    # "cheese" is a word of the cheese-… names and of the other summaries, all as long as each other: names rank
    # first, and packages that rank equally come by id.
    by_id = sorted(cheeses, key=lambda row: row.id)
    searched = [row.name for row in by_id if row.name.startswith("cheese-")]
    searched += [row.name for row in by_id if row.summary]
    return {
        "packages": sorted(row.name for row in packages),
        "users": sorted(row.name for row in users),
        "classifiers": sorted(row.name for row in classifiers),
        "search": searched,
        "Package.releases": [f"1.{i}" for i in reversed(range(count))],
        "User.packages": cheese_names,
        "Classifier.packages": cheese_names,
    }


def dig(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


ARGUMENT_TYPES = {"first": "Int", "after": "String", "last": "Int", "before": "String", "orderBy": "PackageOrder"}


async def page(client: GraphQLClient, kind: str, **arguments: Any) -> dict[str, Any]:
    """One page of the connection `kind`, with the page arguments given (None means null)."""
    document, path, field = CONNECTIONS[kind]
    args = ", ".join(f"{name}: ${name}" for name in arguments)
    document = document.replace("(ARGS)", f"({args})" if args else "").replace(", ARGS", f", {args}")
    declarations = ", ".join(f"${name}: {ARGUMENT_TYPES[name]}" for name in arguments)
    document = (f"query({declarations}) " if arguments else "") + document.replace("PAGE", PAGE.replace("FIELD", field))
    connection: dict[str, Any] = dig(await client.query(document, arguments), path)
    return connection


def items(kind: str, connection: dict[str, Any]) -> list[str]:
    field = CONNECTIONS[kind][2]
    return [edge["node"][field] for edge in connection["edges"]]


async def walk_forward(client: GraphQLClient, kind: str, size: int, **arguments: Any) -> list[dict[str, Any]]:
    pages = [await page(client, kind, first=size, **arguments)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        assert len(pages) < 1000, "paging forward does not end"
        pages.append(await page(client, kind, first=size, after=pages[-1]["pageInfo"]["endCursor"], **arguments))
    return pages


async def walk_backward(client: GraphQLClient, kind: str, size: int, **arguments: Any) -> list[dict[str, Any]]:
    """The pages from the end to the start, in the order fetched."""
    pages = [await page(client, kind, last=size, **arguments)]
    while pages[-1]["pageInfo"]["hasPreviousPage"]:
        assert len(pages) < 1000, "paging backward does not end"
        pages.append(await page(client, kind, last=size, before=pages[-1]["pageInfo"]["startCursor"], **arguments))
    return pages


def check_walk(kind: str, pages: list[dict[str, Any]], expected: list[str], size: int, *, forward: bool) -> None:
    """Every item once and in order; full pages but the far one; pageInfo and totalCount right on each page."""
    in_order = pages if forward else pages[::-1]
    assert [name for connection in in_order for name in items(kind, connection)] == expected
    assert len(pages) == max(1, math.ceil(len(expected) / size))
    for i, connection in enumerate(pages):
        is_first_fetched, is_last_fetched = i == 0, i == len(pages) - 1
        assert len(connection["edges"]) == (len(expected) - size * i if is_last_fetched else size)
        cursors = [edge["cursor"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert (info["startCursor"], info["endCursor"]) == (cursors[0], cursors[-1])
        toward, away = ("hasNextPage", "hasPreviousPage") if forward else ("hasPreviousPage", "hasNextPage")
        assert info[toward] is not is_last_fetched, (i, info)
        assert info[away] is not is_first_fetched, (i, info)
        assert connection["totalCount"] == len(expected)


# Walking every connection


@pytest.mark.parametrize("size", [1, 3, 7])
@pytest.mark.parametrize("kind", KINDS)
async def test_walking_forward_visits_each_item_once_in_order(
    client: GraphQLClient, session: AsyncSession, kind: str, size: int
) -> None:
    expected = (await seed(session, 7))[kind]
    check_walk(kind, await walk_forward(client, kind, size), expected, size, forward=True)


@pytest.mark.parametrize("size", [1, 3, 7])
@pytest.mark.parametrize("kind", KINDS)
async def test_walking_backward_visits_each_item_once_in_order(
    client: GraphQLClient, session: AsyncSession, kind: str, size: int
) -> None:
    expected = (await seed(session, 7))[kind]
    check_walk(kind, await walk_backward(client, kind, size), expected, size, forward=False)


@pytest.mark.parametrize("kind", KINDS)
async def test_page_after_the_last_item_is_empty_and_says_items_come_before(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    expected = (await seed(session, 5))[kind]
    last_cursor = (await page(client, kind, first=PAGE_SIZE_MAX))["pageInfo"]["endCursor"]
    beyond = await page(client, kind, first=3, after=last_cursor)
    assert beyond["edges"] == []
    assert beyond["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None}
    assert beyond["totalCount"] == len(expected)


@pytest.mark.parametrize("kind", KINDS)
async def test_page_before_the_first_item_is_empty_and_says_items_come_after(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    expected = (await seed(session, 5))[kind]
    first_cursor = (await page(client, kind, last=PAGE_SIZE_MAX))["pageInfo"]["startCursor"]
    beyond = await page(client, kind, last=3, before=first_cursor)
    assert beyond["edges"] == []
    assert beyond["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None}
    assert beyond["totalCount"] == len(expected)


@pytest.mark.parametrize("kind", KINDS)
async def test_page_between_two_cursors_holds_the_items_between_them(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    expected = (await seed(session, 7))[kind]
    cursors = [edge["cursor"] for edge in (await page(client, kind, first=PAGE_SIZE_MAX))["edges"]]
    between = await page(client, kind, first=10, after=cursors[1], before=cursors[5])
    assert items(kind, between) == expected[2:5]
    assert between["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize("kind", KINDS)
async def test_total_count_is_the_whole_connection_whatever_the_page(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    expected = (await seed(session, 7))[kind]
    cursors = [edge["cursor"] for edge in (await page(client, kind, first=PAGE_SIZE_MAX))["edges"]]
    for arguments in (
        {},
        {"first": 1},
        {"first": 0},
        {"last": 2},
        {"first": 2, "after": cursors[3]},
        {"last": 2, "before": cursors[3]},
        {"first": 2, "after": cursors[-1]},
    ):
        assert (await page(client, kind, **arguments))["totalCount"] == len(expected), arguments


@pytest.mark.parametrize("kind", KINDS)
async def test_page_of_no_items_still_says_whether_items_lie_beyond(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    await seed(session, 3)
    forward, backward = await page(client, kind, first=0), await page(client, kind, last=0)
    assert forward["edges"] == backward["edges"] == []
    assert (forward["pageInfo"]["hasNextPage"], forward["pageInfo"]["hasPreviousPage"]) == (True, False)
    assert (backward["pageInfo"]["hasNextPage"], backward["pageInfo"]["hasPreviousPage"]) == (False, True)


async def test_empty_connection_has_one_empty_page(client: GraphQLClient) -> None:
    connection = await page(client, "packages", first=5)
    assert connection == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


# Page sizes


def test_page_size_settings_match_the_contract() -> None:
    settings = settings_for_tests()
    assert (settings.page_size_default, settings.page_size_max) == (PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)


@pytest.mark.parametrize("kind", KINDS)
async def test_pages_default_to_twenty_items_and_hold_at_most_a_hundred(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    expected = (await seed(session, PAGE_SIZE_MAX + 1))[kind]
    default = await page(client, kind)
    assert items(kind, default) == expected[:PAGE_SIZE_DEFAULT]
    assert default["pageInfo"]["hasNextPage"] is True
    largest = await page(client, kind, first=PAGE_SIZE_MAX)
    assert items(kind, largest) == expected[:PAGE_SIZE_MAX]
    assert largest["pageInfo"]["hasNextPage"] is True
    rest = await page(client, kind, first=PAGE_SIZE_MAX, after=largest["pageInfo"]["endCursor"])
    assert items(kind, rest) == expected[PAGE_SIZE_MAX:]
    largest_backward = await page(client, kind, last=PAGE_SIZE_MAX)
    assert items(kind, largest_backward) == expected[-PAGE_SIZE_MAX:]
    assert largest_backward["pageInfo"]["hasPreviousPage"] is True


# Orderings, cursors and ties

# Made in this order, so ids run against names; every other column has ties.
TIED_PACKAGES = [  # name, created (hour), updated (hour), releases
    ("f", 1, 3, 2),
    ("e", 2, 1, 0),
    ("d", 1, 3, 1),
    ("c", 2, 2, 2),
    ("b", 1, 1, 0),
    ("a", 2, 2, 1),
]
SORT_COLUMNS = {"NAME": 0, "CREATED_AT": 1, "UPDATED_AT": 2, "RELEASE_COUNT": 3}


async def seed_tied_packages(session: AsyncSession) -> None:
    for name, created, updated, releases in TIED_PACKAGES:
        row = await factories.package(session, name, versions=[f"{n}.0" for n in range(releases)])
        row.created_at, row.updated_at = (
            factories.T0 + timedelta(hours=created),
            factories.T0 + timedelta(hours=updated),
        )
        await session.commit()


def tied_order(field: str, direction: str) -> list[str]:
    """The names in the order the contract gives: the column, then the id (here the row's index), one direction."""
    column = SORT_COLUMNS[field]
    indexes = sorted(
        range(len(TIED_PACKAGES)), key=lambda i: (TIED_PACKAGES[i][column], i), reverse=direction == "DESC"
    )
    return [TIED_PACKAGES[i][0] for i in indexes]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(SORT_COLUMNS))
async def test_walking_packages_in_any_order_visits_each_once_across_ties(
    client: GraphQLClient, session: AsyncSession, field: str, direction: str
) -> None:
    await seed_tied_packages(session)
    expected = tied_order(field, direction)
    order_by = {"orderBy": {"field": field, "direction": direction}}
    for size in (1, 2, 4):
        check_walk("packages", await walk_forward(client, "packages", size, **order_by), expected, size, forward=True)
        check_walk("packages", await walk_backward(client, "packages", size, **order_by), expected, size, forward=False)


async def test_cursor_from_one_ordering_is_rejected_by_another(client: GraphQLClient, session: AsyncSession) -> None:
    await seed_tied_packages(session)
    by_name = await page(client, "packages", first=2)
    cursor = by_name["pageInfo"]["endCursor"]
    for field, direction in (("CREATED_AT", "ASC"), ("NAME", "DESC"), ("RELEASE_COUNT", "ASC"), ("UPDATED_AT", "DESC")):
        document = """query($after: String, $order: PackageOrder) {
                        packages(first: 2, after: $after, orderBy: $order) { totalCount } }"""
        message = await client.error(document, {"after": cursor, "order": {"field": field, "direction": direction}})
        assert "`after`" in message, (field, direction, message)
    newest = await client.query('{ package(name: "f") { releases(first: 1) { pageInfo { endCursor } } } }')
    document = """query($before: String) { package(name: "f") {
                    releases(last: 1, before: $before, orderBy: {direction: ASC}) { totalCount } } }"""
    message = await client.error(document, {"before": newest["package"]["releases"]["pageInfo"]["endCursor"]})
    assert "`before`" in message


# Nested connections: one query, a different page per parent


PACKAGE_PAGE = "{ totalCount edges { node { name } } pageInfo { hasNextPage hasPreviousPage } }"


def summary(connection: dict[str, Any], field: str = "name") -> tuple[list[str], bool, bool, int]:
    """A page in short: its items, whether items lie before and after it, and the total."""
    info = connection["pageInfo"]
    return (
        [edge["node"][field] for edge in connection["edges"]],
        info["hasPreviousPage"],
        info["hasNextPage"],
        connection["totalCount"],
    )


async def test_nested_package_pages_differ_per_user_and_classifier_in_one_query(
    client: GraphQLClient, session: AsyncSession
) -> None:
    ada = await factories.user(session, "Ada", email="ada@example.org")
    alan = await factories.user(session, "Alan", email="alan@example.org")
    await factories.user(session, "Grace", email="grace@example.org")
    odd, even = await factories.classifier(session, "Odd"), await factories.classifier(session, "Even")
    await factories.classifier(session, "Empty")
    for n in range(1, 8):
        maintainers: list[tuple[models.User, models.Role]] = [
            (user, "owner") for user, numbers in ((ada, range(1, 6)), (alan, range(3, 8))) if n in numbers
        ]
        await factories.package(session, f"p{n}", maintainers=maintainers, classifiers=[odd if n % 2 else even])
    ada_id, alan_id = relay.to_base64("User", ada.id), relay.to_base64("User", alan.id)
    alan_first = await client.query(
        f'{{ user(id: "{alan_id}") {{ packages(first: 2) {{ pageInfo {{ endCursor }} }} }} }}'
    )
    data = await client.query(
        f"""query($after: String) {{
              adaFirst: user(id: "{ada_id}") {{ packages(first: 2) {PACKAGE_PAGE} }}
              adaLast: user(id: "{ada_id}") {{ packages(last: 2) {PACKAGE_PAGE} }}
              alanAfter: user(id: "{alan_id}") {{ packages(first: 2, after: $after) {PACKAGE_PAGE} }}
              users {{ edges {{ node {{ name
                firstTwo: packages(first: 2) {PACKAGE_PAGE} lastOne: packages(last: 1) {PACKAGE_PAGE} }} }} }}
              classifiers {{ edges {{ node {{ name
                firstTwo: packages(first: 2) {PACKAGE_PAGE} lastOne: packages(last: 1) {PACKAGE_PAGE} }} }} }}
            }}""",
        {"after": alan_first["user"]["packages"]["pageInfo"]["endCursor"]},
    )
    assert summary(data["adaFirst"]["packages"]) == (["p1", "p2"], False, True, 5)
    assert summary(data["adaLast"]["packages"]) == (["p4", "p5"], True, False, 5)
    assert summary(data["alanAfter"]["packages"]) == (["p5", "p6"], True, True, 5)
    per_user = {
        e["node"]["name"]: (summary(e["node"]["firstTwo"]), summary(e["node"]["lastOne"]))
        for e in data["users"]["edges"]
    }
    assert per_user == {
        "Ada": ((["p1", "p2"], False, True, 5), (["p5"], True, False, 5)),
        "Alan": ((["p3", "p4"], False, True, 5), (["p7"], True, False, 5)),
        "Grace": (([], False, False, 0), ([], False, False, 0)),
    }
    per_classifier = {
        e["node"]["name"]: (summary(e["node"]["firstTwo"]), summary(e["node"]["lastOne"]))
        for e in data["classifiers"]["edges"]
    }
    assert per_classifier == {
        "Empty": (([], False, False, 0), ([], False, False, 0)),
        "Even": ((["p2", "p4"], False, True, 3), (["p6"], True, False, 3)),
        "Odd": ((["p1", "p3"], False, True, 4), (["p7"], True, False, 4)),
    }


async def test_nested_release_pages_differ_per_package_in_one_query(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "alpha", versions=[f"1.{n}" for n in range(5)])
    await factories.package(session, "beta", versions=[f"2.{n}" for n in range(5)])
    await factories.package(session, "gamma")
    release_page = "{ totalCount edges { node { version } } pageInfo { hasNextPage hasPreviousPage } }"
    beta_first = await client.query('{ package(name: "beta") { releases(first: 2) { pageInfo { endCursor } } } }')
    data = await client.query(
        f"""query($after: String) {{
              alphaNewest: package(name: "alpha") {{ releases(first: 2) {release_page} }}
              alphaOldest: package(name: "alpha") {{ releases(last: 2) {release_page} }}
              betaAfter: package(name: "beta") {{ releases(first: 2, after: $after) {release_page} }}
              packages {{ edges {{ node {{ name
                newest: releases(first: 1) {release_page}
                oldest: releases(first: 1, orderBy: {{direction: ASC}}) {release_page} }} }} }}
            }}""",
        {"after": beta_first["package"]["releases"]["pageInfo"]["endCursor"]},
    )
    assert summary(data["alphaNewest"]["releases"], "version") == (["1.4", "1.3"], False, True, 5)
    assert summary(data["alphaOldest"]["releases"], "version") == (["1.1", "1.0"], True, False, 5)
    assert summary(data["betaAfter"]["releases"], "version") == (["2.2", "2.1"], True, True, 5)
    per_package = {
        e["node"]["name"]: (summary(e["node"]["newest"], "version"), summary(e["node"]["oldest"], "version"))
        for e in data["packages"]["edges"]
    }
    assert per_package == {
        "alpha": ((["1.4"], False, True, 5), (["1.0"], False, True, 5)),
        "beta": ((["2.4"], False, True, 5), (["2.0"], False, True, 5)),
        "gamma": (([], False, False, 0), ([], False, False, 0)),
    }


async def delete_package(session: AsyncSession, name: str) -> None:
    row = await session.scalar(select(models.Package).where(models.Package.name == name))
    assert row is not None
    await session.delete(row)
    await session.commit()


PAGE_OF_PACKAGES = """
query ($first: Int, $after: String, $last: Int, $before: String) {
  packages(first: $first, after: $after, last: $last, before: $before) {
    edges { node { name } }
    pageInfo { hasNextPage hasPreviousPage }
  }
}
"""


async def test_a_cursor_whose_row_was_deleted_still_tells_what_lies_on_either_side(
    client: GraphQLClient, session: AsyncSession
) -> None:
    for name in "abcd":
        await factories.package(session, name)
    names = [e["node"]["name"] for e in (await client.query(PAGE_OF_PACKAGES, {"first": 4}))["packages"]["edges"]]
    cursors = dict(zip(names, await _cursors(client), strict=True))
    await delete_package(session, "d")
    await delete_package(session, "a")

    after_d = (await client.query(PAGE_OF_PACKAGES, {"first": 2, "after": cursors["d"]}))["packages"]
    assert after_d == {"edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": True}}
    after_a = (await client.query(PAGE_OF_PACKAGES, {"first": 2, "after": cursors["a"]}))["packages"]
    assert [e["node"]["name"] for e in after_a["edges"]] == ["b", "c"]
    assert after_a["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}
    before_d = (await client.query(PAGE_OF_PACKAGES, {"last": 2, "before": cursors["d"]}))["packages"]
    assert [e["node"]["name"] for e in before_d["edges"]] == ["b", "c"]
    assert before_d["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}


async def _cursors(client: GraphQLClient) -> list[str]:
    data = await client.query("{ packages(first: 4) { edges { cursor } } }")
    return [edge["cursor"] for edge in data["packages"]["edges"]]


async def test_a_nested_page_between_two_cursors_of_deleted_rows_has_nothing_on_either_side(
    client: GraphQLClient, session: AsyncSession
) -> None:
    bob = await factories.user(session, "Bob")
    for name in "abcd":
        await factories.package(session, name, maintainers=[(bob, "owner")])
    query = "query ($id: ID!) { user(id: $id) { packages(first: 4) { edges { cursor node { name } } } } }"
    bob_id = relay.to_base64("User", bob.id)
    edges = (await client.query(query, {"id": bob_id}))["user"]["packages"]["edges"]
    cursors = {edge["node"]["name"]: edge["cursor"] for edge in edges}
    await delete_package(session, "a")
    await delete_package(session, "d")
    between = """
    query ($id: ID!, $after: String!, $before: String!) {
      user(id: $id) { packages(first: 5, after: $after, before: $before) {
        edges { node { name } } pageInfo { hasNextPage hasPreviousPage } } }
    }
    """
    page = (await client.query(between, {"id": bob_id, "after": cursors["a"], "before": cursors["d"]}))["user"]
    assert [e["node"]["name"] for e in page["packages"]["edges"]] == ["b", "c"]
    assert page["packages"]["pageInfo"]["hasPreviousPage"] is False

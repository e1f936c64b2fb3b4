"""Bad arguments get HTTP 200 and a GraphQL error that names the argument and leaks nothing; unknown things are null."""

import base64
import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from tests import factories
from tests.conftest import GraphQLClient

LEAKS = ("SELECT", "FROM", "Traceback", "/", ".py")
PAGE = "{ totalCount edges { cursor } }"

# Every connection, with `ARGS` where its page arguments go; the nested ones hang off what `seed` makes.
CONNECTIONS = {
    "packages": "{ packages(ARGS) PAGE }",
    "users": "{ users(ARGS) PAGE }",
    "classifiers": "{ classifiers(ARGS) PAGE }",
    "search": '{ search(query: "cheese", ARGS) PAGE }',
    "Package.releases": '{ package(name: "cheese") { releases(ARGS) PAGE } }',
    "User.packages": "{ users { edges { node { packages(ARGS) PAGE } } } }",
    "Classifier.packages": "{ classifiers { edges { node { packages(ARGS) PAGE } } } }",
}


def global_id(type_name: str, row_id: int | str) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def encoded(payload: Any) -> str:
    """JSON in URL-safe base64, the way this API's cursors are made, whatever the payload."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decoded(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def connection_document(kind: str, args: str) -> str:
    return CONNECTIONS[kind].replace("ARGS", args).replace("PAGE", PAGE)


async def seed(session: AsyncSession) -> None:
    """One of everything, so that nested connections have parents to hang off."""
    ada = await factories.user(session, "Ada", email="ada@example.org")
    typed = await factories.classifier(session, "Typing :: Typed")
    await factories.package(
        session, "cheese", versions=["1.0", "1.1"], maintainers=[(ada, "owner")], classifiers=[typed], summary="Cheese."
    )


async def bad_input(
    client: GraphQLClient, document: str, argument: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """The error messages of an answer that must fail on `argument`; each names it and leaks nothing."""
    body = await client.execute(document, variables)
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        message = error["message"]
        assert f"`{argument}`" in message, message
        for leak in LEAKS:
            assert leak not in message, message
        assert "Traceback" not in json.dumps(error), error
    return [error["message"] for error in errors]


async def answered_or_refused(
    client: GraphQLClient, document: str, argument: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """For input the API may either take or refuse: the data when it answers, None when it refuses on `argument`."""
    body = await client.execute(document, variables)
    if not body.get("errors"):
        data: dict[str, Any] = body["data"]
        return data
    await bad_input(client, document, argument, variables)
    return None


# Cursors


def malformed_cursors(real: str) -> list[str]:
    """Cursors the API never hands out: junk, and JSON of the wrong shape made from a real one."""
    name, *values = decoded(real)
    return [
        "not a cursor",
        "%%%%",
        "",
        base64.urlsafe_b64encode(b"\xff\xfe\x00junk").decode(),
        base64.urlsafe_b64encode(b"[1, 2").decode(),
        encoded({"cursor": real}),
        encoded(None),
        encoded(42),
        encoded(name),
        encoded([]),
        encoded([name]),
        encoded([name, *values, 1]),
        encoded([name, *values[:-1]]),
        encoded([name, *values[::-1]]),  # the key and the id swapped
        encoded([name, *values[:-1], str(values[-1])]),
        encoded([name, *values[:-1], True]),
        encoded([name, *values[:-1], 1.5]),
        encoded([name, *values[:-1], None]),
    ]


@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("kind", list(CONNECTIONS))
async def test_malformed_cursor_names_the_argument(
    client: GraphQLClient, session: AsyncSession, kind: str, argument: str
) -> None:
    await seed(session)
    real = (await client.query(connection_document("packages", "first: 1")))["packages"]["edges"][0]["cursor"]
    if kind == "Package.releases":
        data = await client.query(connection_document(kind, "first: 1"))
        real = data["package"]["releases"]["edges"][0]["cursor"]
    size = "first" if argument == "after" else "last"
    for cursor in malformed_cursors(real):
        await bad_input(client, connection_document(kind, f"{size}: 1, {argument}: {json.dumps(cursor)}"), argument)


@pytest.mark.parametrize("field", ["CREATED_AT", "UPDATED_AT"])
async def test_cursor_with_a_bad_timestamp_names_the_argument(
    client: GraphQLClient, session: AsyncSession, field: str
) -> None:
    await seed(session)
    document = """query($after: String, $order: PackageOrder) {
                    packages(first: 1, after: $after, orderBy: $order) { totalCount } }"""
    order = {"field": field, "direction": "ASC"}
    real = await client.query(document.replace("totalCount", "pageInfo { endCursor }"), {"order": order})
    name, _, row_id = decoded(real["packages"]["pageInfo"]["endCursor"])
    for timestamp in ("yesterday", "2024-01-01T00:00:00", "2024-13-01T00:00:00+00:00", 1704067200, None):
        await bad_input(client, document, "after", {"after": encoded([name, timestamp, row_id]), "order": order})


async def test_cursor_with_an_id_out_of_range_finds_nothing_or_names_the_argument(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seed(session)
    real = (await client.query("{ packages(first: 1) { edges { cursor } } }"))["packages"]["edges"][0]["cursor"]
    name, *keys, _ = decoded(real)
    document = "query($after: String) { packages(first: 1, after: $after) { edges { cursor } } }"
    for row_id in (2**31, 2**63, -(2**63) - 1, 10**30):
        data = await answered_or_refused(client, document, "after", {"after": encoded([name, *keys, row_id])})
        # Accepted, it is a place in the order: "cheese" lies after a negative id, nothing after a large one.
        assert data is None or len(data["packages"]["edges"]) == int(row_id < 0), row_id


async def test_cursor_with_a_nul_character_is_taken_or_names_the_argument(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seed(session)
    real = (await client.query("{ packages(first: 1) { edges { cursor } } }"))["packages"]["edges"][0]["cursor"]
    name, _, row_id = decoded(real)
    document = "query($after: String) { packages(first: 1, after: $after) { totalCount } }"
    data = await answered_or_refused(client, document, "after", {"after": encoded([name, "cheese\x00", row_id])})
    assert data is None or data["packages"]["totalCount"] == 1


# Global IDs


def malformed_ids() -> list[str]:
    return [
        "not an id",
        "",
        "%%%%",
        base64.b64encode(b"no colon here").decode(),
        base64.b64encode(b"\xff\xfe:\x00").decode(),
        global_id("User", "abc"),
        global_id("User", ""),
        global_id("User", "1.5"),
        *NON_CANONICAL_IDS,
    ]


# Other spellings of `User:1` (or `User:10`), each of which `int()` or base64 decoding would forgive.
NON_CANONICAL_IDS = [
    *(global_id("User", spelling) for spelling in ("0_1", "01", "+1", " 1", "1 ", "1\n", "-1", "\u0661", "1" * 40)),
    global_id("User", "10").rstrip("="),
    global_id("User", "10") + "\n",
]


async def test_a_global_id_in_any_but_its_canonical_form_is_not_an_id(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seed(session)
    for id_ in NON_CANONICAL_IDS:
        for document in ("query($id: ID!) { node(id: $id) { id } }", "query($id: ID!) { user(id: $id) { id } }"):
            assert await bad_input(client, document, "id", {"id": id_}) == ["`id` is not a valid ID."], id_
    canonical = global_id("User", 1)
    assert (await client.query("query($id: ID!) { node(id: $id) { id } }", {"id": canonical}))["node"] == {
        "id": canonical
    }


async def test_malformed_global_id_names_the_argument(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    for id_ in malformed_ids():
        await bad_input(client, "query($id: ID!) { node(id: $id) { id } }", "id", {"id": id_})
        await bad_input(client, "query($id: ID!) { user(id: $id) { id } }", "id", {"id": id_})
        document = "query($id: ID!) { packages(filter: {maintainer: $id}) { totalCount } }"
        await bad_input(client, document, "filter.maintainer", {"id": id_})


async def test_global_id_of_an_unknown_type_names_the_argument(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    for type_name in ("Cheese", "Query", "PageInfo", "package"):
        await bad_input(client, "query($id: ID!) { node(id: $id) { id } }", "id", {"id": global_id(type_name, 1)})


async def test_global_id_of_the_wrong_type_names_the_argument(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    package_id = (await client.query('{ package(name: "cheese") { id } }'))["package"]["id"]
    for id_ in (package_id, global_id("Release", 1), global_id("Classifier", 1), global_id("Cheese", 1)):
        await bad_input(client, "query($id: ID!) { user(id: $id) { id } }", "id", {"id": id_})
        document = "query($id: ID!) { packages(filter: {maintainer: $id}) { totalCount } }"
        await bad_input(client, document, "filter.maintainer", {"id": id_})


@pytest.mark.parametrize("type_name", ["Package", "Release", "User", "Classifier"])
async def test_global_id_with_a_number_out_of_range_is_null_or_names_the_argument(
    client: GraphQLClient, session: AsyncSession, type_name: str
) -> None:
    await seed(session)
    for row_id in (2**31, 2**63, -(2**63) - 1, 10**30):
        document = "query($id: ID!) { node(id: $id) { id } }"
        data = await answered_or_refused(client, document, "id", {"id": global_id(type_name, row_id)})
        assert data is None or data == {"node": None}, row_id


# Page sizes


@pytest.mark.parametrize("kind", list(CONNECTIONS))
async def test_page_size_over_the_cap_or_negative_names_the_argument(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    await seed(session)
    for args, argument in (
        ("first: 101", "first"),
        ("first: 500", "first"),
        ("first: -1", "first"),
        ("last: -1", "last"),
        ("last: 101", "last"),
    ):
        messages = await bad_input(client, connection_document(kind, args), argument)
        assert all(args.split(": ")[1] in message for message in messages), messages


@pytest.mark.parametrize("kind", list(CONNECTIONS))
async def test_first_together_with_last_names_the_arguments(
    client: GraphQLClient, session: AsyncSession, kind: str
) -> None:
    await seed(session)
    messages = await bad_input(client, connection_document(kind, "first: 1, last: 1"), "first")
    assert all("`last`" in message for message in messages), messages


async def test_nested_page_size_over_the_cap_names_the_argument(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    messages = await bad_input(client, '{ package(name: "cheese") { releases(first: 1000) { totalCount } } }', "first")
    assert messages == ["`first` must be between 0 and 100, got 1000."]
    await bad_input(client, "{ packages { edges { node { releases(last: 1000) { totalCount } } } } }", "last")
    await bad_input(client, "{ users { edges { node { packages(first: -5) { totalCount } } } } }", "first")


@pytest.mark.parametrize("limit", [-1, 101, 1000])
async def test_latest_releases_limit_out_of_range_names_the_argument(
    client: GraphQLClient, session: AsyncSession, limit: int
) -> None:
    await seed(session)
    messages = await bad_input(client, f"{{ latestReleases(limit: {limit}) {{ version }} }}", "limit")
    assert all(str(limit) in message for message in messages), messages


async def test_latest_releases_limit_at_the_edges_is_accepted(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    assert (await client.query("{ latestReleases(limit: 0) { version } }"))["latestReleases"] == []
    assert len((await client.query("{ latestReleases(limit: 100) { version } }"))["latestReleases"]) == 2


# Other arguments


async def test_user_with_neither_id_nor_email_names_both(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    for document in ("{ user { name } }", "{ user(id: null, email: null) { name } }"):
        messages = await bad_input(client, document, "id")
        assert all("`email`" in message for message in messages), messages


async def test_user_with_both_id_and_email_names_both(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    user_id = (await client.query("{ users { edges { node { id } } } }"))["users"]["edges"][0]["node"]["id"]
    document = 'query($id: ID) { user(id: $id, email: "ada@example.org") { name } }'
    messages = await bad_input(client, document, "id", {"id": user_id})
    assert all("`email`" in message for message in messages), messages


@pytest.mark.parametrize("query", ["", " ", "\t\n  "])
async def test_blank_search_query_names_the_argument(client: GraphQLClient, session: AsyncSession, query: str) -> None:
    await seed(session)
    await bad_input(client, "query($q: String!) { search(query: $q) { totalCount } }", "query", {"q": query})


async def test_search_query_with_a_nul_character_finds_nothing_or_names_the_argument(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seed(session)
    document = "query($q: String!) { search(query: $q) { totalCount } }"
    data = await answered_or_refused(client, document, "query", {"q": "chee\x00se"})
    assert data is None or data == {"search": {"totalCount": 0}}


@pytest.mark.parametrize("field", ["createdAfter", "createdBefore", "updatedAfter", "updatedBefore"])
async def test_naive_datetime_in_a_filter_names_the_argument(
    client: GraphQLClient, session: AsyncSession, field: str
) -> None:
    await seed(session)
    document = "query($filter: PackageFilter) { packages(filter: $filter) { totalCount } }"
    await bad_input(client, document, f"filter.{field}", {"filter": {field: "2024-01-01T00:00:00"}})


# Unknown things are null, without errors


async def test_unknown_package_user_release_and_node_are_null(client: GraphQLClient, session: AsyncSession) -> None:
    await seed(session)
    data = await client.query(
        f"""{{
          package(name: "no-such-cheese") {{ name }}
          userById: user(id: "{global_id("User", 4242)}") {{ name }}
          userByEmail: user(email: "nobody@example.org") {{ name }}
          unknownVersion: release(package: "cheese", version: "9.9") {{ version }}
          unknownPackage: release(package: "no-such-cheese", version: "1.0") {{ version }}
          package4242: node(id: "{global_id("Package", 4242)}") {{ id }}
          release4242: node(id: "{global_id("Release", 4242)}") {{ id }}
          user4242: node(id: "{global_id("User", 4242)}") {{ id }}
          classifier4242: node(id: "{global_id("Classifier", 4242)}") {{ id }}
        }}"""
    )
    assert data == dict.fromkeys(data, None)
    assert len(data) == 9


async def test_a_nul_character_written_inline_names_the_argument(client: GraphQLClient) -> None:
    message = await client.error('{ package(name: "a\\u0000b") { name } }')
    assert "`name`" in message
    assert "NUL" in message


def encoded_cursor(payload: list[Any]) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("argument", "document"),
    [
        ("filter.createdAfter", '{ packages(filter: {createdAfter: "0001-01-01T00:00:00+05:00"}) { totalCount } }'),
        ("filter.createdBefore", '{ packages(filter: {createdBefore: "9999-12-31T23:00:00-05:00"}) { totalCount } }'),
    ],
)
async def test_a_filter_time_beyond_the_calendar_in_utc_names_the_argument(
    client: GraphQLClient, argument: str, document: str
) -> None:
    assert f"`{argument}`" in await client.error(document)


@pytest.mark.parametrize(
    "payload",
    [["created_at:asc", "9999-12-31T23:59:59-14:00", 1], ["name:asc", "\ud800", 1]],
    ids=["time-beyond-the-calendar", "lone-surrogate"],
)
async def test_a_cursor_holding_what_no_database_takes_names_the_argument(
    client: GraphQLClient, payload: list[Any]
) -> None:
    order = "CREATED_AT" if payload[0].startswith("created_at") else "NAME"
    document = "query ($a: String!) { packages(after: $a, orderBy: {field: ORDER}) { totalCount } }"
    document = document.replace("ORDER", order)
    assert "`after`" in await client.error(document, {"a": encoded_cursor(payload)})


async def test_a_nul_character_in_a_variable_default_names_the_argument(client: GraphQLClient) -> None:
    message = await client.error('query ($q: String = "a\\u0000b") { search(query: $q) { totalCount } }')
    assert "`query`" in message

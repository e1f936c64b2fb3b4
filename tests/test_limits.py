"""Limits on documents: each just under and just over, the abusive requests they are for, and the defaults."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    FragmentDefinitionNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    parse,
)
from strawberry.types.field import StrawberryField

from app import Settings, create_app
from models.db import Maker
from models.passwords import Passwords
from schema import limits
from schema.cost import LIST_BOUND, CostPlan, Step
from schema.document_cache import DocumentCache, LruCache
from schema.root import schema
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests

pytestmark = pytest.mark.usefixtures("fresh_document_caches")

ROOT = Path(__file__).resolve().parent.parent
LIMIT_CODES = {
    "DOCUMENT_TOO_LARGE",
    "TOO_MANY_TOKENS",
    "TOO_MANY_OPERATIONS",
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_ROOT_FIELDS",
    "TOO_MANY_SIGN_INS",
    "QUERY_TOO_COMPLEX",
}
SMALL = {
    "max_document_bytes": 2000,
    "max_document_tokens": 100,
    "max_document_operations": 3,
    "max_document_aliases": 3,
    "max_root_fields": 3,
    "max_query_depth": 8,
    "max_query_cost": 50,
    "page_size_max": 10,
    "page_size_default": 5,
    "report_cost": True,
}
STATS = "{ stats { packageCount } }"
# n packages of m releases: 1 connection + n edges + n packages + n connections + n·m edges + n·m releases
NESTED = (
    "query($n: Int, $m: Int) "
    "{ packages(first: $n) { edges { node { releases(first: $m) { edges { node { version } } } } } } }"
)
# GraphiQL's own first request, as the bundled graphiql.min.js writes it (nine levels of `ofType`)
GRAPHIQL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
    type_depth=9,
)


def nested_cost(n: int, m: int) -> int:
    return 1 + 2 * n + n * (1 + 2 * m)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords hashed or checked."""
    seen: list[str] = []
    hash_, check = Passwords.hash, Passwords.check

    async def hashing(self: Passwords, password: str) -> str:
        seen.append(password)
        return await hash_(self, password)

    async def checking(self: Passwords, stored: str | None, password: str) -> bool:
        seen.append(password)
        return await check(self, stored, password)

    monkeypatch.setattr(Passwords, "hash", hashing)
    monkeypatch.setattr(Passwords, "check", checking)
    return seen


async def client_with(sessionmaker: Maker, settings: Settings) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def roomy(sessionmaker: Maker) -> AsyncIterator[GraphQLClient]:
    """A client of an app with the default limits, but for a document size that lets any document in."""
    async for client in client_with(
        sessionmaker, settings_for_tests(max_document_bytes=10**7, max_request_bytes=10**7)
    ):
        yield client


@pytest.fixture
async def large_bodies(sessionmaker: Maker) -> AsyncIterator[GraphQLClient]:
    """A client of an app with the default limits, but for a request body size that lets a huge document reach them."""
    async for client in client_with(sessionmaker, settings_for_tests(max_request_bytes=10**7)):
        yield client


@pytest.fixture
async def small(sessionmaker: Maker) -> AsyncIterator[GraphQLClient]:
    """A client of an app with small limits, and `extensions.cost` in its answers."""
    async for client in client_with(sessionmaker, settings_for_tests(**SMALL)):
        yield client


async def refused(
    client: GraphQLClient, sql: SqlCounter, document: str, variables: dict[str, Any] | None = None, **body: Any
) -> dict[str, Any]:
    """The one error of a refused document, which ran no SQL; its `extensions`, with `message` added."""
    with sql.expect(0):
        response = await client.http.post("/graphql", json={"query": document, "variables": variables or {}, **body})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["data"] is None, answer
    assert len(answer["errors"]) == 1, answer
    error = answer["errors"][0]
    assert "cost" not in (answer.get("extensions") or {})
    return {**error["extensions"], "message": error["message"]}


async def accepted(client: GraphQLClient, document: str, variables: dict[str, Any] | None = None) -> int:
    """The reported cost of a document that must run without errors."""
    answer = await client.execute(document, variables)
    assert not answer.get("errors"), answer["errors"]
    cost: int = answer["extensions"]["cost"]
    return cost


def padded(document: str, size: int) -> str:
    """`document` followed by spaces up to `size` bytes."""
    return document + " " * (size - len(document.encode()))


# Document size


async def test_a_document_of_the_size_limit_runs_and_one_byte_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    await accepted(small, padded(STATS, 2000))
    error = await refused(small, sql, padded(STATS, 2001))
    assert error["code"] == "DOCUMENT_TOO_LARGE"
    assert (error["limit"], error["measured"], error["setting"]) == (2000, 2001, "MAX_DOCUMENT_BYTES")
    assert "2,001 bytes" in error["message"]
    assert "2,000" in error["message"]


async def test_the_document_size_counts_bytes_not_characters(small: GraphQLClient, sql: SqlCounter) -> None:
    text = STATS + " # " + "é" * 990  # 1,019 characters, 2,009 bytes
    error = await refused(small, sql, text)
    assert (error["code"], error["measured"]) == ("DOCUMENT_TOO_LARGE", len(text.encode()))


async def test_a_one_megabyte_document_is_refused_without_being_parsed(
    large_bodies: GraphQLClient, sql: SqlCounter, monkeypatch: pytest.MonkeyPatch, validations: list[str]
) -> None:
    parsed: list[str] = []
    parse = limits.LimitedParser.parse_document

    def parsing(self: limits.LimitedParser) -> Any:
        parsed.append("")
        return parse(self)

    monkeypatch.setattr(limits.LimitedParser, "parse_document", parsing)
    error = await refused(large_bodies, sql, padded(STATS, 1024 * 1024))
    assert (error["code"], error["measured"], error["limit"]) == ("DOCUMENT_TOO_LARGE", 1024 * 1024, 32 * 1024)
    assert parsed == []
    assert validations == []


# Tokens and operations, counted while the document is read


async def test_a_document_of_the_token_limit_runs_and_one_token_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    def fields(n: int) -> str:  # 6 tokens and n - 6 more
        return "{ stats { packageCount " + "__typename " * (n - 6) + "} }"

    await accepted(small, fields(100))
    error = await refused(small, sql, fields(101))
    assert (error["code"], error["limit"], error["setting"]) == ("TOO_MANY_TOKENS", 100, "MAX_DOCUMENT_TOKENS")
    assert "more than 100 tokens" in error["message"]


async def test_comments_count_as_tokens(small: GraphQLClient, sql: SqlCounter) -> None:
    error = await refused(small, sql, STATS + "\n#" * 95)
    assert error["code"] == "TOO_MANY_TOKENS"


async def test_a_twenty_thousand_token_document_is_refused_after_reading_its_limit(
    client: GraphQLClient,
    roomy: GraphQLClient,
    sql: SqlCounter,
    monkeypatch: pytest.MonkeyPatch,
    validations: list[str],
) -> None:
    read: list[int] = []
    advance = limits.LimitedParser.advance_lexer

    def advancing(self: limits.LimitedParser) -> None:
        read.append(1)
        advance(self)

    monkeypatch.setattr(limits.LimitedParser, "advance_lexer", advancing)
    text = "{ stats { packageCount " + "__typename " * 19_994 + "} }"
    assert (await refused(client, sql, text))["code"] == "DOCUMENT_TOO_LARGE"  # 220 KB
    assert read == []
    error = await refused(roomy, sql, text)
    assert (error["code"], error["limit"]) == ("TOO_MANY_TOKENS", 2000)
    assert len(read) <= 2001
    assert validations == []


async def test_a_document_of_the_operation_limit_runs_and_one_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    def operations(n: int) -> str:
        return " ".join(f"query Q{i} {{ stats {{ packageCount }} }}" for i in range(n))

    answer = await small.http.post("/graphql", json={"query": operations(3), "operationName": "Q2"})
    assert answer.json()["data"] == {"stats": {"packageCount": 0}}
    error = await refused(small, sql, operations(4), operationName="Q2")
    assert (error["code"], error["limit"], error["measured"]) == ("TOO_MANY_OPERATIONS", 3, 4)


async def test_four_thousand_operations_in_twenty_thousand_tokens_stop_at_the_operation_limit(
    client: GraphQLClient, roomy: GraphQLClient, sql: SqlCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    operation = limits.LimitedParser.parse_operation_definition

    def starting(self: limits.LimitedParser) -> Any:
        started.append(1)
        return operation(self)

    monkeypatch.setattr(limits.LimitedParser, "parse_operation_definition", starting)
    text = " ".join(f"query Q{i} {{ stats }}" for i in range(4000))  # 5 tokens each: 20,000
    assert (await refused(client, sql, text, operationName="Q0"))["code"] == "DOCUMENT_TOO_LARGE"  # 83 KB
    assert started == []
    error = await refused(roomy, sql, text, operationName="Q0")
    assert (error["code"], error["limit"]) == ("TOO_MANY_OPERATIONS", 20)
    assert len(started) == 21


# Depth


def chain(levels: int) -> str:
    """A query `levels` fields deep: a package, then its latest release's package, and so on."""
    below = levels - 3  # under packages, edges and node
    inner, depth = ("name", 1) if below % 2 else ("latestRelease { version }", 2)
    while depth < below:
        inner, depth = f"latestRelease {{ package {{ {inner} }} }}", depth + 2
    return f"{{ packages(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


async def test_a_query_of_the_depth_limit_runs_and_one_level_deeper_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    await accepted(small, chain(8))
    error = await refused(small, sql, chain(9).replace("{ packages", "{ ... on Query { packages", 1) + " }")
    assert (error["code"], error["limit"], error["setting"]) == ("QUERY_TOO_DEEP", 8, "MAX_QUERY_DEPTH")


async def test_depth_follows_fragments_and_inline_fragments(small: GraphQLClient, sql: SqlCounter) -> None:
    text = """
        { packages(first: 1) { ...Edges } }
        fragment Edges on PackageConnection { edges { node { ... on Package { ...Latest } } } }
        fragment Latest on Package { latestRelease { package { latestRelease { package { ...Last } } } } }
        fragment Last on Package { latestRelease { version } }
    """
    error = await refused(small, sql, text)
    assert (error["code"], error["measured"]) == ("QUERY_TOO_DEEP", 9)
    assert "9 levels" in error["message"]


async def test_sixty_one_levels_through_thirty_nested_fragments_are_refused(
    client: GraphQLClient, sql: SqlCounter, validations: list[str]
) -> None:
    fragments = [f"fragment F{i} on Package {{ latestRelease {{ package {{ ...F{i + 1} }} }} }}" for i in range(1, 30)]
    fragments.append("fragment F30 on Package { latestRelease { version } }")
    text = '{ package(name: "a") { ...F1 } }\n' + "\n".join(fragments)  # 1 + 29·2 + 2 levels
    error = await refused(client, sql, text)
    assert (error["code"], error["measured"], error["limit"]) == ("QUERY_TOO_DEEP", 61, 24)
    assert validations == []


async def test_a_document_nested_past_the_depth_limit_is_refused_while_it_is_read(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    error = await refused(small, sql, "{ a " * 30 + "}" * 30)
    assert (error["code"], error["limit"]) == ("QUERY_TOO_DEEP", 8)
    assert "more than 8 levels" in error["message"]


async def test_values_nested_past_the_parsers_bound_are_a_syntax_error(client: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        message = await client.error("{ package(name: " + "[" * 300 + '"a"' + "]" * 300 + ") { name } }")
    assert message.startswith("Syntax Error: Document is nested too deeply.")


async def test_fragment_cycles_end_the_depth_walk_and_fail_validation(client: GraphQLClient, sql: SqlCounter) -> None:
    text = """
        { package(name: "a") { ...A } }
        fragment A on Package { latestRelease { package { ...B } } }
        fragment B on Package { name ...A }
    """
    with sql.expect(0):
        message = await client.error(text)
    assert "Cannot spread fragment" in message
    assert "within itself" in message


# Aliases and root fields


def aliased_stats(n: int) -> str:
    return "{ stats { " + " ".join(f"a{i}: packageCount" for i in range(n)) + " } }"


async def test_a_document_of_the_alias_limit_runs_and_one_alias_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    await accepted(small, aliased_stats(3))
    error = await refused(small, sql, aliased_stats(4))
    assert (error["code"], error["limit"], error["measured"]) == ("TOO_MANY_ALIASES", 3, 4)


async def test_aliases_in_fragments_count(small: GraphQLClient, sql: SqlCounter) -> None:
    text = """
        { stats { ...Counts ... on Stats { c: userCount } } }
        fragment Counts on Stats { a: packageCount b: releaseCount d: maintainerCount }
    """
    error = await refused(small, sql, text)
    assert (error["code"], error["measured"]) == ("TOO_MANY_ALIASES", 4)


async def test_a_thousand_aliases_of_stats_are_refused(client: GraphQLClient, sql: SqlCounter) -> None:
    text = "{ " + " ".join(f"s{i}: stats {{ packageCount }}" for i in range(1000)) + " }"
    error = await refused(client, sql, text)
    assert error["code"] == "TOO_MANY_TOKENS"  # 6,002 tokens: refused before it is read to the end
    few = "{ " + " ".join(f"s{i}: stats {{ userCount }}" for i in range(51)) + " }"
    error = await refused(client, sql, few)
    assert (error["code"], error["measured"], error["limit"]) == ("TOO_MANY_ALIASES", 51, 50)


ROOTS = ["stats { userCount }", "viewer { name }", "latestReleases(limit: 1) { version }", "users { totalCount }"]


async def test_an_operation_of_the_root_field_limit_runs_and_one_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    await accepted(small, "{ " + " ".join(ROOTS[:3]) + " }")
    error = await refused(small, sql, "{ " + " ".join(ROOTS) + " }")
    assert (error["code"], error["limit"], error["measured"]) == ("TOO_MANY_ROOT_FIELDS", 3, 4)


async def test_root_fields_in_fragments_count(small: GraphQLClient, sql: SqlCounter) -> None:
    text = "{ ...Roots " + ROOTS[3] + " } fragment Roots on Query { " + " ".join(ROOTS[:3]) + " }"
    error = await refused(small, sql, text)
    assert (error["code"], error["measured"]) == ("TOO_MANY_ROOT_FIELDS", 4)


# Sign-ins


LOGIN = 'login(email: "ada@example.org", password: "correct horse battery") { __typename }'
REGISTER = 'register(input: {name: "Ada", email: "ada@example.org", password: "correct horse battery"}) { __typename }'


async def test_one_login_per_document_runs(client: GraphQLClient, hashes: list[str]) -> None:
    data = await client.query("mutation { " + LOGIN + " }")
    assert data == {"login": {"__typename": "NotAuthenticated"}}
    assert hashes == ["correct horse battery"]


@pytest.mark.parametrize(
    "document",
    [
        "mutation { a: " + LOGIN + " b: " + LOGIN + " }",
        "mutation { " + REGISTER + " " + LOGIN + " }",
        "mutation A { " + LOGIN + " } mutation B { " + REGISTER + " }",
        "mutation { ...SignIn " + LOGIN + " } fragment SignIn on Mutation { again: " + LOGIN + " }",
        "mutation { ... on Mutation { " + REGISTER + " } " + LOGIN + " }",
    ],
    ids=["aliases", "login-and-register", "two-operations", "fragment", "inline-fragment"],
)
async def test_a_second_login_or_register_in_a_document_is_refused_before_any_hashing(
    client: GraphQLClient, sql: SqlCounter, hashes: list[str], document: str
) -> None:
    error = await refused(client, sql, document, operationName="A" if "mutation A" in document else None)
    assert (error["code"], error["limit"], error["measured"]) == ("TOO_MANY_SIGN_INS", 1, 2)
    assert "`login` or `register` 2 times" in error["message"]
    assert hashes == []


async def test_a_hundred_aliased_logins_are_refused_before_any_hashing(
    client: GraphQLClient, sql: SqlCounter, hashes: list[str]
) -> None:
    text = "mutation { " + " ".join(f"l{i}: {LOGIN}" for i in range(100)) + " }"
    error = await refused(client, sql, text)
    assert (error["code"], error["measured"]) == ("TOO_MANY_SIGN_INS", 100)
    assert hashes == []


# Cost


@pytest.mark.parametrize(("n", "m"), [(3, 5), (2, 10), (1, 10)])
async def test_the_cost_counts_each_page_of_each_connection(small: GraphQLClient, n: int, m: int) -> None:
    assert await accepted(small, NESTED, {"n": n, "m": m}) == nested_cost(n, m)


async def test_a_query_of_the_cost_limit_runs_and_one_costing_more_is_refused(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    assert nested_cost(7, 2) == 50
    assert nested_cost(10, 1) == 51
    assert await accepted(small, NESTED, {"n": 7, "m": 2}) == 50
    error = await refused(small, sql, NESTED, {"n": 10, "m": 1})
    assert (error["code"], error["limit"], error["measured"]) == ("QUERY_TOO_COMPLEX", 50, 51)
    assert error["setting"] == "MAX_QUERY_COST"
    assert "costs 51" in error["message"]


async def test_the_cost_takes_last_and_variable_defaults(small: GraphQLClient, sql: SqlCounter) -> None:
    text = NESTED.replace("$n: Int, $m: Int", "$n: Int = 7, $m: Int = 2").replace("first: $n", "last: $n")
    assert await accepted(small, text) == 50
    error = await refused(small, sql, text, {"m": 3})
    assert (error["code"], error["measured"]) == ("QUERY_TOO_COMPLEX", nested_cost(7, 3))


async def test_a_connection_without_first_or_last_costs_the_page_cap(small: GraphQLClient, sql: SqlCounter) -> None:
    assert await accepted(small, "{ packages { edges { node { name } } } }") == 1 + 2 * 10
    error = await refused(small, sql, NESTED, {"m": 1})
    assert (error["code"], error["measured"]) == ("QUERY_TOO_COMPLEX", nested_cost(10, 1))  # n: the cap, 10


async def test_fragments_and_inline_fragments_cost_what_they_select(small: GraphQLClient, sql: SqlCounter) -> None:
    text = """
        query($n: Int, $m: Int) { packages(first: $n) { ...Page } }
        fragment Page on PackageConnection { edges { node { ... on Package { releases(first: $m) { ...Releases } } } } }
        fragment Releases on ReleaseConnection { edges { node { version } } }
    """
    assert await accepted(small, text, {"n": 7, "m": 2}) == 50
    error = await refused(small, sql, text, {"n": 10, "m": 1})
    assert (error["code"], error["measured"]) == ("QUERY_TOO_COMPLEX", 51)


def doubling_fragments(levels: int) -> str:
    """A small document whose every fragment spreads the one before it twice: 2**levels spreads, written once each."""
    fragments = ["fragment L0 on Package { name latestRelease { version } }"]
    fragments += [f"fragment L{i} on Package {{ ...L{i - 1} ...L{i - 1} }}" for i in range(1, levels + 1)]
    return f"{{ packages(first: 1) {{ edges {{ node {{ ...L{levels} }} }} }} }} " + " ".join(fragments)


def count_steps(steps: tuple[Step, ...], seen: set[int]) -> int:
    """Distinct steps of a plan (a shared one counted once)."""
    fresh = [step for step in steps if id(step) not in seen]
    seen.update(id(step) for step in fresh)
    return len(fresh) + sum(count_steps(step.children, seen) for step in fresh)


async def test_fragments_spread_twice_at_every_level_cost_what_the_answer_holds_and_plan_once_each(
    client: GraphQLClient,
) -> None:
    document = doubling_fragments(40)  # 2**40 spreads: copied into the plan, they would never finish
    plan = CostPlan.of(schema._schema, *_fragments_and_operation(document))
    assert count_steps(plan.steps, set()) < 200
    # the connection, its edge and node, and a latestRelease per spread of L0: the answer merges the spreads'
    # fields, the cost counts each one (it may overcount a document, never undercount one)
    assert plan.cost({}, 100) == 1 + 1 + 1 + 2**40
    refusal = (await client.execute(document))["errors"][0]["extensions"]
    assert refusal["code"] == "QUERY_TOO_COMPLEX"


def _fragments_and_operation(text: str) -> tuple[dict[str, FragmentDefinitionNode], OperationDefinitionNode]:
    document = parse(text)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    (operation,) = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return fragments, operation


async def test_lists_without_arguments_cost_their_declared_bound(small: GraphQLClient) -> None:
    # a package, then 10 maintainers (their bound) and 30 classifiers (theirs)
    assert await accepted(small, '{ package(name: "a") { maintainers { name } classifiers { name } } }') == 41
    assert await accepted(small, "{ latestReleases(limit: 3) { version package { name } } }") == 6
    assert await accepted(small, "{ latestReleases { version } }") == 10  # the argument's default


async def test_the_same_document_costs_what_its_variables_ask_on_each_request(
    small: GraphQLClient, sql: SqlCounter
) -> None:
    assert await accepted(small, NESTED, {"n": 1, "m": 1}) == nested_cost(1, 1)
    assert (await refused(small, sql, NESTED, {"n": 5, "m": 5}))["measured"] == nested_cost(5, 5)
    assert await accepted(small, NESTED, {"n": 2, "m": 2}) == nested_cost(2, 2)


async def test_five_levels_of_packages_and_maintainers_with_first_ten_are_refused(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    inner = "name"
    for _ in range(4):
        inner = f"packages(first: 10) {{ edges {{ node {{ maintainers {{ {inner} }} }} }} }}"
    text = "{ packages(first: 10) { edges { node { maintainers { " + inner + " } } } } }"
    error = await refused(client, sql, text)
    assert (error["code"], error["limit"]) == ("QUERY_TOO_COMPLEX", 100_000)
    assert error["measured"] > 10**9


async def test_four_nested_connections_of_a_hundred_are_refused(client: GraphQLClient, sql: SqlCounter) -> None:
    inner = "version"
    for _ in range(3):
        inner = f"releases(first: 100) {{ edges {{ node {{ package {{ {inner} }} }} }} }}"
    text = "{ packages(first: 100) { edges { node { " + inner + " } } } }"
    error = await refused(client, sql, text)
    assert (error["code"], error["limit"]) == ("QUERY_TOO_COMPLEX", 100_000)
    assert error["measured"] > 100**4


async def test_introspection_nested_through_type_references_is_refused(client: GraphQLClient, sql: SqlCounter) -> None:
    inner = "name"
    for _ in range(4):
        inner = f"fields {{ type {{ {inner} }} }}"
    error = await refused(client, sql, "{ __schema { types { " + inner + " } } }")
    assert (error["code"], error["limit"]) == ("QUERY_TOO_COMPLEX", 100_000)


def test_every_list_of_objects_declares_how_long_it_can_be() -> None:
    """A list field added without a size argument or a `list_bound` would cost as a full page, silently."""
    undeclared = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for name, field in type_.fields.items():
            listed = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not isinstance(listed, GraphQLList) or is_leaf_type(get_named_type(listed)):
                continue
            definition = (field.extensions or {}).get("strawberry-definition")
            assert isinstance(definition, StrawberryField)
            if not set(field.args) & {"first", "last", "limit"} and LIST_BOUND not in definition.metadata:
                undeclared.append(f"{type_.name}.{name}")
    assert undeclared == []


# Every way in, every answer


async def test_the_limits_hold_for_get_requests(small: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        response = await small.http.get("/graphql", params={"query": aliased_stats(4)})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"


async def test_a_refused_document_is_not_validated_nor_kept(
    small: GraphQLClient, sql: SqlCounter, validations: list[str]
) -> None:
    for _ in range(2):
        assert (await refused(small, sql, aliased_stats(4)))["code"] == "TOO_MANY_ALIASES"
    assert validations == []
    assert len(DocumentCache.valid) == 0


async def test_a_kept_document_is_refused_by_an_app_with_lower_limits(
    client: GraphQLClient, small: GraphQLClient, sql: SqlCounter
) -> None:
    assert (await client.query(aliased_stats(4)))["stats"]["a3"] == 0
    assert DocumentCache.valid.find(aliased_stats(4)) is not None
    assert (await refused(small, sql, aliased_stats(4)))["code"] == "TOO_MANY_ALIASES"
    limits._known_facts = LruCache()  # the facts forgotten, the document still kept
    assert (await refused(small, sql, aliased_stats(4)))["code"] == "TOO_MANY_ALIASES"


async def test_a_kept_document_counts_its_tokens_for_an_app_with_lower_limits(
    client: GraphQLClient, small: GraphQLClient, sql: SqlCounter
) -> None:
    text = "{ stats { packageCount " + "__typename " * 144 + "} }"  # 150 tokens
    await client.query(text)
    limits._known_facts = LruCache()
    error = await refused(small, sql, text)
    assert (error["code"], error["measured"], error["limit"]) == ("TOO_MANY_TOKENS", 150, 100)
    assert "150 tokens" in error["message"]


async def test_the_cost_is_reported_only_when_a_setting_asks(client: GraphQLClient, small: GraphQLClient) -> None:
    answer = await client.execute(STATS)
    assert answer["data"] == {"stats": {"packageCount": 0}}
    assert "cost" not in (answer.get("extensions") or {})
    assert await accepted(small, STATS) == 1


async def test_syntax_errors_are_answered_as_before(small: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        message = await small.error("{ stats { packageCount }")
    assert message.startswith("Syntax Error: Expected Name, found <EOF>.")


# The defaults


def known_documents() -> dict[str, str]:
    """Every query of bench/queries and of README.md, and GraphiQL's introspection query."""
    documents = {path.name: path.read_text() for path in sorted((ROOT / "bench" / "queries").glob("*.graphql"))}
    readme = (ROOT / "README.md").read_text()
    for i, text in enumerate(re.findall(r"```graphql\n(.*?)```", readme, re.DOTALL)):
        documents[f"README.md example {i + 1}"] = text
    documents["GraphiQL introspection"] = GRAPHIQL_INTROSPECTION
    return documents


def test_every_known_document_is_within_half_of_each_default_limit() -> None:
    defaults = settings_for_tests()
    variables = {"name": "a", "query": "a", "id": "VXNlcjox", "input": {}}
    for name, text in known_documents().items():
        facts = limits.DocumentFacts.of(limits.parse_within_limits(text, defaults), schema._schema)
        cost = facts.cost(None, variables, defaults.page_size_max)
        size = len(text.encode())
        print(
            f"{name}: {size} bytes, {facts.tokens} tokens, {facts.operations} operations, depth {facts.depth}, "
            f"{facts.aliases} aliases, {facts.root_fields} root fields, cost {cost}"
        )
        assert facts.problem(defaults) is None
        assert 2 * size <= defaults.max_document_bytes
        assert 2 * facts.tokens <= defaults.max_document_tokens
        assert 2 * facts.operations <= defaults.max_document_operations
        assert 2 * facts.aliases <= defaults.max_document_aliases
        assert 2 * facts.root_fields <= defaults.max_root_fields
        assert 1.5 * facts.depth <= defaults.max_query_depth
        assert 2 * cost <= defaults.max_query_cost, name


async def test_every_known_document_passes_the_limits_of_the_default_settings(client: GraphQLClient) -> None:
    variables = {"name": "a", "query": "a", "id": "VXNlcjox"}
    for name, text in known_documents().items():
        answer = await client.execute(text, variables)
        codes = {(error.get("extensions") or {}).get("code") for error in answer.get("errors") or []}
        assert not codes & LIMIT_CODES, (name, answer["errors"])

"""Hostile values through every argument of every root field and mutation: each is refused or answered, never a bug.

The arguments are read from the schema, so a new argument or input field is walked without touching this file.
"""

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from schema.bounds import bound_of
from schema.root import schema
from tests.conftest import GraphQLClient, SqlCounter

GRAPHQL = schema._schema
QUERY_FIELDS = sorted(GRAPHQL.query_type.fields) if GRAPHQL.query_type else []
MUTATION_FIELDS = sorted(GRAPHQL.mutation_type.fields) if GRAPHQL.mutation_type else []
PASSWORD = "correct horse battery staple"
LEAKS = ("SELECT", "INSERT", "Traceback", "/", ".py", "sqlalchemy", "asyncpg", "sqlite3")
# Text no client should send, and some that clients do: LIKE wildcards and escapes, quotes, U+0000, a lone
# surrogate (only JSON's `\ud800` can carry it), emoji, nothing, white space, 100 KB, a number of 5,000 digits.
HOSTILE_TEXT = (
    "x" * 100_000,
    "1" * 5_000,
    "%_\\'\"" * 30,
    "a\x00b",
    "\ud800",
    "🧀🐍",
    "",
    " \t\n ",
)
HOSTILE_INTS = (2_147_483_647, -2_147_483_648, -1, 2**31)
MUTATION_SELECTION = "{ __typename ... on Error { message } ... on ValidationError { problems { field message } } }"


@dataclasses.dataclass(frozen=True)
class Slot:
    """One place a client can put a value: an argument, or a field of an input object inside one."""

    field: str
    argument: str
    inner: tuple[str, ...]
    leaf: GraphQLInputType
    coordinate: str

    @property
    def path(self) -> str:
        """How errors about a query name it."""
        return ".".join((self.argument, *self.inner))

    @property
    def mutation_path(self) -> str:
        """How a mutation's `ValidationError` names it: an input object's fields stand for themselves."""
        return ".".join(self.inner) if self.argument == "input" else self.path


def slots_of(field_name: str, field: GraphQLField, owner: str) -> Iterator[Slot]:
    for argument, definition in field.args.items():
        coordinate = f"{owner}.{field_name}({argument}:)"
        yield from _slots_in(field_name, argument, (), definition.type, coordinate, set())


def _slots_in(
    field: str, argument: str, inner: tuple[str, ...], type_: GraphQLInputType, coordinate: str, seen: set[str]
) -> Iterator[Slot]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:  # a filter that nests itself: once is enough
            return
        for name, item in named.fields.items():
            yield from _slots_in(
                field, argument, (*inner, name), item.type, f"{named.name}.{name}", seen | {named.name}
            )
    else:
        yield Slot(field, argument, inner, type_, coordinate)


def hostile_values(slot: Slot) -> list[Any]:
    named = get_named_type(slot.leaf)
    if isinstance(named, GraphQLEnumType):
        return ["NOT_A_VALUE"]
    if named.name == "Boolean":
        return []
    if named.name == "Int":
        return list(HOSTILE_INTS)
    if named.name in ("String", "ID"):
        bound = bound_of(slot.coordinate, slot.path.rsplit(".", 1)[-1], named.name)
        return ["9" * bound, "9" * (bound + 1), *HOSTILE_TEXT]
    return [*HOSTILE_TEXT, "9999-12-31T23:59:59-23:59"]  # DateTime and the like


def over_bound(slot: Slot) -> str | None:
    """The value just over the slot's bound, if it holds text."""
    named = get_named_type(slot.leaf)
    if named.name not in ("String", "ID"):
        return None
    return "9" * (bound_of(slot.coordinate, slot.path.rsplit(".", 1)[-1], named.name) + 1)


def bounded(problem: dict[str, Any], slot: Slot) -> bool:
    """Whether a mutation's problem is the bound of `slot` (the mutation's own checks may be narrower)."""
    over = over_bound(slot)
    return over is not None and problem["message"] == f"must be at most {len(over) - 1} characters long."


def filler(type_: GraphQLInputType, name: str, valid: dict[str, Any]) -> Any:
    """A valid value for a required argument or field, so that the resolver is reached."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [filler(type_.of_type, name, valid)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            field_name: filler(item.type, field_name, valid)
            for field_name, item in type_.fields.items()
            if isinstance(item.type, GraphQLNonNull) and item.default_value is Undefined
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": 1, "Boolean": True}.get(type_.name, valid.get(name, "cheese"))


def with_value(slot: Slot, value: Any, field: GraphQLField, valid: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `slot`'s field: the required ones valid, and `value` where the slot is."""
    arguments = {
        name: filler(argument.type, name, valid)
        for name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    }
    if isinstance(get_named_type(slot.leaf), GraphQLScalarType | GraphQLEnumType) and isinstance(
        slot.leaf.of_type if isinstance(slot.leaf, GraphQLNonNull) else slot.leaf, GraphQLList
    ):
        value = [value]
    if not slot.inner:
        arguments[slot.argument] = value
        return arguments
    target = arguments.setdefault(slot.argument, {})
    if not isinstance(target, dict):  # a list of input objects
        target = target[0]
    for name in slot.inner[:-1]:
        target = target.setdefault(name, {})
    target[slot.inner[-1]] = value
    return arguments


def call(
    alias: str, field_name: str, field: GraphQLField, arguments: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """A field with every argument in a variable: its variable definitions, its text and the variables."""
    definitions = ", ".join(f"${alias}_{name}: {field.args[name].type}" for name in arguments)
    passed = ", ".join(f"{name}: ${alias}_{name}" for name in arguments)
    named = get_named_type(field.type)
    if is_leaf_type(named):
        selection = ""
    elif GRAPHQL.mutation_type is not None and field in GRAPHQL.mutation_type.fields.values():
        selection = MUTATION_SELECTION
    else:
        selection = "{ __typename }"
    text = f"{alias}: {field_name}({passed}) {selection}" if passed else f"{alias}: {field_name} {selection}"
    return definitions, text, {f"{alias}_{name}": value for name, value in arguments.items()}


async def send(client: GraphQLClient, document: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
    """The answer, the body written with JSON's escapes so that a lone surrogate can travel in it."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    body = json.dumps({"query": document, "variables": variables}, ensure_ascii=True)
    response = await client.http.post("/graphql", content=body.encode(), headers=headers)
    assert response.status_code < 500, response.text
    answer: dict[str, Any] = response.json()
    assert_no_internal_error(answer)
    return answer


def assert_no_internal_error(answer: dict[str, Any]) -> None:
    for error in answer.get("errors") or []:
        assert (error.get("extensions") or {}).get("code") != "INTERNAL_SERVER_ERROR", error
        assert "internal server error" not in error["message"].lower(), error
        assert not any(leak in error["message"] for leak in LEAKS), error
    for result in (answer.get("data") or {}).values():
        if isinstance(result, dict) and "message" in result:
            assert result["__typename"] != "UnexpectedError", result
            assert not any(leak in result["message"] for leak in LEAKS), result


async def sign_up_with_a_package(client: GraphQLClient) -> tuple[str, dict[str, Any]]:
    """A token for the owner of package `cheese` (with release 1.0), and valid values for required arguments."""
    register = (
        "mutation($input: RegisterInput!) { register(input: $input) { ... on AuthPayload { token user { id } } } }"
    )
    data = await client.query(register, {"input": {"name": "Ada", "email": "ada@example.org", "password": PASSWORD}})
    token, user_id = data["register"]["token"], data["register"]["user"]["id"]
    setup = """mutation {
      createPackage(input: {name: "cheese"}) { __typename }
      publishRelease(input: {package: "cheese", version: "1.0"}) { __typename }
    }"""
    created = await send(client, setup, {}, token)
    assert created["data"] == {
        "createPackage": {"__typename": "PackagePayload"},
        "publishRelease": {"__typename": "ReleasePayload"},
    }
    valid = {"version": "1.0", "email": "ada@example.org", "password": PASSWORD, "id": user_id, "user": user_id}
    valid |= {"maintainer": user_id, "query": "cheese", "name": "cheese", "package": "cheese"}
    return token, valid


@pytest.mark.parametrize("field_name", QUERY_FIELDS)
async def test_hostile_values_in_every_query_argument_are_refused_or_answered(
    client: GraphQLClient, field_name: str
) -> None:
    assert GRAPHQL.query_type is not None
    field = GRAPHQL.query_type.fields[field_name]
    token, valid = await sign_up_with_a_package(client)
    for slot in slots_of(field_name, field, "Query"):
        for value in hostile_values(slot):
            definitions, text, variables = call("a", field_name, field, with_value(slot, value, field, valid))
            answer = await send(client, f"query({definitions}) {{ {text} }}", variables, token)
            refused = [
                error
                for error in answer.get("errors") or []
                if (error.get("extensions") or {}).get("argument") == slot.path and "at most" in error["message"]
            ]
            if value == over_bound(slot):
                assert refused, (slot.path, answer)
                assert refused[0]["extensions"]["code"] == "BAD_USER_INPUT"
                assert answer["data"] is None
            elif isinstance(value, str) and set(value) == {"9"}:
                assert not refused, (slot.path, answer)


@pytest.mark.parametrize("field_name", MUTATION_FIELDS)
async def test_hostile_values_in_every_mutation_argument_get_typed_answers(
    client: GraphQLClient, field_name: str
) -> None:
    assert GRAPHQL.mutation_type is not None
    field = GRAPHQL.mutation_type.fields[field_name]
    token, valid = await sign_up_with_a_package(client)
    # At most one sign-in a document: register and login get a request per value, the others one per argument.
    # Values GraphQL itself may refuse (numbers, enums) would fail a whole document: those go one per request too.
    for slot in slots_of(field_name, field, "Mutation"):
        values = hostile_values(slot)
        text = get_named_type(slot.leaf).name in ("String", "ID")
        batches = [values] if values and text and field_name not in ("register", "login") else [[v] for v in values]
        for batch in batches:
            calls = [
                call(f"v{i}", field_name, field, with_value(slot, value, field, valid)) for i, value in enumerate(batch)
            ]
            definitions = ", ".join(definitions for definitions, _, _ in calls if definitions)
            document = f"mutation({definitions}) {{ {' '.join(text for _, text, _ in calls)} }}"
            variables = {name: value for _, _, passed in calls for name, value in passed.items()}
            answer = await send(client, document, variables, token)
            for i, value in enumerate(batch):
                result = (answer.get("data") or {}).get(f"v{i}")
                if result is None:  # refused before it ran: a variable GraphQL itself does not accept
                    assert answer.get("errors"), answer
                    continue
                refused = [
                    p for p in result.get("problems", []) if p["field"] == slot.mutation_path and bounded(p, slot)
                ]
                if value == over_bound(slot):
                    assert result["__typename"] == "ValidationError", (slot.path, result)
                    assert refused, (slot.path, result)
                elif isinstance(value, str) and set(value) == {"9"}:
                    assert not refused, (slot.path, result)


def refusal(answer: dict[str, Any]) -> dict[str, Any]:
    """The one error of a query refused as a whole."""
    assert answer["data"] is None, answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return dict(error)


@pytest.mark.parametrize(
    ("document", "variables", "argument", "bound"),
    [
        ('query ($v: String!) { release(package: "cheese", version: $v) { id } }', {"v": "1" * 5000}, "version", 100),
        ("query ($v: String!) { search(query: $v) { totalCount } }", {"v": "%" * 60_000}, "query", 200),
        ("query ($v: String!) { search(query: $v) { totalCount } }", {"v": "x" * 201}, "query", 200),
        ("query ($v: String!) { package(name: $v) { id } }", {"v": "x" * 201}, "name", 200),
        (f'{{ packages(filter: {{nameContains: "{"%" * 201}"}}) {{ totalCount }} }}', {}, "filter.nameContains", 200),
        (
            "query ($f: PackageFilter) { packages(filter: $f) { totalCount } }",
            {"f": {"classifier": "_" * 201}},
            "filter.classifier",
            200,
        ),
        (f'query ($v: String = "{"x" * 255}@example.org") {{ user(email: $v) {{ id }} }}', {}, "email", 254),
        (f'{{ node(id: "{"A" * 1025}") {{ id }} }}', {}, "id", 1024),
        (
            'query ($c: String) { package(name: "cheese") { releases(after: $c) { totalCount } } }',
            {"c": "A" * 1025},
            "after",
            1024,
        ),
    ],
)
async def test_text_over_its_bound_fails_the_query_naming_the_argument_before_any_sql(
    client: GraphQLClient, sql: SqlCounter, document: str, variables: dict[str, Any], argument: str, bound: int
) -> None:
    with sql.expect(0):
        error = refusal(await send(client, document, variables, None))
    assert error["message"] == f"`{argument}` must be at most {bound} characters long.", error
    assert error["extensions"]["argument"] == argument


async def test_text_at_its_bound_reaches_the_resolver(client: GraphQLClient) -> None:
    token, _ = await sign_up_with_a_package(client)
    document = (
        "query ($v: String!, $q: String!) { release(package: $q, version: $v) { id } search(query: $q) { totalCount } }"
    )
    answer = await send(client, document, {"v": "1" * 100, "q": "c" * 200}, token)
    assert answer == {"data": {"release": None, "search": {"totalCount": 0}}}


async def test_a_five_thousand_digit_version_in_publish_release_is_a_validation_error_that_writes_nothing(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    token, _ = await sign_up_with_a_package(client)
    document = f"mutation ($input: PublishReleaseInput!) {{ publishRelease(input: $input) {MUTATION_SELECTION} }}"
    with sql.expect(0):
        answer = await send(client, document, {"input": {"package": "cheese", "version": "1" * 5000}}, token)
    result = answer["data"]["publishRelease"]
    assert result["__typename"] == "ValidationError", result
    assert result["problems"] == [{"field": "version", "message": "must be at most 1000 characters long."}]
    releases = await send(client, '{ package(name: "cheese") { releases { totalCount } } }', {}, token)
    assert releases["data"]["package"]["releases"]["totalCount"] == 1


async def test_a_mutation_lists_every_field_over_its_bound(client: GraphQLClient) -> None:
    token, _ = await sign_up_with_a_package(client)
    document = f"mutation ($input: UpdatePackageInput!) {{ updatePackage(input: $input) {MUTATION_SELECTION} }}"
    too_long = {"package": "cheese", "summary": "s" * 2049, "homePage": "https://" + "h" * 8192, "description": "ok"}
    result = (await send(client, document, {"input": too_long}, token))["data"]["updatePackage"]
    assert result["__typename"] == "ValidationError", result
    assert [problem["field"] for problem in result["problems"]] == ["summary", "homePage"]


@pytest.mark.parametrize("first", [2_147_483_647, -1, -2_147_483_648])
async def test_extreme_page_sizes_are_bad_arguments(client: GraphQLClient, first: int) -> None:
    answer = await send(client, "query ($n: Int) { packages(first: $n) { totalCount } }", {"n": first}, None)
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}, error


async def test_an_int_beyond_32_bits_is_refused_by_graphql(client: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        answer = await send(client, "query ($n: Int) { latestReleases(limit: $n) { id } }", {"n": 2**31}, None)
    (error,) = answer["errors"]
    assert "non 32-bit signed integer" in error["message"], error

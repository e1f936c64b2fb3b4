"""The planned executor: what it covers, what it gives back, and edges where its answer must be graphql-core's.

Every query of the suite is also run through graphql-core and compared (`both_executors` in conftest.py); the
tests here pin the edges where the two could part: null propagation, errors in nested connections, abstract
types, aliases with different arguments, `__typename` everywhere.
"""

from typing import Any

import pytest
from graphql import parse
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from models.db import Maker
from schema.execution import extension
from schema.root import schema
from tests import factories
from tests.conftest import GraphQLClient
from tests.test_limits import known_documents
from tests.test_production import http

VARIABLES = {"name": "a", "query": "a", "id": "VXNlcjox"}


def test_every_known_query_is_planned() -> None:
    for name, text in known_documents().items():
        document = parse(text)
        operations = [d for d in document.definitions if getattr(d, "operation", None) is not None]
        if name == "GraphiQL introspection" or any(d.operation.value != "query" for d in operations):  # type: ignore[attr-defined]
            continue
        assert extension.plan_for(schema._schema, text, document, None, VARIABLES) is not None, name


def test_introspection_and_mutations_are_given_back() -> None:
    for text in ("{ __schema { queryType { name } } }", "{ stats { packageCount } __type(name: \"Package\") { name } }",
                 "mutation { login(input: {email: \"a\", password: \"b\"}) { __typename } }"):  # fmt: skip
        assert extension.plan_for(schema._schema, text, parse(text), None, {}) is None, text


async def seeded(session: AsyncSession) -> None:
    ada = await factories.user(session, "Ada")
    for name in ("alpha", "beta", "gamma"):
        await factories.package(session, name, versions=["1.0", "2.0"], maintainers=[(ada, "owner")])


async def test_queries_are_answered_by_the_planned_executor(client: GraphQLClient, session: AsyncSession) -> None:
    await seeded(session)
    before = extension.outcomes["planned"]
    data = await client.query("{ packages(first: 2) { edges { node { name } } } }")
    assert [e["node"]["name"] for e in data["packages"]["edges"]] == ["alpha", "beta"]
    assert extension.outcomes["planned"] == before + 1


async def test_the_setting_leaves_every_operation_to_graphql_core(sessionmaker: Maker, session: AsyncSession) -> None:
    from tests.conftest import settings_for_tests

    await seeded(session)
    before = extension.outcomes["planned"]
    async with http(settings_for_tests(planned_execution=False), sessionmaker) as client:
        response = await client.post("/graphql", json={"query": "{ packages(first: 1) { edges { node { name } } } }"})
    assert response.json() == {"data": {"packages": {"edges": [{"node": {"name": "alpha"}}]}}}
    assert extension.outcomes["planned"] == before


async def test_a_bad_cursor_in_a_nested_connection_nulls_up_to_the_nearest_nullable_parent(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seeded(session)
    body = await client.execute(
        '{ package(name: "alpha") { name releases(after: "nope") { totalCount } } stats { packageCount } }'
    )
    assert body["data"] == {"package": None, "stats": {"packageCount": 3}}
    [error] = body["errors"]
    assert error["path"] == ["package", "releases"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_an_error_under_a_non_null_list_nulls_the_whole_answer(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seeded(session)
    body = await client.execute(
        "{ packages(first: 3) { edges { node { name releases(first: 101) { totalCount } } } } }"
    )
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["packages", "edges", 0, "node", "releases"]]


async def test_node_answers_each_type_and_refuses_an_id_of_no_type(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seeded(session)
    package_id, bogus = relay.to_base64("Package", 1), relay.to_base64("Nothing", 1)
    query = """query($id: ID!, $bogus: ID!) {
      a: node(id: $id) { __typename id ... on Package { name } ... on User { email } }
      b: node(id: $bogus) { id }
    }"""
    body = await client.execute(query, {"id": package_id, "bogus": bogus})
    assert body["data"] == {"a": {"__typename": "Package", "id": package_id, "name": "alpha"}, "b": None}
    assert [e["path"] for e in body["errors"]] == [["b"]]


async def test_aliases_of_one_field_with_different_arguments_and_typename_everywhere(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seeded(session)
    query = """{ package(name: "beta") {
      one: releases(first: 1) {
        __typename edges { __typename cursor node { version } } pageInfo { __typename hasNextPage }
      }
      two: releases(last: 2) { totalCount edges { node { version } } }
      ...F
    } }
    fragment F on Package { one: releases(first: 1) { totalCount } name @skip(if: true) }"""
    data: dict[str, Any] = (await client.query(query))["package"]
    assert data["one"]["__typename"] == "ReleaseConnection"
    assert data["one"]["edges"][0]["__typename"] == "ReleaseEdge"
    assert data["one"]["pageInfo"] == {"__typename": "PageInfo", "hasNextPage": True}
    assert [e["node"]["version"] for e in data["one"]["edges"]] == ["2.0"]
    assert data["one"]["totalCount"] == 2
    assert [e["node"]["version"] for e in data["two"]["edges"]] == ["2.0", "1.0"]
    assert "name" not in data


@pytest.mark.parametrize("show", [True, False])
async def test_skip_and_include_by_variable_get_a_plan_each(
    client: GraphQLClient, session: AsyncSession, show: bool
) -> None:
    await seeded(session)
    query = 'query($show: Boolean!) { package(name: "alpha") { name maintainers @include(if: $show) { name } } }'
    data = await client.query(query, {"show": show})
    assert ("maintainers" in data["package"]) is show


async def test_email_is_shown_to_its_own_user_only(client: GraphQLClient, session: AsyncSession) -> None:
    await seeded(session)
    data = await client.query('{ package(name: "alpha") { maintainers { name email } } }')
    assert data["package"]["maintainers"] == [{"name": "Ada", "email": None}]


def test_the_bench_queries_call_a_resolver_only_for_root_fields() -> None:
    from bench.workloads import QUERIES_DIR

    for path in sorted(QUERIES_DIR.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        found = extension.plan_for(schema._schema, text, parse(text), None, VARIABLES)
        if found is None:  # a mutation
            continue
        per_parent = found[0].per_parent
        assert per_parent, path.name  # every root field still has its resolver
        assert all(field.startswith("Query.") for field in per_parent), (path.name, per_parent)


def test_a_field_with_no_batch_form_is_counted_as_resolver_fed() -> None:
    text = '{ package(name: "a") { maintainers { email } } }'
    found = extension.plan_for(schema._schema, text, parse(text), None, {})
    assert found is not None
    assert found[0].per_parent == ("Query.package", "User.email")


async def test_a_directive_argument_that_does_not_coerce_is_left_to_graphql_core(
    client: GraphQLClient, session: AsyncSession
) -> None:
    """`$s: Boolean = true` may be sent as null; `@include(if: null)` is then an error at the field's parent."""
    await seeded(session)
    document = 'query ($s: Boolean = true) { package(name: "alpha") { name @include(if: $s) } }'
    given_back = extension.outcomes["given back"]
    for _ in range(6):  # more than the execution slots: none may be kept by a refused plan
        body = await client.execute(document, {"s": None})
        assert body["data"] == {"package": None}
        assert [error["path"] for error in body["errors"]] == [["package"]]
    assert extension.outcomes["given back"] == given_back + 6


async def test_nothing_runs_below_a_nulled_position(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, sql: Any
) -> None:
    """A bad cursor nulls `package`; the maintainers' packages below it are neither loaded by graphql-core nor here."""
    from tests.conftest import settings_for_tests

    await seeded(session)
    document = """{ package(name: "alpha") { releases(after: "bad") { totalCount }
      maintainers { packages { totalCount edges { node { classifiers { name } releases { totalCount } } } } } } }"""
    with sql.count() as planned:
        ours = await client.execute(document)
    async with http(settings_for_tests(planned_execution=False), sessionmaker) as reference:
        with sql.count() as core:
            theirs = (await reference.post("/graphql", json={"query": document})).json()
    assert ours == theirs
    assert ours["data"] == {"package": None}
    assert len(planned) == len(core)


def test_a_document_keeps_a_bounded_number_of_plans() -> None:
    fields = " ".join(f"a{i}: packageCount @include(if: $v{i})" for i in range(8))
    variables = ", ".join(f"$v{i}: Boolean!" for i in range(8))
    text = f"query ({variables}) {{ stats {{ {fields} }} }}"
    document = parse(text)
    for combination in range(40):
        values = {f"v{i}": bool(combination >> i & 1) for i in range(8)}
        assert extension.plan_for(schema._schema, text, document, None, values) is not None
    known = extension._documents.find(text)
    assert known is not None
    assert len(known.plans) == extension.PLANS_PER_DOCUMENT

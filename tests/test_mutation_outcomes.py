"""Each mutation of a document reports its own outcome: an unexpected failure is an `UnexpectedError`, not a null."""

import logging
import re
from typing import Any

import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.sql import Select

import models
import resolvers.release_mutations
from models.db import Maker
from schema.context import Info
from tests.conftest import GraphQLClient
from tests.test_mutations import PASSWORD, REGISTER, answer, count, post

SECRET = "hunter2-in-/srv/cheeseshop/settings.py"
OUTCOME = "{ __typename ... on Error { message } ... on UnexpectedError { requestId } }"
DOCUMENT = f"""
mutation {{
  a: createPackage(input: {{name: "a"}}) {OUTCOME}
  b: publishRelease(input: {{package: "a", version: "1.0", comment: "Lost."}}) {OUTCOME}
  c: createPackage(input: {{name: "c"}}) {OUTCOME}
}}
"""


def fail_before_the_unit_of_work(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"the checks could not start, password={SECRET}")


def fail_after_the_flush(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"the payload could not be built, password={SECRET}")


def fail_in_the_database(*columns: Any) -> Select[Any]:
    """A pre-check the database rejects with its own error; on PostgreSQL it aborts the transaction."""
    return select(literal_column("no_such_column")).select_from(models.Release)


async def fail_in_a_read_outside_the_unit_of_work(info: Info, *args: Any, **kwargs: Any) -> Any:
    """A read through the request's session that fails; on PostgreSQL the session's transaction is then aborted."""
    return await info.context.db.rows(fail_in_the_database())


FAILURES = {
    "before its unit of work": ("Checks", fail_before_the_unit_of_work),
    "after its flush": ("ReleasePayload", fail_after_the_flush),
    "in the database": ("select", fail_in_the_database),
    "in a read outside its unit of work": ("write", fail_in_a_read_outside_the_unit_of_work),
}


async def sign_up(client: GraphQLClient) -> str:
    result = await answer(
        client, REGISTER, {"input": {"name": "Ada", "email": "ada@example.org", "password": PASSWORD}}
    )
    token: str = result["token"]
    return token


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_unexpected_failure_between_two_mutations_is_its_own_typed_outcome(
    client: GraphQLClient,
    sessionmaker: Maker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    token = await sign_up(client)
    name, replacement = FAILURES[failure]
    monkeypatch.setattr(resolvers.release_mutations, name, replacement)
    with caplog.at_level(logging.ERROR, logger="schema.extensions"):
        body = await post(client, DOCUMENT, token=token)

    assert "errors" not in body, body
    data = body["data"]
    assert data["a"] == {"__typename": "PackagePayload"}
    assert data["c"] == {"__typename": "PackagePayload"}
    failed = data["b"]
    assert failed["__typename"] == "UnexpectedError", failed
    request_id = failed["requestId"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), failed
    assert failed["message"] == f"The change failed unexpectedly and was not made (request {request_id}).", failed
    assert "hunter2" not in str(body)
    # The log, unlike the client, gets the whole error under the same request id.
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None
    assert record.exc_info[1] is not None

    async with sessionmaker() as check:
        assert sorted(await check.scalars(select(models.Package.name))) == ["a", "c"]
    assert await count(sessionmaker, models.Release) == 0
    assert await count(sessionmaker, models.Maintainer) == 2


async def test_after_an_unexpected_failure_the_same_mutation_succeeds_in_the_next_document(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await sign_up(client)
    monkeypatch.setattr(resolvers.release_mutations, "select", fail_in_the_database)
    first = await post(client, DOCUMENT, token=token)
    assert first["data"]["b"]["__typename"] == "UnexpectedError", first
    monkeypatch.undo()

    again = await post(
        client, f'mutation {{ b: publishRelease(input: {{package: "a", version: "1.0"}}) {OUTCOME} }}', token=token
    )
    assert again["data"]["b"] == {"__typename": "ReleasePayload"}, again
    assert await count(sessionmaker, models.Release) == 1


async def test_an_expected_failure_stays_its_own_type(client: GraphQLClient, sessionmaker: Maker) -> None:
    token = await sign_up(client)
    document = DOCUMENT.replace('version: "1.0"', 'version: "not a version"')
    body = await post(client, document, token=token)
    assert [body["data"][key]["__typename"] for key in "abc"] == ["PackagePayload", "ValidationError", "PackagePayload"]
    assert await count(sessionmaker, models.Package) == 2

"""Mutations are all or nothing: failures half-way leave nothing, constraints answer typed, clean-up never commits."""

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import false, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import Select

import models
import resolvers.auth
import resolvers.package_mutations
import resolvers.release_mutations
from models.db import Maker
from resolvers.work import write as unit_of_work
from schema.context import Info
from schema.errors import Conflict
from tests import factories
from tests.conftest import GraphQLClient
from tests.test_mutations import (
    ADD,
    CREATE,
    DELETE,
    LOGIN,
    PASSWORD,
    PUBLISH,
    REGISTER,
    REMOVE,
    UPDATE,
    YANK,
    answer,
    count,
    post,
    problems,
    roles,
    sign_up,
    stored_package,
    user_row,
    versions,
)

SECRET = "hunter2-in-/srv/cheeseshop/settings.py"
LEAKS = (SECRET, "Traceback", "RuntimeError", "sqlalchemy", "asyncpg", "sqlite", "SELECT", "INSERT", "no_such_column")


def assert_masked(body: dict[str, Any]) -> str:
    """A mutation's unexpected error reaches the client as an `UnexpectedError` with a request id, nothing else."""
    assert not body.get("errors"), body
    (result,) = [r for r in body["data"].values() if r["__typename"] != "PackagePayload"]
    assert result["__typename"] == "UnexpectedError", body
    assert re.fullmatch(r"[0-9a-f]{32}", result["requestId"]), result
    assert result["message"] == f"The change failed unexpectedly and was not made (request {result['requestId']}).", (
        result
    )
    raw = json.dumps(body)
    for leak in LEAKS:
        assert leak not in raw, f"{leak!r} leaked to the client: {raw}"
    request_id: str = result["requestId"]
    return request_id


def fail_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[str]:
    """Make the async method `owner.name` raise an unexpected error the first time it runs; the calls it saw."""
    original = getattr(owner, name)
    calls: list[str] = []

    async def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError(f"{name} failed: INSERT INTO packages VALUES (...) password={SECRET}")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return calls


def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"the payload could not be built, password={SECRET}")


def blind_select(calls: list[str]) -> Callable[..., Select[Any]]:
    """A `select` for pre-checks that find nothing, as when the competing row is committed just after they ran."""

    def without_match(*columns: Any) -> Select[Any]:
        calls.append("pre-check")
        return select(*columns).where(false())

    return without_match


async def owner_of_cheese(
    client: GraphQLClient, session: AsyncSession, *, releases: tuple[str, ...] = ()
) -> tuple[str, str, models.Package]:
    """Ada's token and ID, and her package cheese."""
    token, ada = await sign_up(client, "Ada")
    row = await factories.package(
        session, "cheese", versions=releases, maintainers=[(await user_row(session, ada), "owner")]
    )
    return token, ada, row


# (a) A failure half-way through a mutation leaves nothing written


async def test_create_package_whose_commit_fails_writes_neither_package_nor_owner_and_the_next_one_works(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token, _ = await sign_up(client, "Ada")
    calls = fail_once(monkeypatch, AsyncSession, "commit")
    with caplog.at_level(logging.ERROR, logger="schema.extensions"):
        body = await post(client, CREATE, {"input": {"name": "cheese", "summary": "Cheese."}}, token)
    request_id = assert_masked(body)
    assert calls == ["commit"]
    assert await count(sessionmaker, models.Package) == 0
    assert await count(sessionmaker, models.Maintainer) == 0
    # The log, unlike the client, gets the whole error under the same request id.
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])

    again = await answer(client, CREATE, {"input": {"name": "cheese"}}, token)
    assert again["__typename"] == "PackagePayload", again
    assert await count(sessionmaker, models.Package) == 1
    assert await count(sessionmaker, models.Maintainer) == 1


async def test_create_package_that_fails_after_its_flush_writes_neither_package_nor_owner(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = await sign_up(client, "Ada")
    monkeypatch.setattr(resolvers.package_mutations, "PackagePayload", explode)
    assert_masked(await post(client, CREATE, {"input": {"name": "cheese"}}, token))
    assert await count(sessionmaker, models.Package) == 0
    assert await count(sessionmaker, models.Maintainer) == 0
    monkeypatch.undo()
    again = await answer(client, CREATE, {"input": {"name": "cheese"}}, token)
    assert again["__typename"] == "PackagePayload", again


@pytest.mark.parametrize("where", ["after the flush", "at commit"])
async def test_publish_release_that_fails_half_way_writes_neither_release_nor_updated_at_and_the_next_one_works(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    token, _, row = await owner_of_cheese(client, session, releases=("1.0",))
    if where == "at commit":
        fail_once(monkeypatch, AsyncSession, "commit")
    else:
        monkeypatch.setattr(resolvers.release_mutations, "ReleasePayload", explode)
    assert_masked(await post(client, PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}, token))
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == row.updated_at

    monkeypatch.undo()
    again = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}, token)
    assert again["__typename"] == "ReleasePayload", again
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "2.0": False}


async def test_delete_package_whose_commit_fails_keeps_the_package_with_its_releases_and_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _, _ = await owner_of_cheese(client, session, releases=("1.0", "1.1"))
    fail_once(monkeypatch, AsyncSession, "commit")
    assert_masked(await post(client, DELETE, {"package": "cheese"}, token))
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "1.1": False}
    assert len(await roles(sessionmaker, "cheese")) == 1


async def test_a_failing_second_mutation_in_a_document_keeps_the_commit_of_the_first(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each mutation field is its own unit of work: the first one is committed before the second one starts."""
    token, _ = await sign_up(client, "Ada")
    original = AsyncSession.commit
    commits: list[int] = []

    async def second_commit_fails(self: AsyncSession) -> None:
        commits.append(1)
        if len(commits) == 2:
            raise RuntimeError(f"commit failed, password={SECRET}")
        await original(self)

    monkeypatch.setattr(AsyncSession, "commit", second_commit_fails)
    document = """
    mutation {
      a: createPackage(input: {name: "a"}) { __typename }
      b: createPackage(input: {name: "b"}) { __typename ... on UnexpectedError { requestId message } }
    }
    """
    body = await post(client, document, token=token)
    assert_masked(body)
    assert body["data"]["a"] == {"__typename": "PackagePayload"}
    async with sessionmaker() as check:
        assert list(await check.scalars(select(models.Package.name))) == ["a"]


# (b) Constraints the pre-checks cannot see come back typed


async def test_create_package_past_a_pre_check_that_saw_nothing_is_a_conflict_on_name(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rival's package, committed where the request's check cannot see it (as a race on PostgreSQL would)."""
    token, _ = await sign_up(client, "Ada")
    async with sessionmaker() as other:
        other.add(models.Package(name="foo-bar", summary="The rival's."))
        await other.commit()
    blinded: list[str] = []
    monkeypatch.setattr(resolvers.package_mutations, "select", blind_select(blinded))
    result = await answer(client, CREATE, {"input": {"name": "Foo_Bar"}}, token)
    assert blinded == ["pre-check"]
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "name"
    stored = await stored_package(sessionmaker, "foo-bar")
    assert stored is not None
    assert stored.summary == "The rival's."
    assert await count(sessionmaker, models.Maintainer) == 0


async def test_register_past_a_pre_check_that_saw_nothing_is_a_conflict_on_email(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessionmaker() as other:
        other.add(models.User(name="Rival", email="ada@example.org"))
        await other.commit()
    blinded: list[str] = []
    monkeypatch.setattr(resolvers.auth, "select", blind_select(blinded))
    variables = {"input": {"name": "Ada", "email": "Ada@example.org", "password": PASSWORD}}
    result = await answer(client, REGISTER, variables)
    assert blinded == ["pre-check"]
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "email"
    async with sessionmaker() as check:
        assert list(await check.scalars(select(models.User.name))) == ["Rival"]


async def test_publish_release_past_a_pre_check_that_saw_nothing_is_a_conflict_on_version_and_rolls_back(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _, row = await owner_of_cheese(client, session, releases=("1.0",))
    blinded: list[str] = []
    monkeypatch.setattr(resolvers.release_mutations, "select", blind_select(blinded))
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "1.0"}}, token)
    assert blinded == ["pre-check"]
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "version"
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == row.updated_at


async def test_add_maintainer_past_a_pre_check_that_saw_nothing_is_a_conflict_on_user(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ada, _ = await owner_of_cheese(client, session)
    original = AsyncSession.get
    unseen: list[Any] = []

    async def maintainers_unseen(self: AsyncSession, entity: Any, ident: Any, **kwargs: Any) -> Any:
        if entity is models.Maintainer:
            unseen.append(ident)
            return None
        return await original(self, entity, ident, **kwargs)

    monkeypatch.setattr(AsyncSession, "get", maintainers_unseen)
    result = await answer(client, ADD, {"package": "cheese", "user": ada, "role": "OWNER"}, token)
    assert len(unseen) == 1, "the pre-check did not run blind"
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "user"
    assert len(await roles(sessionmaker, "cheese")) == 1


async def test_the_unit_of_work_turns_an_integrity_error_into_its_conflict_and_rolls_back(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the mutation, a constraint the database enforces is the typed conflict it was given."""
    token, _, _ = await owner_of_cheese(client, session)

    async def write_then_violate(info: Info, work: Callable[..., Any], *, conflict: Conflict) -> Any:
        async def violating(db_session: AsyncSession) -> Any:
            answer_ = await work(db_session)
            db_session.add(models.Package(name="cheese"))  # taken: the unique index refuses it at flush
            await db_session.flush()
            return answer_

        return await unit_of_work(info, violating, conflict=conflict)

    monkeypatch.setattr(resolvers.package_mutations, "write", write_then_violate)
    result = await answer(client, CREATE, {"input": {"name": "spam"}}, token)
    assert result["__typename"] == "Conflict", result
    assert await stored_package(sessionmaker, "spam") is None
    assert await count(sessionmaker, models.Package) == 1


# (c) Input the database would reject is refused before it gets there

USER = "USER"  # stands for Ada's ID in the variables below
NUL_IN_MUTATIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "createPackage name": (CREATE, {"input": {"name": "che\x00ese"}}, "name"),
    "createPackage summary": (CREATE, {"input": {"name": "spam", "summary": "a\x00b"}}, "summary"),
    "updatePackage description": (UPDATE, {"input": {"package": "cheese", "description": "\x00"}}, "description"),
    "deletePackage package": (DELETE, {"package": "cheese\x00"}, "package"),
    "publishRelease comment": (
        PUBLISH,
        {"input": {"package": "cheese", "version": "2.0", "comment": "x\x00"}},
        "comment",
    ),
    "yankRelease version": (YANK, {"package": "cheese", "version": "1.0\x00"}, "version"),
    "addMaintainer package": (ADD, {"package": "\x00cheese", "user": USER}, "package"),
    "removeMaintainer user": (REMOVE, {"package": "cheese", "user": USER + "\x00"}, "user"),
    "register password": (
        REGISTER,
        {"input": {"name": "Eve", "email": "eve@example.org", "password": "0123456789\x00"}},
        "password",
    ),
    "login email": (LOGIN, {"email": "ada@example.org\x00", "password": PASSWORD}, "email"),
}


async def assert_nothing_changed(sessionmaker: Maker) -> None:
    """What `owner_of_cheese` with version 1.0 made, and nothing more."""
    assert await count(sessionmaker, models.Package) == 1
    assert await count(sessionmaker, models.User) == 1
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    assert len(await roles(sessionmaker, "cheese")) == 1
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.description is None


@pytest.mark.parametrize("case", NUL_IN_MUTATIONS)
async def test_a_nul_character_in_a_mutation_variable_is_a_validation_error_naming_the_field(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, case: str
) -> None:
    token, ada, _ = await owner_of_cheese(client, session, releases=("1.0",))
    document, variables, field = NUL_IN_MUTATIONS[case]
    variables = json.loads(json.dumps(variables).replace(USER, ada))
    result = await answer(client, document, variables, token)
    assert problems(result) == [field]
    assert "NUL" in result["message"]
    await assert_nothing_changed(sessionmaker)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('mutation { createPackage(input: {name: "spam\\u0000"}) { __typename ...F } }', "name"),
        ('mutation { updatePackage(input: {package: "cheese", summary: "\\u0000"}) { __typename ...F } }', "summary"),
        (
            'mutation { publishRelease(input: {package: "cheese", version: "2.0\\u0000"}) { __typename ...F } }',
            "version",
        ),
        ('mutation { yankRelease(package: "chee\\u0000se", version: "1.0") { __typename ...F } }', "package"),
        ('mutation { deletePackage(package: "cheese\\u0000") { __typename ...F } }', "package"),
    ],
)
async def test_a_nul_character_written_inline_in_a_mutation_is_a_validation_error_naming_the_field(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, document: str, field: str
) -> None:
    token, _, _ = await owner_of_cheese(client, session, releases=("1.0",))
    fragment = "fragment F on ValidationError { message field problems { field message } }"
    result = await answer(client, document + fragment, None, token)
    assert problems(result) == [field]
    await assert_nothing_changed(sessionmaker)


@pytest.mark.parametrize(
    ("document", "variables", "argument"),
    [
        ("query ($v: String!) { package(name: $v) { id } }", {"v": "cheese\x00"}, "name"),
        ('{ package(name: "cheese\\u0000") { id } }', {}, "name"),
        ("query ($v: String!) { search(query: $v) { totalCount } }", {"v": "\x00"}, "query"),
        ('{ release(package: "cheese", version: "1.0\\u0000") { id } }', {}, "version"),
        ("query ($v: String) { user(email: $v) { id } }", {"v": "ada\x00@example.org"}, "email"),
        ("query ($f: PackageFilter) { packages(filter: $f) { totalCount } }", {"f": {"namePrefix": "\x00"}}, "filter"),
    ],
)
async def test_a_nul_character_in_a_query_is_a_graphql_error_naming_the_argument(
    client: GraphQLClient, session: AsyncSession, document: str, variables: dict[str, Any], argument: str
) -> None:
    await owner_of_cheese(client, session, releases=("1.0",))
    body = await post(client, document, variables)
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["message"] == f"`{argument}` must not contain the NUL character (U+0000).", error
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


LONG_INPUTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "package name": (CREATE, {"input": {"name": "x" * 201}}, "name"),
    "summary": (CREATE, {"input": {"name": "spam", "summary": "s" * 513}}, "summary"),
    "description": (CREATE, {"input": {"name": "spam", "description": "d" * 100_001}}, "description"),
    "license": (CREATE, {"input": {"name": "spam", "license": "l" * 513}}, "license"),
    "author name": (CREATE, {"input": {"name": "spam", "authorName": "a" * 201}}, "authorName"),
    "author email": (CREATE, {"input": {"name": "spam", "authorEmail": "a" * 250 + "@x.org"}}, "authorEmail"),
    "home page": (CREATE, {"input": {"name": "spam", "homePage": "https://x.org/" + "p" * 2040}}, "homePage"),
    "updated summary": (UPDATE, {"input": {"package": "cheese", "summary": "s" * 513}}, "summary"),
    "comment": (PUBLISH, {"input": {"package": "cheese", "version": "2.0", "comment": "c" * 10_001}}, "comment"),
    "release url": (PUBLISH, {"input": {"package": "cheese", "version": "2.0", "url": "http://x.org/" * 200}}, "url"),
    "version": (PUBLISH, {"input": {"package": "cheese", "version": "2" + ".0" * 50}}, "version"),
    "user name": (REGISTER, {"input": {"name": "n" * 101, "email": "eve@example.org", "password": PASSWORD}}, "name"),
    "email": (REGISTER, {"input": {"name": "Eve", "email": "e" * 250 + "@x.org", "password": PASSWORD}}, "email"),
    "password": (REGISTER, {"input": {"name": "Eve", "email": "eve@example.org", "password": "p" * 1025}}, "password"),
}


@pytest.mark.parametrize("case", LONG_INPUTS)
async def test_a_string_longer_than_its_column_is_a_validation_error_and_writes_nothing(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, case: str
) -> None:
    token, _, _ = await owner_of_cheese(client, session, releases=("1.0",))
    document, variables, field = LONG_INPUTS[case]
    result = await answer(client, document, variables, token)
    assert problems(result) == [field]
    await assert_nothing_changed(sessionmaker)


async def post_escaped(
    client: GraphQLClient, document: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """Like `post`, with the JSON written ASCII-only, so that it can carry a lone surrogate (`\\ud800`)."""
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = json.dumps({"query": document, "variables": variables}).encode()
    response = await client.http.post("/graphql", content=content, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (CREATE, {"input": {"name": "spam", "summary": "half a \ud83d"}}, "summary"),
        (REGISTER, {"input": {"name": "Eve \udc00", "email": "eve@example.org", "password": PASSWORD}}, "name"),
        (PUBLISH, {"input": {"package": "cheese", "version": "2.0", "comment": "\ud800"}}, "comment"),
    ],
    ids=["createPackage", "register", "publishRelease"],
)
async def test_a_lone_surrogate_in_a_mutation_variable_is_a_validation_error_not_a_server_error(
    client: GraphQLClient,
    session: AsyncSession,
    sessionmaker: Maker,
    document: str,
    variables: dict[str, Any],
    field: str,
) -> None:
    """JSON may escape half a surrogate pair; no database can store it as UTF-8, so it is the client's error."""
    token, _, _ = await owner_of_cheese(client, session, releases=("1.0",))
    body = await post_escaped(client, document, variables, token)
    assert not body.get("errors"), body
    (result,) = body["data"].values()
    assert problems(result) == [field]
    await assert_nothing_changed(sessionmaker)


async def test_a_lone_surrogate_in_a_query_variable_is_a_graphql_error_naming_the_argument(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await owner_of_cheese(client, session, releases=("1.0",))
    body = await post_escaped(client, "query ($v: String!) { package(name: $v) { id } }", {"v": "cheese\ud800"})
    (error,) = body.get("errors") or [None]
    assert error is not None, body
    assert error["message"] != "Internal server error.", body
    assert "`name`" in error["message"], body
    assert error["extensions"]["argument"] == "name", body


# (d) Masking holds under concurrency


async def test_twenty_concurrent_unexpected_failures_are_each_masked_with_their_own_request_id(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = await sign_up(client, "Ada")

    def bad_sql(*columns: Any) -> Select[Any]:
        """The pre-check, broken so that the database rejects it with its own error text."""
        return select(literal_column("no_such_column")).select_from(models.Package)

    monkeypatch.setattr(resolvers.package_mutations, "select", bad_sql)
    bodies = await asyncio.gather(*(post(client, CREATE, {"input": {"name": f"spam-{n}"}}, token) for n in range(20)))
    request_ids = [assert_masked(body) for body in bodies]
    assert len(set(request_ids)) == 20
    assert await count(sessionmaker, models.Package) == 0

    monkeypatch.undo()
    again = await answer(client, CREATE, {"input": {"name": "spam"}}, token)
    assert again["__typename"] == "PackagePayload", again


async def test_twenty_concurrent_failures_after_a_flush_are_masked_and_leave_nothing(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _, _ = await owner_of_cheese(client, session, releases=("1.0",))
    monkeypatch.setattr(resolvers.release_mutations, "ReleasePayload", explode)
    bodies = await asyncio.gather(
        *(post(client, PUBLISH, {"input": {"package": "cheese", "version": f"2.{n}"}}, token) for n in range(20))
    )
    assert len({assert_masked(body) for body in bodies}) == 20
    assert await versions(sessionmaker, "cheese") == {"1.0": False}


# (e) The request's clean-up never commits


async def test_writes_a_resolver_leaves_uncommitted_are_rolled_back_when_the_request_ends(
    client: GraphQLClient, engine: AsyncEngine, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = await sign_up(client, "Ada")

    async def write_without_commit(info: Info, work: Callable[..., Any], *, conflict: Conflict) -> Any:
        # A buggy mutation: it writes through the request's session, flushes, and never commits.
        return await work(info.context.db.session)

    monkeypatch.setattr(resolvers.package_mutations, "write", write_without_commit)
    result = await answer(client, CREATE, {"input": {"name": "cheese"}}, token)
    assert result["__typename"] == "PackagePayload", result
    assert result["package"]["name"] == "cheese"
    assert await count(sessionmaker, models.Package) == 0
    assert await count(sessionmaker, models.Maintainer) == 0
    pool: Any = engine.pool
    assert pool.checkedout() == 0

    monkeypatch.undo()
    again = await answer(client, CREATE, {"input": {"name": "cheese"}}, token)
    assert again["__typename"] == "PackagePayload", again
    assert await count(sessionmaker, models.Package) == 1


async def test_writes_a_failing_resolver_leaves_uncommitted_are_rolled_back_when_the_request_ends(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _, row = await owner_of_cheese(client, session, releases=("1.0",))

    async def write_then_fail(info: Info, work: Callable[..., Any], *, conflict: Conflict) -> Any:
        await work(info.context.db.session)
        raise RuntimeError(f"lost the connection, password={SECRET}")

    monkeypatch.setattr(resolvers.release_mutations, "write", write_then_fail)
    assert_masked(await post(client, PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}, token))
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == row.updated_at

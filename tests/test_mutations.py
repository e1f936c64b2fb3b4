"""The write side through HTTP with real tokens: each mutation's success, and every typed failure it can return."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

import models
from models import Role
from models.db import Maker
from resolvers import tokens
from schema.package import MAINTAINERS
from tests import factories
from tests.conftest import TEST_SECRET, GraphQLClient

PASSWORD = "correct horse battery staple"

FAILURES = """
fragment Failures on Error {
  message
  ... on ValidationError { field problems { field message } }
  ... on Conflict { conflictField: field }
  ... on UnexpectedError { requestId }
}
"""
PACKAGE_FIELDS = """
fragment PackageFields on Package {
  id name summary description homePage docsUrl license authorName authorEmail createdAt updatedAt
  maintainers { id name } releaseCount latestRelease { version }
}
"""
REGISTER = (
    """
mutation ($input: RegisterInput!) {
  register(input: $input) { __typename ...Failures ... on AuthPayload { token user { id name email } } }
}
"""
    + FAILURES
)
LOGIN = (
    """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { __typename ...Failures ... on AuthPayload { token user { id } } }
}
"""
    + FAILURES
)
CREATE = (
    """
mutation ($input: CreatePackageInput!) {
  createPackage(input: $input) { __typename ...Failures ... on PackagePayload { package { ...PackageFields } } }
}
"""
    + FAILURES
    + PACKAGE_FIELDS
)
UPDATE = (
    """
mutation ($input: UpdatePackageInput!) {
  updatePackage(input: $input) { __typename ...Failures ... on PackagePayload { package { ...PackageFields } } }
}
"""
    + FAILURES
    + PACKAGE_FIELDS
)
DELETE = (
    """
mutation ($package: String!) {
  deletePackage(package: $package) { __typename ...Failures ... on DeletePackagePayload { deletedId name } }
}
"""
    + FAILURES
)
PUBLISH = (
    """
mutation ($input: PublishReleaseInput!) {
  publishRelease(input: $input) {
    __typename ...Failures
    ... on ReleasePayload {
      release { id version createdAt comment url size yanked package { name updatedAt releaseCount } }
    }
  }
}
"""
    + FAILURES
)
YANK = (
    """
mutation ($package: String!, $version: String!, $yanked: Boolean! = true) {
  yankRelease(package: $package, version: $version, yanked: $yanked) {
    __typename ...Failures
    ... on ReleasePayload { release { version yanked package { releaseCount latestRelease { version } } } }
  }
}
"""
    + FAILURES
)
ADD = (
    """
mutation ($package: String!, $user: ID!, $role: MaintainerRole! = MAINTAINER) {
  addMaintainer(package: $package, user: $user, role: $role) {
    __typename ...Failures ... on MaintainerPayload { package { name maintainers { id name } } user { id name } }
  }
}
"""
    + FAILURES
)
REMOVE = (
    """
mutation ($package: String!, $user: ID!) {
  removeMaintainer(package: $package, user: $user) {
    __typename ...Failures ... on MaintainerPayload { package { name maintainers { id name } } user { id name } }
  }
}
"""
    + FAILURES
)
PACKAGE = """
query ($name: String!) {
  package(name: $name) {
    id name summary license updatedAt releaseCount latestRelease { version } maintainers { name }
    releases(first: 10) { totalCount edges { node { version yanked } } }
  }
}
"""


async def post(
    client: GraphQLClient, document: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The whole answer to a request signed with `token` (none when None); it must get HTTP 200."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await client.http.post(
        "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data_of(
    client: GraphQLClient, document: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    body = await post(client, document, variables, token)
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def answer(
    client: GraphQLClient, document: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The result of the one mutation a document holds."""
    data = await data_of(client, document, variables, token)
    (result,) = data.values()
    assert isinstance(result, dict), data
    return result


async def sign_up(client: GraphQLClient, name: str, email: str | None = None) -> tuple[str, str]:
    """A new account's token and global ID, through `register`."""
    email = email or f"{name.lower().replace(' ', '.')}@example.org"
    result = await answer(client, REGISTER, {"input": {"name": name, "email": email, "password": PASSWORD}})
    assert result["__typename"] == "AuthPayload", result
    return result["token"], result["user"]["id"]


def row_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


def global_id(type_name: str, id_: int | str) -> str:
    return relay.to_base64(type_name, id_)


async def user_row(session: AsyncSession, user: str) -> models.User:
    row = await session.get(models.User, row_id(user))
    assert row is not None
    return row


async def fetch(sessionmaker: Maker, stmt: Executable) -> list[Any]:
    """What the database holds now, read through a session of its own."""
    async with sessionmaker() as session:
        return list((await session.execute(stmt)).all())


async def count(sessionmaker: Maker, table: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def roles(sessionmaker: Maker, package: str) -> dict[int, str]:
    """The maintainers of a package in the database, user id to role."""
    stmt = (
        select(models.Maintainer.user_id, models.Maintainer.role)
        .join(models.Package, models.Package.id == models.Maintainer.package_id)
        .where(models.Package.name == package)
    )
    return {user_id: role for user_id, role in await fetch(sessionmaker, stmt)}


async def stored_package(sessionmaker: Maker, name: str) -> models.Package | None:
    async with sessionmaker() as session:
        row: models.Package | None = await session.scalar(select(models.Package).where(models.Package.name == name))
        return row


async def versions(sessionmaker: Maker, package: str) -> dict[str, bool]:
    """The releases of a package in the database, version to yanked."""
    stmt = (
        select(models.Release.version, models.Release.yanked)
        .join(models.Package, models.Package.id == models.Release.package_id)
        .where(models.Package.name == package)
    )
    return {version: yanked for version, yanked in await fetch(sessionmaker, stmt)}


def problems(result: dict[str, Any]) -> list[str]:
    """The fields a ValidationError names, in order."""
    assert result["__typename"] == "ValidationError", result
    fields = [problem["field"] for problem in result["problems"]]
    assert result["field"] == fields[0], result
    return fields


# Registering and signing in


async def test_register_creates_an_account_with_a_lower_case_email_and_a_token_that_signs_it_in(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    result = await answer(
        client, REGISTER, {"input": {"name": " Ada ", "email": "Ada@Example.ORG", "password": PASSWORD}}
    )
    assert result["__typename"] == "AuthPayload", result
    assert result["user"]["name"] == "Ada"
    assert result["user"]["email"] == "ada@example.org"
    viewer = await data_of(client, "{ viewer { id name email } }", token=result["token"])
    assert viewer["viewer"] == result["user"]
    (row,) = await fetch(sessionmaker, select(models.User.email, models.User.password_hash))
    assert row.email == "ada@example.org"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash


async def test_register_with_bad_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    result = await answer(client, REGISTER, {"input": {"name": "  ", "email": "not-an-email", "password": "short"}})
    assert problems(result) == ["name", "email", "password"]
    assert await count(sessionmaker, models.User) == 0


async def test_register_with_a_taken_email_in_another_case_is_a_conflict_on_email(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    await sign_up(client, "Ada", "ada@example.org")
    result = await answer(
        client, REGISTER, {"input": {"name": "Eve", "email": "ADA@example.org", "password": PASSWORD}}
    )
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "email"
    assert await count(sessionmaker, models.User) == 1


async def test_login_with_the_right_password_returns_a_working_token_and_records_the_login(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada", "ada@example.org")
    result = await answer(client, LOGIN, {"email": " ADA@example.org ", "password": PASSWORD})
    assert result["__typename"] == "AuthPayload", result
    assert result["user"]["id"] == ada
    viewer = await data_of(client, "{ viewer { id } }", token=result["token"])
    assert viewer["viewer"] == {"id": ada}
    (row,) = await fetch(sessionmaker, select(models.User.last_login))
    assert row.last_login is not None


async def test_login_with_a_wrong_password_or_an_unknown_email_is_not_authenticated_alike(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    await sign_up(client, "Ada", "ada@example.org")
    wrong = await answer(client, LOGIN, {"email": "ada@example.org", "password": PASSWORD + "!"})
    unknown = await answer(client, LOGIN, {"email": "bob@example.org", "password": PASSWORD})
    assert wrong["__typename"] == unknown["__typename"] == "NotAuthenticated", (wrong, unknown)
    assert wrong["message"] == unknown["message"]
    (row,) = await fetch(sessionmaker, select(models.User.last_login))
    assert row.last_login is None


# Every mutation needs a signed-in caller

SIGNED_IN_ONLY: dict[str, tuple[str, dict[str, Any]]] = {
    "createPackage": (CREATE, {"input": {"name": "cheese"}}),
    "updatePackage": (UPDATE, {"input": {"package": "cheese", "summary": "Changed."}}),
    "deletePackage": (DELETE, {"package": "cheese"}),
    "publishRelease": (PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}),
    "yankRelease": (YANK, {"package": "cheese", "version": "1.0"}),
    "addMaintainer": (ADD, {"package": "cheese", "user": "USER"}),
    "removeMaintainer": (REMOVE, {"package": "cheese", "user": "USER"}),
}


def bad_token(kind: str, user: str) -> str | None:
    """A token that must not sign anyone in, of the given kind."""
    if kind == "missing":
        return None
    if kind == "garbage":
        return "not.a.token"
    if kind == "expired":
        return tokens.issue(row_id(user), "any key", secret=TEST_SECRET, lifetime=timedelta(seconds=-1))
    assert kind == "foreign"  # signed with another key
    foreign = "another-secret-that-is-32-characters-long"
    return tokens.issue(row_id(user), "any key", secret=foreign, lifetime=timedelta(hours=1))


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "foreign"])
@pytest.mark.parametrize("mutation", SIGNED_IN_ONLY)
async def test_every_mutation_without_a_valid_token_is_not_authenticated_and_changes_nothing(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str, kind: str
) -> None:
    _, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    document, variables = SIGNED_IN_ONLY[mutation]
    variables = {k: ada if v == "USER" else v for k, v in variables.items()}
    result = await answer(client, document, variables, token=bad_token(kind, ada))
    assert result["__typename"] == "NotAuthenticated", result
    assert result["message"]
    assert await count(sessionmaker, models.Package) == 1
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}
    row = await stored_package(sessionmaker, "cheese")
    assert row is not None
    assert row.summary is None


async def test_a_token_whose_user_was_deleted_is_not_authenticated(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await session.execute(delete(models.User).where(models.User.id == row_id(ada)))
    await session.commit()
    result = await answer(client, CREATE, {"input": {"name": "cheese"}}, token=token)
    assert result["__typename"] == "NotAuthenticated", result
    assert await count(sessionmaker, models.Package) == 0


# createPackage


async def test_create_package_stores_the_pep_503_name_and_makes_the_caller_its_owner(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    details = {
        "summary": "  Foo and bar.  ",
        "description": "Long text.",
        "homePage": "https://example.org/foo",
        "docsUrl": "http://docs.example.org",
        "license": "MIT",
        "authorName": "Ada",
        "authorEmail": "Ada@Example.org",
    }
    result = await answer(client, CREATE, {"input": {"name": "Foo_Bar", **details}}, token=token)
    assert result["__typename"] == "PackagePayload", result
    package = result["package"]
    assert package["name"] == "foo-bar"
    assert package["summary"] == "Foo and bar."
    assert package["authorEmail"] == "ada@example.org"
    assert {k: package[k] for k in ("description", "homePage", "docsUrl", "license", "authorName")} == {
        k: details[k] for k in ("description", "homePage", "docsUrl", "license", "authorName")
    }
    assert package["createdAt"] == package["updatedAt"]
    assert package["maintainers"] == [{"id": ada, "name": "Ada"}]
    assert package["releaseCount"] == 0
    assert package["latestRelease"] is None
    assert await roles(sessionmaker, "foo-bar") == {row_id(ada): "owner"}
    found = await data_of(client, PACKAGE, {"name": "FOO.bar"})
    assert found["package"]["id"] == package["id"]


@pytest.mark.parametrize("spelling", ["foo.bar", "FOO-BAR", "foo__bar", "Foo-_.Bar"])
async def test_create_package_whose_name_normalises_to_a_taken_one_is_a_conflict_on_name(
    client: GraphQLClient, sessionmaker: Maker, spelling: str
) -> None:
    token, _ = await sign_up(client, "Ada")
    first = await answer(client, CREATE, {"input": {"name": "Foo_Bar"}}, token=token)
    assert first["__typename"] == "PackagePayload", first
    result = await answer(client, CREATE, {"input": {"name": spelling, "summary": "Another."}}, token=token)
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "name"
    assert "foo-bar" in result["message"]
    assert await count(sessionmaker, models.Package) == 1
    assert await count(sessionmaker, models.Maintainer) == 1


async def test_create_package_with_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    token, _ = await sign_up(client, "Ada")
    bad = {
        "name": "-no good-",
        "summary": "x" * 513,
        "homePage": "ftp://example.org",
        "docsUrl": "javascript:alert(1)",
        "authorEmail": "nobody",
    }
    result = await answer(client, CREATE, {"input": bad}, token=token)
    assert problems(result) == ["name", "summary", "homePage", "docsUrl", "authorEmail"]
    assert result["message"].startswith("`name`")
    assert await count(sessionmaker, models.Package) == 0
    assert await count(sessionmaker, models.Maintainer) == 0


@pytest.mark.parametrize("name", ["", "   ", "-cheese", "cheese-", "che ese", "chées", "a/b", "x" * 201])
async def test_create_package_with_an_invalid_name_is_a_validation_error_on_name(
    client: GraphQLClient, sessionmaker: Maker, name: str
) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, CREATE, {"input": {"name": name}}, token=token)
    assert problems(result) == ["name"]
    assert await count(sessionmaker, models.Package) == 0


@pytest.mark.parametrize("field", ["homePage", "docsUrl"])
@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "example.org", "http://", "mailto:ada@example.org", "file:///etc/passwd"]
)
async def test_create_package_with_a_url_that_is_not_http_is_a_validation_error_on_that_field(
    client: GraphQLClient, sessionmaker: Maker, field: str, url: str
) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, CREATE, {"input": {"name": "cheese", field: url}}, token=token)
    assert problems(result) == [field]
    assert await count(sessionmaker, models.Package) == 0


# updatePackage


async def test_update_package_keeps_fields_left_out_clears_explicit_nulls_and_moves_updated_at(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    row = await factories.package(
        session,
        "cheese",
        summary="Cheese.",
        license="MIT",
        home_page="https://example.org",
        maintainers=[(await user_row(session, ada), "owner")],
    )
    before = row.updated_at
    variables = {"input": {"package": "Cheese", "summary": None, "license": "BSD"}}
    result = await answer(client, UPDATE, variables, token=token)
    assert result["__typename"] == "PackagePayload", result
    package = result["package"]
    assert (package["summary"], package["license"], package["homePage"]) == (None, "BSD", "https://example.org")
    assert datetime.fromisoformat(package["updatedAt"]) > before
    assert package["createdAt"] != package["updatedAt"]
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert (stored.summary, stored.license, stored.home_page) == (None, "BSD", "https://example.org")
    assert stored.updated_at > before
    read = await data_of(client, PACKAGE, {"name": "cheese"})
    assert read["package"]["updatedAt"] == package["updatedAt"]


async def test_update_package_by_a_maintainer_who_is_not_an_owner_is_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, UPDATE, {"input": {"package": "cheese", "summary": "Bob's."}}, token=token)
    assert result["__typename"] == "PackagePayload", result
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.summary == "Bob's."


async def test_update_package_by_a_user_who_does_not_maintain_it_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, _ = await sign_up(client, "Eve")
    await factories.package(session, "cheese", summary="Cheese.", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, UPDATE, {"input": {"package": "cheese", "summary": "Pwned."}}, token=token)
    assert result["__typename"] == "NotAllowed", result
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.summary == "Cheese."


async def test_update_package_of_an_unknown_package_is_not_found(client: GraphQLClient) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, UPDATE, {"input": {"package": "No_Such", "summary": "x"}}, token=token)
    assert result["__typename"] == "NotFound", result
    assert "no-such" in result["message"]


async def test_update_package_with_invalid_values_lists_every_problem_and_changes_nothing(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", summary="Cheese.", maintainers=[(await user_row(session, ada), "owner")])
    bad = {"package": "cheese", "summary": "Fine.", "license": "L" * 513, "docsUrl": "docs", "authorName": "A" * 201}
    result = await answer(client, UPDATE, {"input": bad}, token=token)
    assert problems(result) == ["docsUrl", "license", "authorName"]
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert (stored.summary, stored.license, stored.docs_url) == ("Cheese.", None, None)


# deletePackage


async def test_delete_package_removes_its_releases_and_links_and_leaves_everything_else(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    ada_row, bob_row = await user_row(session, ada), await user_row(session, bob)
    web = await factories.classifier(session, "Topic :: Web")
    typed = await factories.classifier(session, "Typing :: Typed")
    cheese = await factories.package(
        session,
        "cheese",
        versions=["1.0", "1.1"],
        maintainers=[(ada_row, "owner"), (bob_row, "maintainer")],
        classifiers=[web, typed],
    )
    spam = await factories.package(
        session, "spam", versions=["0.1"], maintainers=[(ada_row, "owner")], classifiers=[web]
    )
    cheese_id = global_id("Package", cheese.id)

    result = await answer(client, DELETE, {"package": "Cheese"}, token=token)

    assert result == {"__typename": "DeletePackagePayload", "deletedId": cheese_id, "name": "cheese"}
    assert [row.name for row in await fetch(sessionmaker, select(models.Package.name))] == ["spam"]
    releases = await fetch(sessionmaker, select(models.Release.package_id, models.Release.version))
    assert [tuple(row) for row in releases] == [(spam.id, "0.1")]
    maintainers = await fetch(sessionmaker, select(models.Maintainer.package_id, models.Maintainer.user_id))
    assert [tuple(row) for row in maintainers] == [(spam.id, ada_row.id)]
    links = await fetch(sessionmaker, select(models.package_classifiers.c.package_id))
    assert [row.package_id for row in links] == [spam.id]
    assert await count(sessionmaker, models.Classifier) == 2
    assert await count(sessionmaker, models.User) == 2
    gone = await data_of(
        client, 'query ($id: ID!) { node(id: $id) { id } package(name: "cheese") { id } }', {"id": cheese_id}
    )
    assert gone == {"node": None, "package": None}


async def test_delete_package_by_a_maintainer_who_is_not_an_owner_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", versions=["1.0"], maintainers=maintainers)
    result = await answer(client, DELETE, {"package": "cheese"}, token=token)
    assert result["__typename"] == "NotAllowed", result
    assert "owner" in result["message"]
    assert await versions(sessionmaker, "cheese") == {"1.0": False}
    assert len(await roles(sessionmaker, "cheese")) == 2


async def test_delete_package_of_an_unknown_package_is_not_found(client: GraphQLClient) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, DELETE, {"package": "nothing-here"}, token=token)
    assert result["__typename"] == "NotFound", result


# publishRelease


async def test_publish_release_stores_the_pep_440_version_and_moves_the_package_updated_at(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    row = await factories.package(
        session, "cheese", versions=["0.9"], maintainers=[(await user_row(session, ada), "owner")]
    )
    before = row.updated_at
    variables = {
        "input": {"package": "Cheese", "version": "1.0-RC1", "comment": "First!", "url": "https://x.org/c", "size": 42}
    }
    result = await answer(client, PUBLISH, variables, token=token)
    assert result["__typename"] == "ReleasePayload", result
    release = result["release"]
    assert {k: release[k] for k in ("version", "comment", "url", "size", "yanked")} == {
        "version": "1.0rc1", "comment": "First!", "url": "https://x.org/c", "size": 42, "yanked": False
    }  # fmt: skip
    assert release["package"]["updatedAt"] == release["createdAt"]
    assert datetime.fromisoformat(release["createdAt"]) > before
    assert await versions(sessionmaker, "cheese") == {"0.9": False, "1.0rc1": False}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == datetime.fromisoformat(release["createdAt"])


@pytest.mark.parametrize("spelling", ["1.0rc1", "1.0-RC1", "1.0.rc.1", "v1.0c1", " 1.0RC1 "])
async def test_publish_release_of_a_version_already_published_in_any_spelling_is_a_conflict_on_version(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, spelling: str
) -> None:
    token, ada = await sign_up(client, "Ada")
    row = await factories.package(
        session, "cheese", versions=["1.0rc1"], maintainers=[(await user_row(session, ada), "owner")]
    )
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": spelling}}, token=token)
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "version"
    assert await versions(sessionmaker, "cheese") == {"1.0rc1": False}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == row.updated_at


async def test_publish_release_with_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    row = await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    bad = {"package": "cheese", "version": "one point oh", "url": "ftp://x.org/c", "size": -1}
    result = await answer(client, PUBLISH, {"input": bad}, token=token)
    assert problems(result) == ["version", "url", "size"]
    assert await versions(sessionmaker, "cheese") == {}
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at == row.updated_at


@pytest.mark.parametrize("version", ["", "banana", "1..0", "1.0 beta 2", "1.0-", "=1.0", "1" + ".0" * 60])
async def test_publish_release_with_an_invalid_version_is_a_validation_error_on_version(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, version: str
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": version}}, token=token)
    assert problems(result) == ["version"]
    assert await versions(sessionmaker, "cheese") == {}


async def test_publish_release_with_a_negative_size_is_a_validation_error_on_size(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "1.0", "size": -5}}, token=token)
    assert problems(result) == ["size"]
    assert await versions(sessionmaker, "cheese") == {}


async def test_publish_release_by_a_maintainer_who_is_not_an_owner_is_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}, token=token)
    assert result["__typename"] == "ReleasePayload", result
    assert await versions(sessionmaker, "cheese") == {"2.0": False}


async def test_publish_release_by_a_user_who_does_not_maintain_the_package_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, _ = await sign_up(client, "Eve")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "6.6.6"}}, token=token)
    assert result["__typename"] == "NotAllowed", result
    assert await versions(sessionmaker, "cheese") == {}


async def test_publish_release_to_an_unknown_package_is_not_found(client: GraphQLClient, sessionmaker: Maker) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, PUBLISH, {"input": {"package": "nothing-here", "version": "1.0"}}, token=token)
    assert result["__typename"] == "NotFound", result
    assert await count(sessionmaker, models.Release) == 0


# yankRelease


async def test_yank_release_hides_it_from_latest_release_and_yanked_false_takes_it_back(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(
        session, "cheese", versions=["1.0", "1.1"], maintainers=[(await user_row(session, ada), "owner")]
    )
    yanked = await answer(client, YANK, {"package": "Cheese", "version": "1.1"}, token=token)
    assert yanked["__typename"] == "ReleasePayload", yanked
    assert yanked["release"] == {
        "version": "1.1", "yanked": True, "package": {"releaseCount": 2, "latestRelease": {"version": "1.0"}}
    }  # fmt: skip
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "1.1": True}
    read = await data_of(client, PACKAGE, {"name": "cheese"})
    assert read["package"]["latestRelease"] == {"version": "1.0"}
    assert read["package"]["releases"]["edges"][0]["node"] == {"version": "1.1", "yanked": True}

    back = await answer(client, YANK, {"package": "cheese", "version": "1.1", "yanked": False}, token=token)
    assert back["__typename"] == "ReleasePayload", back
    assert back["release"]["yanked"] is False
    assert back["release"]["package"]["latestRelease"] == {"version": "1.1"}
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "1.1": False}


async def test_yank_release_of_every_release_leaves_no_latest_release(
    client: GraphQLClient, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(
        session, "cheese", versions=["1.0rc1"], maintainers=[(await user_row(session, ada), "owner")]
    )
    result = await answer(client, YANK, {"package": "cheese", "version": "1.0-RC1"}, token=token)
    assert result["__typename"] == "ReleasePayload", result
    assert result["release"]["version"] == "1.0rc1"
    assert result["release"]["package"] == {"releaseCount": 1, "latestRelease": None}


async def test_yank_release_of_an_unknown_version_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, YANK, {"package": "cheese", "version": "9.9"}, token=token)
    assert result["__typename"] == "NotFound", result
    assert "9.9" in result["message"]
    assert await versions(sessionmaker, "cheese") == {"1.0": False}


async def test_yank_release_with_an_invalid_version_is_a_validation_error(
    client: GraphQLClient, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, YANK, {"package": "cheese", "version": "latest"}, token=token)
    assert problems(result) == ["version"]


async def test_yank_release_by_a_user_who_does_not_maintain_the_package_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, _ = await sign_up(client, "Eve")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, YANK, {"package": "cheese", "version": "1.0"}, token=token)
    assert result["__typename"] == "NotAllowed", result
    assert await versions(sessionmaker, "cheese") == {"1.0": False}


async def test_yank_release_of_an_unknown_package_is_not_found(client: GraphQLClient) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, YANK, {"package": "nothing-here", "version": "1.0"}, token=token)
    assert result["__typename"] == "NotFound", result


# addMaintainer and removeMaintainer


async def test_add_maintainer_gives_the_user_the_role_and_lets_them_publish(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    bob_token, bob = await sign_up(client, "Bob")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, ADD, {"package": "Cheese", "user": bob}, token=token)
    assert result["__typename"] == "MaintainerPayload", result
    assert result["user"] == {"id": bob, "name": "Bob"}
    assert result["package"]["maintainers"] == [{"id": ada, "name": "Ada"}, {"id": bob, "name": "Bob"}]
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner", row_id(bob): "maintainer"}
    published = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "1.0"}}, token=bob_token)
    assert published["__typename"] == "ReleasePayload", published
    # A maintainer is not an owner: Bob may not manage the maintainers.
    refused = await answer(client, REMOVE, {"package": "cheese", "user": ada}, token=bob_token)
    assert refused["__typename"] == "NotAllowed", refused


async def test_add_maintainer_as_owner_lets_the_new_owner_manage_maintainers(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    bob_token, bob = await sign_up(client, "Bob")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, ADD, {"package": "cheese", "user": bob, "role": "OWNER"}, token=token)
    assert result["__typename"] == "MaintainerPayload", result
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner", row_id(bob): "owner"}
    removed = await answer(client, REMOVE, {"package": "cheese", "user": ada}, token=bob_token)
    assert removed["__typename"] == "MaintainerPayload", removed
    assert await roles(sessionmaker, "cheese") == {row_id(bob): "owner"}


async def test_add_maintainer_of_someone_who_already_maintains_the_package_is_a_conflict_on_user(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, ADD, {"package": "cheese", "user": bob, "role": "OWNER"}, token=token)
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "user"
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner", row_id(bob): "maintainer"}


async def test_add_maintainer_beyond_the_bound_the_query_cost_counts_is_a_conflict(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    others = [await factories.user(session, f"User {i}") for i in range(MAINTAINERS)]
    full: list[tuple[models.User, Role]] = [(await user_row(session, ada), "owner")]
    full += [(row, "maintainer") for row in others[:-1]]
    await factories.package(session, "cheese", maintainers=full)
    assert len(await roles(sessionmaker, "cheese")) == MAINTAINERS
    result = await answer(client, ADD, {"package": "cheese", "user": global_id("User", others[-1].id)}, token=token)
    assert result["__typename"] == "Conflict", result
    assert f"at most {MAINTAINERS} maintainers" in result["message"]
    assert len(await roles(sessionmaker, "cheese")) == MAINTAINERS
    removed = await answer(client, REMOVE, {"package": "cheese", "user": global_id("User", others[0].id)}, token=token)
    assert removed["__typename"] == "MaintainerPayload", removed
    added = await answer(client, ADD, {"package": "cheese", "user": global_id("User", others[-1].id)}, token=token)
    assert added["__typename"] == "MaintainerPayload", added


async def test_add_maintainer_of_an_unknown_user_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, ADD, {"package": "cheese", "user": global_id("User", 9999)}, token=token)
    assert result["__typename"] == "NotFound", result
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}


@pytest.mark.parametrize("user", ["nonsense", global_id("Package", 1), global_id("User", "x")])
async def test_add_maintainer_with_an_id_that_is_not_a_user_id_is_a_validation_error_on_user(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, user: str
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, ADD, {"package": "cheese", "user": user}, token=token)
    assert problems(result) == ["user"]
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}


async def test_add_maintainer_by_a_user_who_does_not_own_the_package_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, eve = await sign_up(client, "Eve")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, ADD, {"package": "cheese", "user": eve, "role": "OWNER"}, token=token)
    assert result["__typename"] == "NotAllowed", result
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}


async def test_add_maintainer_to_an_unknown_package_is_not_found(client: GraphQLClient) -> None:
    token, ada = await sign_up(client, "Ada")
    result = await answer(client, ADD, {"package": "nothing-here", "user": ada}, token=token)
    assert result["__typename"] == "NotFound", result


async def test_remove_maintainer_takes_the_users_role_away(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    bob_token, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, REMOVE, {"package": "Cheese", "user": bob}, token=token)
    assert result["__typename"] == "MaintainerPayload", result
    assert result["user"] == {"id": bob, "name": "Bob"}
    assert result["package"]["maintainers"] == [{"id": ada, "name": "Ada"}]
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}
    refused = await answer(client, PUBLISH, {"input": {"package": "cheese", "version": "1.0"}}, token=bob_token)
    assert refused["__typename"] == "NotAllowed", refused


async def test_remove_maintainer_of_the_last_owner_is_a_conflict_and_keeps_the_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, REMOVE, {"package": "cheese", "user": ada}, token=token)
    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "user"
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner", row_id(bob): "maintainer"}


async def test_remove_maintainer_of_a_user_who_does_not_maintain_the_package_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, eve = await sign_up(client, "Eve")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    for user in (eve, global_id("User", 9999)):
        result = await answer(client, REMOVE, {"package": "cheese", "user": user}, token=token)
        assert result["__typename"] == "NotFound", result
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}


async def test_remove_maintainer_with_an_id_that_is_not_a_user_id_is_a_validation_error_on_user(
    client: GraphQLClient, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    result = await answer(client, REMOVE, {"package": "cheese", "user": global_id("Release", 1)}, token=token)
    assert problems(result) == ["user"]


async def test_remove_maintainer_by_a_maintainer_who_is_not_an_owner_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    _, ada = await sign_up(client, "Ada")
    token, bob = await sign_up(client, "Bob")
    maintainers: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "maintainer"),
    ]
    await factories.package(session, "cheese", maintainers=maintainers)
    result = await answer(client, REMOVE, {"package": "cheese", "user": bob}, token=token)
    assert result["__typename"] == "NotAllowed", result
    assert len(await roles(sessionmaker, "cheese")) == 2


async def test_remove_maintainer_of_an_unknown_package_is_not_found(client: GraphQLClient) -> None:
    token, ada = await sign_up(client, "Ada")
    result = await answer(client, REMOVE, {"package": "nothing-here", "user": ada}, token=token)
    assert result["__typename"] == "NotFound", result


# Reads after writes

AFTER_PUBLISH = """
release {
  version
  package { releaseCount latestRelease { version } releases(first: 1) { totalCount edges { node { version } } } }
}
"""


async def test_publish_release_payload_reads_the_package_as_it_is_after_the_write(
    client: GraphQLClient, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    document = """
    mutation { publishRelease(input: {package: "cheese", version: "2.0"}) { ... on ReleasePayload { AFTER } } }
    """.replace("AFTER", AFTER_PUBLISH)
    data = await data_of(client, document, token=token)
    assert data["publishRelease"]["release"] == {
        "version": "2.0",
        "package": {
            "releaseCount": 2,
            "latestRelease": {"version": "2.0"},
            "releases": {"totalCount": 2, "edges": [{"node": {"version": "2.0"}}]},
        },
    }


async def test_second_publish_in_one_document_reads_the_package_after_its_own_write(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    document = """
    mutation {
      first: publishRelease(input: {package: "cheese", version: "1.0"}) { ... on ReleasePayload { AFTER } }
      second: publishRelease(input: {package: "cheese", version: "2.0"}) { ... on ReleasePayload { AFTER } }
    }
    """.replace("AFTER", AFTER_PUBLISH)
    data = await data_of(client, document, token=token)
    first, second = data["first"]["release"]["package"], data["second"]["release"]["package"]
    assert first == {
        "releaseCount": 1,
        "latestRelease": {"version": "1.0"},
        "releases": {"totalCount": 1, "edges": [{"node": {"version": "1.0"}}]},
    }
    assert second == {
        "releaseCount": 2,
        "latestRelease": {"version": "2.0"},
        "releases": {"totalCount": 2, "edges": [{"node": {"version": "2.0"}}]},
    }
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "2.0": False}


async def test_yank_after_publish_in_one_document_reads_the_latest_release_after_the_yank(
    client: GraphQLClient, session: AsyncSession
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    document = """
    mutation {
      publishRelease(input: {package: "cheese", version: "2.0"}) {
        ... on ReleasePayload { release { package { latestRelease { version } } } }
      }
      yankRelease(package: "cheese", version: "2.0") {
        ... on ReleasePayload { release { yanked package { releaseCount latestRelease { version } } } }
      }
    }
    """
    data = await data_of(client, document, token=token)
    assert data["publishRelease"]["release"]["package"]["latestRelease"] == {"version": "2.0"}
    assert data["yankRelease"]["release"] == {
        "yanked": True, "package": {"releaseCount": 2, "latestRelease": {"version": "1.0"}}
    }  # fmt: skip


async def test_add_then_remove_maintainer_in_one_document_each_read_the_maintainers_after_their_write(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    _, bob = await sign_up(client, "Bob")
    await factories.package(session, "cheese", maintainers=[(await user_row(session, ada), "owner")])
    document = """
    mutation ($bob: ID!) {
      added: addMaintainer(package: "cheese", user: $bob) {
        ... on MaintainerPayload { package { maintainers { name } } }
      }
      removed: removeMaintainer(package: "cheese", user: $bob) {
        ... on MaintainerPayload { package { maintainers { name } } }
      }
    }
    """
    data = await data_of(client, document, {"bob": bob}, token=token)
    assert data["added"]["package"]["maintainers"] == [{"name": "Ada"}, {"name": "Bob"}]
    assert data["removed"]["package"]["maintainers"] == [{"name": "Ada"}]
    assert await roles(sessionmaker, "cheese") == {row_id(ada): "owner"}


async def test_registering_does_not_sign_in_the_rest_of_the_request(client: GraphQLClient) -> None:
    document = """
    mutation {
      register(input: {name: "Eve", email: "eve@example.org", password: "correct horse battery"}) {
        ... on AuthPayload { user { email } }
      }
      createPackage(input: {name: "eves-package"}) { __typename }
    }
    """
    data = await data_of(client, document)
    assert data["register"]["user"]["email"] == "eve@example.org", "the new account sees its own email"
    assert data["createPackage"]["__typename"] == "NotAuthenticated", "the request itself carried no token"


async def test_a_url_that_does_not_parse_is_a_validation_error(client: GraphQLClient) -> None:
    token, _ = await sign_up(client, "Ada")
    result = await answer(client, CREATE, {"input": {"name": "spam", "homePage": "http://[::1"}}, token)
    assert result["__typename"] == "ValidationError", result

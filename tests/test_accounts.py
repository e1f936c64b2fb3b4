"""Accounts through HTTP: register, login and the password rehash at sign-in, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from app import Settings, create_app
from models.db import Maker
from tests import factories
from tests.conftest import GraphQLClient, settings_for_tests

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AuthPayload { token user { id name email } }
    ... on ValidationError { message field problems { field message } }
    ... on Conflict { message conflictField: field }
  }
}
"""

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on AuthPayload { token user { id name email } }
    ... on NotAuthenticated { message }
  }
}
"""

VIEWER = "{ viewer { id name email } }"

PASSWORD = "correct horse battery staple"


async def send(
    http: httpx.AsyncClient, document: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """The data of an answer that must be HTTP 200 with no errors; `token` goes in as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await http.post("/graphql", json={"query": document, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def register(
    client: GraphQLClient, name: str = "Ada Lovelace", email: str = "ada@example.org", password: str = PASSWORD
) -> dict[str, Any]:
    variables = {"input": {"name": name, "email": email, "password": password}}
    result: dict[str, Any] = (await send(client.http, REGISTER, variables))["register"]
    return result


async def login(http: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await send(http, LOGIN, {"email": email, "password": password}))["login"]
    return result


async def user_row(sessionmaker: Maker, email: str) -> models.User | None:
    """The stored account, read in a session of its own so that nothing cached hides what the app wrote."""
    async with sessionmaker() as session:
        row: models.User | None = await session.scalar(select(models.User).where(models.User.email == email))
        return row


async def user_count(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(models.User)) or 0


def problem_fields(result: dict[str, Any]) -> list[str]:
    return [problem["field"] for problem in result["problems"]]


@asynccontextmanager
async def app_client(settings: Settings, sessionmaker: Maker) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app built with `settings` on the test's database."""
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


# register


async def test_register_returns_the_user_with_their_email_stored_in_lower_case(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    result = await register(client, name="  Ada Lovelace ", email=" Ada.Lovelace@Example.ORG ")

    assert result["__typename"] == "AuthPayload"
    assert result["user"]["name"] == "Ada Lovelace"
    assert result["user"]["email"] == "ada.lovelace@example.org"
    assert result["token"]
    row = await user_row(sessionmaker, "ada.lovelace@example.org")
    assert row is not None
    assert row.name == "Ada Lovelace"
    assert row.last_login is None


async def test_register_stores_an_argon2id_hash_and_never_the_password(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    await register(client)

    row = await user_row(sessionmaker, "ada@example.org")
    assert row is not None
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash


async def test_register_token_signs_the_new_user_in_at_once(client: GraphQLClient) -> None:
    result = await register(client, email="Ada@Example.org")

    viewer = (await send(client.http, VIEWER, token=result["token"]))["viewer"]

    assert viewer == {"id": result["user"]["id"], "name": "Ada Lovelace", "email": "ada@example.org"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_register_with_an_empty_or_overlong_name_is_a_validation_error(
    client: GraphQLClient, sessionmaker: Maker, name: str
) -> None:
    result = await register(client, name=name)

    assert result["__typename"] == "ValidationError"
    assert result["field"] == "name"
    assert problem_fields(result) == ["name"]
    assert await user_count(sessionmaker) == 0


async def test_register_accepts_a_name_of_exactly_100_characters(client: GraphQLClient) -> None:
    result = await register(client, name="x" * 100)

    assert result["__typename"] == "AuthPayload"
    assert result["user"]["name"] == "x" * 100


@pytest.mark.parametrize(
    "email", ["", "   ", "ada", "ada@", "@example.org", "ada@example", "ada lovelace@example.org", "ada@@example.org"]
)
async def test_register_with_a_bad_email_is_a_validation_error(
    client: GraphQLClient, sessionmaker: Maker, email: str
) -> None:
    result = await register(client, email=email)

    assert result["__typename"] == "ValidationError"
    assert result["field"] == "email"
    assert problem_fields(result) == ["email"]
    assert await user_count(sessionmaker) == 0


@pytest.mark.parametrize("password", ["", "x" * 9, "x" * 1025])
async def test_register_with_a_too_short_or_too_long_password_is_a_validation_error(
    client: GraphQLClient, sessionmaker: Maker, password: str
) -> None:
    result = await register(client, password=password)

    assert result["__typename"] == "ValidationError"
    assert result["field"] == "password"
    assert problem_fields(result) == ["password"]
    assert await user_count(sessionmaker) == 0


@pytest.mark.parametrize("password", ["x" * 10, "x" * 1024])
async def test_register_accepts_passwords_of_10_and_of_1024_characters(client: GraphQLClient, password: str) -> None:
    result = await register(client, password=password)

    assert result["__typename"] == "AuthPayload"
    assert (await login(client.http, "ada@example.org", password))["__typename"] == "AuthPayload"


async def test_register_lists_every_failing_field_at_once(client: GraphQLClient, sessionmaker: Maker) -> None:
    result = await register(client, name="", email="not an email", password="short")

    assert result["__typename"] == "ValidationError"
    assert problem_fields(result) == ["name", "email", "password"]
    assert result["field"] == "name"
    assert "name" in result["message"]
    assert all(problem["message"] for problem in result["problems"])
    assert await user_count(sessionmaker) == 0


@pytest.mark.parametrize("second", ["ada@example.org", "ADA@EXAMPLE.ORG", "Ada@Example.Org", " ada@example.org "])
async def test_register_with_a_taken_email_in_any_case_is_a_conflict_on_email(
    client: GraphQLClient, sessionmaker: Maker, second: str
) -> None:
    first = await register(client, name="Ada Lovelace", email="ada@example.org")
    assert first["__typename"] == "AuthPayload"

    result = await register(client, name="Someone Else", email=second, password="another password")

    assert result["__typename"] == "Conflict"
    assert result["conflictField"] == "email"
    assert result["message"]
    assert await user_count(sessionmaker) == 1
    row = await user_row(sessionmaker, "ada@example.org")
    assert row is not None
    assert row.name == "Ada Lovelace"


async def test_register_conflicts_with_a_seeded_account_of_the_same_email(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    await factories.user(session, "Ada Lovelace", email="ada@example.org")

    result = await register(client, email="Ada@example.org")

    assert result["__typename"] == "Conflict"
    assert result["conflictField"] == "email"
    assert await user_count(sessionmaker) == 1


# login


async def test_login_with_the_right_password_returns_a_token_and_the_user(client: GraphQLClient) -> None:
    registered = await register(client)

    result = await login(client.http, "ada@example.org", PASSWORD)

    assert result["__typename"] == "AuthPayload"
    assert result["user"] == registered["user"]
    viewer = (await send(client.http, VIEWER, token=result["token"]))["viewer"]
    assert viewer == registered["user"]


async def test_login_ignores_the_case_of_the_email(client: GraphQLClient) -> None:
    registered = await register(client)

    result = await login(client.http, "  ADA@Example.ORG ", PASSWORD)

    assert result["__typename"] == "AuthPayload"
    assert result["user"]["id"] == registered["user"]["id"]


async def test_login_records_the_time_of_the_last_login(client: GraphQLClient, sessionmaker: Maker) -> None:
    await register(client)
    before = datetime.now(UTC)

    await login(client.http, "ada@example.org", PASSWORD)

    row = await user_row(sessionmaker, "ada@example.org")
    assert row is not None
    assert row.last_login is not None
    assert before - timedelta(seconds=1) <= row.last_login <= datetime.now(UTC) + timedelta(seconds=1)


async def test_a_later_login_moves_the_last_login_forward(client: GraphQLClient, sessionmaker: Maker) -> None:
    await register(client)
    await login(client.http, "ada@example.org", PASSWORD)
    first = await user_row(sessionmaker, "ada@example.org")
    assert first is not None
    assert first.last_login is not None

    await login(client.http, "ada@example.org", PASSWORD)

    second = await user_row(sessionmaker, "ada@example.org")
    assert second is not None
    assert second.last_login is not None
    assert second.last_login > first.last_login


async def test_wrong_password_and_unknown_email_get_the_same_answer(client: GraphQLClient) -> None:
    await register(client)

    wrong_password = await login(client.http, "ada@example.org", PASSWORD + "!")
    unknown_email = await login(client.http, "grace@example.org", PASSWORD)

    assert wrong_password["__typename"] == "NotAuthenticated"
    assert wrong_password["message"]
    assert wrong_password == unknown_email


async def test_a_failed_login_leaves_the_last_login_and_the_hash_alone(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    await register(client)
    before = await user_row(sessionmaker, "ada@example.org")
    assert before is not None

    await login(client.http, "ada@example.org", "not the password")

    after = await user_row(sessionmaker, "ada@example.org")
    assert after is not None
    assert after.last_login is None
    assert after.password_hash == before.password_hash


@pytest.mark.parametrize("password", ["", PASSWORD, "no account has this password"])
async def test_a_seeded_user_without_a_password_cannot_log_in(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, password: str
) -> None:
    await factories.user(session, "Grace Hopper", email="grace@example.org")
    unknown = await login(client.http, "nobody@example.org", password)

    result = await login(client.http, "grace@example.org", password)

    assert result["__typename"] == "NotAuthenticated"
    assert result == unknown
    row = await user_row(sessionmaker, "grace@example.org")
    assert row is not None
    assert row.password_hash is None
    assert row.last_login is None


# rehash under new argon2 parameters


async def test_login_under_a_new_argon2_cost_rehashes_the_password(sessionmaker: Maker) -> None:
    async with app_client(settings_for_tests(password_time_cost=1), sessionmaker) as old:
        registered = await send(
            old, REGISTER, {"input": {"name": "Ada Lovelace", "email": "ada@example.org", "password": PASSWORD}}
        )
        assert registered["register"]["__typename"] == "AuthPayload"
    old_row = await user_row(sessionmaker, "ada@example.org")
    assert old_row is not None
    assert old_row.password_hash is not None
    assert "t=1," in old_row.password_hash

    async with app_client(settings_for_tests(password_time_cost=2), sessionmaker) as new:
        assert (await login(new, "ada@example.org", PASSWORD))["__typename"] == "AuthPayload"
        new_row = await user_row(sessionmaker, "ada@example.org")
        assert new_row is not None
        assert new_row.password_hash is not None
        assert new_row.password_hash.startswith("$argon2id$")
        assert "t=2," in new_row.password_hash
        assert "t=1," not in new_row.password_hash

        again = await login(new, "ada@example.org", PASSWORD)
        assert again["__typename"] == "AuthPayload"
        assert again["user"]["id"] == registered["register"]["user"]["id"]
        assert (await login(new, "ada@example.org", "not the password"))["__typename"] == "NotAuthenticated"

    unchanged = await user_row(sessionmaker, "ada@example.org")
    assert unchanged is not None
    assert unchanged.password_hash == new_row.password_hash, "a hash with the current parameters is kept as it is"


async def test_two_registrations_of_one_email_at_once_make_one_account(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    results = await asyncio.gather(
        register(client, name="Ada Lovelace", email="ada@example.org"),
        register(client, name="Ada Impostor", email="ADA@example.org"),
    )

    assert sorted(result["__typename"] for result in results) == ["AuthPayload", "Conflict"], results
    conflict = next(result for result in results if result["__typename"] == "Conflict")
    assert conflict["conflictField"] == "email"
    assert await user_count(sessionmaker) == 1

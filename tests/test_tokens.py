"""Bearer tokens through HTTP: who the caller is, every way a token can be bad, and the signing key's settings."""

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pydantic
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

import app
import models
from models.db import Maker
from tests.conftest import TEST_SECRET, GraphQLClient, SqlCounter, settings_for_tests

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { __typename ... on AuthPayload { token user { id name email } } }
}
"""

CREATE_PACKAGE = """
mutation($name: String!) {
  createPackage(input: {name: $name}) {
    __typename
    ... on Error { message }
    ... on PackagePayload { package { name } }
  }
}
"""

VIEWER = "{ viewer { id name email } }"

USER_EMAIL = "query($id: ID!) { user(id: $id) { name email } }"

OTHER_SECRET = "another-secret-that-is-at-least-32-characters-long"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def answer(
    http: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The whole answer, which must come with HTTP 200 whatever the headers say."""
    response = await http.post("/graphql", json={"query": document, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(
    http: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    body = await answer(http, document, variables, headers)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


async def register(
    http: httpx.AsyncClient, name: str = "Ada Lovelace", email: str = "ada@example.org"
) -> dict[str, Any]:
    """The AuthPayload of a new account."""
    variables = {"input": {"name": name, "email": email, "password": "correct horse battery staple"}}
    result: dict[str, Any] = (await data(http, REGISTER, variables))["register"]
    assert result["__typename"] == "AuthPayload", result
    return result


def signed(claims: dict[str, Any], secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims_for(
    user_id: str,
    *,
    key: str = "no account has this key",
    issued: timedelta = timedelta(0),
    lifetime: timedelta = timedelta(hours=1),
) -> dict[str, Any]:
    """Claims like the app's own: `sub`, `key`, `iat` and `exp`, issued `issued` from now."""
    iat = datetime.now(UTC) + issued
    return {"sub": user_id, "key": key, "iat": iat, "exp": iat + lifetime}  # fmt: skip


async def token_key(sessionmaker: Maker, user_id: int) -> str:
    async with sessionmaker() as session:
        key = await session.scalar(select(models.User.token_key).where(models.User.id == user_id))
    assert key is not None
    return key


def row_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def package_count(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(models.Package)) or 0


@asynccontextmanager
async def app_client(settings: app.Settings, sessionmaker: Maker) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app built with `settings` on the test's database."""
    asgi = app.create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t") as http:
        yield http


def bad_authorization(case: str, user_id: str) -> dict[str, str]:
    """The headers of each way to be without a valid token, for a user whose row id is `user_id`."""
    if case == "no header":
        return {}
    if case == "empty header":
        return {"Authorization": ""}
    if case == "another scheme":
        return {"Authorization": f"Token {signed(claims_for(user_id))}"}
    if case == "Token x":
        return {"Authorization": "Token x"}
    if case == "Bearer with no token":
        return {"Authorization": "Bearer"}
    if case == "Bearer and a space":
        return {"Authorization": "Bearer "}
    if case == "garbage":
        return bearer("garbage")
    if case == "garbage in three parts":
        return bearer("abc.def.ghi")
    if case == "another secret":
        return bearer(signed(claims_for(user_id), OTHER_SECRET))
    if case == "expired":
        return bearer(signed(claims_for(user_id, issued=-timedelta(hours=2))))
    if case == "unsigned":
        return bearer(jwt.encode(claims_for(user_id), None, algorithm="none"))
    if case == "another algorithm":
        with warnings.catch_warnings():  # the key is short for HS512, and this token means to be refused anyway
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            return bearer(signed(claims_for(user_id), algorithm="HS512"))
    if case == "no sub":
        return bearer(signed({k: v for k, v in claims_for(user_id).items() if k != "sub"}))
    if case == "no exp":
        return bearer(signed({k: v for k, v in claims_for(user_id).items() if k != "exp"}))
    if case == "no iat":
        return bearer(signed({k: v for k, v in claims_for(user_id).items() if k != "iat"}))
    if case == "no key":
        return bearer(signed({k: v for k, v in claims_for(user_id).items() if k != "key"}))
    if case == "sub not a number":
        return bearer(signed(claims_for("ada")))
    raise AssertionError(case)


# Each case, and the words its NotAuthenticated message must contain.
BAD_TOKENS = {
    "no header": "no token",
    "empty header": "no token",
    "another scheme": "Bearer <token>",
    "Token x": "Bearer <token>",
    "Bearer with no token": "Bearer <token>",
    "Bearer and a space": "Bearer <token>",
    "garbage": "not valid",
    "garbage in three parts": "not valid",
    "another secret": "not valid",
    "expired": "expired",
    "unsigned": "not valid",
    "another algorithm": "not valid",
    "no sub": "not valid",
    "no exp": "not valid",
    "no iat": "not valid",
    "no key": "not valid",
    "sub not a number": "not valid",
}


# viewer


async def test_viewer_is_the_user_whose_token_is_sent(client: GraphQLClient) -> None:
    ada = await register(client.http)
    await register(client.http, "Grace Hopper", "grace@example.org")

    viewer = (await data(client.http, VIEWER, headers=bearer(ada["token"])))["viewer"]

    assert viewer == {"id": ada["user"]["id"], "name": "Ada Lovelace", "email": "ada@example.org"}


async def test_a_token_signed_by_the_test_secret_with_the_apps_claims_is_accepted(
    client: GraphQLClient, sessionmaker: Maker
) -> None:
    ada = await register(client.http)
    user_id = row_id(ada["user"]["id"])
    token = signed(claims_for(str(user_id), key=await token_key(sessionmaker, user_id)))

    viewer = (await data(client.http, VIEWER, headers=bearer(token)))["viewer"]

    assert viewer["id"] == ada["user"]["id"]


async def test_the_bearer_scheme_is_case_insensitive(client: GraphQLClient) -> None:
    ada = await register(client.http)

    viewer = (await data(client.http, VIEWER, headers={"Authorization": f"bearer {ada['token']}"}))["viewer"]

    assert viewer["id"] == ada["user"]["id"]


async def test_issued_tokens_are_hs256_and_expire_after_the_configured_lifetime(sessionmaker: Maker) -> None:
    async with app_client(settings_for_tests(token_lifetime_minutes=30), sessionmaker) as http:
        ada = await register(http)

    claims = jwt.decode(ada["token"], TEST_SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(ada["token"])["alg"] == "HS256"
    assert claims["sub"] == str(row_id(ada["user"]["id"]))
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert abs(claims["iat"] - datetime.now(UTC).timestamp()) < 60


def unauthenticated(body: dict[str, Any]) -> str:
    """The message of an answer refused as a whole for its token."""
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    message: str = error["message"]
    return message


@pytest.mark.parametrize("case", ["no header", "empty header"])
async def test_viewer_is_null_without_a_token(client: GraphQLClient, case: str) -> None:
    ada = await register(client.http)
    headers = bad_authorization(case, str(row_id(ada["user"]["id"])))

    body = await answer(client.http, VIEWER, headers=headers)

    assert body == {"data": {"viewer": None}}


@pytest.mark.parametrize(
    ("case", "words"), [(case, words) for case, words in BAD_TOKENS.items() if "header" not in case]
)
async def test_a_query_with_a_token_that_is_not_valid_is_unauthenticated_before_any_sql(
    client: GraphQLClient, sql: SqlCounter, case: str, words: str
) -> None:
    ada = await register(client.http)
    headers = bad_authorization(case, str(row_id(ada["user"]["id"])))

    with sql.expect(0):
        body = await answer(client.http, "{ stats { packageCount } viewer { id } }", headers=headers)

    assert words in unauthenticated(body)


async def test_a_signed_token_whose_subject_is_beyond_any_row_id_is_no_caller(client: GraphQLClient) -> None:
    """Only the key's holder can make such a token, but the answer must still say why, not be a server error."""
    await register(client.http)
    token = signed(claims_for(str(2**63)))

    assert "not valid" in unauthenticated(await answer(client.http, VIEWER, headers=bearer(token)))
    body = await answer(client.http, CREATE_PACKAGE, {"name": "spam"}, bearer(token))
    assert "errors" not in body, body
    assert body["data"]["createPackage"]["__typename"] == "NotAuthenticated"


async def test_viewer_of_the_token_of_a_deleted_user_is_unauthenticated(
    client: GraphQLClient, session: AsyncSession
) -> None:
    ada = await register(client.http)
    await session.execute(delete(models.User).where(models.User.id == row_id(ada["user"]["id"])))
    await session.commit()

    body = await answer(client.http, VIEWER, headers=bearer(ada["token"]))

    assert body["data"] == {"viewer": None}
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


# a mutation that needs a signed-in caller


async def test_create_package_with_a_valid_token_succeeds(client: GraphQLClient, sessionmaker: Maker) -> None:
    ada = await register(client.http)

    result = (await data(client.http, CREATE_PACKAGE, {"name": "spam"}, bearer(ada["token"])))["createPackage"]

    assert result == {"__typename": "PackagePayload", "package": {"name": "spam"}}
    assert await package_count(sessionmaker) == 1


@pytest.mark.parametrize(("case", "words"), BAD_TOKENS.items())
async def test_create_package_without_a_valid_token_is_not_authenticated(
    client: GraphQLClient, sessionmaker: Maker, case: str, words: str
) -> None:
    ada = await register(client.http)
    headers = bad_authorization(case, str(row_id(ada["user"]["id"])))

    body = await answer(client.http, CREATE_PACKAGE, {"name": "spam"}, headers)

    assert "errors" not in body, body
    result = body["data"]["createPackage"]
    assert result["__typename"] == "NotAuthenticated"
    assert words in result["message"]
    assert await package_count(sessionmaker) == 0


async def test_create_package_with_the_token_of_a_deleted_user_is_not_authenticated(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    ada = await register(client.http)
    await session.execute(delete(models.User).where(models.User.id == row_id(ada["user"]["id"])))
    await session.commit()

    body = await answer(client.http, CREATE_PACKAGE, {"name": "spam"}, bearer(ada["token"]))

    assert "errors" not in body, body
    result = body["data"]["createPackage"]
    assert result["__typename"] == "NotAuthenticated"
    assert "no longer exists" in result["message"]
    assert await package_count(sessionmaker) == 0


# User.email


async def test_a_users_email_is_shown_to_that_user(client: GraphQLClient) -> None:
    ada = await register(client.http)

    user = (await data(client.http, USER_EMAIL, {"id": ada["user"]["id"]}, bearer(ada["token"])))["user"]

    assert user == {"name": "Ada Lovelace", "email": "ada@example.org"}


async def test_a_users_email_is_hidden_from_another_signed_in_user(client: GraphQLClient) -> None:
    ada = await register(client.http)
    grace = await register(client.http, "Grace Hopper", "grace@example.org")

    user = (await data(client.http, USER_EMAIL, {"id": ada["user"]["id"]}, bearer(grace["token"])))["user"]

    assert user == {"name": "Ada Lovelace", "email": None}


async def test_a_users_email_is_hidden_from_anonymous_callers(client: GraphQLClient) -> None:
    ada = await register(client.http)

    user = (await data(client.http, USER_EMAIL, {"id": ada["user"]["id"]}))["user"]

    assert user == {"name": "Ada Lovelace", "email": None}


async def test_emails_in_a_list_of_users_show_only_the_callers_own(client: GraphQLClient) -> None:
    ada = await register(client.http)
    await register(client.http, "Grace Hopper", "grace@example.org")

    users = await data(client.http, "{ users { edges { node { name email } } } }", headers=bearer(ada["token"]))

    assert [edge["node"] for edge in users["users"]["edges"]] == [
        {"name": "Ada Lovelace", "email": "ada@example.org"},
        {"name": "Grace Hopper", "email": None},
    ]


async def test_a_caller_with_a_forged_token_for_a_user_sees_nothing_of_them(client: GraphQLClient) -> None:
    ada = await register(client.http)
    forged = signed(claims_for(str(row_id(ada["user"]["id"]))), OTHER_SECRET)

    body = await answer(client.http, USER_EMAIL, {"id": ada["user"]["id"]}, bearer(forged))

    assert "not valid" in unauthenticated(body)


# the signing key's settings


@pytest.mark.parametrize("secret_key", [None, "", "x" * 31])
def test_production_without_a_long_secret_key_refuses_to_start(secret_key: str | None) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        app.Settings(environment="production", secret_key=secret_key, database_url="sqlite://")

    assert "SECRET_KEY" in str(refused.value)


def test_production_settings_from_the_environment_without_secret_key_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(SystemExit) as refused:
        app.load_settings()

    assert "SECRET_KEY" in str(refused.value)


def test_production_with_a_secret_key_of_32_characters_starts() -> None:
    settings = app.Settings(environment="production", secret_key="x" * 32, database_url="sqlite://")

    assert settings.secret_key == "x" * 32


async def test_development_without_a_secret_key_signs_and_accepts_its_own_tokens(sessionmaker: Maker) -> None:
    async with app_client(settings_for_tests(secret_key=None), sessionmaker) as http:
        ada = await register(http)

        viewer = (await data(http, VIEWER, headers=bearer(ada["token"])))["viewer"]
        created = (await data(http, CREATE_PACKAGE, {"name": "spam"}, bearer(ada["token"])))["createPackage"]

    assert viewer["id"] == ada["user"]["id"]
    assert created["__typename"] == "PackagePayload"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(ada["token"], TEST_SECRET, algorithms=["HS256"])


async def test_development_without_a_secret_key_refuses_tokens_signed_with_the_test_key(sessionmaker: Maker) -> None:
    async with app_client(settings_for_tests(secret_key=None), sessionmaker) as http:
        ada = await register(http)
        token = signed(claims_for(str(row_id(ada["user"]["id"]))), TEST_SECRET)

        body = await answer(http, VIEWER, headers=bearer(token))

    assert "not valid" in unauthenticated(body)

"""Accounts under abuse: tokens that outlive their account, ids never handed out twice, who finds whom by email."""

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

import models
from tests.conftest import GraphQLClient, SqlCounter
from tests.test_tokens import CREATE_PACKAGE, VIEWER, answer, bearer, register, row_id

USER_BY_EMAIL = "query($email: String!) { user(email: $email) { name email } }"
DELETE_PACKAGE = """
mutation($name: String!) { deletePackage(package: $name) { __typename ... on DeletePackagePayload { deletedId } } }
"""


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def create_package(client: GraphQLClient, name: str, token: str) -> dict[str, Any]:
    body = await answer(client.http, CREATE_PACKAGE, {"name": name}, bearer(token))
    result: dict[str, Any] = body["data"]["createPackage"]
    return result


# tokens outlive their account only as invalid tokens


async def test_the_token_of_a_deleted_user_never_signs_in_the_next_account(
    client: GraphQLClient, session: AsyncSession
) -> None:
    ada = await register(client.http)
    await session.execute(delete(models.User).where(models.User.id == row_id(ada["user"]["id"])))
    await session.commit()
    grace = await register(client.http, "Grace Hopper", "grace@example.org")

    viewer = await answer(client.http, VIEWER, headers=bearer(ada["token"]))
    created = await create_package(client, "spam", ada["token"])

    assert grace["user"]["id"] != ada["user"]["id"]  # SQLite too hands out a new id
    assert viewer["data"] == {"viewer": None}
    assert codes(viewer) == ["UNAUTHENTICATED"]
    assert created["__typename"] == "NotAuthenticated"


async def test_a_token_whose_account_key_changed_is_unauthenticated_wherever_the_caller_counts(
    client: GraphQLClient, session: AsyncSession
) -> None:
    ada = await register(client.http)
    await session.execute(update(models.User).values(token_key="a key issued later"))
    await session.commit()
    token = bearer(ada["token"])

    viewer = await answer(client.http, VIEWER, headers=token)
    email = await answer(client.http, "query($id: ID!) { user(id: $id) { email } }", {"id": ada["user"]["id"]}, token)
    by_email = await answer(client.http, USER_BY_EMAIL, {"email": "ada@example.org"}, token)
    created = await create_package(client, "spam", ada["token"])

    assert codes(viewer) == codes(email) == codes(by_email) == ["UNAUTHENTICATED"]
    assert email["data"] == {"user": {"email": None}}
    assert by_email["data"] == {"user": None}
    assert created["__typename"] == "NotAuthenticated"
    assert "no longer valid" in created["message"]


async def test_a_valid_token_still_costs_no_more_statements_for_the_viewer(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    ada = await register(client.http)

    with sql.expect(1):
        viewer = await answer(client.http, "{ viewer { id name email } }", headers=bearer(ada["token"]))

    assert viewer == {"data": {"viewer": {"id": ada["user"]["id"], "name": "Ada Lovelace", "email": "ada@example.org"}}}


# ids are never handed out twice


async def test_a_deleted_packages_global_id_stays_null_after_a_new_package(client: GraphQLClient) -> None:
    ada = await register(client.http)
    spam = await create_package(client, "spam", ada["token"])
    spam_id = (await answer(client.http, '{ package(name: "spam") { id } }'))["data"]["package"]["id"]
    deleted = await answer(client.http, DELETE_PACKAGE, {"name": "spam"}, bearer(ada["token"]))
    assert deleted["data"]["deletePackage"] == {"__typename": "DeletePackagePayload", "deletedId": spam_id}, spam

    await create_package(client, "eggs", ada["token"])

    eggs_id = (await answer(client.http, '{ package(name: "eggs") { id } }'))["data"]["package"]["id"]
    assert eggs_id != spam_id
    found = await answer(client.http, "query($id: ID!) { node(id: $id) { id } }", {"id": spam_id})
    assert found == {"data": {"node": None}}


# user(email:)


async def test_user_by_email_finds_an_account_only_for_that_account_itself(client: GraphQLClient) -> None:
    ada = await register(client.http)
    grace = await register(client.http, "Grace Hopper", "grace@example.org")
    variables = {"email": " ADA@example.org "}

    anonymous = await answer(client.http, USER_BY_EMAIL, variables)
    someone_else = await answer(client.http, USER_BY_EMAIL, variables, bearer(grace["token"]))
    herself = await answer(client.http, USER_BY_EMAIL, variables, bearer(ada["token"]))

    assert anonymous == someone_else == {"data": {"user": None}}
    assert herself == {"data": {"user": {"name": "Ada Lovelace", "email": "ada@example.org"}}}


async def test_user_by_email_runs_the_same_statements_for_a_registered_and_an_unknown_address(
    client: GraphQLClient, sql: SqlCounter
) -> None:
    await register(client.http)

    with sql.count() as registered:
        known = await answer(client.http, USER_BY_EMAIL, {"email": "ada@example.org"})
    with sql.count() as unknown:
        nobody = await answer(client.http, USER_BY_EMAIL, {"email": "nobody@example.org"})

    assert known == nobody == {"data": {"user": None}}
    assert registered == unknown
    assert len(registered) == 1

"""Accounts under abuse: tokens that outlive their account, ids never handed out twice, who finds whom by email."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import app
import models
from models.db import Maker
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests
from tests.test_tokens import CREATE_PACKAGE, REGISTER, VIEWER, answer, app_client, bearer, register, row_id

LOGIN = """
mutation($email: String!) {
  login(email: $email, password: "correct horse battery staple") {
    __typename ... on TryAgainLater { message retryAfterSeconds }
  }
}
"""
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


# password hashing is bounded


class Gate:
    """Holds every argon2 hash and verification in its thread until it is opened."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def wait(self) -> None:
        assert self.open.wait(timeout=30), "the gate was never opened"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate()
    hash_, verify = PasswordHasher.hash, PasswordHasher.verify

    def held_hash(self: PasswordHasher, password: str | bytes, *, salt: bytes | None = None) -> str:
        gate.wait()
        return hash_(self, password, salt=salt)

    def held_verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        gate.wait()
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "hash", held_hash)
    monkeypatch.setattr(PasswordHasher, "verify", held_verify)
    yield gate
    gate.open.set()  # no thread is left waiting


async def burst(http: httpx.AsyncClient, document: str, variables: list[dict[str, Any]], answered: int) -> Any:
    """Sends every request at once; returns the requests still waiting once `answered` of them have answered."""
    tasks = [asyncio.create_task(answer(http, document, v)) for v in variables]
    enough = asyncio.Event()

    def one_answered(_: object) -> None:
        if sum(task.done() for task in tasks) >= answered:
            enough.set()

    for task in tasks:
        task.add_done_callback(one_answered)
    async with asyncio.timeout(10):
        await enough.wait()
    await asyncio.sleep(0.2)  # none of the rest answers while the hashes are held
    return tasks


async def user_count(sessionmaker: Maker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(models.User)) or 0


async def test_registrations_past_the_password_queue_are_told_to_try_again_later_at_once(
    sessionmaker: Maker, gate: Gate
) -> None:
    settings = settings_for_tests(password_workers=1, password_queue_max=2)
    same = {"name": "Ada Lovelace", "email": "ada@example.org", "password": "correct horse battery staple"}
    async with app_client(settings, sessionmaker) as http:
        tasks = await burst(http, REGISTER, [{"input": same}] * 20, answered=18)

        held = [task for task in tasks if not task.done()]
        refused = [task.result()["data"]["register"] for task in tasks if task.done()]
        assert len(held) == 2
        assert {result["__typename"] for result in refused} == {"TryAgainLater"}
        assert await user_count(sessionmaker) == 0  # nothing written by those refused
        gate.open.set()
        finished = [(await task)["data"]["register"]["__typename"] for task in held]

    assert sorted(finished) == ["AuthPayload", "Conflict"]
    assert await user_count(sessionmaker) == 1


async def test_sign_ins_past_the_password_queue_are_refused_before_any_sql_decoys_included(
    sessionmaker: Maker, sql: SqlCounter, gate: Gate
) -> None:
    settings = settings_for_tests(password_workers=1, password_queue_max=2)
    async with app_client(settings, sessionmaker) as http:
        gate.open.set()
        await register(http)
        gate.open.clear()
        # Unknown addresses: each checks the decoy hash, which must queue like any other.
        emails = [{"email": f"nobody{i}@example.org"} for i in range(20)]
        tasks = await burst(http, LOGIN, emails, answered=18)
        with sql.expect(0):
            one_more = await answer(http, LOGIN, {"email": "ada@example.org"})
        gate.open.set()
        results = [(await task)["data"]["login"] for task in tasks]

    assert one_more["data"]["login"]["__typename"] == "TryAgainLater"
    assert one_more["data"]["login"]["retryAfterSeconds"] >= 1
    assert sorted(result["__typename"] for result in results) == ["NotAuthenticated"] * 2 + ["TryAgainLater"] * 18


def test_the_password_pool_has_a_worker_per_core_and_queues_twice_as_many_by_default() -> None:
    settings = app.Settings(database_url="sqlite://")

    assert settings.password_workers == app.cores() >= 1
    assert settings.password_queue_bound == 2 * settings.password_workers
    assert app.Settings(database_url="sqlite://", password_queue_max=5).password_queue_bound == 5

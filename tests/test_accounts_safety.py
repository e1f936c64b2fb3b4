"""Accounts under abuse: tokens that outlive their account, ids never handed out twice, who finds whom by email."""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import app
import models
from models.db import Maker
from resolvers import attempts
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests
from tests.test_tokens import CREATE_PACKAGE, REGISTER, VIEWER, answer, app_client, bearer, register, row_id

LOGIN = """
mutation($email: String!) {
  login(email: $email, password: "correct horse battery staple") {
    __typename ... on TryAgainLater { message retryAfterSeconds }
  }
}
"""
PUBLISH = """
mutation($input: PublishReleaseInput!) { publishRelease(input: $input) { ... on ReleasePayload { release { id } } } }
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


async def publish(client: GraphQLClient, package: str, token: str) -> str:
    """The global ID of a new release 1.0 of `package`."""
    body = await answer(client.http, PUBLISH, {"input": {"package": package, "version": "1.0"}}, bearer(token))
    release_id: str = body["data"]["publishRelease"]["release"]["id"]
    return release_id


async def test_a_deleted_packages_and_releases_global_ids_stay_null_after_new_ones(client: GraphQLClient) -> None:
    ada = await register(client.http)
    await create_package(client, "spam", ada["token"])
    spam_id = (await answer(client.http, '{ package(name: "spam") { id } }'))["data"]["package"]["id"]
    spam_release_id = await publish(client, "spam", ada["token"])
    deleted = await answer(client.http, DELETE_PACKAGE, {"name": "spam"}, bearer(ada["token"]))
    assert deleted["data"]["deletePackage"] == {"__typename": "DeletePackagePayload", "deletedId": spam_id}

    await create_package(client, "eggs", ada["token"])
    eggs_release_id = await publish(client, "eggs", ada["token"])

    eggs_id = (await answer(client.http, '{ package(name: "eggs") { id } }'))["data"]["package"]["id"]
    assert eggs_id != spam_id
    assert eggs_release_id != spam_release_id
    for old in (spam_id, spam_release_id):
        found = await answer(client.http, "query($id: ID!) { node(id: $id) { id } }", {"id": old})
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


# the optional rate limit on login and register

LIMITED = {"auth_rate_limit": 3, "auth_rate_window_seconds": 60}


@pytest.fixture(autouse=True)
def mid_window_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limit's windows are aligned to the clock: a test's sign-ins must not straddle two of them."""
    monkeypatch.setattr(attempts, "clock", lambda: 1_800_000_030.0)


@asynccontextmanager
async def from_address(sessionmaker: Maker, address: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `address`, to an app of its own on the test's database."""
    asgi = app.create_app(settings_for_tests(**settings), sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=asgi, client=(address, 4242))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def login_as(http: httpx.AsyncClient, email: str, headers: dict[str, str] | None = None) -> str:
    body = await answer(http, LOGIN, {"email": email}, headers)
    typename: str = body["data"]["login"]["__typename"]
    return typename


async def attempt_rows(sessionmaker: Maker) -> list[tuple[int, int]]:
    async with sessionmaker() as session:
        rows = await session.execute(select(models.AuthAttempt.window_start, models.AuthAttempt.attempts))
        return sorted((start, attempts) for start, attempts in rows)


async def test_without_a_rate_limit_sign_ins_are_never_counted(sessionmaker: Maker) -> None:
    async with from_address(sessionmaker, "10.0.0.1") as http:
        answers = [await login_as(http, "ada@example.org") for _ in range(10)]

    assert answers == ["NotAuthenticated"] * 10
    assert await attempt_rows(sessionmaker) == []


async def test_one_email_is_limited_whichever_address_tries_it(sessionmaker: Maker) -> None:
    async with (
        from_address(sessionmaker, "10.0.0.1", **LIMITED) as first,
        from_address(sessionmaker, "10.0.0.2", **LIMITED) as second,
    ):
        await register(first)  # one attempt for ada and for the first address
        tried = [await login_as(first, "ada@example.org"), await login_as(second, "ADA@example.org ")]
        refused = (await answer(second, LOGIN, {"email": "ada@example.org"}))["data"]["login"]
        other = await login_as(second, "grace@example.org")

    assert tried == ["AuthPayload", "AuthPayload"]  # a sign-in that succeeds is an attempt too
    assert refused["__typename"] == "TryAgainLater"
    assert 1 <= refused["retryAfterSeconds"] <= 60
    assert other == "NotAuthenticated"


async def test_one_address_is_limited_whichever_email_it_tries(sessionmaker: Maker) -> None:
    async with from_address(sessionmaker, "10.0.0.3", **LIMITED) as http:
        tried = [await login_as(http, f"user{i}@example.org") for i in range(3)]
        variables = {"input": {"name": "Ada", "email": "ada@example.org", "password": "correct horse battery staple"}}
        refused = (await answer(http, REGISTER, variables))["data"]["register"]["__typename"]

    assert tried == ["NotAuthenticated"] * 3
    assert refused == "TryAgainLater"
    assert await user_count(sessionmaker) == 0  # the refused registration wrote nothing


async def test_the_rate_limit_holds_across_replicas_on_one_database(sessionmaker: Maker) -> None:
    async with (
        from_address(sessionmaker, "10.0.0.4", **LIMITED) as replica_a,
        from_address(sessionmaker, "10.0.0.4", **LIMITED) as replica_b,
    ):
        tried = [await login_as(http, "ada@example.org") for http in (replica_a, replica_b, replica_a)]
        refused = [await login_as(http, "ada@example.org") for http in (replica_b, replica_a)]

    assert tried == ["NotAuthenticated"] * 3
    assert refused == ["TryAgainLater"] * 2


async def test_a_new_window_lets_sign_ins_through_again_and_prunes_the_old_counts(
    sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(attempts, "clock", lambda: now)
    async with from_address(sessionmaker, "10.0.0.5", **LIMITED) as http:
        tried = [await login_as(http, "ada@example.org") for _ in range(4)]
        now += 60
        later = await login_as(http, "ada@example.org")

    assert tried == ["NotAuthenticated"] * 3 + ["TryAgainLater"]
    assert later == "NotAuthenticated"
    assert await attempt_rows(sessionmaker) == [(1_800_000_000 + 60 - 1_800_000_000 % 60, 1)] * 2


@pytest.mark.parametrize("trusted", [False, True])
async def test_x_forwarded_for_names_the_address_only_when_the_settings_trust_it(
    sessionmaker: Maker, trusted: bool
) -> None:
    settings = {**LIMITED, "auth_rate_trust_forwarded_for": trusted}
    async with from_address(sessionmaker, "10.0.0.6", **settings) as proxy:
        answers = [
            await login_as(proxy, f"user{i}@example.org", {"X-Forwarded-For": f"203.0.113.9, 198.51.100.{i}"})
            for i in range(4)
        ]

    # Trusted, each request comes from its own address (the last entry); untrusted, all from the proxy's.
    expected = ["NotAuthenticated"] * 4 if trusted else ["NotAuthenticated"] * 3 + ["TryAgainLater"]
    assert answers == expected


async def test_concurrent_attempts_are_each_counted_once(sessionmaker: Maker) -> None:
    async with from_address(sessionmaker, "10.0.0.7", auth_rate_limit=5, auth_rate_window_seconds=60) as http:
        answers = await asyncio.gather(*(login_as(http, "ada@example.org") for _ in range(20)))

    assert sorted(answers) == ["NotAuthenticated"] * 5 + ["TryAgainLater"] * 15
    assert [attempts for _, attempts in await attempt_rows(sessionmaker)] == [20, 20]


async def test_the_rate_limit_costs_one_counting_write_and_a_refused_attempt_nothing_more(
    sessionmaker: Maker, engine: AsyncEngine, sql: SqlCounter
) -> None:
    async with (
        from_address(sessionmaker, "10.0.0.8") as unlimited,
        from_address(sessionmaker, "10.0.0.8", auth_rate_limit=1) as limited,
    ):
        with sql.count() as plain:
            assert await login_as(unlimited, "ada@example.org") == "NotAuthenticated"
        with sql.count() as counted:
            assert await login_as(limited, "ada@example.org") == "NotAuthenticated"
        with sql.count() as refused:
            assert await login_as(limited, "ada@example.org") == "TryAgainLater"

    def heads(statements: list[str]) -> list[str]:
        return [" ".join(statement.split()[:3]) for statement in statements]

    # The upsert and the pruning, in a transaction of their own (SQLite opens it with BEGIN IMMEDIATE).
    extra = ["INSERT INTO auth_attempts", "DELETE FROM auth_attempts"]
    if engine.dialect.name == "sqlite":
        extra.insert(0, "BEGIN IMMEDIATE")
    assert heads(counted) == extra + heads(plain)
    assert heads(refused) == extra

"""Concurrent requests racing for one name, one version or the last ownership: the database keeps the rules."""

import asyncio
import contextlib
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
import resolvers.release_mutations
from models import Role
from models.db import Maker
from resolvers.permissions import authorize
from tests import factories
from tests.conftest import GraphQLClient
from tests.test_mutations import (
    DELETE,
    PASSWORD,
    PUBLISH,
    REGISTER,
    REMOVE,
    answer,
    data_of,
    post,
    roles,
    row_id,
    sign_up,
    stored_package,
    user_row,
    versions,
)

RACERS = 20


def kinds(results: list[dict[str, Any]]) -> Counter[str]:
    return Counter(result["__typename"] for result in results)


async def test_twenty_concurrent_registrations_with_one_email_make_one_account_and_nineteen_conflicts(
    client: GraphQLClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    spellings = ["ada@example.org", "Ada@Example.org", "ADA@EXAMPLE.ORG", " ada@example.org "]
    results = await asyncio.gather(
        *(
            answer(client, REGISTER, {"input": {"name": f"Ada {n}", "email": spellings[n % 4], "password": PASSWORD}})
            for n in range(RACERS)
        )
    )
    assert kinds(results) == {"AuthPayload": 1, "Conflict": RACERS - 1}, results
    assert all(r["conflictField"] == "email" for r in results if r["__typename"] == "Conflict"), results
    (winner,) = [r for r in results if r["__typename"] == "AuthPayload"]
    async with sessionmaker() as check:
        rows = (await check.execute(select(models.User.id, models.User.name, models.User.email))).all()
    assert [tuple(row) for row in rows] == [(row_id(winner["user"]["id"]), winner["user"]["name"], "ada@example.org")]
    viewer = await data_of(client, "{ viewer { id } }", token=winner["token"])
    assert viewer["viewer"] == {"id": winner["user"]["id"]}


async def test_twenty_concurrent_publishes_of_one_version_make_one_release_and_nineteen_conflicts(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    spellings = ["2.0rc1", "2.0-RC1", "2.0.rc.1", "v2.0c1"]
    results = await asyncio.gather(
        *(
            answer(client, PUBLISH, {"input": {"package": "cheese", "version": spellings[n % 4], "size": n}}, token)
            for n in range(RACERS)
        )
    )
    assert kinds(results) == {"ReleasePayload": 1, "Conflict": RACERS - 1}, results
    assert all(r["conflictField"] == "version" for r in results if r["__typename"] == "Conflict"), results
    assert await versions(sessionmaker, "cheese") == {"1.0": False, "2.0rc1": False}
    (winner,) = [r["release"] for r in results if r["__typename"] == "ReleasePayload"]
    assert winner["package"]["releaseCount"] == 2
    stored = await stored_package(sessionmaker, "cheese")
    assert stored is not None
    assert stored.updated_at.isoformat() == winner["createdAt"]
    async with sessionmaker() as check:
        sizes = list(await check.scalars(select(models.Release.size).where(models.Release.version == "2.0rc1")))
    assert sizes == [winner["size"]]


async def packages_owned_by_both(session: AsyncSession, ada: str, bob: str, n: int) -> list[str]:
    owners: list[tuple[models.User, Role]] = [
        (await user_row(session, ada), "owner"),
        (await user_row(session, bob), "owner"),
    ]
    return [(await factories.package(session, f"cheese-{k}", maintainers=owners)).name for k in range(n)]


async def test_two_owners_removing_each_other_at_once_never_leave_a_package_without_an_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    ada_token, ada = await sign_up(client, "Ada")
    bob_token, bob = await sign_up(client, "Bob")
    names = await packages_owned_by_both(session, ada, bob, RACERS // 2)
    requests = []
    for name in names:
        requests.append(answer(client, REMOVE, {"package": name, "user": bob}, ada_token))
        requests.append(answer(client, REMOVE, {"package": name, "user": ada}, bob_token))
    results = await asyncio.gather(*requests)
    for k, name in enumerate(names):
        by_ada, by_bob = results[2 * k], results[2 * k + 1]
        outcomes = sorted([by_ada["__typename"], by_bob["__typename"]])
        assert outcomes in (["Conflict", "MaintainerPayload"], ["MaintainerPayload", "NotAllowed"]), (by_ada, by_bob)
        survivor = ada if by_ada["__typename"] == "MaintainerPayload" else bob
        assert await roles(sessionmaker, name) == {row_id(survivor): "owner"}, name


async def test_two_owners_each_removing_themselves_at_once_never_leave_a_package_without_an_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    ada_token, ada = await sign_up(client, "Ada")
    bob_token, bob = await sign_up(client, "Bob")
    names = await packages_owned_by_both(session, ada, bob, RACERS // 2)
    requests = []
    for name in names:
        requests.append(answer(client, REMOVE, {"package": name, "user": ada}, ada_token))
        requests.append(answer(client, REMOVE, {"package": name, "user": bob}, bob_token))
    results = await asyncio.gather(*requests)
    for k, name in enumerate(names):
        by_ada, by_bob = results[2 * k], results[2 * k + 1]
        assert sorted([by_ada["__typename"], by_bob["__typename"]]) == ["Conflict", "MaintainerPayload"], (
            by_ada,
            by_bob,
        )
        survivor = bob if by_ada["__typename"] == "MaintainerPayload" else ada
        assert await roles(sessionmaker, name) == {row_id(survivor): "owner"}, name


async def test_publish_release_racing_delete_package_is_published_or_not_found_never_a_server_error(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ada = await sign_up(client, "Ada")
    await factories.package(session, "cheese", versions=["1.0"], maintainers=[(await user_row(session, ada), "owner")])
    authorized, deleted = asyncio.Event(), asyncio.Event()

    async def authorize_then_let_the_delete_in(*args: Any, **kwargs: Any) -> Any:
        allowed = await authorize(*args, **kwargs)
        authorized.set()
        # Where the package row is locked (PostgreSQL) the delete waits for this request instead, so give up soon.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(deleted.wait(), 0.5)
        return allowed

    async def delete_once_authorized() -> dict[str, Any]:
        await authorized.wait()
        result = await answer(client, DELETE, {"package": "cheese"}, token)
        deleted.set()
        return result

    monkeypatch.setattr(resolvers.release_mutations, "authorize", authorize_then_let_the_delete_in)
    published, removed = await asyncio.gather(
        post(client, PUBLISH, {"input": {"package": "cheese", "version": "2.0"}}, token), delete_once_authorized()
    )
    assert removed["__typename"] == "DeletePackagePayload", removed
    assert not published.get("errors"), published
    assert published["data"]["publishRelease"]["__typename"] in ("ReleasePayload", "NotFound"), published
    assert await stored_package(sessionmaker, "cheese") is None
    async with sessionmaker() as check:
        assert list(await check.scalars(select(models.Release.version))) == []

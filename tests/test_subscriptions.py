"""`releasePublished` over graphql-transport-ws: events after a publish over HTTP, filters, rollbacks, sessions."""

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from app import create_app
from models.db import Maker
from resolvers import release_mutations, subscriptions, tokens
from tests import factories
from tests.conftest import TEST_SECRET, settings_for_tests
from tests.live import Socket, served, socket_to

RELEASES = "subscription($package: String) { releasePublished(package: $package) { version package { name } } }"
PUBLISH = """mutation($input: PublishReleaseInput!) {
  publishRelease(input: $input) { __typename ... on ReleasePayload { release { version } } }
}"""


async def maintainer_token(sessionmaker: Maker, *packages: str) -> str:
    """A token of a user who owns each of `packages`, which this makes."""
    async with sessionmaker() as session:
        user = await factories.user(session)
        for name in packages:
            await factories.package(session, name, maintainers=[(user, "owner")])
        return tokens.issue(user.id, user.token_key, secret=TEST_SECRET, lifetime=settings_for_tests().token_lifetime)


async def publish(port: int, token: str, package: str, version: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.post(
            "/graphql",
            json={"query": PUBLISH, "variables": {"input": {"package": package, "version": version}}},
            headers={"Authorization": f"Bearer {token}"},
        )
    answer: dict[str, Any] = response.json()["data"]["publishRelease"]
    return answer


async def subscribed(socket: Socket, id: str, package: str | None = None) -> None:
    await socket.subscribe(id, RELEASES, {"package": package})
    await asyncio.sleep(0.2)  # the operation starts as a task of its own: let it reach the broadcaster


async def test_a_subscription_gets_each_release_published_over_http(sessionmaker: Maker) -> None:
    token = await maintainer_token(sessionmaker, "cheese", "spam")
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await subscribed(socket, "all")
        assert (await publish(port, token, "cheese", "1.0"))["__typename"] == "ReleasePayload"
        await publish(port, token, "spam", "2.0")
        first, second = await socket.receive(), await socket.receive()
        assert first == {
            "id": "all",
            "type": "next",
            "payload": {"data": {"releasePublished": {"version": "1.0", "package": {"name": "cheese"}}}},
        }
        assert second["payload"]["data"]["releasePublished"] == {"version": "2.0", "package": {"name": "spam"}}


@pytest.mark.parametrize("asked", ["Cheese_Shop", "cheese.shop", "CHEESE-SHOP"])
async def test_package_picks_one_package_by_its_normalised_name(sessionmaker: Maker, asked: str) -> None:
    token = await maintainer_token(sessionmaker, "cheese-shop", "spam")
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await subscribed(socket, "one", asked)
        await publish(port, token, "spam", "1.0")
        await publish(port, token, "Cheese.Shop", "2.0")
        event = await socket.receive()
        assert event["payload"]["data"]["releasePublished"] == {"version": "2.0", "package": {"name": "cheese-shop"}}


async def test_a_rolled_back_publish_delivers_nothing(sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch) -> None:
    """The publish fails after its event was announced, inside its transaction: only the next one arrives."""
    token = await maintainer_token(sessionmaker, "cheese")
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)

    def failing(**fields: Any) -> Any:
        raise RuntimeError("the publish fails after its announcement")

    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await subscribed(socket, "all")
        monkeypatch.setattr(release_mutations, "ReleasePayload", failing)
        assert (await publish(port, token, "cheese", "1.0"))["__typename"] == "UnexpectedError"
        monkeypatch.undo()
        await publish(port, token, "cheese", "2.0")
        event = await socket.receive()
        assert event["payload"]["data"]["releasePublished"]["version"] == "2.0"
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(models.Release)) == 1


async def test_idle_subscriptions_hold_no_database_connection(sessionmaker: Maker, engine: AsyncEngine) -> None:
    token = await maintainer_token(sessionmaker, "cheese")
    pool = engine.pool
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(socket_to(port)) for _ in range(5)]
        for socket in sockets:
            await socket.init()
            await socket.subscribe("a", RELEASES)
            await socket.subscribe("b", RELEASES, {"package": "cheese"})
        await asyncio.sleep(0.2)
        assert app.state.live.broadcaster.active == 10
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
        await publish(port, token, "cheese", "1.0")
        for socket in sockets:
            assert {(await socket.receive())["id"], (await socket.receive())["id"]} == {"a", "b"}
        await asyncio.sleep(0.1)  # each event's session closes when its subscription asks for the next one
        assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_fields_below_the_release_read_in_a_session_closed_after_the_event(
    sessionmaker: Maker, engine: AsyncEngine
) -> None:
    """`package` asked for through a fragment reads in the event's own session, which is closed afterwards."""
    token = await maintainer_token(sessionmaker, "cheese")
    document = """subscription { releasePublished { ...Published } }
    fragment Published on Release { version ... on Release { package { name releaseCount } } }"""
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await socket.subscribe("1", document)
        await asyncio.sleep(0.2)
        for version in ("1.0", "2.0"):
            await publish(port, token, "cheese", version)
            event = await socket.receive()
            assert event["payload"]["data"]["releasePublished"]["package"]["name"] == "cheese"
        assert event["payload"]["data"]["releasePublished"]["package"]["releaseCount"] == 2
        await asyncio.sleep(0.1)
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failed_read_of_one_event_leaves_the_stream_open_for_the_next(
    sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await maintainer_token(sessionmaker, "cheese")
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    reads = 0
    release_row = subscriptions.release_row

    async def failing_once(maker: Maker, release_id: int) -> Any:
        nonlocal reads
        reads += 1
        if reads == 1:
            raise ConnectionResetError("the database went away")
        return await release_row(maker, release_id)

    monkeypatch.setattr(subscriptions, "release_row", failing_once)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await subscribed(socket, "all")
        await publish(port, token, "cheese", "1.0")
        await publish(port, token, "cheese", "2.0")
        event = await socket.receive()
        assert event["type"] == "next", event
        assert event["payload"]["data"]["releasePublished"]["version"] == "2.0"

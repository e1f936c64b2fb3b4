"""`releasePublished` over graphql-transport-ws: events after a publish over HTTP, filters, rollbacks, sessions."""

import asyncio
from typing import Any

import httpx

from app import create_app
from models.db import Maker
from resolvers import tokens
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

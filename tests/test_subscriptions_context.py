"""Operations over a socket get a whole context: the socket as request, a short session for trusted documents."""

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from models.db import Maker
from resolvers.documents import register
from tests.conftest import settings_for_tests
from tests.live import served, socket_to
from tests.test_subscriptions import RELEASES

LOGIN = """mutation { login(email: "nobody@example.org", password: "correct horse battery staple") {
  __typename ... on Error { message } } }"""


async def test_idle_trusted_subscriptions_hold_no_database_connection(sessionmaker: Maker, engine: AsyncEngine) -> None:
    await register(engine, [(Path("releases.graphql"), RELEASES)])
    app = create_app(settings_for_tests(trusted_documents_only=True), sessionmaker=sessionmaker)
    async with served(app) as port, AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(socket_to(port)) for _ in range(3)]
        for socket in sockets:
            await socket.init()
            await socket.subscribe("a", RELEASES)
        for _ in range(100):  # each subscription reaches the broadcaster once its document was read
            if app.state.live.broadcaster.active == 3:
                break
            await asyncio.sleep(0.02)
        assert app.state.live.broadcaster.active == 3
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_an_unregistered_document_over_a_socket_gets_an_error_message(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(trusted_documents_only=True), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        await socket.subscribe("1", RELEASES)
        message = await socket.receive()
        assert message["type"] == "error", message
        assert message["id"] == "1"
        assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_login_over_a_socket_with_a_rate_limit_counts_the_socket_address(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(auth_rate_limit=5), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init()
        for id in ("1", "2"):  # a second operation gets a fresh set of users it may reveal
            await socket.subscribe(id, LOGIN)
            message = await socket.receive()
            assert message["type"] == "next", message
            assert message["payload"]["data"]["login"]["__typename"] != "UnexpectedError", message
            assert await socket.receive() == {"id": id, "type": "complete"}

"""Operations over a socket get a whole context: the socket as request, a short session for trusted documents."""

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from models.db import Maker
from resolvers import tokens
from resolvers.documents import register
from tests.conftest import settings_for_tests
from tests.live import served, socket_to
from tests.test_subscriptions import RELEASES, maintainer_token

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


async def test_a_token_that_expires_on_an_open_socket_refuses_the_next_operations(
    sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await maintainer_token(sessionmaker)
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, socket_to(port) as socket:
        await socket.init({"Authorization": f"Bearer {token}"})
        await socket.subscribe("before", "{ viewer { name } }")
        assert (await socket.receive())["payload"]["data"]["viewer"] is not None
        assert (await socket.receive())["type"] == "complete"
        later = tokens.now() + settings_for_tests().token_lifetime + timedelta(seconds=1)
        monkeypatch.setattr(tokens, "now", lambda: later)
        for id, document in (("query", "{ viewer { name } }"), ("subscription", RELEASES)):
            await socket.subscribe(id, document)
            message = await socket.receive()
            assert message["type"] == "next", message
            assert message["payload"]["data"] is None
            assert message["payload"]["errors"] == [
                {"message": tokens.EXPIRED, "extensions": {"code": "UNAUTHENTICATED"}}
            ]
            assert await socket.receive() == {"id": id, "type": "complete"}

"""graphql-transport-ws abuse and limits at /graphql: each close code, the caps, the token, the query limits."""

from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from app import create_app
from models.db import Maker
from tests.conftest import settings_for_tests
from tests.live import Socket, served, socket_to
from tests.test_subscriptions import RELEASES, maintainer_token


def app_with(sessionmaker: Maker, **settings: Any) -> Any:
    return create_app(settings_for_tests(**settings), sessionmaker=sessionmaker)


async def test_no_connection_init_in_time_closes_with_4408(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker, subscription_init_timeout_seconds=0.2)) as port, socket_to(port) as ws:
        assert (await ws.closed())[0] == 4408


async def test_a_second_connection_init_closes_with_4429(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.init()
        await ws.send({"type": "connection_init"})
        assert (await ws.closed())[0] == 4429


async def test_subscribe_before_connection_init_closes_with_4401(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.subscribe("1", RELEASES)
        assert (await ws.closed())[0] == 4401


async def test_a_duplicate_operation_id_closes_with_4409(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.init()
        await ws.subscribe("1", RELEASES)
        await ws.subscribe("1", RELEASES)
        assert (await ws.closed())[0] == 4409


MALFORMED = {
    "not JSON": "{",
    "a list": "[]",
    "a string": '"connection_init"',
    "no type": {"payload": {}},
    "an unknown type": {"type": "start"},
    "a number as type": {"type": 1},
    "an init payload that is no object": {"type": "connection_init", "payload": "x"},
    "a subscribe without id": {"type": "subscribe", "payload": {"query": "{ stats { packageCount } }"}},
    "a subscribe with a numeric id": {"type": "subscribe", "id": 1, "payload": {"query": "{ __typename }"}},
    "a subscribe without payload": {"type": "subscribe", "id": "1"},
    "a subscribe whose query is no string": {"type": "subscribe", "id": "1", "payload": {"query": 1}},
    "a subscribe whose variables are a list": {
        "type": "subscribe",
        "id": "1",
        "payload": {"query": "{ __typename }", "variables": []},
    },
    "JSON nested too deep": "[" * 100 + "]" * 100,
    "a binary frame": b'{"type": "ping"}',
}


@pytest.mark.parametrize("message", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_or_unknown_message_closes_with_4400(sessionmaker: Maker, message: Any) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        if not (isinstance(message, dict) and message.get("type") == "connection_init"):
            await ws.init()  # (an init payload is checked on an init)
        await ws.send(message)
        code, reason = await ws.closed()
        assert code == 4400, reason
        assert "Traceback" not in reason
        assert "/" not in reason.replace("/graphql", "")


async def test_ping_gets_pong_before_and_after_init(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}
        await ws.init()
        await ws.send({"type": "ping", "payload": {"at": 1}})
        assert await ws.receive() == {"type": "pong"}


@pytest.mark.parametrize("subprotocols", [("graphql-ws",), ()], ids=["legacy graphql-ws", "none"])
async def test_only_graphql_transport_ws_is_served(sessionmaker: Maker, subprotocols: tuple[str, ...]) -> None:
    async with served(app_with(sessionmaker)) as port:
        with pytest.raises(InvalidStatus) as refused:
            async with socket_to(port, subprotocols):
                pass
    assert refused.value.response.status_code == 403


async def viewer_over(ws: Socket) -> Any:
    await ws.subscribe("me", "{ viewer { name } }")
    answer = await ws.receive()
    assert answer["type"] == "next", answer
    assert await ws.receive() == {"id": "me", "type": "complete"}
    return answer["payload"]["data"]["viewer"]


@pytest.mark.parametrize("key", ["Authorization", "authorization", "AUTHORIZATION"])
async def test_the_token_in_connection_init_signs_the_socket_in(sessionmaker: Maker, key: str) -> None:
    token = await maintainer_token(sessionmaker)
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.init({key: f"Bearer {token}"})
        assert await viewer_over(ws) == {"name": "Ada Lovelace"}


async def test_no_token_is_anonymous(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.init({})
        assert await viewer_over(ws) is None


@pytest.mark.parametrize("value", ["Bearer not-a-token", "Basic abc", 42], ids=["bad token", "other scheme", "number"])
async def test_an_invalid_token_closes_with_4403(sessionmaker: Maker, value: Any) -> None:
    async with served(app_with(sessionmaker)) as port, socket_to(port) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": value}})
        assert (await ws.closed())[0] == 4403


async def test_past_the_subscriptions_per_connection_cap_the_new_one_gets_an_error(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker, max_subscriptions_per_connection=2)) as port, socket_to(port) as ws:
        await ws.init()
        await ws.subscribe("1", RELEASES)
        await ws.subscribe("2", RELEASES)
        await ws.subscribe("3", RELEASES)
        assert await ws.receive() == {
            "id": "3",
            "type": "error",
            "payload": [
                {
                    "message": "The connection runs more than 2 operations at once; the limit"
                    " (MAX_SUBSCRIPTIONS_PER_CONNECTION) is 2. Complete one first, or open another connection.",
                    "extensions": {
                        "code": "TOO_MANY_SUBSCRIPTIONS",
                        "limit": 2,
                        "measured": 3,
                        "setting": "MAX_SUBSCRIPTIONS_PER_CONNECTION",
                    },
                }
            ],
        }
        await ws.send({"type": "complete", "id": "1"})  # a completed one makes room
        await ws.subscribe("4", "{ __typename }")
        assert (await ws.receive())["payload"] == {"data": {"__typename": "Query"}}


async def test_past_the_connections_per_process_cap_a_socket_closes_with_1013(sessionmaker: Maker) -> None:
    async with served(app_with(sessionmaker, max_websocket_connections=1)) as port, socket_to(port) as first:
        await first.init()
        async with socket_to(port) as second:
            assert (await second.closed())[0] == 1013
        await first.send({"type": "ping"})
        assert await first.receive() == {"type": "pong"}


OVER_LIMITS = {
    "QUERY_TOO_DEEP": (
        {"max_query_depth": 4},
        "subscription { releasePublished { package { releases { edges { node { version } } } } } }",
    ),
    "QUERY_TOO_COMPLEX": (
        {"max_query_cost": 50},
        "subscription { releasePublished { package { releases(first: 100) { edges { node { version } } } } } }",
    ),
    "DOCUMENT_TOO_LARGE": ({"max_document_bytes": 100}, "subscription { releasePublished { version } }" + " " * 100),
}


@pytest.mark.parametrize(("code", "case"), OVER_LIMITS.items(), ids=OVER_LIMITS.keys())
async def test_the_query_limits_hold_over_the_socket(sessionmaker: Maker, code: str, case: Any) -> None:
    limits, document = case
    async with served(app_with(sessionmaker, **limits)) as port, socket_to(port) as ws:
        await ws.init()
        await ws.subscribe("1", document)
        answer = await ws.receive()
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == code
        await ws.subscribe("2", RELEASES)  # the socket stays open for the next operation
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


async def test_at_shutdown_open_sockets_close_with_1001(sessionmaker: Maker) -> None:
    app = app_with(sessionmaker)
    async with served(app, lifespan=False) as port, socket_to(port) as ws:
        async with app.router.lifespan_context(app):
            await ws.init()
            await ws.subscribe("1", RELEASES)
        assert (await ws.closed())[0] == 1001

"""GraphiQL's subscriptions speak graphql-transport-ws with the headers editor's Authorization in connection_init.

The server here is strawberry's own graphql-transport-ws (tests/echo_server.py, serving the app's GraphiQL
files), so this checks the page's side of the protocol whatever the app's subscriptions do.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, WebSocket

from tests.graphiql_page import browser, graphiql
from tests.servers import serving

__all__ = ["browser"]  # a fixture, imported to be used here

SOURCE = Path(__file__).resolve().parent.parent
SUBSCRIPTION = "subscription { connectionAuthorization }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("echo")
    with serving(folder, asgi="tests.echo_server:app", env={"PYTHONPATH": str(SOURCE)}) as base:
        yield base


def test_each_authorization_set_in_graphiql_opens_a_connection_that_carries_it(
    server: str, browser: Browser, artifacts: Path
) -> None:
    sockets: list[str] = []
    sent: list[Any] = []

    def record(socket: WebSocket) -> None:
        sockets.append(socket.url)
        socket.on("framesent", lambda frame: sent.append(json.loads(frame)))

    with graphiql(browser, server, artifacts) as page:
        page.page.on("websocket", record)
        page.type_query(SUBSCRIPTION)
        page.type_headers('{"authorization": "Bearer first"}')  # any case, as HTTP headers go
        page.run()
        first = page.wait_for_result("Bearer first")
        page.wait_until_idle()
        page.type_headers('{"Authorization": "Bearer second"}')
        page.run()
        second = page.wait_for_result("Bearer second")
        page.screenshot("second-event")
        page.wait_until_idle()
        page.type_headers("{}")
        page.run()
        anonymous = page.wait_for_result("null")
        assert page.refused == []
        assert page.errors == []
    assert first == {"data": {"connectionAuthorization": "Bearer first"}}
    assert second == {"data": {"connectionAuthorization": "Bearer second"}}
    assert anonymous == {"data": {"connectionAuthorization": None}}
    assert sockets == [server.replace("http:", "ws:") + "/graphql"] * 3
    inits = [message["payload"] for message in sent if message["type"] == "connection_init"]
    assert inits == [{"Authorization": "Bearer first"}, {"Authorization": "Bearer second"}, {}]

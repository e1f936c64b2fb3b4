"""A subscription typed into GraphiQL receives `releasePublished` events published over HTTP."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, WebSocket

from tests.graphiql_page import browser, graphiql
from tests.test_graphiql_browser import REGISTER, server

__all__ = ["browser", "server"]  # the module's fixtures, shared

SUBSCRIPTION = "subscription { releasePublished { version package { name } } }"
CREATE = "mutation ($input: CreatePackageInput!) { createPackage(input: $input) { __typename } }"
PUBLISH = "mutation ($input: PublishReleaseInput!) { publishRelease(input: $input) { __typename } }"


def call(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers).json()
    assert "errors" not in answer, answer
    return answer["data"]


def wait_for_active_subscriptions(base: str, count: int, within: float = 10) -> None:
    """Until the server's /metrics counts `count` open subscriptions: a publish before then would reach none."""
    expected = f"cheeseshop_subscriptions_active {float(count)}"
    deadline = time.monotonic() + within
    while expected not in httpx.get(f"{base}/metrics").text.splitlines():
        assert time.monotonic() < deadline, f"no {count} active subscriptions within {within} s"
        time.sleep(0.05)


def test_a_subscription_in_graphiql_shows_a_release_published_over_http(
    server: str, browser: Browser, artifacts: Path
) -> None:
    account = {"name": "Grace", "email": "grace@example.org", "password": "correct horse battery"}
    token = call(server, REGISTER, {"input": account})["register"]["token"]
    assert call(server, CREATE, {"input": {"name": "cheese-wheel"}}, token) == {
        "createPackage": {"__typename": "PackagePayload"}
    }
    sent: list[Any] = []

    def record(socket: WebSocket) -> None:
        socket.on("framesent", lambda frame: sent.append(json.loads(frame)))

    with graphiql(browser, server, artifacts) as page:
        page.page.on("websocket", record)
        page.type_headers(f'{{"Authorization": "Bearer {token}"}}')
        page.type_query(SUBSCRIPTION)
        page.run()
        wait_for_active_subscriptions(server, 1)
        published = call(server, PUBLISH, {"input": {"package": "cheese-wheel", "version": "1.0"}}, token)
        assert published == {"publishRelease": {"__typename": "ReleasePayload"}}
        shown = page.wait_for_result('"1.0"')
        page.screenshot("event")
        assert page.refused == []
    assert shown == {"data": {"releasePublished": {"version": "1.0", "package": {"name": "cheese-wheel"}}}}
    init = next(message for message in sent if message["type"] == "connection_init")
    assert init["payload"] == {"Authorization": f"Bearer {token}"}
    assert any(message["type"] == "subscribe" for message in sent)

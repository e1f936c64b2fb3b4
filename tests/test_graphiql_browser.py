"""GraphiQL in a real browser, from a real server, with every request off this machine refused."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from tests.graphiql_page import browser, graphiql
from tests.servers import serving

__all__ = ["browser"]  # a fixture, imported to be used here

PACKAGES = "{ packages(first: 3) { edges { node { name latestRelease { version } } } } }"
REGISTER = """mutation ($input: RegisterInput!) {
  register(input: $input) { __typename ... on AuthPayload { token } ... on Error { message } }
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the embedded default database, seeded with the demo packages; cheap password hashes."""
    folder = tmp_path_factory.mktemp("graphiql")
    with serving(folder, env={"PASSWORD_TIME_COST": "1", "PASSWORD_MEMORY_COST": "1024"}) as base:
        yield base


def over_http(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in answer, answer
    return answer


def test_a_query_typed_into_graphiql_shows_its_answer_with_nothing_fetched_from_elsewhere(
    server: str, browser: Browser, artifacts: Path
) -> None:
    with graphiql(browser, server, artifacts) as page:
        page.screenshot("opened")
        page.type_query(PACKAGES)
        page.run()
        shown = page.wait_for_result('"packages"')
        page.screenshot("answered")
        assert page.refused == []
        assert page.errors == []
        assert all(url.startswith(f"{server}/graphql") for url in page.requested), page.requested
    assert shown == over_http(server, PACKAGES)
    assert len(shown["data"]["packages"]["edges"]) == 3


def test_a_header_set_in_graphiql_reaches_the_server(server: str, browser: Browser, artifacts: Path) -> None:
    email = "ada@example.org"
    registered = over_http(
        server, REGISTER, {"input": {"name": "Ada", "email": email, "password": "correct horse battery"}}
    )
    token = registered["data"]["register"]["token"]
    with graphiql(browser, server, artifacts) as page:
        page.type_query("{ viewer { name email } }")
        page.run()
        anonymous = page.wait_for_result('"viewer"')
        page.type_headers(f'{{"Authorization": "Bearer {token}"}}')
        page.run()
        signed_in = page.wait_for_result(email)
        page.screenshot("signed-in")
        assert page.refused == []
    assert anonymous == {"data": {"viewer": None}}
    assert signed_in == {"data": {"viewer": {"name": "Ada", "email": email}}}

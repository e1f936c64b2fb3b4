"""`python -m app serve --workers 2`: every scrape of `/metrics` adds up both workers; logs are JSON lines."""

import json
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.servers import Server

REQUESTS = 40


def counted(url: str) -> float:
    """`Many` requests that went well, as one scrape (on a connection of its own, so any worker) reports them."""
    text = httpx.get(f"{url}/metrics", headers={"connection": "close"}).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "cheeseshop_graphql_requests_total" and sample.labels == {
                "operation": "Many",
                "outcome": "ok",
            }:
                return sample.value
    return 0.0


def both_started(server: Server, within: float = 30) -> None:
    """Until both workers have started: /readyz answering tells of one, and the other may still be starting."""
    deadline = time.monotonic() + within
    while server.output().count("Application startup complete.") < 2:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)


def test_metrics_add_up_every_worker(tmp_path: Path) -> None:
    """Connections spread over both workers; each scrape, whichever worker answers it, sees all requests."""
    with Server.with_test_settings(tmp_path, "--workers", "2") as server:
        both_started(server)
        for _ in range(REQUESTS):
            response = httpx.post(
                f"{server.url}/graphql", json={"query": "query Many { __typename }"}, headers={"connection": "close"}
            )
            assert response.json() == {"data": {"__typename": "Query"}}
        scrapes = [counted(server.url) for _ in range(10)]
        server.terminate()
        assert server.wait(within=15) == 0
    lines = [json.loads(line) for line in server.output().splitlines() if '"cheeseshop.request"' in line]
    graphql = [line for line in lines if line["path"] == "/graphql"]
    assert len(graphql) == REQUESTS  # one JSON line per request
    assert len({line["request_id"] for line in graphql}) == REQUESTS
    assert len({line["pid"] for line in graphql}) == 2, "both workers served"
    assert scrapes == [REQUESTS] * 10

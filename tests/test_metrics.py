"""`/metrics`: requests by operation and outcome, latency, SQL statements, loader batches, the pool."""

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import create_app
from models import metrics
from models.db import Maker
from tests import factories
from tests.conftest import SqlCounter, settings_for_tests

# The metrics count what the process did; graphql-core's second answer to each planned query, which the other
# tests compare, would be counted too.
pytestmark = pytest.mark.one_executor


@pytest.fixture
async def http(sessionmaker: Maker) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def sample(http: httpx.AsyncClient, name: str, **labels: str) -> float:
    """One sample's value as `/metrics` shows it (0 when it is not there yet)."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


async def requests(http: httpx.AsyncClient, operation: str, outcome: str) -> float:
    return await sample(http, "cheeseshop_graphql_requests_total", operation=operation, outcome=outcome)


async def post(http: httpx.AsyncClient, query: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": query})


async def test_requests_are_counted_by_operation_and_outcome(http: httpx.AsyncClient) -> None:
    cases = [
        ("query Counted { stats { packageCount } }", "Counted", "ok"),
        ("{ stats { packageCount } }", metrics.ANONYMOUS, "ok"),
        ('query Missing { node(id: "bm90IGFuIGlk") { id } }', "Missing", "errors"),
        ("query Invalid { noSuchField }", metrics.NONE, "refused"),  # never validated: its name is not kept
        ("query Unparsable {", metrics.NONE, "refused"),
    ]
    for query, operation, outcome in cases:
        before = await requests(http, operation, outcome)
        await post(http, query)
        assert await requests(http, operation, outcome) == before + 1, (query, operation, outcome)
    body = (await http.get("/metrics")).text
    assert 'operation="Invalid"' not in body
    assert 'operation="Unparsable"' not in body


async def test_a_request_refused_at_the_edge_is_counted_as_refused(http: httpx.AsyncClient) -> None:
    before = await requests(http, metrics.NONE, "refused")
    response = await http.post("/graphql", content=b"query", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert await requests(http, metrics.NONE, "refused") == before + 1


async def test_latency_is_a_histogram_per_operation(http: httpx.AsyncClient) -> None:
    name = "cheeseshop_graphql_request_duration_seconds"
    before = await sample(http, f"{name}_count", operation="Timed")
    await post(http, "query Timed { __typename }")
    await post(http, "query Timed { __typename }")
    assert await sample(http, f"{name}_count", operation="Timed") == before + 2
    assert await sample(http, f"{name}_bucket", operation="Timed", le="+Inf") == before + 2
    assert await sample(http, f"{name}_sum", operation="Timed") > 0


async def test_sql_statements_per_request_are_those_the_database_got(
    http: httpx.AsyncClient, session: AsyncSession, sql: SqlCounter
) -> None:
    ada = await factories.user(session)
    for package in ("a", "b", "c"):
        await factories.package(session, package, maintainers=[(ada, "owner")])
    name = "cheeseshop_graphql_request_sql_statements"
    count, total = await sample(http, f"{name}_count"), await sample(http, f"{name}_sum")
    with sql.count() as seen:
        response = await post(http, "{ packages(first: 3) { edges { node { name maintainers { name } } } } }")
    assert "errors" not in response.json()
    assert len(seen) >= 2  # the page, then the maintainers of all three in one batch
    assert await sample(http, f"{name}_count") == count + 1
    assert await sample(http, f"{name}_sum") == total + len(seen)


async def test_loader_batch_sizes_are_measured_per_loader(http: httpx.AsyncClient, session: AsyncSession) -> None:
    ada = await factories.user(session)
    for package in ("a", "b", "c"):
        await factories.package(session, package, maintainers=[(ada, "owner")])
    name, loader = "cheeseshop_loader_batch_size", "MaintainersByPackageIdLoader"
    count, total = await sample(http, f"{name}_count", loader=loader), await sample(http, f"{name}_sum", loader=loader)
    await post(http, "{ packages(first: 3) { edges { node { maintainers { name } } } } }")
    assert await sample(http, f"{name}_count", loader=loader) == count + 1  # one batch
    assert await sample(http, f"{name}_sum", loader=loader) == total + 3  # of the three packages


async def test_pool_connections_in_use_and_overflow(http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    pool_size = engine.sync_engine.pool.size()  # type: ignore[attr-defined]
    held = [await engine.connect() for _ in range(pool_size + 1)]
    try:
        assert await sample(http, "cheeseshop_db_pool_connections_in_use") == pool_size + 1
        assert await sample(http, "cheeseshop_db_pool_overflow") == 1
    finally:
        for conn in held:
            await conn.close()
    assert await sample(http, "cheeseshop_db_pool_connections_in_use") == 0


async def test_no_query_is_left_executing_or_waiting(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        await post(http, "{ stats { packageCount } }")
    assert await sample(http, "cheeseshop_queries_executing") == 0
    assert await sample(http, "cheeseshop_queries_waiting") == 0


async def test_the_subscription_metrics_are_defined(http: httpx.AsyncClient) -> None:
    body = (await http.get("/metrics")).text
    assert "# TYPE cheeseshop_subscriptions_active gauge" in body
    assert "# TYPE cheeseshop_notify_events_received_total counter" in body


def test_operation_labels_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_operation_names", set())
    assert metrics.operation_label(None) == metrics.ANONYMOUS
    assert metrics.operation_label("x" * 500) == "x" * metrics.MAX_OPERATION_NAME
    for i in range(metrics.MAX_OPERATION_NAMES - 1):
        assert metrics.operation_label(f"Op{i}") == f"Op{i}"
    assert metrics.operation_label("OneTooMany") == metrics.OTHER
    assert metrics.operation_label("Op7") == "Op7"  # a name already seen keeps its label


async def test_metrics_can_be_turned_off(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(metrics=False), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/metrics")).status_code == 404

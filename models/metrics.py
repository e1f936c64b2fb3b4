"""The process's Prometheus metrics, one definition each; every layer reports to them (models imports nothing else).

With several worker processes (PROMETHEUS_MULTIPROC_DIR set before this module is imported) each process
writes its values to files there and `/metrics` adds them up; gauges say how (`livesum`: the live processes'
values added). See README's "Metrics".
"""

import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

K = TypeVar("K")
V = TypeVar("V")

disable_created_metrics()  # type: ignore[no-untyped-call]  # a `_created` series per counter and histogram only doubles what a scrape reads

REQUESTS = Counter(
    "cheeseshop_graphql_requests",
    "GraphQL requests by operation name and outcome (ok, errors, refused, unavailable, failed, disconnected)",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "cheeseshop_graphql_request_duration_seconds",
    "Time from a GraphQL request's arrival to its answer's last byte",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STATEMENTS = Histogram(
    "cheeseshop_graphql_request_sql_statements",
    "SQL statements one GraphQL request sent",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55),
)
BATCH_SIZES = Histogram(
    "cheeseshop_loader_batch_size",
    "Keys in one DataLoader batch (one SQL statement or a few), by loader",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
POOL_IN_USE = Gauge(
    "cheeseshop_db_pool_connections_in_use", "Database connections checked out of the pool", multiprocess_mode="livesum"
)
POOL_OVERFLOW = Gauge(
    "cheeseshop_db_pool_overflow",
    "Connections checked out beyond DATABASE_POOL_SIZE (at most DATABASE_MAX_OVERFLOW)",
    multiprocess_mode="livesum",
)
QUERIES_EXECUTING = Gauge(
    "cheeseshop_queries_executing", "Queries holding an execution slot", multiprocess_mode="livesum"
)
QUERIES_WAITING = Gauge(
    "cheeseshop_queries_waiting", "Queries waiting for an execution slot", multiprocess_mode="livesum"
)
# Reported by the subscription code: open `releasePublished` subscriptions, and NOTIFY events its listener got.
SUBSCRIPTIONS_ACTIVE = Gauge(
    "cheeseshop_subscriptions_active", "Subscriptions open on this process", multiprocess_mode="livesum"
)
NOTIFY_EVENTS = Counter("cheeseshop_notify_events_received", "PostgreSQL NOTIFY events the listener received")

ANONYMOUS = "(anonymous)"
NONE = "(none)"  # no operation ran: refused before validation, or not a GraphQL request
OTHER = "(other)"
MAX_OPERATION_NAME = 64
MAX_OPERATION_NAMES = 200
_operation_names: set[str] = set()
_observed_pools: "weakref.WeakSet[QueuePool]" = weakref.WeakSet()


def operation_label(name: str | None) -> str:
    """A label for an operation of a validated document: its name, truncated; the first names a process sees only.

    Only validated documents get here, so a label is a name the schema accepted, and the set of labels stays
    bounded whatever clients send.
    """
    if not name:
        return ANONYMOUS
    name = name[:MAX_OPERATION_NAME]
    if name not in _operation_names:
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return OTHER
        _operation_names.add(name)
    return name


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or all workers' in multiprocess mode."""
    if multiprocess_dir() is None:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_exited() -> None:
    """Take this process's `livesum` gauges out of the sums when it stops."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def observe_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges up to date as connections are checked out and in (once per engine)."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool) or pool in _observed_pools:
        return
    _observed_pools.add(pool)

    in_use = 0  # the checkin event comes before the pool takes the connection back, so count here

    def update(change: int) -> None:
        nonlocal in_use
        in_use += change
        POOL_IN_USE.set(in_use)
        POOL_OVERFLOW.set(max(in_use - pool.size(), 0))

    event.listen(pool, "checkout", lambda *_: update(1))
    event.listen(pool, "checkin", lambda *_: update(-1))


def batch_sizes(
    loader: str, batch_load_fn: Callable[[Any, list[K]], Awaitable[list[V]]]
) -> Callable[[Any, list[K]], Awaitable[list[V]]]:
    """`batch_load_fn` that also records the size of each batch under the loader's name."""
    sizes = BATCH_SIZES.labels(loader)

    async def counted(self: Any, keys: list[K]) -> list[V]:
        sizes.observe(len(keys))
        return await batch_load_fn(self, keys)

    counted.__wrapped__ = batch_load_fn  # type: ignore[attr-defined]
    return counted

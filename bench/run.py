"""The benchmark: the app over HTTP against a naive variant and a one-statement floor, on a seeded PostgreSQL.

    python -m bench.run [--quick] [--packages 10000] [--only package_page,home_page] [--variants app,floor]

Seeds the database at the chosen scale (again only when its package count differs), serves each variant with
uvicorn (uvloop, httptools) and measures every workload in bench/queries/: SQL statements and rows per request
(pg_stat_statements), median and p99 latency from one client, requests/s and latency under load from wrk, and
each server's peak memory. Prints a table and writes JSON to bench/results/. It asserts nothing, but an answer
with `errors`, or a baseline answering differently from the app, is reported loudly and fails the run.
"""

import argparse
import asyncio
import os
import secrets
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import sign_up_publisher
from bench.database import PUBLISHER_EMAIL, BenchDatabase, StatementCounter, enable_statement_stats, ensure_scale
from bench.measure import Bench, Plan
from bench.report import Run, render
from bench.servers import TARGETS, Variant, running
from bench.urls import redacted
from bench.workloads import PUBLISH_PACKAGE, load_workloads, workload_names

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cheeseshop_bench"
# Options whose default depends on --quick: (full run, quick run).
DEFAULTS: dict[str, tuple[Any, Any]] = {
    "requests": (200, 50),
    "client_seconds": (30.0, 5.0),
    "duration": (15, 3),
    "workers": ([1, 2], [1]),
    "variants": (list(TARGETS), ["app", "floor"]),
}
# How long to wait, after a workload under load, for the server to finish what wrk left in flight, before
# replacing it with a fresh one: (full, quick).
SETTLE_SECONDS = (10.0, 5.0)


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL; dropped and reseeded at need")
    parser.add_argument("--packages", type=int, default=10_000, help="scale of the seeded data (default 10000)")
    parser.add_argument(
        "--quick", action="store_true", help="fewer requests, 3 s of load, no naive, one worker: under two minutes"
    )
    parser.add_argument("--requests", type=int, help="sequential requests per workload (default 200, quick 50)")
    parser.add_argument(
        "--client-seconds", type=float, help="...or fewer, when they take longer than this (default 30, quick 5)"
    )
    parser.add_argument("--duration", type=int, help="seconds of wrk load per workload (default 15, quick 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk's concurrent connections (default 16)")
    parser.add_argument("--only", type=names, help="workloads, comma-separated (default: all in bench/queries)")
    parser.add_argument("--variants", type=names, help="default: app,naive,floor (quick: app,floor)")
    parser.add_argument("--workers", type=numbers, help="app worker processes (default 1,2; quick 1)")
    parser.add_argument("--out", type=Path, help="the JSON file (default: bench/results/run-<time>.json)")
    options = parser.parse_args(argv)
    for name, (full, quick) in DEFAULTS.items():
        if getattr(options, name) is None:
            setattr(options, name, quick if options.quick else full)
    unknown = set(options.variants) - set(TARGETS) | set(options.only or []) - set(workload_names())
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))} (workloads: {', '.join(workload_names())})")
    return options


def names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def numbers(value: str) -> list[int]:
    return [int(name) for name in names(value)]


def sessions(options: argparse.Namespace) -> list[tuple[Variant, bool]]:
    """Each server to start, and whether to time one client and count SQL on it (once per variant is enough)."""
    planned: list[tuple[Variant, bool]] = []
    for name in [name for name in TARGETS if name in options.variants]:
        if name == "naive" and not (HERE / "naive.py").exists():
            print("bench/naive.py does not exist (yet): no naive variant")
        elif name == "app":
            planned.extend((Variant("app", workers), index == 0) for index, workers in enumerate(options.workers))
        else:
            planned.append((Variant(name), True))
    return planned


def server_env(database_url: str, secret: str) -> dict[str, str]:
    """The app's production settings; the baselines read DATABASE_URL (and SECRET_KEY, for tokens) too."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "GRAPHIQL": "false",
        "DEMO_DATA": "false",
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret,
    }


async def sign_up(env: dict[str, str]) -> str:
    """The publisher's token, from the app's own register and createPackage, on a server of its own.

    Not on a measured server: hashing the password would add argon2's memory to that server's peak.
    """
    async with running(Variant("app"), env) as server:
        return await asyncio.to_thread(sign_up_publisher, server.url, PUBLISHER_EMAIL, PUBLISH_PACKAGE)


async def main(options: argparse.Namespace) -> int:
    started = time.monotonic()
    url = options.database_url
    counting = await enable_statement_stats(url)
    await ensure_scale(url, options.packages)
    database = await BenchDatabase.open(url)
    counter = await StatementCounter.open(url) if counting else None
    try:
        await database.remove_bench_rows()
        await database.vacuum()
        variables = await database.workload_variables()
        workloads = load_workloads(options.only or workload_names(), variables)
        for name, values in variables.items():
            if name in (workload.name for workload in workloads) and name != "publish_release":
                print(f"{name}: {values}")
        env = server_env(url, secrets.token_urlsafe(32))
        token = await sign_up(env) if any(workload.publishes for workload in workloads) else None
        run = Run(settings=settings(options), variables={w.name: w.variables for w in workloads})
        plan = Plan(
            requests=options.requests,
            client_seconds=options.client_seconds,
            duration=options.duration,
            connections=options.connections,
            settle_seconds=SETTLE_SECONDS[options.quick],
        )
        bench = Bench(plan, run, workloads, database, counter, token)
        for variant, one_client in sessions(options):
            await bench.measure(variant, env, one_client)
        bench.compare()
        await database.remove_bench_rows()
    finally:
        await database.close()
        if counter is not None:
            await counter.close()
    run.seconds = time.monotonic() - started
    out = options.out or HERE / "results" / f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}{'-quick' * options.quick}.json"
    run.write(out)
    print("\n" + render(run))
    print(f"\n{run.seconds:.0f} s in all; wrote {out}")
    return 1 if run.mismatches or any(result.error for result in run.results) else 0


def settings(options: argparse.Namespace) -> dict[str, Any]:
    return {
        "database_url": redacted(options.database_url),
        "packages": options.packages,
        "quick": options.quick,
        "requests": options.requests,
        "client_seconds": options.client_seconds,
        "duration_s": options.duration,
        "connections": options.connections,
        "workers": options.workers,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


async def cancellable(options: argparse.Namespace) -> int:
    """`main`, cancelled by SIGTERM as by Ctrl-C, so that no server outlives the run."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await main(options)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(cancellable(parse_options())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted; the servers were stopped")

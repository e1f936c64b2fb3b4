"""Idle subscribers on one worker: memory per subscription, and fan-out latency from commit to the last delivery.

    .venv/bin/python -m bench.subscribers [--subscribers 1000] [--events 50]

It makes a fresh database `cheeseshop_bench_live` (`--database-url`; only a database named `cheeseshop_bench…` is
dropped), serves `uvicorn app:app` with one worker as the benchmark does, opens N graphql-transport-ws sockets
each with one `releasePublished` subscription, and reads the server's resident memory before and after. Then it
publishes events one at a time: each is a release inserted and announced with `pg_notify` in one transaction, as
`publishRelease` does, and its latency runs from the moment COMMIT is sent to the moment the last of the N
subscribers has the event (the clients run on the same machine, so their own work is in the number). It prints
numbers and asserts nothing.
"""

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from packaging.version import Version
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.database import MAINTENANCE_DATABASE, quote_ident, run_command
from bench.database import connect as connect_database
from bench.servers import Variant, running
from bench.urls import database_name, with_database
from live.events import CHANNEL, ReleasePublished
from models.version_key import version_key

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cheeseshop_bench_live"
SUBSCRIPTIONS = {
    "release": "subscription { releasePublished { id version } }",  # the row every subscriber shares
    "package": "subscription { releasePublished { id version package { name } } }",  # and a read of its own
}
SECRET = "bench-secret-that-is-at-least-32-characters-long"
EVENT_TIMEOUT = 30.0


async def fresh_database(url: str) -> None:
    name = database_name(url)
    if not name.startswith("cheeseshop_bench"):
        raise SystemExit(f"this bench drops its database, so it must be named cheeseshop_bench…, not {name}")
    control = await connect_database(with_database(url, MAINTENANCE_DATABASE))
    try:
        await control.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        await control.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await control.close()
    await run_command(sys.executable, "-m", "app", "migrate", env={**os.environ, "DATABASE_URL": url})


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for process {pid}")


class Tally:
    """How many subscribers have each event (by version), and when the last of them got it."""

    def __init__(self, selection: str) -> None:
        self.selection, self.expected = selection, 0
        self.counts: dict[str, int] = {}
        self.last: dict[str, float] = {}
        self.complete: dict[str, asyncio.Event] = {}

    def arrived(self, version: str) -> None:
        self.counts[version] = self.counts.get(version, 0) + 1
        if self.counts[version] == self.expected:
            self.last[version] = time.monotonic()
            self.complete.setdefault(version, asyncio.Event()).set()

    async def wait(self, version: str) -> float:
        await asyncio.wait_for(self.complete.setdefault(version, asyncio.Event()).wait(), EVENT_TIMEOUT)
        return self.last[version]


class Subscriber:
    """One socket with one subscription; it tells the tally of each event that arrives."""

    def __init__(self, connection: ClientConnection, tally: Tally) -> None:
        self.connection, self.tally = connection, tally
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.connection.send(orjson.dumps({"type": "connection_init"}).decode())
        assert orjson.loads(await self.connection.recv())["type"] == "connection_ack"
        message = {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTIONS[self.tally.selection]}}
        await self.connection.send(orjson.dumps(message).decode())
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for text in self.connection:
            message: dict[str, Any] = orjson.loads(text)
            if message["type"] == "next":
                self.tally.arrived(message["payload"]["data"]["releasePublished"]["version"])


async def subscribers(port: int, n: int, tally: Tally) -> list[Subscriber]:
    url = f"ws://127.0.0.1:{port}/graphql"
    opened: list[Subscriber] = []
    for start in range(0, n, 100):  # in batches, so that the server's backlog is never the limit
        batch = [
            connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=60)
            for _ in range(start, min(n, start + 100))
        ]
        for connection in await asyncio.gather(*batch):
            opened.append(Subscriber(connection, tally))
        await asyncio.gather(*(s.start() for s in opened[start:]))
    return opened


async def publish(conn: asyncpg.Connection, package_id: int, version: str) -> float:
    """A release and its NOTIFY in one transaction; the moment COMMIT is sent."""
    tr = conn.transaction()
    await tr.start()
    release_id = await conn.fetchval(
        "INSERT INTO releases (package_id, version, version_key, prerelease, created_at, size, yanked)"
        " VALUES ($1, $2, $3, false, now(), 0, false) RETURNING id",
        package_id,
        version,
        version_key(Version(version)),
    )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, ReleasePublished(release_id, package_id, "bench").encode())
    committed = time.monotonic()
    await tr.commit()
    return committed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscribers", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument(
        "--select",
        choices=SUBSCRIPTIONS,
        default="release",
        help="release: the release's own fields, one statement per event for all subscribers; package: its"
        " package's name too, which each subscriber reads in a session of its own",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = args.subscribers + 200  # this process's end of each socket; the server is another process
    if soft < needed:
        if hard < needed:
            raise SystemExit(f"ulimit -n is {hard} at most; {needed} open files are needed")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))

    await fresh_database(args.database_url)
    conn = await connect_database(args.database_url)
    package_id = await conn.fetchval(
        "INSERT INTO packages (name, created_at, updated_at) VALUES ('bench', now(), now()) RETURNING id"
    )
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": SECRET,
        "ENVIRONMENT": "production",
        "MAX_WEBSOCKET_CONNECTIONS": str(args.subscribers + 10),
    }
    async with running(Variant("app"), env) as server:
        # The first socket, subscription and event load what they use.
        warm = await subscribers(server.port, 1, Tally(args.select))
        await publish(conn, package_id, "0.0")
        await asyncio.sleep(1)
        before = resident_kib(server.process.pid)
        tally = Tally(args.select)
        tally.expected = args.subscribers
        subs = await subscribers(server.port, args.subscribers, tally)
        await asyncio.sleep(2)
        after = resident_kib(server.process.pid)
        latencies = []
        for i in range(1, args.events + 1):
            version = f"{i}.0"
            committed = await publish(conn, package_id, version)
            try:
                latencies.append(await tally.wait(version) - committed)
            except TimeoutError:
                missing = args.subscribers - tally.counts.get(version, 0)
                message = f"event {version}: {missing} subscribers did not get it in {EVENT_TIMEOUT:.0f} s"
                raise SystemExit(message) from None
            await asyncio.sleep(0.1)
        for s in [*warm, *subs]:
            await s.connection.close()
    await conn.close()
    ms = [latency * 1000 for latency in latencies]
    print(f"{args.subscribers} idle subscribers on one worker, {args.events} events, selecting {args.select}")
    print(f"fan-out, commit to last delivery: p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms,"
          f" mean {statistics.mean(ms):.1f} ms")  # fmt: skip
    print(f"server RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with the subscribers:"
          f" {(after - before) / args.subscribers:.1f} KiB per idle subscription")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

"""The bench database: its scale, the workload's variables, the rows the bench writes, and the SQL it runs."""

import asyncio
import base64
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.urls import asyncpg_dsn, database_name, is_local, with_database
from bench.workloads import PUBLISH, PUBLISH_PACKAGE, publish_variables

ROOT = Path(__file__).resolve().parent.parent
MAINTENANCE_DATABASE = "postgres"
PUBLISHER_EMAIL = "publisher@bench.example"
SEARCH_MATCHES_WANTED = 40  # a few dozen
# The summaries the seed writes end in "... a fast library for json.": phrases and words to search for.
SEARCH_CANDIDATES = r"""
    SELECT candidate FROM (
        SELECT substring(summary FROM '(\w+ for \w+)\.$') AS candidate FROM packages
        UNION ALL
        SELECT substring(summary FROM 'for (\w+)\.$') FROM packages
    ) AS candidates
    WHERE candidate IS NOT NULL
    GROUP BY candidate
    ORDER BY abs(count(*) - $1), candidate
    LIMIT 10
"""
TRANSACTION_CONTROL = r"^\s*(BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\y"


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(url))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def node_id(type_name: str, row_id: int) -> str:
    """A Relay global ID, as strawberry writes it."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def run_command(*args: str, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env)
    if await process.wait() != 0:
        raise SystemExit(f"failed: {' '.join(args)}")


async def enable_statement_stats(url: str) -> bool:
    """Make sure pg_stat_statements is preloaded and installed, restarting a local server once if need be.

    The extension goes into the maintenance database, from which the bench reads the bench database's entries,
    so that its own statements are never counted.
    """
    control_url = with_database(url, MAINTENANCE_DATABASE)
    control = await connect(control_url)
    try:
        preloaded = [name.strip() for name in (await control.fetchval("SHOW shared_preload_libraries")).split(",")]
        if "pg_stat_statements" not in preloaded:
            if not is_local(url):
                print("pg_stat_statements is not preloaded and the server is not local: no SQL counts.")
                return False
            cluster = cluster_of(await control.fetchval("SHOW config_file"))
            if cluster is None:
                print("pg_stat_statements is not preloaded and the cluster is not in /etc/postgresql: no SQL counts.")
                return False
            libraries = ", ".join([name for name in preloaded if name] + ["pg_stat_statements"])
            await control.execute(f"ALTER SYSTEM SET shared_preload_libraries = {quote_literal(libraries)}")
            print(f"pg_stat_statements was not preloaded: ALTER SYSTEM SET shared_preload_libraries = '{libraries}'")
            await control.close()
            await restart(*cluster)
            control = await wait_for_server(control_url)
        await control.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return True
    except asyncpg.InsufficientPrivilegeError as error:
        print(f"pg_stat_statements cannot be set up ({error}): no SQL counts.")
        return False
    finally:
        await control.close()


def cluster_of(config_file: str) -> tuple[str, str] | None:
    """The (version, cluster name) of a Debian-style cluster, from /etc/postgresql/<version>/<cluster>/..."""
    parts = Path(config_file).parts
    if parts[:3] != ("/", "etc", "postgresql") or len(parts) < 6:
        return None
    return parts[3], parts[4]


async def restart(version: str, cluster: str) -> None:
    command = ("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart")
    print("restarting PostgreSQL: " + " ".join(command))
    await run_command(*command, env=dict(os.environ))


async def wait_for_server(url: str) -> asyncpg.Connection:
    """A connection once the server accepts them again, trying for a minute."""
    async with asyncio.timeout(60):
        while True:
            try:
                return await connect(url)
            except (OSError, asyncpg.CannotConnectNowError):
                await asyncio.sleep(0.5)


async def seeded_packages(url: str) -> int | None:
    """How many packages the seed put in the database; None when there is no database or no schema."""
    try:
        conn = await connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM packages WHERE name <> $1", PUBLISH_PACKAGE)
        return count
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


BENCH_DATABASE_PREFIX = "cheeseshop_bench"


async def ensure_scale(url: str, packages: int) -> None:
    """Leave the database as it is when it holds `packages` seeded packages; otherwise drop, recreate and seed it."""
    name = database_name(url)
    found = await seeded_packages(url)
    env = {**os.environ, "DATABASE_URL": url}
    if found == packages:
        print(f"database {name}: {packages} packages")
        await run_command(sys.executable, "-m", "app", "migrate", env=env)  # the app's schema may have moved on
        return
    if not name.startswith(BENCH_DATABASE_PREFIX):
        # Reseeding drops the database: only one whose name says it belongs to the bench.
        raise SystemExit(
            f"database {name} holds {'no' if found is None else found} packages, not {packages}; the bench only drops"
            f" and reseeds databases named {BENCH_DATABASE_PREFIX}*. Seed it yourself or pick such a name."
        )
    print(f"database {name}: {'no' if found is None else found} packages, {packages} wanted: seeding afresh")
    control = await connect(with_database(url, MAINTENANCE_DATABASE))
    try:
        await control.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        await control.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await control.close()
    await run_command(sys.executable, "-m", "app", "migrate", env=env)
    await run_command(sys.executable, "-m", "app", "seed", "--packages", str(packages), env=env)


class BenchDatabase:
    """A connection to the bench database for what the harness reads and cleans up itself."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, url: str) -> "BenchDatabase":
        return cls(await connect(url))

    async def close(self) -> None:
        await self.conn.close()

    async def workload_variables(self) -> dict[str, dict[str, Any]]:
        """The package with the most releases, the user who maintains the most packages, a search for a few dozen."""
        busiest = await self.conn.fetchval(
            "SELECT p.name FROM packages AS p JOIN releases AS r ON r.package_id = p.id"
            " GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1"
        )
        maintainer = await self.conn.fetchval(
            "SELECT user_id FROM maintainers GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1"
        )
        return {
            "package_page": {"name": busiest},
            "user_page": {"id": node_id("User", maintainer)},
            "search_page": {"query": await self.search_query()},
            PUBLISH: publish_variables(),
        }

    async def search_query(self) -> str:
        """A query whose matches (every word in the name or summary) are nearest `SEARCH_MATCHES_WANTED`."""
        candidates = [row["candidate"] for row in await self.conn.fetch(SEARCH_CANDIDATES, SEARCH_MATCHES_WANTED)]
        if not candidates:
            return "json"
        matches = {
            candidate: await self.conn.fetchval(
                "SELECT count(*) FROM packages WHERE search_vector @@ websearch_to_tsquery('simple', $1)", candidate
            )
            for candidate in candidates
        }
        best: str = min(candidates, key=lambda candidate: (abs(matches[candidate] - SEARCH_MATCHES_WANTED), candidate))
        return best

    async def remove_bench_rows(self) -> None:
        """Forget what an earlier run wrote: the publish package (with its releases) and the publisher's account."""
        await self.conn.execute("DELETE FROM packages WHERE name = $1", PUBLISH_PACKAGE)
        await self.conn.execute("DELETE FROM users WHERE email = $1", PUBLISHER_EMAIL)

    async def vacuum(self) -> None:
        """Fresh planner statistics and visibility maps, whether or not autovacuum runs on this server."""
        await self.conn.execute("VACUUM ANALYZE")

    async def busy_sessions(self) -> int:
        """Connections to the bench database, other than this one, in the middle of something."""
        count: int = await self.conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        return count

    async def published(self) -> int:
        count: int = await self.conn.fetchval(
            "SELECT count(*) FROM releases AS r JOIN packages AS p ON p.id = r.package_id WHERE p.name = $1",
            PUBLISH_PACKAGE,
        )
        return count

    async def remove_published(self) -> None:
        """Delete the releases the publish mix wrote, so that the next server reads the seeded data again."""
        await self.conn.execute(
            "DELETE FROM releases WHERE package_id = (SELECT id FROM packages WHERE name = $1)", PUBLISH_PACKAGE
        )
        # The deleted rows were the newest: leave no dead index entries for latestReleases to step over.
        await self.conn.execute("VACUUM releases, packages")


@dataclass(frozen=True)
class SqlCounts:
    """What the database ran per request, from pg_stat_statements."""

    statements: float
    transaction_control: float  # of the statements, BEGIN, COMMIT, ROLLBACK and the like
    rows: float


class StatementCounter:
    """pg_stat_statements for the bench database alone, read from the maintenance database."""

    def __init__(self, control: asyncpg.Connection, dbid: int) -> None:
        self.control, self.dbid = control, dbid

    @classmethod
    async def open(cls, url: str) -> "StatementCounter":
        control = await connect(with_database(url, MAINTENANCE_DATABASE))
        dbid = await control.fetchval("SELECT oid FROM pg_database WHERE datname = $1", database_name(url))
        return cls(control, dbid)

    async def close(self) -> None:
        await self.control.close()

    async def reset(self) -> None:
        await self.control.execute("SELECT pg_stat_statements_reset(0, $1, 0)", self.dbid)

    async def read(self, requests: int) -> SqlCounts:
        row = await self.control.fetchrow(
            "SELECT coalesce(sum(calls), 0) AS statements, coalesce(sum(rows), 0) AS rows,"
            " coalesce(sum(calls) FILTER (WHERE query ~* $2), 0) AS transaction_control"
            " FROM pg_stat_statements WHERE dbid = $1",
            self.dbid,
            TRANSACTION_CONTROL,
        )
        return SqlCounts(
            statements=float(row["statements"]) / requests,
            transaction_control=float(row["transaction_control"]) / requests,
            rows=float(row["rows"]) / requests,
        )

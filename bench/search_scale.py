"""Time `search` in process at several scales, to see whether it grows with the table or with the matches.

python -m bench.search_scale [--packages 10000,100000] [--requests 100] [--keep] [--plans]

For each scale, seeds `cheeseshop_bench_search_<n>` (reusing it when it already holds n packages) and runs the
search page of bench/queries/ through the app in process (httpx, no uvicorn, no network) for a few queries: the
bench's own, two words with a few dozen matches at any scale, a word that many packages have, three words that
a handful have, and an exact name. Prints the median and p90 per request and the matches (with `--plans`,
PostgreSQL's plan of each page), and beside them the median of the substring match `search` used before it
ranked, as SQL alone. The databases are dropped at the end unless `--keep`. It asserts nothing.
"""

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from app import Settings, create_app
from bench.database import ROOT, SEARCH_MATCHES_WANTED, BenchDatabase, connect, ensure_scale, quote_ident
from bench.urls import with_database
from models.db import make_engine, make_sessionmaker
from models.seed import WORDS

SERVER = "postgresql://postgres@127.0.0.1:5432"
PAGE = (ROOT / "bench" / "queries" / "search_page.graphql").read_text()
# The substring match `search` used before it ranked (page and count), for comparison: SQL only, no app.
SUBSTRING = [
    "SELECT id FROM packages WHERE name ILIKE $1 OR summary ILIKE $1 ORDER BY name, id LIMIT 21",
    "SELECT count(*) FROM packages WHERE name ILIKE $1 OR summary ILIKE $1",
]
PLAN = """EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON)
SELECT id FROM packages WHERE search_vector @@ websearch_to_tsquery('simple', $1)
ORDER BY CASE WHEN name = $2 THEN 0 ELSE 1 END,
         -(ts_rank('{0.1, 0.2, 0.4, 1.0}'::float4[], search_vector, websearch_to_tsquery('simple', $1))::float8), id
LIMIT 21"""


async def queries(url: str) -> dict[str, str]:
    bench = await BenchDatabase.open(url)
    try:
        conn = bench.conn
        common = await conn.fetchval(
            "SELECT word FROM unnest(ARRAY['json', 'http', 'data', 'web']) AS word ORDER BY"
            " (SELECT count(*) FROM packages WHERE search_vector @@ to_tsquery('simple', word)) DESC LIMIT 1"
        )
        rare = await conn.fetchval(
            "SELECT name FROM packages WHERE name ~ '^[a-z]+-[a-z]+-[a-z]+$' ORDER BY id LIMIT 1"
        )
        # Two words of the seed's vocabulary whose matches are nearest a few dozen: the same work at every scale.
        pairs = [f"{a} {b}" for i, a in enumerate(WORDS[:12]) for b in WORDS[i + 1 : 24]]
        counts = {
            pair: await conn.fetchval(
                "SELECT count(*) FROM packages WHERE search_vector @@ websearch_to_tsquery('simple', $1)", pair
            )
            for pair in pairs
        }
        dozens = min(pairs, key=lambda pair: (abs(counts[pair] - SEARCH_MATCHES_WANTED), pair))
        return {
            "bench query": await bench.search_query(),
            "few dozen": dozens,
            "common word": common,
            "three words": rare.replace("-", " "),
            "exact name": rare,
        }
    finally:
        await bench.close()


async def time_search(url: str, query: str, requests: int) -> tuple[list[float], int]:
    settings = Settings(
        database_url=url,
        graphiql=False,
        demo_data=False,
        environment="production",
        secret_key="search-scale-bench-signing-key-of-no-value",
    )
    engine = make_engine(url)
    app = create_app(settings, sessionmaker=make_sessionmaker(engine))
    timings = []
    total = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        body: dict[str, Any] = {"query": PAGE, "variables": {"query": query}}
        for i in range(requests + 5):
            start = time.perf_counter()
            response = await client.post("/graphql", json=body)
            elapsed = time.perf_counter() - start
            answer = response.json()
            if answer.get("errors"):
                raise SystemExit(f"{query!r}: {answer['errors']}")
            total = answer["data"]["search"]["totalCount"]
            if i >= 5:  # warm-up: plans, caches, the statement cache
                timings.append(elapsed)
    await engine.dispose()
    return timings, total


async def time_substring(url: str, query: str, requests: int) -> float:
    """The median time of the substring match's two statements, in SQL alone."""
    conn = await connect(url)
    timings = []
    try:
        for _ in range(requests):
            start = time.perf_counter()
            for statement in SUBSTRING:
                await conn.fetch(statement, f"%{query}%")
            timings.append(time.perf_counter() - start)
    finally:
        await conn.close()
    return statistics.median(timings)


async def plan(url: str, query: str, exact: str) -> str:
    conn = await connect(url)
    try:
        rows = await conn.fetch(PLAN, query, exact)
    finally:
        await conn.close()
    return "\n".join("      " + row[0] for row in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default="10000,100000", help="scales, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per query")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--plans", action="store_true", help="print PostgreSQL's plan of each query's page")
    args = parser.parse_args()
    scales = [int(n) for n in args.packages.split(",")]
    try:
        for packages in scales:
            url = f"{SERVER}/cheeseshop_bench_search_{packages}"
            await ensure_scale(url, packages)
            bench = await BenchDatabase.open(url)
            await bench.vacuum()
            await bench.close()
            print(f"\n{packages:,} packages, {args.requests} requests each")
            for label, query in (await queries(url)).items():
                timings, total = await time_search(url, query, args.requests)
                median, p90 = statistics.median(timings), statistics.quantiles(timings, n=10)[-1]
                times = f"median {median * 1000:6.2f} ms  p90 {p90 * 1000:6.2f} ms"
                substring = await time_substring(url, query, max(5, args.requests // 10))
                print(
                    f"  {label:12} {query!r:28} {total:6,} matches  {times}  (substring SQL {substring * 1000:.1f} ms)"
                )
                if args.plans:
                    print(await plan(url, query, query.replace(" ", "-")))
    finally:
        if not args.keep:
            control = await connect(with_database(SERVER, "postgres"))
            try:
                for packages in scales:
                    await control.execute(
                        f"DROP DATABASE IF EXISTS {quote_ident(f'cheeseshop_bench_search_{packages}')} WITH (FORCE)"
                    )
            finally:
                await control.close()


if __name__ == "__main__":
    asyncio.run(main())

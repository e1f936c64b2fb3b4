"""Time the workload queries in process: statements and latency per request. Prints numbers, asserts nothing.

python bench/run.py --packages 10000 --database-url postgresql://postgres@127.0.0.1/cheeseshop_bench
"""

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, select

import models
from app import Settings, create_app
from migrations.runner import upgrade
from models.db import make_engine, make_sessionmaker
from models.seed import is_empty, seed

HERE = Path(__file__).resolve().parent


async def main(args: argparse.Namespace) -> None:
    settings = Settings(database_url=args.database_url, graphiql=False, demo_data=False, secret_key="bench" * 8)
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    if await is_empty(engine):
        started = time.perf_counter()
        await seed(engine, packages=args.packages, seed=0)
        print(f"seeded {args.packages} packages in {time.perf_counter() - started:.1f} s")
    async with engine.connect() as conn:
        busiest = (
            await conn.execute(
                select(models.Package.name)
                .join(models.Release)
                .group_by(models.Package.id)
                .order_by(func.count().desc(), models.Package.id)
                .limit(1)
            )
        ).scalar_one()
        user_id = (await conn.execute(select(func.min(models.Maintainer.user_id)))).scalar_one()
    variables: dict[str, dict[str, Any]] = {
        "package_page": {"name": busiest},
        "search_page": {"query": "json"},
        "user_page": {"id": _global_id("User", user_id)},
    }

    statements: list[int] = [0]
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))

    app = create_app(settings, sessionmaker=make_sessionmaker(engine))
    results = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        for path in sorted((HERE / "queries").glob("*.graphql")):
            name = path.stem
            body = {"query": path.read_text(), "variables": variables.get(name, {})}
            for _ in range(3):  # warm up
                answer = (await http.post("/graphql", json=body)).json()
                assert not answer.get("errors"), answer["errors"]
            statements[0] = 0
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                await http.post("/graphql", json=body)
                timings.append(time.perf_counter() - started)
            timings.sort()
            results.append({
                "query": name,
                "statements_per_request": statements[0] / args.requests,
                "median_ms": statistics.median(timings) * 1000,
                "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000,
                "requests_per_s": args.requests / sum(timings),
            })  # fmt: skip
    await engine.dispose()

    print(f"\n{'query':<14} {'stmts/req':>9} {'median ms':>10} {'p99 ms':>8} {'req/s':>8}")
    for r in results:
        print(f"{r['query']:<14} {r['statements_per_request']:>9.1f} {r['median_ms']:>10.2f} "
              f"{r['p99_ms']:>8.2f} {r['requests_per_s']:>8.1f}")  # fmt: skip
    out = HERE / "results" / "run.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"packages": args.packages, "database": engine.dialect.name, "results": results}, indent=2)
    )
    print(f"\nwrote {out.relative_to(HERE.parent)}")


def _global_id(type_name: str, row_id: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, row_id)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite:///./bench.db")
    parser.add_argument("--packages", type=int, default=2000, help="seed this many packages into an empty database")
    parser.add_argument("--requests", type=int, default=50, help="sequential requests per query")
    asyncio.run(main(parser.parse_args()))

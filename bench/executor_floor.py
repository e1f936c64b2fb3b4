"""What graphql-core alone costs on a workload's answer: no database, no strawberry, no HTTP.

    python -m bench.executor_floor [--query deep_page] [--database-url postgresql://...]

Gets the workload's answer from the app (in process), then executes the same document with graphql-core over
that answer held in plain dicts, with default resolvers: first all of them synchronous, then with the
relationship fields as async resolvers, as the app has them. However fast the app loads its data, a request
cannot take less than this on one core. Then the app's own request, in process over its real loaders and the
database, with the planned executor and with graphql-core (`PLANNED_EXECUTION=false`), and which fields of
the plan still call their resolver once per parent (root fields, and what has no batch form). Prints numbers;
asserts nothing but that the answers agree.
"""

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from graphql import ExecutionResult, GraphQLObjectType, build_schema, execute, parse, print_schema, validate

from app import Settings, create_app
from bench.run import DEFAULT_URL
from bench.workloads import QUERIES_DIR
from models.db import make_engine, make_sessionmaker
from schema.execution.extension import plan_for
from schema.root import schema as app_schema


def answer_of(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(app_ms(url, query, variables, planned=True, times=1)[1])
    if body.get("errors"):
        raise SystemExit(f"the app answered with errors: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def app_ms(url: str, query: str, variables: dict[str, Any], *, planned: bool, times: int) -> tuple[float, bytes]:
    """The median of the app's requests, and its answer."""

    async def timed_requests() -> tuple[float, bytes]:
        spent = []
        settings = Settings(
            database_url=url, graphiql=False, demo_data=False, secret_key="x" * 32, planned_execution=planned
        )
        engine = make_engine(settings.database_url)
        app = create_app(settings, sessionmaker=make_sessionmaker(engine))
        body = {"query": query, "variables": variables}
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as http:
                answer = (await http.post("/graphql", json=body)).content  # warms the caches
                for _ in range(times):
                    started = time.perf_counter()
                    await http.post("/graphql", json=body)
                    spent.append(time.perf_counter() - started)
        finally:
            await engine.dispose()
        return statistics.median(spent) * 1000, answer

    return asyncio.run(timed_requests())


def timed(run: Callable[[], ExecutionResult], times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--query", default="deep_page", help="a workload of bench/queries/")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a seeded database (python -m bench.run makes one)")
    parser.add_argument("--variables", default="{}", help="the query's variables, as JSON")
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()

    path = QUERIES_DIR / f"{args.query}.graphql"
    if not path.is_file():
        raise SystemExit(f"no workload {args.query!r} in bench/queries/")
    query, variables = path.read_text(encoding="utf-8"), json.loads(args.variables)
    answer = answer_of(args.database_url, query, variables)

    # The app's own SDL: the same types, fields and arguments, with graphql-core's default resolvers.
    schema = build_schema(print_schema(app_schema._schema))
    document = parse(query)
    if errors := validate(schema, document):
        raise SystemExit(f"the document does not validate: {errors}")

    def run() -> ExecutionResult:
        result = execute(schema, document, root_value=answer, variable_values=variables)
        assert isinstance(result, ExecutionResult)
        return result

    synchronous = run()
    assert not synchronous.errors, synchronous.errors
    assert synchronous.data == answer, "graphql-core answered otherwise than the app"
    sync_ms = timed(run, args.times)

    async def resolve(source: dict[str, Any], info: Any, **_: Any) -> Any:
        return source[info.field_name]

    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for field in type_.fields.values():
                if isinstance(field.type, GraphQLObjectType) or field.args:  # relationships and connections
                    field.resolve = resolve

    async def run_async() -> ExecutionResult:
        result = execute(schema, document, root_value=answer, variable_values=variables)
        return await result if isinstance(result, Awaitable) else result

    def run_in_loop() -> ExecutionResult:
        return asyncio.run(run_async())

    asynchronous = run_in_loop()
    assert not asynchronous.errors, asynchronous.errors
    assert asynchronous.data == answer, "graphql-core answered otherwise than the app"
    async_ms = timed(run_in_loop, args.times)

    planned_ms, planned_answer = app_ms(args.database_url, query, variables, planned=True, times=args.times)
    core_ms, core_answer = app_ms(args.database_url, query, variables, planned=False, times=args.times)
    assert planned_answer == core_answer, "the planned executor answered otherwise than graphql-core"

    fields = _count_fields(answer)
    print(f"{args.query}: {fields} fields in the answer")
    found = plan_for(app_schema._schema, query, document, None, variables)
    if found is None:
        print("the planned executor gives this query back to graphql-core")
    else:
        per_parent = found[0].per_parent
        print(
            f"fields fed by their resolver, per parent: {len(per_parent)} ({', '.join(per_parent)}); the rest batched"
        )
    print(
        f"graphql-core, all resolvers synchronous:  {sync_ms:8.1f} ms median  ({1000 / sync_ms:6.1f} req/s on a core)"
    )
    print(
        f"graphql-core, relationship fields async:  {async_ms:8.1f} ms median  ({1000 / async_ms:6.1f} req/s on a core)"
    )
    print(f"the app's request, graphql-core:          {core_ms:8.1f} ms median  (database, loaders, in process)")
    print(f"the app's request, planned executor:      {planned_ms:8.1f} ms median  ({core_ms / planned_ms:4.1f}x)")


def _count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_fields(v) for v in value)
    return 0


if __name__ == "__main__":
    main()

"""Measuring the workloads on one server: first one client alone, then each workload under wrk's load."""

import asyncio
import itertools
import math
import statistics
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from bench.client import AnswerError, ask, timed_requests
from bench.compare import difference
from bench.database import BenchDatabase, StatementCounter
from bench.load import run_wrk
from bench.report import Result, Run
from bench.servers import Server, Variant, running
from bench.workloads import Workload, versions

WARMUP = 5  # requests per workload before measuring, each on a new connection, so every worker gets some...
WARMUP_SECONDS = 2.0  # ...or fewer, when they are slow
PAYLOAD = "ReleasePayload"  # what every publishRelease must answer with
SETTLED_CPU_SECONDS = 0.01  # a server that used less CPU than this in a quarter of a second is idle


@dataclass(frozen=True)
class Plan:
    """How much to measure: from the command line."""

    requests: int  # one after another, from one client...
    client_seconds: float  # ...or fewer, when they take longer than this
    duration: int  # seconds of wrk per workload; 0 for none
    connections: int
    settle_seconds: float  # how long to wait for a server to finish the requests wrk left in flight


class Bench:
    """Measures the workloads on one server after another; keeps every result and each variant's first answers."""

    def __init__(
        self,
        plan: Plan,
        run: Run,
        workloads: list[Workload],
        database: BenchDatabase,
        counter: StatementCounter | None,
        token: str | None,
    ) -> None:
        self.plan, self.run, self.workloads = plan, run, workloads
        self.database, self.counter, self.token = database, counter, token
        self.answers: dict[str, dict[str, Any]] = {}  # workload -> variant label -> first answer
        self.majors = itertools.count(1)  # a major version of its own for every batch of publishRelease requests

    async def measure(self, variant: Variant, env: dict[str, str], one_client: bool) -> None:
        """Every workload on a new server: answers (and, if `one_client`, latency and SQL), then each under load.

        A server still busy with what wrk left in flight is replaced by a fresh one for the next workload. The
        publish mix runs last in each phase, and what it published is deleted after it, so that every read sees
        the seeded data.
        """
        print(f"\n{variant.label}: uvicorn {variant.target}, {variant.workers} worker process(es)")
        results = {workload.name: Result(workload.name, variant.label) for workload in self.workloads}
        self.run.results.extend(results.values())
        under_load = self.workloads if self.plan.duration > 0 else []
        first = True
        while first or under_load:
            async with running(variant, env) as server:
                if first:
                    for workload in self.workloads:
                        result = results[workload.name]
                        await attempt(result, self.alone(server, workload, result, one_client))
                        print(f"  {workload.name:<15} {alone_progress(result)}")
                    await self.forget_published()
                    first = False
                under_load = await self.load_phase(server, under_load, results)
                self.keep_memory(server)
        await self.forget_published()

    async def load_phase(self, server: Server, workloads: list[Workload], results: dict[str, Result]) -> list[Workload]:
        """Each workload under load, until one leaves the server busy: the workloads left for a fresh server."""
        for index, workload in enumerate(workloads):
            result = results[workload.name]
            if result.error is not None:
                continue
            await attempt(result, self.under_load(server, workload, result))
            print(f"  {workload.name:<15} {load_progress(result)}")
            if not await self.settled(server) and index + 1 < len(workloads):
                print(f"  (still busy {self.plan.settle_seconds:.0f} s later: a fresh server for what follows)")
                return workloads[index + 1 :]
        return []

    def keep_memory(self, server: Server) -> None:
        """The peak memory of the server's processes; of several servers in turn, the largest."""
        found = server.memory()
        kept = self.run.memory.get(server.variant.label, [])
        if sum(process.peak_rss_kib for process in found) > sum(process.peak_rss_kib for process in kept):
            self.run.memory[server.variant.label] = found

    async def warm_up(self, server: Server, workload: Workload) -> None:
        """A few requests, each answer checked; the first one is kept, to compare with the other variants'."""
        token, typename = self.auth(workload)
        warming = time.monotonic()
        for body in self.bodies(workload, WARMUP):
            answer = await asyncio.to_thread(ask, server.url, body, token, typename)
            self.answers.setdefault(workload.name, {}).setdefault(server.variant.label, answer)
            if time.monotonic() - warming > WARMUP_SECONDS:
                break

    async def alone(self, server: Server, workload: Workload, result: Result, one_client: bool) -> None:
        """Warm up, then, if `one_client`, time requests one after another and count their SQL."""
        await self.warm_up(server, workload)
        if not one_client:
            return
        token, typename = self.auth(workload)
        bodies = self.bodies(workload, self.plan.requests)
        if self.counter is not None:
            await self.counter.reset()
        seconds = self.plan.client_seconds
        timings = sorted(await asyncio.to_thread(timed_requests, server.url, bodies, token, typename, seconds))
        if self.counter is not None:
            result.sql = await self.counter.read(len(timings))
        result.requests = len(timings)
        result.median_ms = statistics.median(timings) * 1000
        result.p99_ms = timings[math.ceil(len(timings) * 0.99) - 1] * 1000

    async def under_load(self, server: Server, workload: Workload, result: Result) -> None:
        await self.warm_up(server, workload)  # the server may be a fresh one
        token, _ = self.auth(workload)
        published = await self.database.published()
        result.load = await run_wrk(
            server.url,
            workload.body(),
            connections=self.plan.connections,
            seconds=self.plan.duration,
            token=token,
            version_major=next(self.majors),
        )
        if result.load.failed:
            raise AnswerError(f"{result.load.failed} of {result.load.requests} requests failed under load")
        if workload.publishes and await self.database.published() - published < result.load.requests:
            raise AnswerError("under load, some publishRelease requests published nothing")

    async def settled(self, server: Server) -> bool:
        """Whether the server and the database fall idle soon: wrk leaves up to --connections requests in flight."""
        deadline = time.monotonic() + self.plan.settle_seconds
        cpu = server.cpu_seconds()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            before, cpu = cpu, server.cpu_seconds()
            if cpu - before < SETTLED_CPU_SECONDS and not await self.database.busy_sessions():
                return True
        return False

    async def forget_published(self) -> None:
        if any(workload.publishes for workload in self.workloads):
            await self.database.remove_published()

    def auth(self, workload: Workload) -> tuple[str | None, str | None]:
        """The token and the answer type a workload needs: only the publish mix signs in."""
        return (self.token, PAYLOAD) if workload.publishes else (None, None)

    def bodies(self, workload: Workload, count: int) -> list[bytes]:
        if workload.publishes:
            return [workload.body(version) for version in versions(next(self.majors), count)]
        return [workload.body()] * count

    def compare(self) -> None:
        """Whether each variant's first answer differs from the first variant's (the app's when it ran)."""
        for workload in self.workloads:
            answers = self.answers.get(workload.name, {})
            if not answers:
                continue
            reference, *others = answers
            for other in others:
                if other.split("-")[0] == reference.split("-")[0]:
                    continue  # the same code with more workers
                where = difference(answers[reference], answers[other], publishes=workload.publishes)
                self.run.comparisons += 1
                if where is not None:
                    self.run.mismatches.append(f"{workload.name}: {other} differs from {reference} at {where}")


async def attempt(result: Result, measuring: Awaitable[None]) -> None:
    """Run one measurement; an answer with errors is kept as the result's error, and said loudly."""
    try:
        await measuring
    except AnswerError as error:
        result.error = str(error)
        print(f"!!! {result.variant} {result.workload}: {error}")


def alone_progress(result: Result) -> str:
    if result.error:
        return "FAILED"
    parts = []
    if result.sql is not None:
        parts.append(f"{result.sql.statements:.1f} statements/request")
    if result.median_ms is not None:
        parts.append(f"median {result.median_ms:.2f} ms of {result.requests} requests")
    return ", ".join(parts) or "answered"


def load_progress(result: Result) -> str:
    if result.error or result.load is None:
        return "FAILED"
    load = result.load
    return f"{load.requests_per_s:.1f} req/s under load (p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms)"

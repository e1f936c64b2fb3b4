"""The numbers of a run: one row per workload and variant, the throughput ratios, memory, and the JSON file."""

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.database import SqlCounts
from bench.load import Load
from bench.servers import ProcessMemory

# (app-like variant, baseline) pairs whose req/s ratios are printed.
RATIOS = (("app", "floor"), ("app", "naive"), ("app-2w", "app"))


@dataclass
class Result:
    """One workload on one variant; what was not measured stays None."""

    workload: str
    variant: str
    sql: SqlCounts | None = None
    requests: int | None = None  # timed one after another, from one client
    median_ms: float | None = None
    p99_ms: float | None = None
    load: Load | None = None
    error: str | None = None


@dataclass
class Run:
    """Everything a run found, as written to JSON."""

    settings: dict[str, Any]
    variables: dict[str, dict[str, Any]]
    results: list[Result] = field(default_factory=list)
    memory: dict[str, list[ProcessMemory]] = field(default_factory=dict)
    comparisons: int = 0  # answers compared with the app's
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def requests_per_s(self, workload: str, variant: str) -> float | None:
        for result in self.results:
            if result.workload == workload and result.variant == variant and result.load and not result.error:
                return result.load.requests_per_s
        return None

    def ratios(self) -> dict[str, dict[str, float]]:
        """req/s of one variant over another's, per workload, for the pairs in `RATIOS` that were measured."""
        found: dict[str, dict[str, float]] = {}
        for top, bottom in RATIOS:
            for workload in dict.fromkeys(result.workload for result in self.results):
                over, under = self.requests_per_s(workload, top), self.requests_per_s(workload, bottom)
                if over is not None and under:
                    found.setdefault(f"{top}/{bottom}", {})[workload] = over / under
        return found

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**dataclasses.asdict(self), "ratios": self.ratios()}
        path.write_text(json.dumps(data, indent=2) + "\n")


def number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(run: Run) -> str:
    header = (
        f"{'workload':<15} {'variant':<9} {'stmts/req':>9} {'of which tx':>11} {'rows/req':>9} "
        f"{'median ms':>9} {'p99 ms':>8} {'req/s':>8} {'load p50':>9} {'load p99':>9}"
    )
    lines = [header, "-" * len(header)]
    workloads = list(dict.fromkeys(result.workload for result in run.results))
    variants = list(dict.fromkeys(result.variant for result in run.results))
    previous = None
    for result in sorted(run.results, key=lambda r: (workloads.index(r.workload), variants.index(r.variant))):
        if previous is not None and result.workload != previous:
            lines.append("")
        previous = result.workload
        if result.error:
            lines.append(f"{result.workload:<15} {result.variant:<9} FAILED: {result.error.splitlines()[0][:80]}")
            continue
        sql, load = result.sql, result.load
        too_short = load is not None and load.requests < run.settings["connections"]
        latency = load if load is not None and load.requests > 0 else None
        lines.append(
            f"{result.workload:<15} {result.variant:<9} "
            f"{number(sql.statements if sql else None):>9} "
            f"{number(sql.transaction_control if sql else None):>11} "
            f"{number(sql.rows if sql else None):>9} "
            f"{number(result.median_ms, 2):>9} {number(result.p99_ms, 2):>8} "
            f"{number(load.requests_per_s if load else None) + '*' * too_short:>8} "
            f"{number(latency.p50_ms if latency else None):>9} {number(latency.p99_ms if latency else None):>9}"
        )
    if any(r.load and r.load.requests < run.settings["connections"] for r in run.results if not r.error):
        lines.append("* fewer requests done than connections: too short a --duration for this workload")
    return "\n".join(lines)


def ratio_table(run: Run) -> str:
    ratios = run.ratios()
    if not ratios:
        return ""
    workloads = list(dict.fromkeys(result.workload for result in run.results))
    lines = [f"{'req/s ratio':<15} " + " ".join(f"{pair:>12}" for pair in ratios)]
    for workload in workloads:
        lines.append(f"{workload:<15} " + " ".join(f"{number(ratios[pair].get(workload), 2):>12}" for pair in ratios))
    return "\n".join(lines)


def memory_table(run: Run) -> str:
    lines = ["peak RSS (VmHWM, after the run)"]
    for variant, processes in run.memory.items():
        total = sum(process.peak_rss_kib for process in processes) / 1024
        each = ", ".join(f"{process.peak_rss_kib / 1024:.0f}" for process in processes)
        lines.append(f"  {variant:<9} {total:7.1f} MiB  ({len(processes)} processes: {each} MiB)")
    return "\n".join(lines)


def render(run: Run) -> str:
    parts = [table(run), ratio_table(run), memory_table(run)]
    if run.comparisons and not run.mismatches:
        parts.append(f"answers: the baselines answered as the app did ({run.comparisons} comparisons)")
    if run.mismatches:
        parts.append("\n".join(["!" * 80, "ANSWERS DIFFER FROM THE APP'S:", *run.mismatches, "!" * 80]))
    failed = [result for result in run.results if result.error]
    if failed:
        parts.append("\n".join(["!" * 80, "FAILED:", *(f"{r.variant} {r.workload}: {r.error}" for r in failed)]))
    return "\n\n".join(part for part in parts if part)

"""Throughput under load, from `wrk` in a process of its own: requests per second and latency percentiles."""

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "wrk" / "post.lua"
SUMMARY = "BENCH-WRK "  # how the script's done() marks its line


@dataclass(frozen=True)
class Load:
    """What wrk saw over the whole run."""

    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    failed: int  # responses other than 2xx/3xx, and socket errors and timeouts

    @classmethod
    def parse(cls, output: str) -> "Load":
        line = next((line for line in output.splitlines() if line.startswith(SUMMARY)), None)
        if line is None:
            raise RuntimeError(f"wrk printed no summary:\n{output}")
        found = json.loads(line.removeprefix(SUMMARY))
        seconds = found["duration_us"] / 1e6
        failed = sum(found[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors"))
        return cls(
            requests=found["requests"],
            seconds=seconds,
            requests_per_s=found["requests"] / seconds,
            p50_ms=found["p50_us"] / 1000,
            p75_ms=found["p75_us"] / 1000,
            p90_ms=found["p90_us"] / 1000,
            p99_ms=found["p99_us"] / 1000,
            max_ms=found["max_us"] / 1000,
            failed=failed + found["timeouts"],
        )


def wrk_command() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    return found


async def run_wrk(
    url: str, body: bytes, *, connections: int, seconds: int, token: str | None = None, version_major: int = 0
) -> Load:
    """POST `body` to `url` over `connections` keep-alive connections for `seconds`."""
    threads = max(1, min(connections, os.cpu_count() or 1))
    with tempfile.NamedTemporaryFile(prefix="cheeseshop-bench-", suffix=".json") as body_file:
        body_file.write(body)
        body_file.flush()
        env = {
            **os.environ,
            "BENCH_BODY_FILE": body_file.name,
            "BENCH_TOKEN": token or "",
            "BENCH_VERSION_MAJOR": str(version_major),
        }
        process = await asyncio.create_subprocess_exec(
            *(wrk_command(), "--threads", str(threads), "--connections", str(connections)),
            *("--duration", f"{seconds}s", "--timeout", "60s", "--latency", "--script", str(SCRIPT), url),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await process.communicate())[0].decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    return Load.parse(output)

"""One uvicorn server per variant: started, waited for, measured for memory, stopped."""

import asyncio
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"app": "app:app", "naive": "bench.naive:app", "floor": "bench.floor:app"}
# What uvicorn logs once a worker has run its lifespan startup (or found the app has none).
STARTED = ("Application startup complete.", "ASGI 'lifespan' protocol appears unsupported.")
START_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Variant:
    """What serves the workload: the app, a baseline, and how many worker processes."""

    name: str
    workers: int = 1

    @property
    def label(self) -> str:
        return self.name if self.workers == 1 else f"{self.name}-{self.workers}w"

    @property
    def target(self) -> str:
        return TARGETS[self.name]


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    command: str
    peak_rss_kib: int  # VmHWM


class Server:
    """A running uvicorn process (and its workers) on a free local port."""

    def __init__(self, variant: Variant, process: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.variant, self.process, self.port, self.log = variant, process, port, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    async def wait_ready(self) -> None:
        """Until every worker has started and the port accepts connections; fails when the server exits."""
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        while True:
            if self.process.returncode is not None:
                raise SystemExit(f"{self.variant.label} exited while starting:\n{self.log_tail()}")
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit(f"{self.variant.label} did not start in {START_TIMEOUT:.0f} s:\n{self.log_tail()}")
            log = self.log.read_text(errors="replace")
            if sum(log.count(line) for line in STARTED) >= self.variant.workers and await self.accepts():
                return
            await asyncio.sleep(0.1)

    async def accepts(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """CPU time the server process and its workers have used so far."""
        return sum(process_cpu_seconds(pid) for pid in process_tree(self.process.pid))

    def memory(self) -> list[ProcessMemory]:
        """Peak resident memory (VmHWM) of the server process and its children, the workers."""
        return [usage for pid in process_tree(self.process.pid) if (usage := process_memory(pid)) is not None]

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def running(variant: Variant, env: dict[str, str]) -> AsyncIterator[Server]:
    """A server for `variant`, stopped when the block ends, however it ends."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", variant.target, "--host", "127.0.0.1", "--port", str(port)),
        *("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "info"),
        *(("--workers", str(variant.workers)) if variant.workers > 1 else ()),
    ]
    with tempfile.TemporaryDirectory(prefix="cheeseshop-bench-") as folder:
        log = Path(folder) / "server.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=output, stderr=output
            )
        server = Server(variant, process, port, log)
        try:
            await server.wait_ready()
            yield server
        finally:
            await server.stop()


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # utime and stime, fields 14 and 15 of stat(5), counted from the state, field 3.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_memory(pid: int) -> ProcessMemory | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return ProcessMemory(pid=pid, command=command, peak_rss_kib=int(line.split()[1]))
    return None

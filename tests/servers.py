"""The app as a real server process on a free loopback port, for tests that need one."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`python -m app serve` with `args`, or with `asgi` ("module:attribute") uvicorn serving that app, started
    in `cwd` with the environment and `env` (DATABASE_URL only from `env`: the default is the embedded SQLite
    file in `cwd`). Its output goes to a log file in `cwd`. Entered once `/readyz` answers 200; left, stopped."""

    def __init__(
        self,
        cwd: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        asgi: str | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | dict(env or {})
        command = ["app", "serve"] if asgi is None else ["uvicorn", asgi]
        self.log = cwd / f"server-{self.port}.log"
        with self.log.open("wb") as log:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen(
                [python, "-m", *command, "--port", str(self.port), *args],
                cwd=cwd,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @classmethod
    def with_test_settings(cls, cwd: Path, *args: str, **env: str) -> "Server":
        """The app of this source tree with the suite's signing key, no demo data and no GraphiQL, unless `env`
        says otherwise."""
        defaults = {"SECRET_KEY": TEST_SECRET, "DEMO_DATA": "false", "GRAPHIQL": "false", "PYTHONPATH": str(ROOT)}
        return cls(cwd, *args, env=defaults | env)

    def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited: {self.output()}"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not get ready within {within} s: {self.output()}")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait(self, within: float) -> int:
        """The exit status, which must come within `within` seconds."""
        return self.process.wait(timeout=within)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, as a server is stopped in production; SIGKILL if it is still running 30 s later."""
        if self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Server":
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


@contextmanager
def serving(
    folder: Path, *, python: str = sys.executable, env: Mapping[str, str] | None = None, asgi: str | None = None
) -> Iterator[str]:
    """The base URL of a ready `Server` (see there) started in `folder`, stopped when the block ends."""
    with Server(folder, env=env, python=python, asgi=asgi) as server:
        yield server.url

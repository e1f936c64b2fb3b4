"""`python -m app serve` in a subprocess of the test's own, on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import time
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
    def __init__(self, cwd: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "SECRET_KEY": TEST_SECRET, "DEMO_DATA": "false", "GRAPHIQL": "false", **env}
        environment["PYTHONPATH"] = str(ROOT)
        self.log = cwd / f"server-{self.port}.log"
        with self.log.open("wb") as log:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--port", str(self.port), *args],
                cwd=cwd,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited: {self.output()}"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not get ready: {self.output()}")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait(self, within: float) -> int:
        """The exit status, which must come within `within` seconds."""
        return self.process.wait(timeout=within)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Server":
        self.wait_ready()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

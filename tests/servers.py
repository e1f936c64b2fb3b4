"""The app as a real server process, `python -m app serve` on a free loopback port, for tests that need one."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(
    folder: Path,
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    asgi: str | None = None,
) -> Iterator[str]:
    """The base URL of the app served from `folder` (its working folder), ready once `/readyz` answers 200; its
    output goes to server.log. `asgi` ("module:attribute") serves that app with uvicorn instead of this one."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | (env or {})
    log = folder / "server.log"
    command = ["app", "serve"] if asgi is None else ["uvicorn", asgi]
    with (
        log.open("w") as output,
        subprocess.Popen(
            [python, "-m", *command, "--port", str(port)],
            cwd=folder,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        ) as server,
    ):
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"the server did not become ready within {timeout} s"
                time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)

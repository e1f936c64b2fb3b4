"""What each request pays for its id, log line and metrics: `{ __typename }` requests per second, one client.

    python -m bench.request_overhead                        # this checkout, LOG_LEVEL INFO and WARNING
    python -m bench.request_overhead --source /path/to/other/checkout   # the same against another tree

Each round starts `uvicorn app:app` (uvloop, httptools) from each source on an empty SQLite file and sends
`--requests` POSTs one after another over one keep-alive connection, alternating sources round by round so
that a noisy machine weighs on both alike. It prints requests per second per round and the median.
"""

import argparse
import asyncio
import io
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"query": "{ __typename }"}).encode()
REQUEST = (
    b"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


def rate(source: Path, requests: int, env: dict[str, str]) -> float:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        environment = {
            **os.environ,
            "PYTHONPATH": str(source),
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "SECRET_KEY": "x" * 40,
            "GRAPHIQL": "false",
            **env,
        }
        command = [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--loop", "uvloop"]
        command += ["--http", "httptools", "--no-access-log"]
        server = subprocess.Popen(command, cwd=source, env=environment, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            # A bare socket: an HTTP client library would cost about as much per request as the server does.
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for _ in range(200):  # warm up
                    exchange(sock)
                started = time.perf_counter()
                for _ in range(requests):
                    exchange(sock)
                return requests / (time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait()


def exchange(sock: socket.socket) -> None:
    """One request, and its whole answer read (headers, then Content-Length bytes)."""
    sock.sendall(REQUEST)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)


async def middleware_cost(calls: int) -> tuple[float, float]:
    """Microseconds per request of RequestLog around an app that answers at once: with its log line, without."""
    from starlette.types import Message, Receive, Scope, Send

    from web.logs import JsonFormatter
    from web.request_log import RequestLog

    async def bare(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        pass

    scope: Scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [(b"host", b"bench")]}
    handler = logging.StreamHandler(io.StringIO())  # formatted and written, as to stderr, but kept in memory
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("cheeseshop.request")
    logger.addHandler(handler)
    logger.propagate = False
    results = []
    for level in (logging.INFO, logging.WARNING):
        logger.setLevel(level)
        for app in (bare, RequestLog(bare)):
            started = time.perf_counter()
            for _ in range(calls):
                await app(scope, receive, send)
            results.append((time.perf_counter() - started) / calls * 1e6)
    return results[1] - results[0], results[3] - results[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, action="append", default=[], help="another checkout to compare")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=50_000, help="calls of the middleware alone")
    args = parser.parse_args()
    logged, silent = asyncio.run(middleware_cost(args.calls))
    print(f"RequestLog per request: {logged:.1f} µs with its JSON line, {silent:.1f} µs at LOG_LEVEL=WARNING")
    variants = [(f"{ROOT.name} LOG_LEVEL=INFO", ROOT, {"LOG_LEVEL": "INFO"})]
    variants.append((f"{ROOT.name} LOG_LEVEL=WARNING", ROOT, {"LOG_LEVEL": "WARNING"}))
    variants += [(str(source), source, {}) for source in args.source]
    results: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    for _ in range(args.rounds):
        for label, source, env in variants:
            results[label].append(rate(source, args.requests, env))
    for label, rates in results.items():
        listed = ", ".join(f"{r:.0f}" for r in rates)
        print(f"{label:50} median {statistics.median(rates):6.0f} req/s  ({listed})")


if __name__ == "__main__":
    main()

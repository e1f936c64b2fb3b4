"""SIGTERM to `python -m app serve`: requests in flight get their answers, subscriptions are closed with 1001
(Going Away), then the process exits 0 in time."""

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest

from tests.live import socket_to
from tests.servers import Server

SUBSCRIPTION = "subscription { releasePublished { version } }"
QUERY = json.dumps({"query": "query Slow { stats { packageCount } }"}).encode()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The embedded SQLite default (migrated at start, in the test's folder), or the run's PostgreSQL database."""
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres_database")}


def start_request(port: int) -> socket.socket:
    """A POST whose headers and half of whose body are sent: in flight until the rest comes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len(QUERY)}\r\n\r\n"
    )
    sock.sendall(head.encode() + QUERY[:10])
    return sock


def read_answer(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_request_in_flight_is_answered_after_sigterm(tmp_path: Path, database_env: dict[str, str]) -> None:
    with Server.with_test_settings(tmp_path, SHUTDOWN_TIMEOUT_SECONDS="10", **database_env) as server:
        sock = start_request(server.port)
        time.sleep(0.3)  # the server has read the headers: the request is in flight
        server.terminate()
        time.sleep(0.5)
        assert server.process.poll() is None, "the server must wait for the request in flight"
        sock.sendall(QUERY[10:])
        answer = read_answer(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert answer.endswith(b'{"data":{"stats":{"packageCount":0}}}'), answer
        started = time.monotonic()
        assert server.wait(within=5) == 0, server.output()
        assert time.monotonic() - started < 5
        assert "Waiting for connections to close" in server.output()


def test_a_request_that_outlives_the_bound_is_cut_and_the_process_still_exits(tmp_path: Path) -> None:
    with Server.with_test_settings(tmp_path, SHUTDOWN_TIMEOUT_SECONDS="1") as server:
        sock = start_request(server.port)
        time.sleep(0.3)
        started = time.monotonic()
        server.terminate()
        status = server.wait(within=5)
        took = time.monotonic() - started
        sock.close()
        assert status == 0, server.output()
        assert 0.9 < took < 3, f"exited after {took:.2f} s with a 1 s bound"


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sigterm_closes_an_open_subscription_with_going_away(
    tmp_path: Path, database_env: dict[str, str], workers: str
) -> None:
    with Server.with_test_settings(tmp_path, "--workers", workers, **database_env) as server:
        async with socket_to(server.port) as sock:
            await sock.init()
            await sock.subscribe("1", SUBSCRIPTION)
            await sock.send({"type": "ping"})
            assert await sock.receive() == {"type": "pong"}  # the subscribe before it has been read
            server.terminate()
            code, reason = await sock.closed(within=10)
        status = await asyncio.to_thread(server.wait, 10)
    assert (code, reason) == (1001, "The server is shutting down."), server.output()
    assert status == 0, server.output()

"""A client that leaves takes its work with it; on a real server, because only a socket can really go away."""

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from models.db import AnyRow, Db, Maker, Params
from tests.conftest import SqlCounter, settings_for_tests

STATS = "{ stats { packageCount } }"
CLASSIFIERS = "{ classifiers(first: 1) { edges { node { name } } } }"
CANCELLED = "client disconnected before its answer started"


class Gate:
    """Holds the first statement's request after the statement ran, its transaction open, until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered, self.release, self.passed, self.used = asyncio.Event(), asyncio.Event(), 0, False
        original = Db.rows

        async def rows(db: Db, stmt: Executable, params: Params | None = None) -> list[AnyRow]:
            found = await original(db, stmt, params)
            if not self.used:
                self.used = True
                self.entered.set()
                await self.release.wait()
                self.passed += 1
            return found

        monkeypatch.setattr(Db, "rows", rows)

    async def __aenter__(self) -> "Gate":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()  # whatever happened, the server can then finish what it holds and stop


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[int]:
    """The app on a uvicorn server in this event loop; its port."""
    listening = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog until uvicorn serves
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        listening.close()


async def send_request(port: int, query: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = orjson.dumps({"query": query})
    head = f"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    return reader, writer


async def leave(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    return int(head.split(b" ")[1]), orjson.loads(await reader.readexactly(length))


class Cancellations(logging.Handler):
    """Hears the edge's log line for a request cancelled because its client left."""

    def __init__(self) -> None:
        super().__init__()
        self.heard = asyncio.Event()
        logging.getLogger("web.middleware").addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if CANCELLED in record.getMessage():
            self.heard.set()

    async def wait(self) -> None:
        async with asyncio.timeout(10):
            await self.heard.wait()
        logging.getLogger("web.middleware").removeHandler(self)


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_query_whose_client_left_while_it_waited_for_a_slot_never_starts(
    sessionmaker: Maker, sql: SqlCounter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gate, cancellations = Gate(monkeypatch), Cancellations()
    app = create_app(settings_for_tests(max_concurrent_operations=1), sessionmaker=sessionmaker)
    async with served(app) as port, gate:
        holder, holding = await send_request(port, STATS)
        await gate.entered.wait()  # the one slot is taken
        with sql.expect(0):
            _, waiting = await send_request(port, CLASSIFIERS)
            await asyncio.sleep(0.2)  # read and parsed, now waiting for the slot
            await leave(waiting)
            await cancellations.wait()
            gate.release.set()
            status, body = await answer(holder)
        assert (status, body) == (200, {"data": {"stats": {"packageCount": 0}}})
        with sql.count() as seen:  # the same request, with a client that stays, does run
            again, staying = await send_request(port, CLASSIFIERS)
            assert await answer(again) == (200, {"data": {"classifiers": {"edges": []}}})
        assert seen
        await leave(holding)
        await leave(staying)
    no_errors_logged(caplog)


async def test_a_query_whose_client_left_while_it_executed_stops_and_gives_its_connection_back(
    engine: AsyncEngine, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gate, cancellations = Gate(monkeypatch), Cancellations()
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port, gate:
        _, writer = await send_request(port, STATS)
        await gate.entered.wait()
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # a QueuePool on both backends
        await leave(writer)
        await cancellations.wait()
        assert gate.passed == 0, "the query stopped where it was"
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    no_errors_logged(caplog)
    [line] = [record.fields for record in caplog.records if record.name == "cheeseshop.request"]  # type: ignore[attr-defined]
    assert (line["status"], line["outcome"], line["sql_statements"]) == (499, "disconnected", 1)


@pytest.mark.parametrize(
    ("subprotocol", "status"),
    [("graphql-transport-ws", b"101"), ("graphql-ws", b"403"), (None, b"403"), ("garbage", b"403")],
)
async def test_a_websocket_handshake_is_answered_on_the_wire_101_for_graphql_transport_ws_only(
    subprotocol: str | None, status: bytes, sessionmaker: Maker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with served(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        offered = "" if subprotocol is None else f"Sec-WebSocket-Protocol: {subprotocol}\r\n"
        writer.write(
            (
                "GET /graphql HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offered}\r\n"
            ).encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        await leave(writer)
    assert status_line.startswith(b"HTTP/1.1 " + status), status_line
    no_errors_logged(caplog)

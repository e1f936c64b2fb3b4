"""Helpers for the live tests: the app on a real server, and a `graphql-transport-ws` client spoken by hand."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = "graphql-transport-ws"
WAIT = 5.0  # seconds any one expected message may take; a test that waits this long has failed


@asynccontextmanager
async def served(app: FastAPI, *, lifespan: bool = True) -> AsyncIterator[int]:
    """The app on a uvicorn server in this event loop, with its lifespan unless told otherwise; its port."""
    listening = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, lifespan="on" if lifespan else "off", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:  # noqa: ASYNC110  # uvicorn has no event for it
            await asyncio.sleep(0.01)
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        listening.close()


class Socket:
    """One client connection; `closed()` waits for the server to close it and says how."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: Any) -> None:
        await self.connection.send(message if isinstance(message, str | bytes) else orjson.dumps(message).decode())

    async def receive(self, within: float = WAIT) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.connection.recv(), within)
        assert isinstance(frame, str), f"a binary frame, where the protocol sends text: {frame!r}"
        message: dict[str, Any] = orjson.loads(frame)
        return message

    async def init(self, payload: dict[str, Any] | None = None) -> None:
        await self.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        assert await self.receive() == {"type": "connection_ack"}

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send({"type": "subscribe", "id": id, "payload": {"query": query, "variables": variables}})

    async def closed(self, within: float = WAIT) -> tuple[int | None, str]:
        """The close code and reason, after any messages still on their way."""
        try:
            async with asyncio.timeout(within):
                async for _ in self.connection:
                    pass
        except ConnectionClosed:
            pass
        return self.connection.close_code, self.connection.close_reason or ""


@asynccontextmanager
async def socket_to(port: int, subprotocols: tuple[str, ...] = (PROTOCOL,)) -> AsyncIterator[Socket]:
    offered = [Subprotocol(name) for name in subprotocols] or None  # an empty list would send an empty header
    async with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=offered, open_timeout=WAIT) as ws:
        yield Socket(ws)

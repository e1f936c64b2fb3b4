"""A TCP proxy on loopback that tests put between the app and PostgreSQL, to cut the database off at will.

`forward()` relays bytes both ways; `refuse()` closes the listening socket and resets every open
connection, so connecting is refused at once; `partition()` accepts connections and keeps them, and the open
ones, silent (nothing relayed either way), as a network that drops packets does.
"""

import asyncio
import contextlib
import socket
import struct
from typing import Literal

Mode = Literal["forward", "refuse", "partition"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._resumed = asyncio.Event()
        self._resumed.set()

    async def start(self) -> None:
        await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def forward(self) -> None:
        self.mode = "forward"
        if self._server is None:
            await self._listen()
        self._resumed.set()

    async def partition(self) -> None:
        self.mode = "partition"
        self._resumed.clear()
        if self._server is None:
            await self._listen()

    async def refuse(self) -> None:
        self.mode = "refuse"
        self._resumed.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def close(self) -> None:
        """Refuse, and wait for every connection's handler to end (they do once refused)."""
        await self.refuse()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            await self._resumed.wait()  # a partition: accepted, and then nothing
            if self.mode != "forward":
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            self._writers.add(upstream_writer)
            await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            if handler is not None:
                self._handlers.discard(handler)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self._resumed.is_set():  # partitioned while open: held back, as TCP retries, until it heals
                    await self._resumed.wait()
                    if self.mode != "forward":
                        return
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(OSError):
                writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, as a host that went away answers, rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()

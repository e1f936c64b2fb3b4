"""The process's live machinery: its broadcaster, its listener on PostgreSQL, and its open sockets."""

import asyncio
from typing import Protocol

from sqlalchemy.engine import URL

from live.broadcaster import Broadcaster
from live.listener import Listener

GOING_AWAY = 1001  # the WebSocket close code for a server that shuts down


class Closable(Protocol):
    async def close(self, code: int, reason: str) -> None: ...


class Live:
    """Started and stopped with the app (its lifespan), whoever made the engine."""

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self.listener: Listener | None = None
        self.sockets: set[Closable] = set()

    async def start(self, url: URL) -> None:
        """On PostgreSQL (the URL of the app's engine), listen for every process's events."""
        if url.get_backend_name() == "postgresql":
            self.listener = Listener(url, self.broadcaster)
            self.listener.start()

    async def stop(self) -> None:
        """Close every open socket with 1001, end every subscription, then the listener."""
        self.broadcaster.close()
        await asyncio.gather(
            *(socket.close(GOING_AWAY, "The server is shutting down.") for socket in list(self.sockets)),
            return_exceptions=True,
        )
        if self.listener is not None:
            await self.listener.stop()

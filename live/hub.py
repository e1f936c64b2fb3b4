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

    def __init__(self, *, probe_every: float, timeout: float) -> None:
        """`probe_every` and `timeout`: the PostgreSQL listener's (see `Listener`)."""
        self.probe_every, self.timeout = probe_every, timeout
        self.broadcaster = Broadcaster()
        self.listener: Listener | None = None
        self.sockets: set[Closable] = set()

    async def start(self, url: URL) -> None:
        """On PostgreSQL (the URL of the app's engine), listen for every process's events."""
        RUNNING.add(self)
        if url.get_backend_name() == "postgresql":
            self.listener = Listener(url, self.broadcaster, probe_every=self.probe_every, timeout=self.timeout)
            self.listener.start()

    async def go_away(self) -> None:
        """End every subscription and close every open socket with 1001; new sockets are refused from now on."""
        self.broadcaster.close()
        await asyncio.gather(
            *(socket.close(GOING_AWAY, "The server is shutting down.") for socket in list(self.sockets)),
            return_exceptions=True,
        )

    async def stop(self) -> None:
        """Close what is still open (see `go_away`), then the listener."""
        RUNNING.discard(self)
        await self.go_away()
        if self.listener is not None:
            await self.listener.stop()


# The started `Live` of this process (one per app), for a server that closes their sockets before its own
# shutdown closes every connection (with 1012, "service restart") and only then ends the apps' lifespans.
RUNNING: set[Live] = set()


async def go_away() -> None:
    """`Live.go_away` for every app running in this process."""
    await asyncio.gather(*(live.go_away() for live in list(RUNNING)))

"""Fan-out of events to the subscriptions of this process."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from live.events import ReleasePublished

# Events waiting for one slow subscriber; past this the oldest is dropped rather than the process's memory grown.
QUEUE_BOUND = 100


class Subscriber:
    """One subscription's queue of events, with the package it asked for (None: every package)."""

    __slots__ = ("package", "queue")

    def __init__(self, package: str | None) -> None:
        self.package = package
        self.queue: asyncio.Queue[ReleasePublished | None] = asyncio.Queue(QUEUE_BOUND)

    def offer(self, event: ReleasePublished | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def events(self) -> AsyncIterator[ReleasePublished]:
        """The events meant for this subscriber until the broadcaster closes (None ends it)."""
        while (event := await self.queue.get()) is not None:
            yield event


class Broadcaster:
    """The process's subscribers. `subscribe` is where a subscription begins and ends, `publish` where every
    event that reaches this process arrives (from its own commits on SQLite, from NOTIFY on PostgreSQL)."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.closed = False

    @property
    def active(self) -> int:
        return len(self._subscribers)

    @asynccontextmanager
    async def subscribe(self, package: str | None) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(package)
        if self.closed:
            subscriber.offer(None)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def publish(self, event: ReleasePublished) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.package is None or subscriber.package == event.package:
                subscriber.offer(event)

    def close(self) -> None:
        """End every subscription; new ones end at once."""
        self.closed = True
        for subscriber in list(self._subscribers):
            subscriber.offer(None)

"""Fan-out of events to the subscriptions of this process."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from live.events import ReleasePublished
from models.metrics import SUBSCRIPTIONS_ACTIVE

# Events waiting for one slow subscriber; past this the oldest is dropped rather than the process's memory grown.
QUEUE_BOUND = 100


class Delivery:
    """One event as this process's subscribers get it, with what they all read about it, read once."""

    __slots__ = ("_shared", "event")

    def __init__(self, event: ReleasePublished) -> None:
        self.event = event
        self._shared: asyncio.Task[Any] | None = None

    async def shared(self, read: Callable[[], Awaitable[Any]]) -> Any:
        """What `read` returns, read by the first subscriber that asks and awaited by the others: a thousand
        subscribers to one event cost one statement, not a thousand. The read is a task of its own, so a
        subscriber that goes away while it runs takes it from no one; one that failed is read again."""
        if self._shared is None or (self._shared.done() and self._shared.exception() is not None):
            self._shared = asyncio.ensure_future(read())
        return await asyncio.shield(self._shared)


class Subscriber:
    """One subscription's queue of events, with the package it asked for (None: every package)."""

    __slots__ = ("package", "queue")

    def __init__(self, package: str | None) -> None:
        self.package = package
        self.queue: asyncio.Queue[Delivery | None] = asyncio.Queue(QUEUE_BOUND)

    def offer(self, event: Delivery | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Delivery]:
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
        SUBSCRIPTIONS_ACTIVE.inc()
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            SUBSCRIPTIONS_ACTIVE.dec()

    def publish(self, event: ReleasePublished) -> None:
        delivery = Delivery(event)
        for subscriber in list(self._subscribers):
            if subscriber.package is None or subscriber.package == event.package:
                subscriber.offer(delivery)

    def close(self) -> None:
        """End every subscription; new ones end at once."""
        self.closed = True
        for subscriber in list(self._subscribers):
            subscriber.offer(None)

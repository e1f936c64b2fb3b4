"""The LISTEN connection: it connects from the engine's URL as the engine's dialect reads it, and no error ends it."""

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url

from live.broadcaster import Broadcaster
from live.events import CHANNEL, ReleasePublished
from live.listener import Listener

pytestmark = pytest.mark.postgresql
EVENT = ReleasePublished(release_id=1, package_id=1, package="cheese")


async def delivered(listener: Listener, broadcaster: Broadcaster, database: str) -> ReleasePublished:
    """The event, notified again until the listener (which connects in a task of its own) has it."""
    listener.start()
    notifier = await asyncpg.connect(database)
    try:
        async with broadcaster.subscribe(None) as subscriber, asyncio.timeout(10):
            while True:
                await notifier.execute("SELECT pg_notify($1, $2)", CHANNEL, EVENT.encode())
                try:
                    delivery = await asyncio.wait_for(subscriber.queue.get(), 0.1)
                except TimeoutError:
                    continue
                assert delivery is not None
                event: ReleasePublished = delivery.event
                return event
    finally:
        await notifier.close()
        await listener.stop()


async def test_the_listener_connects_with_a_url_that_carries_sqlalchemy_options(postgres_database: str) -> None:
    url = make_url(postgres_database).set(drivername="postgresql+asyncpg")
    url = url.update_query_dict({"prepared_statement_cache_size": "0"})
    broadcaster = Broadcaster()
    assert (
        await delivered(Listener(url, broadcaster, probe_every=15.0, timeout=1.0), broadcaster, postgres_database)
        == EVENT
    )


async def test_an_unexpected_error_does_not_end_the_listener(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = 0
    listen = Listener._listen

    async def failing_once(self: Listener) -> Any:
        nonlocal failures
        failures += 1
        if failures == 1:
            raise RuntimeError("a bug in the listener")
        return await listen(self)

    monkeypatch.setattr(Listener, "_listen", failing_once)
    broadcaster = Broadcaster()
    url = make_url(postgres_database).set(drivername="postgresql+asyncpg")
    assert (
        await delivered(Listener(url, broadcaster, probe_every=15.0, timeout=1.0), broadcaster, postgres_database)
        == EVENT
    )
    assert failures == 2

"""One LISTEN connection per process on PostgreSQL, kept open whatever happens to it."""

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from live.broadcaster import Broadcaster
from live.events import CHANNEL, ReleasePublished
from models.metrics import NOTIFY_EVENTS

log = logging.getLogger(__name__)

APPLICATION_NAME = "cheeseshop-listener"  # how the connection shows in pg_stat_activity
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0  # seconds between attempts to connect again, doubling up to the bound
# Options of SQLAlchemy's asyncpg dialect that its own connect takes out before it calls `asyncpg.connect`.
DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")


def connect_args(url: URL) -> dict[str, Any]:
    """`asyncpg.connect`'s arguments for the engine's URL, read by the engine's dialect, query options included."""
    _, kwargs = url.set(drivername="postgresql+asyncpg").get_dialect()().create_connect_args(url)
    return {name: value for name, value in kwargs.items() if name not in DIALECT_ONLY}


class Listener:
    """Feeds every NOTIFY on the channel to the broadcaster; after its connection dies it connects again.

    It is a raw asyncpg connection, not one of the pool's: LISTEN belongs to a session, and a pooled connection
    would be handed to requests. Events sent while it is away are lost (NOTIFY is not queued for absent
    listeners); subscribers see the events published after it is back.
    """

    def __init__(self, url: URL, broadcaster: Broadcaster, *, probe_every: float, timeout: float) -> None:
        """A connection cut without a word (a partition) is only found by using it: every `probe_every` seconds
        the LISTEN is sent again (a no-op, so the backend's last statement in pg_stat_activity stays the LISTEN),
        which must answer within `timeout`, as connecting must."""
        self.connect_args, self.broadcaster = connect_args(url), broadcaster
        self.probe_every, self.timeout = probe_every, timeout
        self.connected = False  # listening now: a NOTIFY sent from here on reaches the broadcaster
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="release listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def received(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        """Every NOTIFY that reaches this process."""
        NOTIFY_EVENTS.inc()
        event = ReleasePublished.decode(payload)
        if event is None:
            log.warning("ignored a malformed notification on %s: %r", channel, payload)
            return
        self.broadcaster.publish(event)

    async def _run(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                await self._listen()
                delay = BACKOFF_FIRST  # it was up: the next outage starts from a short wait again
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("release listener is not connected (%s); trying again in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
            except Exception:  # a bug must not end the listener without a word: log it whole and go on
                log.exception("release listener failed; trying again in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    async def _listen(self) -> None:
        """Listen until the connection is lost."""
        options = {**self.connect_args, "timeout": self.timeout}
        options["server_settings"] = {**options.get("server_settings", {}), "application_name": APPLICATION_NAME}
        connection = await asyncpg.connect(**options)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, self.received)
            self.connected = True
            log.info("release listener connected")
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), self.probe_every)
                except TimeoutError:
                    await asyncio.wait_for(connection.execute(f'LISTEN "{CHANNEL}"'), self.timeout)
            log.warning("release listener lost its connection")
        finally:
            self.connected = False
            if not connection.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 1)
            else:
                connection.terminate()

"""Database URLs, engines, sessionmakers and the per-request `Db` handle."""

import asyncio
import functools
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Executable, Result, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Select
from sqlalchemy.util import await_only

T = TypeVar("T")
# A result row as a named tuple of its columns. SQLAlchemy's `Row` takes microseconds to read an attribute by
# name, a named tuple tens of nanoseconds, and a page of thousands of rows reads each of them several times.
AnyRow = Any
Params = Mapping[str, Any]
Maker = async_sessionmaker[AsyncSession]
# A pooled connection is pinged before it is handed out only after sitting idle this long: one just checked in
# was alive a moment ago, and a ping per request is a round trip per request.
PING_AFTER_IDLE_SECONDS = 1.0
CHECKED_IN_AT = "checked_in_at"  # the key, on a pool entry's `info`, of when it last went back to the pool

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """Map a plain `sqlite://` or `postgres(ql)://` URL to its async driver; refuse anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("is not a database URL (expected sqlite:///... or postgresql://...)") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"has unsupported scheme {parsed.drivername!r} (expected sqlite or postgresql)")
    if driver and parsed.drivername not in ASYNC_DRIVERS.values():
        raise ValueError(f"uses driver {driver!r}; use {ASYNC_DRIVERS[backend]} (or leave the driver out)")
    return parsed.set(drivername=ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def make_engine(
    url: str | URL,
    *,
    echo: bool = False,
    pool_size: int = 10,
    max_overflow: int = 10,
    connect_timeout: float | None = None,
    ping_timeout: float | None = None,
    pool_timeout: float = 30.0,
    statement_timeout: float | None = None,
) -> AsyncEngine:
    """An engine for the URL. The timeouts apply to PostgreSQL, the only one behind a network; None: no bound
    (the CLI's migrations and seeding may take long)."""
    plain = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    url = make_url(async_url(plain))
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if statement_timeout is not None:
        # The client's bound catches a silent network; the server's stops the work of a statement given up on.
        connect_args["command_timeout"] = statement_timeout
        connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        hide_parameters=True,  # bound values (emails, hashes, token keys) never reach an error or a log
        connect_args=connect_args,
    )
    if ping_timeout is not None:
        event.listen(engine.sync_engine, "checkin", _checked_in)
        event.listen(engine.sync_engine, "checkout", functools.partial(_ping, timeout=ping_timeout))
    return engine


def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[CHECKED_IN_AT] = time.monotonic()


def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any, *, timeout: float) -> None:
    """Hand out a pooled connection that sat idle only once it has answered, within `timeout`; otherwise the pool
    opens another. A new connection, or one back in the pool for less than `PING_AFTER_IDLE_SECONDS`, goes as is.

    SQLAlchemy's `pool_pre_ping` waits as long as any statement may (the statement timeout) and costs three round
    trips (BEGIN, the ping, ROLLBACK); one empty statement with a short bound finds a dead or cut-off connection
    fast. Raising DisconnectionError makes the pool drop this connection and connect anew.
    """
    if dbapi_connection.driver_connection.is_closed():
        # Its socket is known dead (the server ended it while a request held it): asking costs no round trip, and
        # an autocommit reader is given back without a statement that would have found out.
        raise DisconnectionError("the pooled connection was closed")
    checked_in_at = record.info.get(CHECKED_IN_AT)
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        await_only(dbapi_connection.driver_connection.fetchrow(";", timeout=timeout))
    except Exception as error:
        # At once: a graceful close would wait on the silent connection for its own timeout.
        dbapi_connection.driver_connection.terminate()
        raise DisconnectionError(f"the pooled connection did not answer a ping: {error!r}") from error


def make_sessionmaker(engine: AsyncEngine) -> Maker:
    # close_resets_only=False: a closed session refuses to start again, rather than check out a new connection.
    return async_sessionmaker(engine, expire_on_commit=False, close_resets_only=False)


@functools.lru_cache(maxsize=256)
def _record_type(keys: tuple[str, ...]) -> Any:
    # rename: a key that is no identifier, or repeats another, becomes `_<position>`.
    return namedtuple("Record", keys, rename=True)


def records(result: Result[Any]) -> list[AnyRow]:
    """The rows of `result` as named tuples, one type per set of column names."""
    make = _record_type(tuple(result.keys()))._make
    return [make(row) for row in result]


class Db:
    """A request's session behind a lock.

    Strawberry resolves sibling fields concurrently and every DataLoader batch runs as its own task, but an
    `AsyncSession` allows one operation at a time, so every statement of a request goes through here.
    Never await a loader while holding the lock: it would wait for itself.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session, self._lock, self._closed = session, asyncio.Lock(), False
        # The session's connection in its current transaction, for reads; a unit of work ends that transaction.
        self._connection: AsyncConnection | None = None
        # On PostgreSQL, reads outside a transaction go through a connection of their own in autocommit: a
        # transaction around them would cost two round trips (BEGIN, ROLLBACK) and buy nothing, since under READ
        # COMMITTED each statement sees its own snapshot either way. It gives its connection back before the
        # session takes one, so a request never holds two.
        self._reader: AsyncConnection | None = None
        bind = session.bind
        self._reads_engine = bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql" else None

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[AsyncSession]:
        """The session, to this caller alone; never again once the request has closed it."""
        async with self._lock:
            if self._closed:
                # A loader batch can outlive a request that failed early; it must not reopen the session.
                raise RuntimeError("the request is over; its session is closed")
            yield self.session

    async def rows(self, stmt: Executable, params: Params | None = None) -> list[AnyRow]:
        async with self._turn() as session:
            # Straight through a connection: a Core statement has no use for the ORM's execution path, which
            # costs more than the statement on a small page.
            return records(await (await self._read_connection(session)).execute(stmt, params))

    async def _read_connection(self, session: AsyncSession) -> AsyncConnection:
        """The session's connection while its transaction is open (a read then sees what it wrote), else the
        autocommit reader on PostgreSQL, made at the first read."""
        if self._connection is not None:
            return self._connection
        if self._reads_engine is not None and not session.in_transaction():
            if self._reader is None:
                reader = await self._reads_engine.connect()
                try:
                    self._reader = await reader.execution_options(isolation_level="AUTOCOMMIT")
                except BaseException:
                    await reader.close()
                    raise
            return self._reader
        self._connection = await session.connection()
        return self._connection

    async def _release_reader(self) -> None:
        """Give the reader's connection back, before the session takes one."""
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()

    async def first(self, stmt: Executable, params: Params | None = None) -> AnyRow | None:
        found = await self.rows(stmt, params)
        return found[0] if found else None

    async def value(self, stmt: Executable, params: Params | None = None) -> Any:
        """The first column of the first row, or None."""
        found = await self.rows(stmt, params)
        return found[0][0] if found else None

    async def scalars(self, stmt: Select[T], params: Params | None = None) -> Sequence[T]:
        """ORM objects, in the session's transaction: what a unit of work may go on to change."""
        async with self._turn() as session:
            await self._release_reader()
            return (await session.scalars(stmt, params)).all()

    async def scalar(self, stmt: Select[T], params: Params | None = None) -> T | None:
        """One ORM object (or value), in the session's transaction."""
        async with self._turn() as session:
            await self._release_reader()
            result: T | None = await session.scalar(stmt, params)
            return result

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls everything back when it raises."""
        async with self._turn() as session:
            await self._release_reader()
            try:
                if session.get_bind().dialect.name == "sqlite":
                    # Take SQLite's write lock now, not at the first write: its writers then queue up the way
                    # PostgreSQL's row locks make them, and what a unit of work checks stays true until it commits.
                    await session.execute(text("BEGIN IMMEDIATE"))
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                self._connection = None  # the transaction is over; the next read starts another

    async def rollback(self) -> None:
        """End the session's transaction with nothing of it kept, after a failure outside a unit of work."""
        async with self._turn() as session:
            try:
                await self._release_reader()  # a failed statement may have cut its connection too
            finally:
                await session.rollback()
                self._connection = None

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            try:
                await self._release_reader()
            finally:
                await self.session.close()

"""Telling a database that is away (down, cut off, too slow to answer) from a bug, by the exception it raised."""

import asyncpg
from sqlalchemy import exc

# What asyncpg raises when the server or the network goes away, or a statement outlives its timeout.
_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,  # connect or statement timeout (asyncio's is the builtin since Python 3.11)
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.ConnectionFailureError,
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.QueryCanceledError,  # the server's statement_timeout
    asyncpg.AdminShutdownError,
)
_SQLALCHEMY_ERRORS: tuple[type[BaseException], ...] = (exc.DisconnectionError, exc.TimeoutError)  # pool timeout


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, says the database could not be reached or did not answer in time."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _DRIVER_ERRORS + _SQLALCHEMY_ERRORS):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


UNAVAILABLE_MESSAGE = "The database is unavailable or did not answer in time; try again shortly."

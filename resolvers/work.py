"""The unit of work behind every mutation: one transaction, typed refusals, fresh loaders afterwards."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from schema.context import Info
from schema.errors import Conflict, Error, Refused

R = TypeVar("R")


async def write(info: Info, work: Callable[[AsyncSession], Awaitable[R]], *, conflict: Conflict) -> R | Error:
    """Run `work` as one transaction and answer with what it returns.

    Everything it wrote is rolled back when it raises: a `Refused` becomes its typed error, and a constraint
    the database enforces (a unique name or version taken by a concurrent request), or a row that a concurrent
    request deleted under it, becomes `conflict`.
    Other exceptions are bugs and propagate. The loaders are cleared either way, so whatever the response
    reads next shows the state after the write.
    """
    ctx = info.context
    try:
        async with ctx.db.write() as session:
            return await work(session)
    except Refused as refusal:
        return refusal.error
    except (IntegrityError, StaleDataError):
        return conflict
    finally:
        ctx.loaders.clear_all()

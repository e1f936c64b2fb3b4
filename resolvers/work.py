"""The unit of work behind every mutation: one transaction, typed refusals, fresh loaders afterwards."""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
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
    reads next shows the state after the write; the rows the unit of work read or wrote are primed as it
    committed them, so that its answer holds together even when a concurrent request changes them next (a
    release just published, its package deleted a moment later, still has that package in the answer).
    """
    ctx = info.context
    try:
        async with ctx.db.write() as session:
            with instances_of(session) as held:
                result = await work(session)
    except Refused as refusal:
        return refusal.error
    except (IntegrityError, StaleDataError):
        return conflict
    finally:
        ctx.loaders.clear_all()
    ctx.loaders.prime_committed(held)
    return result


@contextmanager
def instances_of(session: AsyncSession) -> Iterator[list[object]]:
    """Every model instance the block loads or inserts in `session`, held: the session holds them weakly only."""
    held: list[object] = []

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    for name in ("loaded_as_persistent", "pending_to_persistent"):
        event.listen(session.sync_session, name, hold)
    try:
        yield held
    finally:
        for name in ("loaded_as_persistent", "pending_to_persistent"):
            event.remove(session.sync_session, name, hold)

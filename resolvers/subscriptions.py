"""The subscription behind `releasePublished`."""

import functools
import logging
from collections.abc import AsyncGenerator

from strawberry.types.nodes import SelectedField, Selection

from loaders import Loaders
from models.db import AnyRow, Db, Maker
from models.outage import database_unavailable
from resolvers.names import normalize_name
from schema.context import Info
from schema.release import Release

log = logging.getLogger(__name__)


async def release_published(info: Info, package: str | None = None) -> AsyncGenerator[Release, None]:
    """Each release published from now on, of one package or of all of them.

    The release's row is read once per event in the process (see `Delivery.shared`); the fields below it are
    resolved in a session (and with loaders) of the subscription's own for that event, closed when the next
    event is asked for: while it waits, a subscription holds no session and no database connection. The context is the
    operation's own (see `web.websocket`), so setting its session does not touch another subscription's.
    """
    ctx = info.context
    wanted = None if package is None else normalize_name(package)
    # Only fields below the release's own columns read the database; without them an event needs no session.
    reads = reads_below(info.selected_fields[0].selections)
    async with ctx.live.broadcaster.subscribe(wanted) as subscriber:
        async for delivery in subscriber.events():
            try:
                row = await delivery.shared(functools.partial(release_row, ctx.sessionmaker, delivery.event.release_id))
            except Exception as error:
                if not database_unavailable(error):
                    raise
                # A blip loses this event, not the stream: the next one is read again.
                log.warning(
                    "release %s not delivered: the database is unavailable: %r", delivery.event.release_id, error
                )
                continue
            if row is None:  # deleted since it was published
                continue
            if not reads:
                yield Release.from_row(row)
                continue
            db = Db(ctx.sessionmaker())  # it connects only when a field reads
            ctx.db, ctx.loaders = db, Loaders(db)
            try:
                yield Release.from_row(row)
            finally:
                await db.close()


def reads_below(selections: list[Selection]) -> bool:
    """Whether a selection on a release asks for an object below it (its package), through fragments too."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.selections:
                return True
        elif reads_below(selection.selections):
            return True
    return False


async def release_row(sessionmaker: Maker, release_id: int) -> AnyRow | None:
    """The release's row, read in a session of its own that is closed at once."""
    db = Db(sessionmaker())
    try:
        return await Loaders(db).release_by_id.load(release_id)
    finally:
        await db.close()

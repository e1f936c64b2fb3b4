"""The subscription behind `releasePublished`."""

from collections.abc import AsyncGenerator

from loaders import Loaders
from models.db import Db
from resolvers.names import normalize_name
from schema.context import Info
from schema.release import Release


async def release_published(info: Info, package: str | None = None) -> AsyncGenerator[Release, None]:
    """Each release published from now on, of one package or of all of them.

    Each event is resolved in a session (and with loaders) of its own, closed when the next event is asked
    for: while it waits, a subscription holds no session and no database connection. The context is the
    operation's own (see `web.websocket`), so setting its session does not touch another subscription's.
    """
    ctx = info.context
    wanted = None if package is None else normalize_name(package)
    async with ctx.live.broadcaster.subscribe(wanted) as subscriber:
        async for published in subscriber.events():
            db = Db(ctx.sessionmaker())
            ctx.db, ctx.loaders = db, Loaders(db)
            try:
                row = await ctx.loaders.release_by_id.load(published.release_id)
                if row is not None:  # None: deleted since it was published
                    yield Release.from_row(row)
            finally:
                await db.close()

"""Index-wide counts."""

from sqlalchemy import select

import models
from schema.context import Info
from schema.stats import Stats

COUNTERS = select(models.Counter.name, models.Counter.value)


async def stats(info: Info) -> Stats:
    """All four counts in one statement, from the counters the database keeps exact: no table is counted."""
    counts = {name: value for name, value in await info.context.db.rows(COUNTERS)}
    return Stats(
        package_count=counts["packages"],
        release_count=counts["releases"],
        user_count=counts["users"],
        maintainer_count=counts["maintainers"],
    )

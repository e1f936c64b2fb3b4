"""Index-wide counts."""

from sqlalchemy import distinct, func, select

import models
from schema.context import Info
from schema.stats import Stats


async def stats(info: Info) -> Stats:
    """All four counts in one statement."""
    stmt = select(
        select(func.count()).select_from(models.Package).scalar_subquery(),
        select(func.count()).select_from(models.Release).scalar_subquery(),
        select(func.count()).select_from(models.User).scalar_subquery(),
        select(func.count(distinct(models.Maintainer.user_id))).scalar_subquery(),
    )
    packages, releases, users, maintainers = (await info.context.db.rows(stmt))[0]
    return Stats(package_count=packages, release_count=releases, user_count=users, maintainer_count=maintainers)

"""Loaders whose target is a user."""

from sqlalchemy import select

import models
from loaders.base import Loader, by_id, grouped
from loaders.paging import Ordering

USERS_BY_NAME = Ordering("name", (models.User.name, models.User.id))


class UserByIdLoader(Loader[int, models.User | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[models.User | None]:
        return by_id(await self.db.scalars(select(models.User).where(models.User.id.in_(ids))), ids)


class MaintainersByPackageIdLoader(Loader[int, list[models.User]]):
    """The users who maintain each package, by name."""

    async def batch_load_fn(self, package_ids: list[int]) -> list[list[models.User]]:
        stmt = (
            select(models.Maintainer.package_id, models.User)
            .join(models.User, models.User.id == models.Maintainer.user_id)
            .where(models.Maintainer.package_id.in_(package_ids))
            .order_by(models.User.name, models.User.id)
        )
        pairs = [(package_id, user) for package_id, user in await self.db.rows(stmt)]
        for _, user in pairs:
            self.loaders.user_by_id.prime(user.id, user)
        return grouped(pairs, package_ids)

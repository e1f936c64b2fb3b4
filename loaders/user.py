"""Loaders whose target is a user."""

from sqlalchemy import select

import models
from loaders import columns
from loaders.base import Loader, by_id, grouped
from loaders.keys import keys_in
from loaders.paging import Ordering
from models.db import AnyRow

USERS_BY_NAME = Ordering("name", (models.User.name, models.User.id))


class UserByIdLoader(Loader[int, AnyRow | None]):
    statement = select(*columns.USER).where(keys_in(models.User.id))

    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(self.statement, {"ids": ids}), ids)


class MaintainersByPackageIdLoader(Loader[int, list[AnyRow]]):
    """The users who maintain each package, by name; each row is the user's, then the package id."""

    statement = (
        select(*columns.USER, models.Maintainer.package_id.label("maintained_package_id"))
        .select_from(models.Maintainer)
        .join(models.User, models.User.id == models.Maintainer.user_id)
        .where(keys_in(models.Maintainer.package_id))
        .order_by(models.User.name, models.User.id)
    )

    async def batch_load_fn(self, package_ids: list[int]) -> list[list[AnyRow]]:
        found = await self.db.rows(self.statement, {"ids": package_ids})
        for user in found:
            self.loaders.user_by_id.prime(user.id, user)
        return grouped(((user.maintained_package_id, user) for user in found), package_ids)

"""Loaders whose target is a release."""

from collections.abc import Iterable

from sqlalchemy import func, select

import models
from loaders import columns
from loaders.base import IDS, PARENT_IDS, Loader, PageLoader, by_id, counts
from loaders.paging import Ordering
from models.db import AnyRow

Release = models.Release
RELEASES_NEWEST_FIRST = Ordering("newest", (Release.created_at, Release.id), descending=True)
RELEASES_OLDEST_FIRST = Ordering("oldest", (Release.created_at, Release.id))


class ReleaseByIdLoader(Loader[int, AnyRow | None]):
    statement = select(*columns.RELEASE).where(Release.id.in_(IDS))

    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(self.statement, {"ids": ids}), ids)


class ReleasesByPackageIdLoader(PageLoader):
    """A package's releases, a page per package."""

    children = select(*columns.RELEASE).where(Release.package_id.in_(PARENT_IDS))
    parent = Release.package_id

    def seen(self, rows: Iterable[AnyRow]) -> None:
        for row in rows:
            self.loaders.release_by_id.prime(row.id, row)

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.release_count_by_package_id


class LatestReleaseByPackageIdLoader(Loader[int, AnyRow | None]):
    """The newest release of each package that is not yanked."""

    _newest = (
        select(
            Release.id,
            func.row_number()
            .over(partition_by=Release.package_id, order_by=(Release.created_at.desc(), Release.id.desc()))
            .label("position"),
        )
        .where(Release.package_id.in_(IDS), Release.yanked.is_(False))
        .subquery()
    )
    statement = select(*columns.RELEASE).join(_newest, _newest.c.id == Release.id).where(_newest.c.position == 1)

    async def batch_load_fn(self, package_ids: list[int]) -> list[AnyRow | None]:
        found = {row.package_id: row for row in await self.db.rows(self.statement, {"ids": package_ids})}
        for row in found.values():
            self.loaders.release_by_id.prime(row.id, row)
        return [found.get(package_id) for package_id in package_ids]


class ReleaseCountByPackageIdLoader(Loader[int, int]):
    """Number of releases per package, yanked ones included."""

    statement = select(Release.package_id, func.count()).where(Release.package_id.in_(IDS)).group_by(Release.package_id)

    async def batch_load_fn(self, package_ids: list[int]) -> list[int]:
        return counts(await self.db.rows(self.statement, {"ids": package_ids}), package_ids)

"""Loaders whose target is a release."""

from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import Select, func, select

import models
from loaders import columns
from loaders.base import Loader, PageLoader, by_id, counts
from loaders.keys import PARENT_IDS, keys_in
from loaders.paging import Ordering
from loaders.release_filter import ReleaseWhere, filtered
from models.db import AnyRow

Release = models.Release
RELEASES_NEWEST_FIRST = Ordering("newest", (Release.created_at, Release.id), descending=True)
RELEASES_OLDEST_FIRST = Ordering("oldest", (Release.created_at, Release.id))
# PEP 440 order, by the stored key; PEP 440-equal versions are one release, so the id only settles the SQL.
RELEASES_LOWEST_FIRST = Ordering("lowest", (Release.version_key, Release.id))
RELEASES_HIGHEST_FIRST = Ordering("highest", (Release.version_key, Release.id), descending=True)


COUNTS = select(Release.package_id, func.count()).where(keys_in(Release.package_id)).group_by(Release.package_id)


class ReleaseByIdLoader(Loader[int, AnyRow | None]):
    statement = select(*columns.RELEASE).where(keys_in(Release.id))

    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(self.statement, {"ids": ids}), ids)


class ReleasesByPackageIdLoader(PageLoader):
    """A package's releases, a page per package."""

    children = select(*columns.RELEASE).where(keys_in(Release.package_id, PARENT_IDS))
    parent = Release.package_id

    def seen(self, rows: Iterable[AnyRow]) -> None:
        for row in rows:
            self.loaders.release_by_id.prime(row.id, row)

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.release_count_by_package_id

    def children_of(self, where: Hashable | None) -> Select[Any]:
        if where is None:
            return type(self).children
        assert isinstance(where, ReleaseWhere)
        return filtered(type(self).children, where)

    def counted(self, parent_id: int, where: Hashable | None, total: int) -> None:
        if isinstance(where, ReleaseWhere):
            self.loaders.release_count_by_package_id_and_filter.prime((parent_id, where), total)
        else:
            super().counted(parent_id, where, total)


class LatestReleaseByPackageIdLoader(Loader[int, AnyRow | None]):
    """The newest release of each package that is not yanked."""

    _newest = (
        select(
            Release.id,
            func.row_number()
            .over(partition_by=Release.package_id, order_by=(Release.created_at.desc(), Release.id.desc()))
            .label("position"),
        )
        .where(keys_in(Release.package_id), Release.yanked.is_(False))
        .subquery()
    )
    statement = select(*columns.RELEASE).join(_newest, _newest.c.id == Release.id).where(_newest.c.position == 1)

    async def batch_load_fn(self, package_ids: list[int]) -> list[AnyRow | None]:
        found = {row.package_id: row for row in await self.db.rows(self.statement, {"ids": package_ids})}
        for row in found.values():
            self.loaders.release_by_id.prime(row.id, row)
        return [found.get(package_id) for package_id in package_ids]


class HighestReleaseByPackageIdLoader(Loader[int, AnyRow | None]):
    """What `pip install` would pick of each package: its highest final release that is not yanked, or else its
    highest pre-release that is not yanked."""

    _highest = (
        select(
            Release.id,
            func.row_number()
            .over(
                partition_by=Release.package_id,
                order_by=(Release.prerelease.asc(), Release.version_key.desc(), Release.id.desc()),
            )
            .label("position"),
        )
        .where(keys_in(Release.package_id), Release.yanked.is_(False))
        .subquery()
    )
    statement = select(*columns.RELEASE).join(_highest, _highest.c.id == Release.id).where(_highest.c.position == 1)

    async def batch_load_fn(self, package_ids: list[int]) -> list[AnyRow | None]:
        found = {row.package_id: row for row in await self.db.rows(self.statement, {"ids": package_ids})}
        for row in found.values():
            self.loaders.release_by_id.prime(row.id, row)
        return [found.get(package_id) for package_id in package_ids]


class ReleaseCountByPackageIdLoader(Loader[int, int]):
    """Number of releases per package, yanked ones included."""

    statement = COUNTS

    async def batch_load_fn(self, package_ids: list[int]) -> list[int]:
        return counts(await self.db.rows(self.statement, {"ids": package_ids}), package_ids)


class ReleaseCountByPackageIdAndFilterLoader(Loader[tuple[int, ReleaseWhere], int]):
    """Number of a package's releases that pass a filter: one statement per distinct filter."""

    async def batch_load_fn(self, keys: list[tuple[int, ReleaseWhere]]) -> list[int]:
        by_filter: dict[ReleaseWhere, list[int]] = {}
        for package_id, where in keys:
            by_filter.setdefault(where, []).append(package_id)
        found: dict[tuple[int, ReleaseWhere], int] = {}
        for where, package_ids in by_filter.items():
            stmt = filtered(COUNTS, where)
            for package_id, n in await self.db.rows(stmt, {"ids": package_ids}):
                found[package_id, where] = n
        return [found.get(key, 0) for key in keys]

"""Loaders whose target is a package."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

import models
from loaders import columns
from loaders.base import FilteredCountLoader, Loader, PageLoader, by_id, counts
from loaders.keys import PARENT_IDS, keys_in
from loaders.paging import Ordering, Where
from models.db import AnyRow


class PackageByIdLoader(Loader[int, AnyRow | None]):
    statement = select(*columns.PACKAGE).where(keys_in(models.Package.id))

    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(self.statement, {"ids": ids}), ids)


class PackagePageLoader(PageLoader):
    def seen(self, rows: Iterable[AnyRow]) -> None:
        for row in rows:
            self.loaders.package_by_id.prime(row.id, row)


class PackagesByUserIdLoader(PackagePageLoader):
    """The packages a user maintains, a page per user."""

    children = (
        select(*columns.PACKAGE)
        .join(models.Maintainer, models.Maintainer.package_id == models.Package.id)
        .where(keys_in(models.Maintainer.user_id, PARENT_IDS))
    )
    parent = models.Maintainer.user_id

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.package_count_by_user_id

    @property
    def filtered_count_loader(self) -> Loader[tuple[int, Where], int]:
        return self.loaders.package_count_by_user_id_and_filter


_link = models.package_classifiers.c


class PackagesByClassifierIdLoader(PackagePageLoader):
    """The packages that carry a classifier, a page per classifier."""

    children = (
        select(*columns.PACKAGE)
        .join(models.package_classifiers, _link.package_id == models.Package.id)
        .where(keys_in(_link.classifier_id, PARENT_IDS))
    )
    parent = _link.classifier_id

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.package_count_by_classifier_id

    @property
    def filtered_count_loader(self) -> Loader[tuple[int, Where], int]:
        return self.loaders.package_count_by_classifier_id_and_filter


class PackageCountByUserIdLoader(Loader[int, int]):
    statement = (
        select(models.Maintainer.user_id, func.count())
        .where(keys_in(models.Maintainer.user_id))
        .group_by(models.Maintainer.user_id)
    )

    async def batch_load_fn(self, user_ids: list[int]) -> list[int]:
        return counts(await self.db.rows(self.statement, {"ids": user_ids}), user_ids)


class PackageCountByClassifierIdLoader(Loader[int, int]):
    statement = (
        select(_link.classifier_id, func.count()).where(keys_in(_link.classifier_id)).group_by(_link.classifier_id)
    )

    async def batch_load_fn(self, classifier_ids: list[int]) -> list[int]:
        return counts(await self.db.rows(self.statement, {"ids": classifier_ids}), classifier_ids)


class PackageCountByUserIdAndFilterLoader(FilteredCountLoader):
    pages = PackagesByUserIdLoader


class PackageCountByClassifierIdAndFilterLoader(FilteredCountLoader):
    pages = PackagesByClassifierIdLoader


# The number of releases of the package in the enclosing statement.
RELEASE_COUNT = (
    select(func.count())
    .where(models.Release.package_id == models.Package.id)
    .correlate(models.Package)
    .scalar_subquery()
)
PACKAGE_SORT_KEYS: dict[str, Any] = {
    "name": models.Package.name,
    "created_at": models.Package.created_at,
    "updated_at": models.Package.updated_at,
    "release_count": RELEASE_COUNT,
}
PACKAGE_ORDERINGS = {
    (field, descending): Ordering(f"{field}:{'desc' if descending else 'asc'}", (key, models.Package.id), descending)
    for field, key in PACKAGE_SORT_KEYS.items()
    for descending in (False, True)
}
PACKAGES_BY_NAME = PACKAGE_ORDERINGS["name", False]

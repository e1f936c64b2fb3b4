"""Loaders whose target is a package."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select

import models
from loaders import columns
from loaders.base import Loader, PageLoader, by_id, counts
from loaders.paging import Ordering
from models.db import AnyRow


class PackageByIdLoader(Loader[int, AnyRow | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(select(*columns.PACKAGE).where(models.Package.id.in_(ids))), ids)


class PackagePageLoader(PageLoader):
    def seen(self, rows: Iterable[AnyRow]) -> None:
        for row in rows:
            self.loaders.package_by_id.prime(row.id, row)


class PackagesByUserIdLoader(PackagePageLoader):
    """The packages a user maintains, a page per user."""

    def children(self, parent_ids: Sequence[int]) -> tuple[Select[Any], Any]:
        stmt = (
            select(*columns.PACKAGE)
            .join(models.Maintainer, models.Maintainer.package_id == models.Package.id)
            .where(models.Maintainer.user_id.in_(parent_ids))
        )
        return stmt, models.Maintainer.user_id

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.package_count_by_user_id


class PackagesByClassifierIdLoader(PackagePageLoader):
    """The packages that carry a classifier, a page per classifier."""

    def children(self, parent_ids: Sequence[int]) -> tuple[Select[Any], Any]:
        link = models.package_classifiers.c
        stmt = (
            select(*columns.PACKAGE)
            .join(models.package_classifiers, link.package_id == models.Package.id)
            .where(link.classifier_id.in_(parent_ids))
        )
        return stmt, link.classifier_id

    @property
    def count_loader(self) -> Loader[int, int]:
        return self.loaders.package_count_by_classifier_id


class PackageCountByUserIdLoader(Loader[int, int]):
    async def batch_load_fn(self, user_ids: list[int]) -> list[int]:
        stmt = (
            select(models.Maintainer.user_id, func.count())
            .where(models.Maintainer.user_id.in_(user_ids))
            .group_by(models.Maintainer.user_id)
        )
        return counts(await self.db.rows(stmt), user_ids)


class PackageCountByClassifierIdLoader(Loader[int, int]):
    async def batch_load_fn(self, classifier_ids: list[int]) -> list[int]:
        link = models.package_classifiers.c
        stmt = (
            select(link.classifier_id, func.count())
            .where(link.classifier_id.in_(classifier_ids))
            .group_by(link.classifier_id)
        )
        return counts(await self.db.rows(stmt), classifier_ids)


def _release_count() -> Any:
    return (
        select(func.count())
        .where(models.Release.package_id == models.Package.id)
        .correlate(models.Package)
        .scalar_subquery()
    )


PACKAGE_SORT_KEYS: dict[str, Any] = {
    "name": models.Package.name,
    "created_at": models.Package.created_at,
    "updated_at": models.Package.updated_at,
    "release_count": _release_count(),
}
PACKAGE_ORDERINGS = {
    (field, descending): Ordering(f"{field}:{'desc' if descending else 'asc'}", (key, models.Package.id), descending)
    for field, key in PACKAGE_SORT_KEYS.items()
    for descending in (False, True)
}
PACKAGES_BY_NAME = PACKAGE_ORDERINGS["name", False]

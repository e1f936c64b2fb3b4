"""Loaders whose target is a classifier."""

from sqlalchemy import select

import models
from loaders.base import Loader, by_id, grouped
from loaders.paging import Ordering

CLASSIFIERS_BY_NAME = Ordering("name", (models.Classifier.name, models.Classifier.id))


class ClassifierByIdLoader(Loader[int, models.Classifier | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[models.Classifier | None]:
        stmt = select(models.Classifier).where(models.Classifier.id.in_(ids))
        return by_id(await self.db.scalars(stmt), ids)


class ClassifiersByPackageIdLoader(Loader[int, list[models.Classifier]]):
    """The classifiers of each package, by name."""

    async def batch_load_fn(self, package_ids: list[int]) -> list[list[models.Classifier]]:
        link = models.package_classifiers.c
        stmt = (
            select(link.package_id, models.Classifier)
            .join(models.Classifier, models.Classifier.id == link.classifier_id)
            .where(link.package_id.in_(package_ids))
            .order_by(models.Classifier.name, models.Classifier.id)
        )
        pairs = [(package_id, row) for package_id, row in await self.db.rows(stmt)]
        for _, row in pairs:
            self.loaders.classifier_by_id.prime(row.id, row)
        return grouped(pairs, package_ids)

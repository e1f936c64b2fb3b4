"""Loaders whose target is a classifier."""

from sqlalchemy import select

import models
from loaders import columns
from loaders.base import Loader, by_id, grouped
from loaders.paging import Ordering
from models.db import AnyRow

CLASSIFIERS_BY_NAME = Ordering("name", (models.Classifier.name, models.Classifier.id))


class ClassifierByIdLoader(Loader[int, AnyRow | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(select(*columns.CLASSIFIER).where(models.Classifier.id.in_(ids))), ids)


class ClassifiersByPackageIdLoader(Loader[int, list[AnyRow]]):
    """The classifiers of each package, by name; each row is the classifier's, then the package id."""

    async def batch_load_fn(self, package_ids: list[int]) -> list[list[AnyRow]]:
        link = models.package_classifiers.c
        stmt = (
            select(*columns.CLASSIFIER, link.package_id.label("classified_package_id"))
            .join(models.Classifier, models.Classifier.id == link.classifier_id)
            .where(link.package_id.in_(package_ids))
            .order_by(models.Classifier.name, models.Classifier.id)
        )
        found = await self.db.rows(stmt)
        for row in found:
            self.loaders.classifier_by_id.prime(row.id, row)
        return grouped(((row.classified_package_id, row) for row in found), package_ids)

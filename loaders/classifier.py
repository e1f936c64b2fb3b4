"""Loaders whose target is a classifier."""

from sqlalchemy import select

import models
from loaders import columns
from loaders.base import Loader, by_id, grouped
from loaders.keys import keys_in
from loaders.paging import Ordering
from models.db import AnyRow

CLASSIFIERS_BY_NAME = Ordering("name", (models.Classifier.name, models.Classifier.id))


class ClassifierByIdLoader(Loader[int, AnyRow | None]):
    statement = select(*columns.CLASSIFIER).where(keys_in(models.Classifier.id))

    async def batch_load_fn(self, ids: list[int]) -> list[AnyRow | None]:
        return by_id(await self.db.rows(self.statement, {"ids": ids}), ids)


class ClassifiersByPackageIdLoader(Loader[int, list[AnyRow]]):
    """The classifiers of each package, by name; each row is the classifier's, then the package id."""

    _link = models.package_classifiers.c
    statement = (
        select(*columns.CLASSIFIER, _link.package_id.label("classified_package_id"))
        .select_from(models.package_classifiers)
        .join(models.Classifier, models.Classifier.id == _link.classifier_id)
        .where(keys_in(_link.package_id))
        .order_by(models.Classifier.name, models.Classifier.id)
    )

    async def batch_load_fn(self, package_ids: list[int]) -> list[list[AnyRow]]:
        found = await self.db.rows(self.statement, {"ids": package_ids})
        for row in found:
            self.loaders.classifier_by_id.prime(row.id, row)
        return grouped(((row.classified_package_id, row) for row in found), package_ids)

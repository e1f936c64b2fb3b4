"""Per-request DataLoaders: one batched statement per relationship level, whatever the number of parents."""

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from sqlalchemy import inspect

import models
from loaders.base import Loader
from loaders.classifier import ClassifierByIdLoader, ClassifiersByPackageIdLoader
from loaders.package import (
    PackageByIdLoader,
    PackageCountByClassifierIdAndFilterLoader,
    PackageCountByClassifierIdLoader,
    PackageCountByUserIdAndFilterLoader,
    PackageCountByUserIdLoader,
    PackagesByClassifierIdLoader,
    PackagesByUserIdLoader,
)
from loaders.release import (
    HighestReleaseByPackageIdLoader,
    LatestReleaseByPackageIdLoader,
    ReleaseByIdLoader,
    ReleaseCountByPackageIdAndFilterLoader,
    ReleaseCountByPackageIdLoader,
    ReleasesByPackageIdLoader,
)
from loaders.user import MaintainersByPackageIdLoader, UserByIdLoader
from models.db import Db


class Loaders:
    """The loaders of one request; built fresh for each, so no cache outlives it, and each only when first used:
    a request uses a few, and building all seventeen was 3-7% of a small query's time (bench/README.md)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @cached_property
    def package_by_id(self) -> PackageByIdLoader:
        return PackageByIdLoader(self)

    @cached_property
    def packages_by_user_id(self) -> PackagesByUserIdLoader:
        return PackagesByUserIdLoader(self)

    @cached_property
    def packages_by_classifier_id(self) -> PackagesByClassifierIdLoader:
        return PackagesByClassifierIdLoader(self)

    @cached_property
    def package_count_by_user_id(self) -> PackageCountByUserIdLoader:
        return PackageCountByUserIdLoader(self)

    @cached_property
    def package_count_by_classifier_id(self) -> PackageCountByClassifierIdLoader:
        return PackageCountByClassifierIdLoader(self)

    @cached_property
    def package_count_by_user_id_and_filter(self) -> PackageCountByUserIdAndFilterLoader:
        return PackageCountByUserIdAndFilterLoader(self)

    @cached_property
    def package_count_by_classifier_id_and_filter(self) -> PackageCountByClassifierIdAndFilterLoader:
        return PackageCountByClassifierIdAndFilterLoader(self)

    @cached_property
    def release_by_id(self) -> ReleaseByIdLoader:
        return ReleaseByIdLoader(self)

    @cached_property
    def releases_by_package_id(self) -> ReleasesByPackageIdLoader:
        return ReleasesByPackageIdLoader(self)

    @cached_property
    def latest_release_by_package_id(self) -> LatestReleaseByPackageIdLoader:
        return LatestReleaseByPackageIdLoader(self)

    @cached_property
    def release_count_by_package_id(self) -> ReleaseCountByPackageIdLoader:
        return ReleaseCountByPackageIdLoader(self)

    @cached_property
    def highest_release_by_package_id(self) -> HighestReleaseByPackageIdLoader:
        return HighestReleaseByPackageIdLoader(self)

    @cached_property
    def release_count_by_package_id_and_filter(self) -> ReleaseCountByPackageIdAndFilterLoader:
        return ReleaseCountByPackageIdAndFilterLoader(self)

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self)

    @cached_property
    def maintainers_by_package_id(self) -> MaintainersByPackageIdLoader:
        return MaintainersByPackageIdLoader(self)

    @cached_property
    def classifier_by_id(self) -> ClassifierByIdLoader:
        return ClassifierByIdLoader(self)

    @cached_property
    def classifiers_by_package_id(self) -> ClassifiersByPackageIdLoader:
        return ClassifiersByPackageIdLoader(self)

    def prime_committed(self, instances: Iterable[object]) -> None:
        """Prime the by-id loaders with the model instances of a committed unit of work, those whose columns are
        all loaded (they read as result rows do: by the model's attribute names)."""
        by_model: dict[type[Any], Loader[int, Any]] = {
            models.Package: self.package_by_id,
            models.Release: self.release_by_id,
            models.User: self.user_by_id,
            models.Classifier: self.classifier_by_id,
        }
        instance: Any
        for instance in instances:
            loader = by_model.get(type(instance))
            state = inspect(instance)
            if loader is not None and not state.unloaded.intersection(state.mapper.column_attrs.keys()):
                loader.prime(instance.id, instance)

    def clear_all(self) -> None:
        """Forget every cached value, after a write."""
        for loader in vars(self).values():
            if isinstance(loader, Loader):
                loader.clear_all()

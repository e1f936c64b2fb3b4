"""Per-request DataLoaders: one batched statement per relationship level, whatever the number of parents."""

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
    """The loaders of one request; built fresh for each, so no cache outlives it."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.package_by_id = PackageByIdLoader(self)
        self.packages_by_user_id = PackagesByUserIdLoader(self)
        self.packages_by_classifier_id = PackagesByClassifierIdLoader(self)
        self.package_count_by_user_id = PackageCountByUserIdLoader(self)
        self.package_count_by_classifier_id = PackageCountByClassifierIdLoader(self)
        self.package_count_by_user_id_and_filter = PackageCountByUserIdAndFilterLoader(self)
        self.package_count_by_classifier_id_and_filter = PackageCountByClassifierIdAndFilterLoader(self)
        self.release_by_id = ReleaseByIdLoader(self)
        self.releases_by_package_id = ReleasesByPackageIdLoader(self)
        self.latest_release_by_package_id = LatestReleaseByPackageIdLoader(self)
        self.release_count_by_package_id = ReleaseCountByPackageIdLoader(self)
        self.highest_release_by_package_id = HighestReleaseByPackageIdLoader(self)
        self.release_count_by_package_id_and_filter = ReleaseCountByPackageIdAndFilterLoader(self)
        self.user_by_id = UserByIdLoader(self)
        self.maintainers_by_package_id = MaintainersByPackageIdLoader(self)
        self.classifier_by_id = ClassifierByIdLoader(self)
        self.classifiers_by_package_id = ClassifiersByPackageIdLoader(self)

    def clear_all(self) -> None:
        """Forget every cached value, after a write."""
        for loader in vars(self).values():
            if isinstance(loader, Loader):
                loader.clear_all()

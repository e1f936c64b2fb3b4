"""The Package type, with how packages can be filtered and sorted."""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from aiodataloader import DataLoader
from strawberry import relay

from loaders.package import PACKAGE_ORDERINGS
from loaders.paging import Ordering, Page
from schema.connection import Connection, OrderDirection, page_of
from schema.context import Info
from schema.cost import list_bound
from schema.ids import row_ids
from schema.package_filter import ANY_CLASSIFIERS, SUB_FILTERS, package_where
from schema.release import Release, ReleaseFilter, ReleaseOrder
from schema.row import RowType

if TYPE_CHECKING:
    from schema.classifier import Classifier
    from schema.user import User

# What the query cost counts for the lists that take no page arguments (see schema/cost.py). `addMaintainer`
# keeps the first true; classifiers are written by no mutation (the seed gives a package at most 6).
MAINTAINERS = 10
CLASSIFIERS = 30


@strawberry.type(description="A project published on the index.")
class Package(RowType, relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The PEP 503 normalised name, unique on the index.")
    summary: str | None
    description: str | None
    home_page: str | None
    docs_url: str | None
    license: str | None
    author_name: str | None
    author_email: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The package's releases, newest first unless `orderBy` says otherwise.")
    async def releases(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: ReleaseOrder | None = None,
        filter: ReleaseFilter | None = None,
    ) -> Connection[Release]:
        loaders = info.context.loaders
        ordering = (order_by or ReleaseOrder()).ordering
        page = page_of(info, ordering, first, after, last, before)
        if filter is None:
            slice_ = await loaders.releases_by_package_id.load((self.id, page))
            return Connection.build(slice_, Release.from_row, lambda: loaders.release_count_by_package_id.load(self.id))
        where = filter.where
        slice_ = await loaders.releases_by_package_id.load((self.id, replace(page, where=where)))
        return Connection.build(
            slice_, Release.from_row, lambda: loaders.release_count_by_package_id_and_filter.load((self.id, where))
        )

    @strawberry.field(description="The newest release that is not yanked; null when there is none.")
    async def latest_release(self, info: Info) -> Release | None:
        return Release.from_optional_row(await info.context.loaders.latest_release_by_package_id.load(self.id))

    @strawberry.field(
        description="What `pip install` would pick: the highest final version that is not yanked, or else the "
        "highest pre-release that is not yanked; null when there is none."
    )
    async def highest_release(self, info: Info) -> Release | None:
        return Release.from_optional_row(await info.context.loaders.highest_release_by_package_id.load(self.id))

    @strawberry.field(description="The number of releases, yanked ones included.")
    async def release_count(self, info: Info) -> int:
        return await info.context.loaders.release_count_by_package_id.load(self.id)

    @strawberry.field(
        description=f"The users who maintain the package (at most {MAINTAINERS}), by name.",
        metadata=list_bound(MAINTAINERS),
    )
    async def maintainers(self, info: Info) -> list[Annotated["User", strawberry.lazy("schema.user")]]:
        from schema.user import User

        return [User.from_row(row) for row in await info.context.loaders.maintainers_by_package_id.load(self.id)]

    @strawberry.field(description="The package's trove classifiers, by name.", metadata=list_bound(CLASSIFIERS))
    async def classifiers(self, info: Info) -> list[Annotated["Classifier", strawberry.lazy("schema.classifier")]]:
        from schema.classifier import Classifier

        rows = await info.context.loaders.classifiers_by_package_id.load(self.id)
        return [Classifier.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await info.context.loaders.package_by_id.load_many(row_ids(node_ids))
        return [cls.from_optional_row(row) for row in rows]


@strawberry.enum(description="What packages can be sorted by.")
class PackageOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    RELEASE_COUNT = "release_count"


@strawberry.input(description="How to sort packages; the id breaks ties in the same direction.")
class PackageOrder:
    field: PackageOrderField = PackageOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC

    @property
    def ordering(self) -> Ordering:
        return PACKAGE_ORDERINGS[self.field.value, self.direction is OrderDirection.DESC]


@strawberry.input(
    description="Conditions a package must meet, all of them; `and`, `or` and `not` combine other filters "
    "(nested at most MAX_FILTER_DEPTH deep, 5 by default)."
)
class PackageFilter:
    name_prefix: str | None = strawberry.field(default=None, description="The name starts with this.")
    name_contains: str | None = strawberry.field(default=None, description="The name contains this.")
    classifier: str | None = strawberry.field(default=None, description="Carries the classifier of this name.")
    classifiers: list[str] | None = strawberry.field(
        default=None,
        description=f"Carries at least one classifier of these names (at most {ANY_CLASSIFIERS}); `[]` matches none.",
    )
    maintainer: strawberry.ID | None = strawberry.field(default=None, description="Maintained by this user.")
    maintainer_email: str | None = strawberry.field(
        default=None, description="Maintained by the user with this email address, in any case."
    )
    has_releases: bool | None = strawberry.field(
        default=None, description="Has at least one release, yanked ones included (`true`), or none (`false`)."
    )
    license: str | None = strawberry.field(default=None, description="The license is exactly this.")
    created_after: datetime | None = strawberry.field(default=None, description="Created at or after this.")
    created_before: datetime | None = strawberry.field(default=None, description="Created before this.")
    updated_after: datetime | None = strawberry.field(default=None, description="Updated at or after this.")
    updated_before: datetime | None = strawberry.field(default=None, description="Updated before this.")
    and_: list["PackageFilter"] | None = strawberry.field(
        default=None,
        name="and",
        description=f"Meets every one of these filters (at most {SUB_FILTERS}); `[]` matches all.",
    )
    or_: list["PackageFilter"] | None = strawberry.field(
        default=None,
        name="or",
        description=f"Meets at least one of these filters (at most {SUB_FILTERS}); `[]` matches none.",
    )
    not_: "PackageFilter | None" = strawberry.field(default=None, name="not", description="Does not meet this filter.")


async def nested_packages(
    info: Info,
    parent_id: int,
    pages: DataLoader[Any, Any],
    counts: DataLoader[int, int],
    filtered_counts: DataLoader[Any, int],
    page: Page,
    filter: "PackageFilter | None",
) -> Connection["Package"]:
    """A parent's page of packages (`User.packages`, `Classifier.packages`), filtered when a filter is given."""
    where = package_where(filter, info.context.settings.max_filter_depth)
    if where is None:
        slice_ = await pages.load((parent_id, page))
        return Connection.build(slice_, Package.from_row, lambda: counts.load(parent_id))
    slice_ = await pages.load((parent_id, replace(page, where=where)))
    return Connection.build(slice_, Package.from_row, lambda: filtered_counts.load((parent_id, where)))

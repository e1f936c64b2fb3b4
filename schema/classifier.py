"""The Classifier type."""

from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from loaders.package import PACKAGES_BY_NAME
from schema.connection import Connection, page_of
from schema.context import Info
from schema.ids import row_ids
from schema.package import Package, PackageFilter, nested_packages
from schema.row import RowType


@strawberry.type(description='A trove classifier, such as "Programming Language :: Python :: 3".')
class Classifier(RowType, relay.Node):
    id: relay.NodeID[int]
    name: str

    @strawberry.field(description="The packages that carry this classifier, by name.")
    async def packages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: PackageFilter | None = None,
    ) -> Connection[Package]:
        loaders = info.context.loaders
        page = page_of(info, PACKAGES_BY_NAME, first, after, last, before)
        return await nested_packages(
            info,
            self.id,
            loaders.packages_by_classifier_id,
            loaders.package_count_by_classifier_id,
            loaders.package_count_by_classifier_id_and_filter,
            page,
            filter,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await info.context.loaders.classifier_by_id.load_many(row_ids(node_ids))
        return [cls.from_optional_row(row) for row in rows]

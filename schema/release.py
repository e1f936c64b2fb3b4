"""The Release type."""

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from loaders.paging import Ordering
from loaders.release import RELEASES_NEWEST_FIRST, RELEASES_OLDEST_FIRST
from schema.connection import OrderDirection
from schema.context import Info
from schema.ids import row_ids
from schema.row import RowType

if TYPE_CHECKING:
    from schema.package import Package


@strawberry.type(description="A published version of a package.")
class Release(RowType, relay.Node):
    id: relay.NodeID[int]
    version: str = strawberry.field(description="The version, a PEP 440 string unique within its package.")
    created_at: datetime
    comment: str | None
    url: str | None
    size: int = strawberry.field(description="Size of the release's files in bytes.")
    yanked: bool = strawberry.field(description="Whether the release was withdrawn; it is still listed.")
    package_id: strawberry.Private[int]

    @strawberry.field
    async def package(self, info: Info) -> Annotated["Package", strawberry.lazy("schema.package")]:
        from schema.package import Package

        row = await info.context.loaders.package_by_id.load(self.package_id)
        assert row is not None, "releases.package_id is a foreign key"
        return Package.from_row(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await info.context.loaders.release_by_id.load_many(row_ids(node_ids))
        return [cls.from_optional_row(row) for row in rows]


@strawberry.enum(description="What releases can be sorted by.")
class ReleaseOrderField(Enum):
    CREATED_AT = "created_at"


@strawberry.input(description="How to sort releases; the id breaks ties in the same direction.")
class ReleaseOrder:
    field: ReleaseOrderField = ReleaseOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC

    @property
    def ordering(self) -> Ordering:
        return RELEASES_NEWEST_FIRST if self.direction is OrderDirection.DESC else RELEASES_OLDEST_FIRST

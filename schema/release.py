"""The Release type."""

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from strawberry import relay

from loaders.paging import Ordering
from loaders.release import (
    RELEASES_HIGHEST_FIRST,
    RELEASES_LOWEST_FIRST,
    RELEASES_NEWEST_FIRST,
    RELEASES_OLDEST_FIRST,
)
from loaders.release_filter import ReleaseWhere
from schema.connection import OrderDirection
from schema.context import Info
from schema.errors import BadArgument
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
    prerelease: bool = strawberry.field(description="Whether the version is a pre- or dev-release (PEP 440).")
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
    VERSION = strawberry.enum_value("version", description="PEP 440 order: 1.9 < 1.10, 1.0a1 < 1.0 < 1.0.post1.")


@strawberry.input(description="How to sort releases; the id breaks ties in the same direction.")
class ReleaseOrder:
    field: ReleaseOrderField = ReleaseOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC

    @property
    def ordering(self) -> Ordering:
        descending = self.direction is OrderDirection.DESC
        if self.field is ReleaseOrderField.VERSION:
            return RELEASES_HIGHEST_FIRST if descending else RELEASES_LOWEST_FIRST
        return RELEASES_NEWEST_FIRST if descending else RELEASES_OLDEST_FIRST


@strawberry.input(description="Conditions a release must meet, all of them.")
class ReleaseFilter:
    yanked: bool | None = strawberry.field(default=None, description="Yanked releases only, or none of them.")
    prerelease: bool | None = strawberry.field(
        default=None,
        description="Pre- and dev-releases only, or none of them. When unset, `version` decides: a pre-release "
        "passes it only when one of its specifiers names a pre-release.",
    )
    version: str | None = strawberry.field(
        default=None,
        description='A PEP 440 specifier set such as ">=1.4,<2", "~=1.4", "==1.*" or "!=1.5", matched as '
        "`packaging`'s `SpecifierSet.contains` matches.",
    )

    @property
    def where(self) -> ReleaseWhere:
        """The filter, checked: an invalid specifier set is an error that names it."""
        specifiers = None
        if self.version is not None:
            try:
                specifiers = SpecifierSet(self.version)
            except InvalidSpecifier:
                raise BadArgument(
                    "filter.version", f'is not a PEP 440 specifier set such as ">=1.4,<2": {self.version!r}.'
                ) from None
        return ReleaseWhere(yanked=self.yanked, prerelease=self.prerelease, specifiers=specifiers)

"""The User type."""

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, Self

import strawberry
from strawberry import relay

from loaders.package import PACKAGES_BY_NAME
from schema.connection import Connection, page_of
from schema.context import Info
from schema.errors import GONE, Unauthenticated
from schema.ids import row_ids
from schema.package import Package, PackageFilter, nested_packages
from schema.row import RowType


@strawberry.type(description="An account on the index.")
class User(RowType, relay.Node):
    _row_sources: ClassVar[dict[str, str]] = {"private_email": "email", "private_token_key": "token_key"}

    id: relay.NodeID[int]
    name: str
    created_at: datetime
    profile_image_url: str | None
    private_email: strawberry.Private[str]
    private_token_key: strawberry.Private[str]

    @strawberry.field(description="The user's email address; shown to that user only, null for everyone else.")
    def email(self, info: Info) -> str | None:
        ctx = info.context
        if self.id in ctx.revealed_user_ids:
            return self.private_email
        if self.id != ctx.viewer_id:
            return None
        if self.private_token_key != ctx.viewer_key:  # a token of an account that had this id, or was signed out
            raise Unauthenticated(GONE)
        return self.private_email

    @strawberry.field(description="The packages this user maintains, by name.")
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
            loaders.packages_by_user_id,
            loaders.package_count_by_user_id,
            loaders.package_count_by_user_id_and_filter,
            page,
            filter,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await info.context.loaders.user_by_id.load_many(row_ids(node_ids))
        return [cls.from_optional_row(row) for row in rows]

"""Relay cursor connections: the generic types and the checks on their page arguments."""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

from loaders.paging import CursorError, Ordering, Page, Slice
from schema.context import Info
from schema.cost import ONE_PAGE, list_bound
from schema.errors import BadArgument

NodeT = TypeVar("NodeT")


@strawberry.enum(description="Which way a list is sorted.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.type(description="Information to aid in pagination.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items exist after this page.")
    has_previous_page: bool = strawberry.field(description="Whether items exist before this page.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last item of this page.")


def _cursor(root: "Edge[Any]") -> str:
    # Encoded only when asked for: most pages want the nodes and at most the last cursor.
    return root.slice.cursor(root.index)


@strawberry.type(description="An item of a connection, with the cursor to page on from it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(resolver=_cursor)
    node: NodeT
    slice: strawberry.Private[Slice[Any]]
    index: strawberry.Private[int]


@strawberry.type(description="One page of a list, with its cursors and the size of the whole list.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(metadata=list_bound(ONE_PAGE))
    slice: strawberry.Private[Slice[Any]]
    count: strawberry.Private[Callable[[], Awaitable[int]]]
    outside: strawberry.Private[Callable[[], Awaitable[bool]]]

    @strawberry.field(description="The number of items in the whole list, whatever the page arguments.")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(description="Information to aid in pagination.")
    async def page_info(self) -> PageInfo:
        has_previous, has_next = self.slice.has_previous, self.slice.has_next
        if has_previous is None:
            has_previous = await self.outside()
        if has_next is None:
            has_next = await self.outside()
        size = len(self.slice.rows)
        return PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=self.slice.cursor(0) if size else None,
            end_cursor=self.slice.cursor(size - 1) if size else None,
        )

    @classmethod
    def build(
        cls,
        slice_: Slice[Any],
        node: Callable[[Any], NodeT],
        count: Callable[[], Awaitable[int]],
        outside: Callable[[], Awaitable[bool]] | None = None,
    ) -> "Connection[NodeT]":
        """A connection over `slice_`; `outside` answers what the slice could not, and defaults to `count() > 0`.

        The default holds for an empty page after a cursor: every row of the list then lies before it.
        """

        async def any_rows() -> bool:
            return await count() > 0

        return cls(
            edges=[Edge(node=node(row), slice=slice_, index=i) for i, row in enumerate(slice_.rows)],
            slice=slice_,
            count=count,
            outside=outside or any_rows,
        )


def page_of(
    info: Info, ordering: Ordering, first: int | None, after: str | None, last: int | None, before: str | None
) -> Page:
    """Check a connection's page arguments against the size limits and decode its cursors."""
    default_size, max_size = info.context.settings.page_size_default, info.context.settings.page_size_max
    if first is not None and last is not None:
        raise BadArgument("first", "cannot be combined with `last`; page forwards or backwards, not both.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= max_size:
            raise BadArgument(name, f"must be between 0 and {max_size}, got {size}.")
    if first is None and last is None:
        first = default_size
    return Page(
        ordering=ordering,
        first=first,
        last=last,
        after=_decode("after", ordering, after),
        before=_decode("before", ordering, before),
    )


def _decode(argument: str, ordering: Ordering, cursor: str | None) -> tuple[Any, ...] | None:
    if cursor is None:
        return None
    try:
        return ordering.decode(cursor)
    except CursorError as error:
        raise BadArgument(argument, str(error) + ".") from None

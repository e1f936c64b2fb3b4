"""Connections as plain values for the planned executor: nested pages loaded in one batch per level.

A nested connection (`Package.releases`, `User.packages`, `Classifier.packages`) is fed for all the parents
of a level at once: the page arguments are checked once, every parent's page is one key of the same
DataLoader batch as the field's resolver uses, so the statements are the same. Its value, `NestedPage`,
reads like the `Connection` a root resolver returns (`edges`, `slice`, `count()`, `outside()`), so that
`totalCount`, `pageInfo` and `cursor` have one batch source each for both.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from aiodataloader import DataLoader

from loaders.paging import Ordering, Page, Slice
from schema.connection import page_of
from schema.context import Context, Info
from schema.package_filter import package_where


@dataclass(frozen=True, slots=True)
class ContextOnly:
    """What resolvers and `page_of` are handed for `info`: they read `info.context` and nothing else of it."""

    context: Context


class EdgeValue:
    """An edge of a nested page: what `Edge` holds, without building one."""

    __slots__ = ("index", "node", "slice")

    def __init__(self, node: Any, slice_: Slice[Any], index: int) -> None:
        self.node, self.slice, self.index = node, slice_, index


class NestedPage:
    """One parent's page of a nested connection, and where its count comes from."""

    __slots__ = ("count_key", "counts", "node", "slice")

    def __init__(
        self, slice_: Slice[Any], node: Callable[[Any], Any], counts: DataLoader[Any, int], count_key: Any
    ) -> None:
        self.slice, self.node, self.counts, self.count_key = slice_, node, counts, count_key

    @property
    def edges(self) -> list[EdgeValue]:
        node, slice_ = self.node, self.slice
        return [EdgeValue(node(row), slice_, index) for index, row in enumerate(slice_.rows)]

    def count(self) -> Awaitable[int]:
        return self.counts.load(self.count_key)  # one future per parent, all dispatched as one batch

    async def outside(self) -> bool:
        # As `Connection.build`'s default: an empty page after a cursor has every row of the list before it.
        return await self.count() > 0


class PageInfoValue:
    """`PageInfo` of a page, its cursors encoded only when asked for."""

    __slots__ = ("has_next_page", "has_previous_page", "slice")

    def __init__(self, slice_: Slice[Any], has_previous: bool, has_next: bool) -> None:
        self.slice, self.has_previous_page, self.has_next_page = slice_, has_previous, has_next

    @property
    def start_cursor(self) -> str | None:
        return self.slice.cursor(0) if self.slice.rows else None

    @property
    def end_cursor(self) -> str | None:
        size = len(self.slice.rows)
        return self.slice.cursor(size - 1) if size else None


@dataclass(frozen=True, slots=True)
class Nested:
    """A nested connection field: its page loader, its count loaders and how its arguments pick the children."""

    pages: str  # the loaders' names
    counts: str
    filtered_counts: str
    node: Callable[[Any], Any]
    ordering: Callable[[dict[str, Any]], Ordering]
    where: Callable[[Context, Any], Hashable | None]  # the filter argument, checked; None: every child

    def feed(self, ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> Awaitable[list[Any]]:
        """Every parent's page, one key each of one loader batch; the arguments fail the same for all."""
        get = arguments.get
        info = cast(Info, ContextOnly(ctx))
        page: Page = page_of(info, self.ordering(arguments), get("first"), get("after"), get("last"), get("before"))
        filter_ = get("filter")
        where = None if filter_ is None else self.where(ctx, filter_)
        loaders = ctx.loaders
        ids = [parent.id for parent in parents]
        if where is None:
            counts, count_keys = getattr(loaders, self.counts), ids
        else:
            page = replace(page, where=where)
            counts, count_keys = getattr(loaders, self.filtered_counts), [(id_, where) for id_ in ids]
        slices = getattr(loaders, self.pages).load_many([(id_, page) for id_ in ids])
        return self.pages_of(slices, counts, count_keys)

    async def pages_of(
        self, slices: Awaitable[list[Slice[Any]]], counts: DataLoader[Any, int], count_keys: list[Any]
    ) -> list[Any]:
        node = self.node
        return [NestedPage(slice_, node, counts, key) for slice_, key in zip(await slices, count_keys, strict=True)]


def packages_where(ctx: Context, filter_: Any) -> Hashable | None:
    return package_where(filter_, ctx.settings.max_filter_depth)


def releases_where(ctx: Context, filter_: Any) -> Hashable | None:
    return cast(Hashable, filter_.where)


async def total_counts(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[int]:
    """`totalCount` of every page of a level: nested pages' counts are one loader batch."""
    return list(await asyncio.gather(*(parent.count() for parent in parents)))


async def page_infos(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[PageInfoValue]:
    """`pageInfo` of every page of a level; what a page alone cannot tell is asked of its `outside()`."""
    unknown = [parent for parent in parents if parent.slice.has_previous is None or parent.slice.has_next is None]
    beyond = dict(zip(map(id, unknown), await asyncio.gather(*(p.outside() for p in unknown)), strict=True))
    values = []
    for parent in parents:
        slice_ = parent.slice
        has_previous, has_next = slice_.has_previous, slice_.has_next
        values.append(
            PageInfoValue(
                slice_,
                beyond[id(parent)] if has_previous is None else has_previous,
                beyond[id(parent)] if has_next is None else has_next,
            )
        )
    return values


def cursors(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[str]:
    """`Edge.cursor`, of an `Edge` or an `EdgeValue`."""
    return [edge.slice.cursor(edge.index) for edge in parents]

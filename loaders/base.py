"""What every loader of the bundle shares: the request's `Db` and the bundle itself, for priming."""

import asyncio
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy import Select, func

from loaders.paging import Page, Slice, Where, window_parameters, window_slices, window_statement
from models.db import AnyRow, Db
from models.metrics import batch_sizes

if TYPE_CHECKING:
    from loaders import Loaders

K = TypeVar("K")
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    def __init__(self, loaders: "Loaders") -> None:
        super().__init__()
        self.db: Db = loaders.db
        self.loaders = loaders

    # aiodataloader hands every load of a key one future, cached for the request. A caller cancelled while it
    # awaits it (graphql-core cancels the pending siblings of a non-null field that failed) would cancel it for
    # every other caller of that key: each caller awaits a shield of its own instead.
    def load(self, key: K) -> "asyncio.Future[V]":
        return asyncio.shield(super().load(key))

    def load_many(self, keys: Iterable[K]) -> "asyncio.Future[list[V]]":
        return asyncio.shield(asyncio.gather(*(DataLoader.load(self, key) for key in keys)))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every batch a loader makes is measured; wrapped once per class, so a request pays no more than a call."""
        super().__init_subclass__(**kwargs)
        batch_load_fn = getattr(cls, "batch_load_fn")  # noqa: B009  # typed per instance, read here off the class
        batch_load_fn = getattr(batch_load_fn, "__wrapped__", batch_load_fn)
        setattr(cls, "batch_load_fn", batch_sizes(cls.__name__, batch_load_fn))  # noqa: B010


class PageLoader(Loader[tuple[int, Page], Slice[AnyRow]]):
    """Pages of children keyed `(parent_id, page)`: each distinct page (its filter included) is one windowed statement.

    A page without a cursor also counts each parent's children, which primes `count_loader` (or, for a filtered
    page, `filtered_count_loader`) for `totalCount`.
    """

    # The columns of the children of the parents in `PARENT_IDS`, and the column naming each one's parent.
    children: ClassVar[Select[Any]]
    parent: ClassVar[Any]

    def seen(self, rows: Iterable[AnyRow]) -> None:
        """Hand the loaded rows to the by-id loader of their kind."""

    @property
    def count_loader(self) -> DataLoader[int, int] | None:
        """The loader of each parent's number of children, if there is one."""
        return None

    @property
    def filtered_count_loader(self) -> DataLoader[tuple[int, Any], int] | None:
        """The loader of each parent's number of children that pass a filter, if there is one."""
        return None

    def children_of(self, where: Hashable | None) -> Select[Any]:
        """The children that pass `where`, a page's filter: a `Where` unless the loader says how it filters."""
        # Read off the class: a model attribute read off an instance would take it for a model row.
        children = type(self).children
        return children if where is None else children.where(cast(Where, where).clause())

    def counted(self, parent_id: int, where: Hashable | None, total: int) -> None:
        """Prime the number of the parent's children that pass `where`, which a page without a cursor tells."""
        counts = self.count_loader if where is None else None
        if counts is not None:
            counts.prime(parent_id, total)
        filtered_counts = self.filtered_count_loader if where is not None else None
        if filtered_counts is not None:
            filtered_counts.prime((parent_id, where), total)

    async def batch_load_fn(self, keys: list[tuple[int, Page]]) -> list[Slice[AnyRow]]:
        by_page: dict[Page, list[int]] = {}
        for parent_id, page in keys:
            by_page.setdefault(page, []).append(parent_id)
        slices: dict[tuple[int, Page], Slice[AnyRow]] = {}
        for page, parent_ids in by_page.items():
            stmt = window_statement(self.children_of(page.where), type(self).parent, page.shape)
            rows = await self.db.rows(stmt, window_parameters(page, parent_ids))
            for parent_id, window in zip(parent_ids, window_slices(rows, page, parent_ids), strict=True):
                slices[parent_id, page] = window.slice
                self.seen(window.slice.rows)
                if window.total is not None:
                    self.counted(parent_id, page.where, window.total)
        return [slices[key] for key in keys]


class FilteredCountLoader(Loader[tuple[int, Where], int]):
    """The number of children of each parent that pass a filter, keyed `(parent_id, filter)`.

    Counts the children of `pages`, its page loader; each distinct filter is one statement over all parents.
    """

    pages: ClassVar[type[PageLoader]]

    async def batch_load_fn(self, keys: list[tuple[int, Where]]) -> list[int]:
        by_where: dict[Where, list[int]] = {}
        for parent_id, where in keys:
            by_where.setdefault(where, []).append(parent_id)
        found: dict[tuple[int, Where], int] = {}
        parent = self.pages.parent
        for where, parent_ids in by_where.items():
            stmt = (
                self.pages.children.where(where.clause())
                .with_only_columns(parent, func.count(), maintain_column_froms=True)
                .group_by(parent)
            )
            for parent_id, n in await self.db.rows(stmt, {"parent_ids": parent_ids}):
                found[parent_id, where] = n
        return [found.get(key, 0) for key in keys]


def by_id(rows: Iterable[Any], ids: Sequence[int]) -> list[Any]:
    """One row per id in the order asked, None where there is no such row."""
    found = {row.id: row for row in rows}
    return [found.get(id_) for id_ in ids]


def grouped(pairs: Iterable[tuple[int, V]], parent_ids: Sequence[int]) -> list[list[V]]:
    """Children per parent in the order asked, [] where a parent has none."""
    groups: dict[int, list[V]] = {}
    for parent_id, child in pairs:
        groups.setdefault(parent_id, []).append(child)
    return [groups.get(parent_id, []) for parent_id in parent_ids]


def counts(pairs: Iterable[tuple[int, int]], parent_ids: Sequence[int]) -> list[int]:
    found = dict(pairs)
    return [found.get(parent_id, 0) for parent_id in parent_ids]

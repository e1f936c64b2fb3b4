"""Keyset cursors and the SQL behind one page of a connection, for one parent or for many at once."""

import base64
import binascii
import json
import math
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, bindparam, case, func, literal, select, tuple_
from sqlalchemy.orm import QueryableAttribute

from models.db import AnyRow

T = TypeVar("T")
SortKey = ColumnElement[Any] | QueryableAttribute[Any]


class CursorError(ValueError):
    """A cursor that this API did not hand out, or handed out for another ordering."""


@dataclass(frozen=True, eq=False)
class Ordering:
    """A total order of a connection: sort keys, the row id last, all in one direction.

    Orderings are module constants compared by identity, so a `Page` that holds one stays a cheap loader key.
    """

    name: str
    keys: tuple[SortKey, ...]
    descending: bool = False

    def encode(self, values: Sequence[Any]) -> str:
        plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
        raw = json.dumps([self.name, *plain], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, ...]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise CursorError("is not a valid cursor") from None
        if not isinstance(payload, list) or len(payload) != len(self.keys) + 1:
            raise CursorError("is not a valid cursor")
        if payload[0] != self.name:
            raise CursorError("belongs to another ordering; start again without a cursor")
        return tuple(_parse(key, value) for key, value in zip(self.keys, payload[1:], strict=True))


INT_RANGE = range(-(2**31), 2**31)  # ids and counts are 32-bit integers on PostgreSQL


def _parse(key: SortKey, value: Any) -> Any:
    expected = key.type.python_type
    if expected is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise CursorError("is not a valid cursor") from None
        if parsed.tzinfo is None:
            raise CursorError("is not a valid cursor")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise CursorError("is not a valid cursor") from None
    if expected is int and isinstance(value, int) and not isinstance(value, bool) and value in INT_RANGE:
        return value
    if expected is float and isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if expected is str and isinstance(value, str) and "\x00" not in value:
        try:
            value.encode()  # a lone surrogate cannot reach the database
        except UnicodeEncodeError:
            raise CursorError("is not a valid cursor") from None
        return value
    raise CursorError("is not a valid cursor")


class Where(Protocol):
    """A filter on the children of a page; hashable, so that each distinct one is one statement over all parents."""

    def __hash__(self) -> int: ...

    def clause(self) -> ColumnElement[bool]: ...


@dataclass(frozen=True)
class Page:
    """The arguments of one connection page, already validated; hashable, so it can key a loader."""

    ordering: Ordering
    first: int | None = None
    last: int | None = None
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None
    # What the children are filtered by: a hashable value the loader compiles (a `Where`, unless the loader says
    # otherwise); each distinct one is one statement over all parents. None: every child.
    where: Hashable | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def limit(self) -> int:
        limit = self.last if self.backward else self.first
        assert limit is not None
        return limit

    @property
    def shape(self) -> "Shape":
        return Shape(self.ordering, self.backward, self.after is not None, self.before is not None)

    def parameters(self) -> dict[str, Any]:
        """The values of the page's bound parameters: its cursors' sort keys (the size is the caller's)."""
        found: dict[str, Any] = {}
        for side, cursor in (("after", self.after), ("before", self.before)):
            if cursor is not None:
                found.update((f"{side}{i}", value) for i, value in enumerate(cursor))
        return found


@dataclass(frozen=True)
class Shape:
    """What the SQL of a page depends on. Its values go in as bound parameters, so SQL built once per shape
    serves every page of that shape: building a statement costs more than running it on a small page."""

    ordering: Ordering
    backward: bool
    after: bool
    before: bool

    @property
    def start(self) -> str | None:
        """The cursor the page starts from: `after` going forwards, `before` going backwards."""
        side = "before" if self.backward else "after"
        return side if getattr(self, side) else None


@dataclass
class Slice(Generic[T]):
    """One page of rows with the sort key values of each, which its cursor encodes when someone asks for it.

    `has_previous`/`has_next` are None when this page alone cannot tell (an empty page after a cursor).
    """

    rows: list[T]
    keys: list[tuple[Any, ...]]
    ordering: Ordering
    has_previous: bool | None
    has_next: bool | None

    def cursor(self, index: int) -> str:
        return self.ordering.encode(self.keys[index])


def _keyset(keys: Sequence[SortKey], side: str, *, greater: bool) -> ColumnElement[bool]:
    row = tuple_(*keys)
    bound = tuple_(*(bindparam(f"{side}{i}", type_=key.type) for i, key in enumerate(keys)))
    return row > bound if greater else row < bound


def _bounds(shape: Shape, keys: Sequence[SortKey]) -> list[ColumnElement[bool]]:
    desc = shape.ordering.descending
    bounds = []
    if shape.after:
        bounds.append(_keyset(keys, "after", greater=not desc))
    if shape.before:
        bounds.append(_keyset(keys, "before", greater=desc))
    return bounds


def _outside(keys: Sequence[SortKey], shape: Shape) -> ColumnElement[bool]:
    """Rows on the far side of the cursor a page starts from: at or before `after`, at or after `before`."""
    assert shape.start is not None
    return ~_keyset(keys, shape.start, greater=shape.ordering.descending == shape.backward)


def _order_by(shape: Shape, keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """The page's scan order: the ordering itself, or its reverse when paging backwards from the end."""
    reverse = shape.ordering.descending != shape.backward
    return [key.desc() if reverse else key.asc() for key in keys]


# The statements built on another, by that statement (compared by identity) and what was built of it. Weak keys:
# a module-level statement (a whole table, a loader's children) keeps its own for good, a filtered one built for
# a request takes its own along when it goes.
_built: "weakref.WeakKeyDictionary[Select[Any], dict[Hashable, Select[Any]]]" = weakref.WeakKeyDictionary()


def _once(stmt: Select[Any], key: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
    built = _built.setdefault(stmt, {})
    if key not in built:
        built[key] = build()
    return built[key]


def keyset_statement(stmt: Select[Any], shape: Shape) -> Select[Any]:
    """One page of a top-level connection: keyset bounds and LIMIT (index-friendly).

    Parameters: the page's, and `fetch`, the page size plus one row to see past it.
    """
    keys = shape.ordering.keys
    return _once(
        stmt,
        ("page", shape),
        lambda: (
            stmt.add_columns(*(key.label(f"k{i}") for i, key in enumerate(keys)))
            .where(*_bounds(shape, keys))
            .order_by(*_order_by(shape, keys))
            .limit(bindparam("fetch", type_=Integer))
        ),
    )


def outside_statement(stmt: Select[Any], shape: Shape) -> Select[Any]:
    """Whether rows exist beyond the cursor the page starts from (before `after`, or after `before`)."""
    return _once(stmt, ("outside", shape), lambda: select(stmt.where(_outside(shape.ordering.keys, shape)).exists()))


def count_statement(stmt: Select[Any]) -> Select[Any]:
    """The number of rows of `stmt`."""
    return _once(stmt, "count", lambda: stmt.with_only_columns(func.count(), maintain_column_froms=True))


def keyset_slice(rows: Sequence[AnyRow], page: Page) -> Slice[AnyRow]:
    """Turn the rows of `keyset_statement` into a page in display order; each row ends with its sort keys."""
    n_keys = len(page.ordering.keys)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows = rows[::-1]
    # None: only `outside_statement` can tell.
    outside = False if (page.before if page.backward else page.after) is None else None
    return Slice(
        rows=list(rows),
        keys=[tuple(row[-n_keys:]) for row in rows],
        ordering=page.ordering,
        has_previous=more if page.backward else outside,
        has_next=outside if page.backward else more,
    )


def window_statement(stmt: Select[Any], parent: ColumnElement[Any], shape: Shape) -> Select[Any]:
    """One page for each of many parents in a single statement.

    `stmt` selects the columns of the wanted parents' children; `parent` is the column naming each row's parent.
    Rows are numbered per parent inside the cursor bounds. `outside` (the parent's rows on the far side of the
    cursor the page starts from) and `remaining` (rows inside the bounds) tell whether rows exist on either
    side of the page; without a cursor, `remaining` is the parent's whole count. Each row is the child's
    columns, then `parent_id`, the sort keys, `outside` and `remaining`.
    Parameters: the page's and `stmt`'s, and `limit`, the rows to keep per parent.
    """
    return _once(stmt, ("window", parent, shape), lambda: _window(stmt, parent, shape))


def _window(stmt: Select[Any], parent: ColumnElement[Any], shape: Shape) -> Select[Any]:
    keys = shape.ordering.keys
    outside = (
        literal(0)
        if shape.start is None
        else func.sum(case((_outside(keys, shape), 1), else_=0)).over(partition_by=parent)
    )
    everything = stmt.add_columns(
        parent.label("parent_id"),
        *(key.label(f"k{i}") for i, key in enumerate(keys)),
        outside.label("outside"),
    ).subquery("everything")
    inner_keys = [everything.c[f"k{i}"] for i in range(len(keys))]
    position = (
        func.row_number()
        .over(partition_by=everything.c.parent_id, order_by=_order_by(shape, inner_keys))
        .label("position")
    )
    remaining = func.count().over(partition_by=everything.c.parent_id).label("remaining")
    bounded = select(*everything.c, position, remaining).where(*_bounds(shape, inner_keys)).subquery("bounded")
    return (
        select(*(column for column in bounded.c if column.key != "position"))
        .where(bounded.c.position <= bindparam("limit", type_=Integer))
        .order_by(bounded.c.parent_id, bounded.c.position)
    )


def window_parameters(page: Page, parent_ids: Sequence[Any]) -> dict[str, Any]:
    # At least one row per parent even for `first: 0`, whose counts still tell what lies beyond.
    return {"parent_ids": list(parent_ids), "limit": max(page.limit, 1), **page.parameters()}


@dataclass
class Window(Generic[T]):
    """A parent's page out of `window_statement`, and the parent's whole count when the page tells it."""

    slice: Slice[T]
    total: int | None


def window_slices(rows: Sequence[AnyRow], page: Page, parent_ids: Sequence[Any]) -> list[Window[AnyRow]]:
    """Split the rows of `window_statement` into one page per parent, in display order."""
    n_keys = len(page.ordering.keys)
    parent_at = -n_keys - 3  # the row ends with parent_id, the keys, outside and remaining
    grouped: dict[Any, list[AnyRow]] = {}
    for row in rows:
        grouped.setdefault(row[parent_at], []).append(row)
    start = page.before if page.backward else page.after
    windows = []
    for parent_id in parent_ids:
        group = grouped.get(parent_id, [])
        total = group[0][-1] if group else 0
        if start is None:
            outside: bool | None = False
        elif group:
            outside = group[0][-2] > 0
        else:
            outside = None  # an empty page: only the parent's row count can tell
        more = bool(group) and total > page.limit
        group = group[: page.limit]
        if page.backward:
            group.reverse()
        slice_ = Slice(
            rows=group,
            keys=[tuple(row[parent_at + 1 : -2]) for row in group],
            ordering=page.ordering,
            has_previous=more if page.backward else outside,
            has_next=outside if page.backward else more,
        )
        # Inside cursor bounds, `remaining` counts only the rows between them.
        has_bounds = page.after is not None or page.before is not None
        windows.append(Window(slice_, None if has_bounds else total))
    return windows

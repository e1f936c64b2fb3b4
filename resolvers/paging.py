"""Top-level connections: one keyset-paged statement, with the count and the far side asked only when needed."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select

import models
from loaders.paging import Page, count_statement, keyset_slice, keyset_statement, outside_statement
from models.db import Params
from schema.connection import Connection
from schema.context import Info

NodeT = TypeVar("NodeT")
COUNTER = select(models.Counter.value).where(models.Counter.name == bindparam("name"))


async def connection(
    info: Info,
    stmt: Select[Any],
    page: Page,
    node: Callable[[Any], NodeT],
    prime: Callable[[Any], object] | None = None,
    counter: models.CounterName | None = None,
    bound: Params | None = None,
) -> Connection[NodeT]:
    """The page of `stmt` (a select of one model's columns, filtered but not ordered) that `page` asks for.

    `prime` hands each loaded row to the by-id loader of its kind. `counter` names the counter that holds the
    number of rows of `stmt` (a whole table, unfiltered): `totalCount` reads it instead of counting them.
    `bound` holds the values of `stmt`'s own bound parameters, so that one statement serves every request.
    """
    db = info.context.db
    parameters = {**(bound or {}), **page.parameters()}
    rows = await db.rows(keyset_statement(stmt, page.shape), {"fetch": page.limit + 1, **parameters})
    slice_ = keyset_slice(rows, page)
    if prime is not None:
        for row in slice_.rows:
            prime(row)

    async def count() -> int:
        if counter is not None:
            return await db.value(COUNTER, {"name": counter}) or 0
        return await db.value(count_statement(stmt), bound) or 0

    async def outside() -> bool:
        return bool(await db.value(outside_statement(stmt, page.shape), parameters))

    return Connection.build(slice_, node, count, outside)

"""Root fields that find packages."""

from typing import Any

from sqlalchemy import Select, bindparam, select

import models
from loaders import columns
from loaders.package import RELEASE_COUNT
from resolvers.names import normalize_name
from resolvers.paging import connection
from schema.connection import Connection, page_of
from schema.context import Info
from schema.package import Package, PackageFilter, PackageOrder
from schema.package_filter import package_where

Row = models.Package
ALL = select(*columns.PACKAGE)
# A package page nearly always shows how many releases there are (`releaseCount`, `releases { totalCount }`);
# for one package the count is a cheap index scan, so it comes with the row and saves the page a statement.
BY_NAME = select(*columns.PACKAGE, RELEASE_COUNT.label("release_count")).where(Row.name == bindparam("name"))


async def package(info: Info, name: str) -> Package | None:
    row = await info.context.db.first(BY_NAME, {"name": normalize_name(name)})
    if row is None:
        return None
    info.context.loaders.package_by_id.prime(row.id, row)
    info.context.loaders.release_count_by_package_id.prime(row.id, row.release_count)
    return Package.from_row(row)


async def packages(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: PackageFilter | None = None,
    order_by: PackageOrder | None = None,
) -> Connection[Package]:
    page = page_of(info, (order_by or PackageOrder()).ordering, first, after, last, before)
    where = package_where(filter, info.context.settings.max_filter_depth)
    if where is None:
        return await _connection(info, ALL, page, counter="packages")
    return await _connection(info, ALL.where(where.clause()), page)


async def _connection(
    info: Info, stmt: Select[Any], page: Any, counter: models.CounterName | None = None
) -> Connection[Package]:
    by_id = info.context.loaders.package_by_id
    return await connection(info, stmt, page, Package.from_row, lambda row: by_id.prime(row.id, row), counter)

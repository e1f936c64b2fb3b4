"""Root fields that find packages."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, select

import models
from loaders import columns
from loaders.package import RELEASE_COUNT
from resolvers.names import normalize_name
from resolvers.paging import connection
from schema.connection import Connection, page_of
from schema.context import Info
from schema.errors import BadArgument
from schema.ids import row_id_of
from schema.package import Package, PackageFilter, PackageOrder

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
    conditions = _conditions(filter) if filter else []
    if not conditions:
        return await _connection(info, ALL, page, counter="packages")
    return await _connection(info, ALL.where(*conditions), page)


async def _connection(
    info: Info, stmt: Select[Any], page: Any, counter: models.CounterName | None = None
) -> Connection[Package]:
    by_id = info.context.loaders.package_by_id
    return await connection(info, stmt, page, Package.from_row, lambda row: by_id.prime(row.id, row), counter)


def _conditions(filter: PackageFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filter.name_prefix is not None:
        conditions.append(Row.name.startswith(normalize_name(filter.name_prefix), autoescape=True))
    if filter.name_contains is not None:
        conditions.append(Row.name.contains(normalize_name(filter.name_contains), autoescape=True))
    if filter.license is not None:
        conditions.append(Row.license == filter.license)
    if filter.classifier is not None:
        link = models.package_classifiers.c
        conditions.append(
            exists()
            .where(link.package_id == Row.id, link.classifier_id == models.Classifier.id)
            .where(models.Classifier.name == filter.classifier)
        )
    if filter.maintainer is not None:
        user_id = row_id_of(filter.maintainer, "User", "filter.maintainer")
        conditions.append(exists().where(models.Maintainer.package_id == Row.id, models.Maintainer.user_id == user_id))
    for argument, column, value, lower in (
        ("filter.createdAfter", Row.created_at, filter.created_after, True),
        ("filter.createdBefore", Row.created_at, filter.created_before, False),
        ("filter.updatedAfter", Row.updated_at, filter.updated_after, True),
        ("filter.updatedBefore", Row.updated_at, filter.updated_before, False),
    ):
        if value is not None:
            conditions.append(column >= _aware(argument, value) if lower else column < _aware(argument, value))
    return conditions


def _aware(argument: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise BadArgument(argument, "needs a UTC offset, as in 2024-01-31T12:00:00Z.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadArgument(argument, "is out of range once moved to UTC.") from None

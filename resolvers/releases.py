"""Root fields that find releases."""

from packaging.version import InvalidVersion, Version
from sqlalchemy import Integer, bindparam, select

import models
from loaders import columns
from models.version_key import version_key
from resolvers.names import normalize_name
from schema.context import Info
from schema.errors import BadArgument
from schema.release import Release

Row = models.Release
BY_VERSION = (
    select(*columns.RELEASE)
    .join(models.Package, models.Package.id == Row.package_id)
    .where(models.Package.name == bindparam("package"), Row.version_key == bindparam("key"))
)
NEWEST = (
    select(*columns.RELEASE).order_by(Row.created_at.desc(), Row.id.desc()).limit(bindparam("limit", type_=Integer))
)


async def release(info: Info, package: str, version: str) -> Release | None:
    # Found by any spelling PEP 440 calls equal: `1.0.0`, `v1.0` and `1.0` are one release. What is no version
    # at all simply finds nothing.
    try:
        key = version_key(Version(version.strip()))
    except InvalidVersion:
        return None
    row = await info.context.db.first(BY_VERSION, {"package": normalize_name(package), "key": key})
    if row is None:
        return None
    info.context.loaders.release_by_id.prime(row.id, row)
    return Release.from_row(row)


async def latest_releases(info: Info, limit: int | None = 10) -> list[Release]:
    if limit is None:
        limit = 10
    max_size = info.context.settings.page_size_max
    if not 0 <= limit <= max_size:
        raise BadArgument("limit", f"must be between 0 and {max_size}, got {limit}.")
    rows = await info.context.db.rows(NEWEST, {"limit": limit})
    for row in rows:
        info.context.loaders.release_by_id.prime(row.id, row)
    return [Release.from_row(row) for row in rows]

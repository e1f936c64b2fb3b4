"""Publishing and yanking releases."""

from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from live.announce import announce
from live.events import ReleasePublished
from models.base import utcnow
from models.version_key import version_key
from resolvers.permissions import authorize
from resolvers.validation import Checks
from resolvers.work import write
from schema.context import Info
from schema.errors import Conflict, NotFound, Refused
from schema.mutations import PublishReleaseInput, PublishReleaseResult, ReleasePayload, YankReleaseResult
from schema.release import Release

MAX_SIZE = 2**31 - 1  # GraphQL's Int


def key_of(version: str) -> str | None:
    """The version key of a checked version; None for one the checks refused (the unit of work stops first)."""
    try:
        return version_key(Version(version))
    except InvalidVersion:
        return None


async def publish_release(info: Info, input: PublishReleaseInput) -> PublishReleaseResult:
    checks = Checks()
    version = checks.version("version", input.version)
    comment = checks.text("comment", input.comment, max_length=10_000)
    url = checks.url("url", input.url)
    if not 0 <= input.size <= MAX_SIZE:
        checks.fail("size", f"must be between 0 and {MAX_SIZE} bytes.")
    taken = Conflict(field="version", message=f"Version {version} of this package already exists.")

    async def work(session: AsyncSession) -> ReleasePayload:
        _, package = await authorize(info, session, input.package, "maintainer")
        checks.done()
        # PEP 440-equal spellings are one release: `1.0.0` is taken once `1.0` is published.
        existing = await session.scalar(
            select(models.Release.version).where(
                models.Release.package_id == package.id, models.Release.version_key == key_of(version)
            )
        )
        if existing == version:
            raise Refused(taken)
        if existing is not None:
            message = f"Version {version} of this package already exists as {existing}, which PEP 440 calls equal."
            raise Refused(Conflict(field="version", message=message))
        now = utcnow()
        row = models.Release(
            package_id=package.id, version=version, created_at=now, comment=comment, url=url, size=input.size
        )
        package.updated_at = now
        session.add(row)
        await session.flush()
        await announce(session, info.context.live.broadcaster, ReleasePublished(row.id, package.id, package.name))
        return ReleasePayload(release=Release.from_row(row))

    return await write(info, work, conflict=taken)  # type: ignore[return-value]


async def yank_release(info: Info, package: str, version: str, yanked: bool = True) -> YankReleaseResult:
    checks = Checks()
    version = checks.version("version", version)

    async def work(session: AsyncSession) -> ReleasePayload:
        _, row = await authorize(info, session, package, "maintainer")
        checks.done()
        release = await session.scalar(
            select(models.Release).where(
                models.Release.package_id == row.id, models.Release.version_key == key_of(version)
            )
        )
        if release is None:
            raise Refused(NotFound(message=f"{row.name} has no version {version}."))
        release.yanked = yanked
        await session.flush()
        return ReleasePayload(release=Release.from_row(release))

    return await write(info, work, conflict=Conflict(message="The release changed meanwhile; try again."))  # type: ignore[return-value]

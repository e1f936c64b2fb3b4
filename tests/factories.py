"""Plain async helpers that write rows for tests; timestamps are explicit, so orders are known."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import models
from models import Role

T0 = datetime(2024, 1, 1, tzinfo=UTC)
_clock = count(1)


def tick() -> datetime:
    """A new timestamp, later than every earlier one."""
    return T0 + timedelta(minutes=next(_clock))


async def user(session: AsyncSession, name: str = "Ada Lovelace", email: str | None = None) -> models.User:
    row = models.User(name=name, email=email or f"{name.replace(' ', '.').lower()}.{next(_clock)}@example.org",
                      created_at=tick())  # fmt: skip
    session.add(row)
    await session.commit()
    return row


async def package(
    session: AsyncSession,
    name: str,
    *,
    versions: Sequence[str] = (),
    yanked: Collection[str] = (),
    maintainers: Sequence[tuple[models.User, Role]] = (),
    classifiers: Sequence[models.Classifier] = (),
    **fields: Any,
) -> models.Package:
    """A package with releases published in the order given, oldest first."""
    created = tick()
    row = models.Package(name=name, created_at=created, updated_at=created, **fields)
    session.add(row)
    await session.flush()
    for version in versions:
        row.updated_at = tick()
        session.add(models.Release(package_id=row.id, version=version, created_at=row.updated_at,
                                   yanked=version in yanked, size=1000))  # fmt: skip
    for maintainer, role in maintainers:
        session.add(models.Maintainer(user_id=maintainer.id, package_id=row.id, role=role))
    for classifier in classifiers:
        await session.execute(
            models.package_classifiers.insert().values(package_id=row.id, classifier_id=classifier.id)
        )
    await session.commit()
    return row


async def classifier(session: AsyncSession, name: str) -> models.Classifier:
    row = models.Classifier(name=name)
    session.add(row)
    await session.commit()
    return row

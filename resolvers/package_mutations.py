"""Creating, changing and deleting packages."""

from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, relay
from strawberry.utils.str_converters import to_camel_case

import models
from models.base import utcnow
from resolvers.names import normalize_name
from resolvers.permissions import authorize, signed_in
from resolvers.validation import Checks
from resolvers.work import write
from schema.context import Info
from schema.errors import Conflict, Refused
from schema.mutations import (
    CreatePackageInput,
    CreatePackageResult,
    DeletePackagePayload,
    DeletePackageResult,
    PackagePayload,
    UpdatePackageInput,
    UpdatePackageResult,
)
from schema.package import Package


def _details(checks: Checks, values: dict[str, Any]) -> dict[str, Any]:
    """Checked package details, keyed by column; only the fields present in `values` (by column name)."""
    limits = {"summary": 512, "description": 100_000, "license": 512, "author_name": 200}
    checked: dict[str, Any] = {}
    for column, value in values.items():
        field = to_camel_case(column)
        if column in ("home_page", "docs_url"):
            checked[column] = checks.url(field, value)
        elif column == "author_email":
            checked[column] = checks.email(field, value)
        else:
            checked[column] = checks.text(field, value, max_length=limits[column])
    return checked


CHANGED_MEANWHILE = Conflict(message="The package changed meanwhile; try again.")
DETAILS = ("summary", "description", "home_page", "docs_url", "license", "author_name", "author_email")


async def create_package(info: Info, input: CreatePackageInput) -> CreatePackageResult:
    checks = Checks()
    checks.package_name("name", input.name.strip())
    name = normalize_name(input.name.strip())
    details = _details(checks, {column: getattr(input, column) for column in DETAILS})
    taken = Conflict(field="name", message=f"A package named {name} already exists.")

    async def work(session: AsyncSession) -> PackagePayload:
        viewer = await signed_in(info, session)
        checks.done()
        if await session.scalar(select(models.Package.id).where(models.Package.name == name)) is not None:
            raise Refused(taken)
        now = utcnow()
        row = models.Package(name=name, created_at=now, updated_at=now, **details)
        session.add_all([row, models.Maintainer(package=row, user_id=viewer.id, role="owner")])
        await session.flush()
        return PackagePayload(package=Package.from_row(row))

    return await write(info, work, conflict=taken)  # type: ignore[return-value]


async def update_package(info: Info, input: UpdatePackageInput) -> UpdatePackageResult:
    checks = Checks()
    changes = _details(checks, {c: getattr(input, c) for c in DETAILS if getattr(input, c) is not UNSET})

    async def work(session: AsyncSession) -> PackagePayload:
        _, row = await authorize(info, session, input.package, "maintainer")
        checks.done()
        if changes:
            for column, value in changes.items():
                setattr(row, column, value)
            row.updated_at = utcnow()
        await session.flush()
        return PackagePayload(package=Package.from_row(row))

    return await write(info, work, conflict=CHANGED_MEANWHILE)  # type: ignore[return-value]


async def delete_package(info: Info, package: str) -> DeletePackageResult:
    async def work(session: AsyncSession) -> DeletePackagePayload:
        _, row = await authorize(info, session, package, "owner")
        payload = DeletePackagePayload(deleted_id=strawberry.ID(relay.to_base64("Package", row.id)), name=row.name)
        await session.delete(row)  # the database deletes its releases and links (ON DELETE CASCADE)
        await session.flush()
        return payload

    return await write(info, work, conflict=CHANGED_MEANWHILE)  # type: ignore[return-value]

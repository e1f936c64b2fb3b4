"""Adding and removing a package's maintainers; owners only."""

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from resolvers.permissions import authorize
from resolvers.validation import Checks
from resolvers.work import write
from schema.context import Info
from schema.errors import BadArgument, Conflict, NotFound, Refused
from schema.ids import row_id_of
from schema.mutations import AddMaintainerResult, MaintainerPayload, MaintainerRole, RemoveMaintainerResult
from schema.package import MAINTAINERS, Package
from schema.user import User


def _user_id(checks: Checks, user: str) -> int:
    try:
        return row_id_of(user, "User", "user")
    except BadArgument as error:
        checks.fail("user", error.message.removeprefix("`user` "))
        return 0


async def add_maintainer(
    info: Info, package: str, user: strawberry.ID, role: MaintainerRole = MaintainerRole.MAINTAINER
) -> AddMaintainerResult:
    checks = Checks()
    user_id = _user_id(checks, user)

    async def work(session: AsyncSession) -> MaintainerPayload:
        _, row = await authorize(info, session, package, "owner")
        checks.done()
        target = await session.get(models.User, user_id)
        if target is None:
            raise Refused(NotFound(message="There is no such user."))
        if await session.get(models.Maintainer, (user_id, row.id)) is not None:
            raise Refused(Conflict(field="user", message=f"{target.name} already maintains {row.name}."))
        # The bound the query cost counts `maintainers` by, kept true: the package row is locked (PostgreSQL) or
        # the database is (SQLite), so two owners adding at once cannot pass it together.
        maintainers = select(func.count()).where(models.Maintainer.package_id == row.id)
        if (await session.scalar(maintainers) or 0) >= MAINTAINERS:
            raise Refused(
                Conflict(field="user", message=f"A package has at most {MAINTAINERS} maintainers; remove one first.")
            )
        session.add(models.Maintainer(user_id=user_id, package_id=row.id, role=role.value))
        await session.flush()
        return MaintainerPayload(package=Package.from_row(row), user=User.from_row(target))

    conflict = Conflict(field="user", message="That user already maintains this package.")
    return await write(info, work, conflict=conflict)  # type: ignore[return-value]


async def remove_maintainer(info: Info, package: str, user: strawberry.ID) -> RemoveMaintainerResult:
    checks = Checks()
    user_id = _user_id(checks, user)

    async def work(session: AsyncSession) -> MaintainerPayload:
        _, row = await authorize(info, session, package, "owner")
        checks.done()
        maintainer = await session.get(models.Maintainer, (user_id, row.id))
        target = await session.get(models.User, user_id)
        if maintainer is None or target is None:
            raise Refused(NotFound(message=f"That user does not maintain {row.name}."))
        await session.delete(maintainer)
        await session.flush()
        # Counted after the delete, inside the transaction: two owners removing each other cannot both succeed.
        owners = select(func.count()).where(models.Maintainer.package_id == row.id, models.Maintainer.role == "owner")
        if not await session.scalar(owners):
            raise Refused(Conflict(field="user", message="The last owner cannot be removed; add another owner first."))
        return MaintainerPayload(package=Package.from_row(row), user=User.from_row(target))

    return await write(info, work, conflict=Conflict(message="The maintainers changed meanwhile; try again."))  # type: ignore[return-value]

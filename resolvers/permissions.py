"""Who may change what: every mutation's check on the caller and the package goes through here."""

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from resolvers.names import normalize_name
from schema.context import Info
from schema.errors import NotAllowed, NotAuthenticated, NotFound, Refused

Need = Literal["maintainer", "owner"]


async def signed_in(info: Info, session: AsyncSession) -> models.User:
    """The caller's row; refuses when the token is missing, invalid, expired or names a deleted user."""
    ctx = info.context
    if ctx.viewer_id is None:
        raise Refused(NotAuthenticated(message=ctx.auth_problem or "Sign in first."))
    viewer = await session.get(models.User, ctx.viewer_id)
    if viewer is None:
        raise Refused(NotAuthenticated(message="The token's user no longer exists; sign in again."))
    if viewer.token_key != ctx.viewer_key:  # the account no longer accepts this token
        raise Refused(NotAuthenticated(message="The token is no longer valid; sign in again."))
    return viewer


async def authorize(info: Info, session: AsyncSession, package: str, need: Need) -> tuple[models.User, models.Package]:
    """The caller and the named package, when the caller has the role `need` on it (an owner is a maintainer too).

    The package row is locked for the rest of the transaction (PostgreSQL), so checks that span rows, like
    "an owner remains", hold against concurrent changes.
    """
    viewer = await signed_in(info, session)
    name = normalize_name(package)
    row = await session.scalar(select(models.Package).where(models.Package.name == name).with_for_update())
    if row is None:
        raise Refused(NotFound(message=f"There is no package {name}."))
    role = await session.scalar(
        select(models.Maintainer.role).where(
            models.Maintainer.package_id == row.id, models.Maintainer.user_id == viewer.id
        )
    )
    if role is None or (need == "owner" and role != "owner"):
        what = "an owner" if need == "owner" else "a maintainer"
        raise Refused(NotAllowed(message=f"Only {what} of {name} may do this."))
    return viewer, row

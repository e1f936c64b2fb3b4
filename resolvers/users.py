"""Root fields that find users."""

import strawberry
from sqlalchemy import bindparam, select

import models
from loaders import columns
from loaders.user import USERS_BY_NAME
from resolvers.paging import connection
from schema.connection import Connection, page_of
from schema.context import Info
from schema.errors import GONE, BadArgument, Unauthenticated
from schema.ids import row_id_of
from schema.user import User

Row = models.User
ALL = select(*columns.USER)
# Only the caller's own address finds an account: anyone else learns nothing about who is registered.
OWN_BY_EMAIL = ALL.where(Row.email == bindparam("email"), Row.id == bindparam("viewer_id"))
NO_ONE = 0  # no row has id 0: an anonymous caller runs the same statement and finds nothing


async def user(info: Info, id: strawberry.ID | None = None, email: str | None = None) -> User | None:
    """By ID, anyone; by email, only the account of that address itself (null for anyone else)."""
    ctx = info.context
    if (id is None) == (email is None):
        raise BadArgument("id", "or `email` is needed, one of them and not both.")
    if id is not None:
        row = await ctx.loaders.user_by_id.load(row_id_of(id, "User"))
    else:
        assert email is not None
        viewer_id = NO_ONE if ctx.viewer_id is None else ctx.viewer_id
        row = await ctx.db.first(OWN_BY_EMAIL, {"email": email.strip().lower(), "viewer_id": viewer_id})
        if row is not None:
            if row.token_key != ctx.viewer_key:
                raise Unauthenticated(GONE)
            ctx.loaders.user_by_id.prime(row.id, row)
    return User.from_optional_row(row)


async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[User]:
    page = page_of(info, USERS_BY_NAME, first, after, last, before)
    by_id = info.context.loaders.user_by_id
    return await connection(info, ALL, page, User.from_row, lambda row: by_id.prime(row.id, row), "users")


async def viewer(info: Info) -> User | None:
    """The caller, from its token; null when the request carries none, an error when the token's account is gone."""
    ctx = info.context
    if ctx.viewer_id is None:
        return None
    row = await ctx.loaders.user_by_id.load(ctx.viewer_id)
    if row is None or row.token_key != ctx.viewer_key:
        raise Unauthenticated(GONE)
    return User.from_row(row)

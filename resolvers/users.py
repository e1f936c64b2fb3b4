"""Root fields that find users."""

import strawberry
from sqlalchemy import bindparam, select

import models
from loaders import columns
from loaders.user import USERS_BY_NAME
from resolvers.paging import connection
from schema.connection import Connection, page_of
from schema.context import Info
from schema.errors import BadArgument
from schema.ids import row_id_of
from schema.user import User

Row = models.User
ALL = select(*columns.USER)
BY_EMAIL = ALL.where(Row.email == bindparam("email"))


async def user(info: Info, id: strawberry.ID | None = None, email: str | None = None) -> User | None:
    if (id is None) == (email is None):
        raise BadArgument("id", "or `email` is needed, one of them and not both.")
    if id is not None:
        row = await info.context.loaders.user_by_id.load(row_id_of(id, "User"))
    else:
        assert email is not None
        row = await info.context.db.first(BY_EMAIL, {"email": email.strip().lower()})
        if row is not None:
            info.context.loaders.user_by_id.prime(row.id, row)
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
    """The caller, from its token; null when the request carries none."""
    if info.context.viewer_id is None:
        return None
    return User.from_optional_row(await info.context.loaders.user_by_id.load(info.context.viewer_id))

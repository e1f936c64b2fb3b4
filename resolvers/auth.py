"""Accounts: registering and signing in."""

from contextlib import suppress
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
from models.base import utcnow
from models.passwords import PasswordsBusy
from resolvers import tokens
from resolvers.attempts import too_many
from resolvers.validation import Checks
from resolvers.work import write
from schema.context import Info
from schema.errors import Conflict, NotAuthenticated, Refused, TryAgainLater
from schema.mutations import AuthPayload, LoginResult, RegisterInput, RegisterResult
from schema.user import User

EMAIL_TAKEN = Conflict(field="email", message="An account with this email already exists.")


def try_again_later(retry_after: int) -> TryAgainLater:
    message = f"Too many sign-ins are being checked right now; try again in {retry_after} s."
    return TryAgainLater(message=message, retry_after_seconds=retry_after)


def signed_in_as(info: Info, row: models.User) -> AuthPayload:
    ctx = info.context
    token = tokens.issue(row.id, row.token_key, secret=ctx.secret, lifetime=ctx.settings.token_lifetime)
    return AuthPayload(user=User.from_row(row), token=token)


def revealed(info: Info, result: Any) -> Any:
    """Once committed, the answer may show the new token's owner their own email.

    The caller of the rest of the request stays whoever the request's own token says.
    """
    if isinstance(result, AuthPayload):
        info.context.revealed_user_ids.add(result.user.id)
    return result


async def register(info: Info, input: RegisterInput) -> RegisterResult:
    checks = Checks()
    name = checks.text("name", input.name, max_length=100, required=True)
    email = checks.email("email", input.email)
    if email is None:
        checks.fail("email", "must not be empty.")
    if not 10 <= len(input.password) <= 1024:
        checks.fail("password", "must be 10 to 1,024 characters long.")

    retry_after = info.context.passwords.busy()
    if retry_after is not None:  # before any SQL, as for login
        return try_again_later(retry_after)
    refused = await too_many(info, input.email)
    if refused is not None:
        return refused
    # Hashed before the unit of work, which holds a write lock on SQLite while it runs.
    try:
        password_hash = await info.context.passwords.hash(input.password) if not checks.problems else ""
    except PasswordsBusy as busy:
        return try_again_later(busy.retry_after)

    async def work(session: AsyncSession) -> AuthPayload:
        checks.done()
        if await session.scalar(select(models.User.id).where(models.User.email == email)) is not None:
            raise Refused(EMAIL_TAKEN)
        row = models.User(name=name, email=email, password_hash=password_hash)
        session.add(row)
        await session.flush()
        return signed_in_as(info, row)

    return revealed(info, await write(info, work, conflict=EMAIL_TAKEN))  # type: ignore[no-any-return]


async def login(info: Info, email: str, password: str) -> LoginResult:
    """A wrong password and an unknown email get the same answer after the same work."""
    ctx = info.context
    retry_after = ctx.passwords.busy()
    if retry_after is not None:  # before any SQL: a refused sign-in costs the database nothing
        return try_again_later(retry_after)
    refused = await too_many(info, email)
    if refused is not None:
        return refused
    row = await ctx.db.scalar(select(models.User).where(models.User.email == email.strip().lower()))
    try:
        if not await ctx.passwords.check(row.password_hash if row else None, password) or row is None:
            return NotAuthenticated(message="Wrong email or password.")
    except PasswordsBusy as busy:
        return try_again_later(busy.retry_after)

    new_hash = row.password_hash
    if row.password_hash is None or ctx.passwords.needs_rehash(row.password_hash):
        with suppress(PasswordsBusy):  # the upgrade waits for a quieter sign-in; this one is proven already
            new_hash = await ctx.passwords.hash(password)

    async def work(session: AsyncSession) -> AuthPayload:
        row.last_login = utcnow()
        row.password_hash = new_hash
        return signed_in_as(info, row)

    return revealed(info, await write(info, work, conflict=Conflict(message="Try again.")))  # type: ignore[no-any-return]

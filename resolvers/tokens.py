"""Signed, expiring bearer tokens (JWT, HS256), bound to their account's token key."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from loaders.paging import INT_RANGE

ALGORITHM = "HS256"
INVALID = "The token is not valid; sign in again."


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as far as its token says: a user id and its account's key, or why there is none.

    `refused` is true when a token was sent but cannot be read, as opposed to no token at all.
    """

    user_id: int | None
    key: str | None = None
    problem: str | None = None
    refused: bool = False
    expires_at: datetime | None = None  # a socket signed in once checks it again for each operation


def now() -> datetime:
    """The time that expiry is measured against after sign-in (a test may move it)."""
    return datetime.now(UTC)


EXPIRED = "The token has expired; sign in again."


def issue(user_id: int, key: str, *, secret: str, lifetime: timedelta) -> str:
    """A token for the account `user_id`; `key` is the account's own, so it names no later account of that id."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "key": key, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def caller(authorization: str | None, *, secret: str) -> Caller:
    """Read an `Authorization` header; no SQL, so the key is checked against the account where the caller is used."""
    if not authorization:
        return Caller(None, problem="Sign in: this request carries no token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Caller(None, problem="The Authorization header must be `Bearer <token>`.", refused=True)
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "key", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        return Caller(None, problem=EXPIRED, refused=True)
    except jwt.InvalidTokenError:
        return Caller(None, problem=INVALID, refused=True)
    subject, key = claims["sub"], claims["key"]
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit() and int(subject) in INT_RANGE):
        return Caller(None, problem=INVALID, refused=True)
    if not (isinstance(key, str) and 0 < len(key) <= 64):
        return Caller(None, problem=INVALID, refused=True)
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    return Caller(int(subject), key, expires_at=expires_at)

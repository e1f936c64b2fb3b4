"""Signed, expiring bearer tokens (JWT, HS256)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from loaders.paging import INT_RANGE

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as far as its token says: a user id, or why there is none."""

    user_id: int | None
    problem: str | None = None


def issue(user_id: int, *, secret: str, lifetime: timedelta) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"sub": str(user_id), "iat": now, "exp": now + lifetime}, secret, algorithm=ALGORITHM)


def caller(authorization: str | None, *, secret: str) -> Caller:
    """Read an `Authorization` header; no SQL, so a deleted user still has to be checked by whoever cares."""
    if not authorization:
        return Caller(None, "Sign in: this request carries no token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Caller(None, "The Authorization header must be `Bearer <token>`.")
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        return Caller(None, "The token has expired; sign in again.")
    except jwt.InvalidTokenError:
        return Caller(None, "The token is not valid; sign in again.")
    subject = claims["sub"]
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit() and int(subject) in INT_RANGE):
        return Caller(None, "The token is not valid; sign in again.")
    return Caller(int(subject))

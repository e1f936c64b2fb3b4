"""The optional rate limit on `login` and `register`: attempts per client address and per email, per window.

A fixed-window counter row per key, bumped by one upsert that SQLite (3.35+) and PostgreSQL both run, so every
replica behind one database counts the same attempts. Keys are hashed: the table never holds an email.
"""

import hashlib
import math
import time

from sqlalchemy import bindparam, delete, text

import models
from schema.context import Info
from schema.errors import TryAgainLater

# Keys are sorted in the statement, so two requests lock the rows they share in one order and never deadlock.
COUNT = text(
    "INSERT INTO auth_attempts (key, window_start, attempts) VALUES (:first, :start, 1), (:second, :start, 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    " attempts = CASE WHEN auth_attempts.window_start >= excluded.window_start"
    " THEN auth_attempts.attempts + 1 ELSE 1 END,"
    # A replica whose clock is behind never takes a window back.
    " window_start = CASE WHEN auth_attempts.window_start >= excluded.window_start"
    " THEN auth_attempts.window_start ELSE excluded.window_start END"
    " RETURNING window_start, attempts"
)
clock = time.time  # Unix seconds, which every replica agrees on (tests move it)
PRUNE = delete(models.AuthAttempt).where(models.AuthAttempt.window_start < bindparam("start"))


def client_address(info: Info) -> str:
    """The caller's address: the socket's peer, or the last X-Forwarded-For entry when the settings trust it."""
    request = info.context.request
    if request is None:
        return "unknown"
    if info.context.settings.auth_rate_trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client is not None else "unknown"


def key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode(errors="replace")).hexdigest()


async def too_many(info: Info, email: str) -> TryAgainLater | None:
    """Counts this attempt; when its address or its email is over the limit, the answer to give instead."""
    ctx = info.context
    limit, window = ctx.settings.auth_rate_limit, ctx.settings.auth_rate_window_seconds
    if limit is None:
        return None
    now = clock()
    start = int(now // window * window)
    first, second = sorted((key("address", client_address(info)), key("email", email.strip().lower())))
    async with ctx.db.write() as session:
        counted = (await session.execute(COUNT, {"first": first, "second": second, "start": start})).all()
        await session.execute(PRUNE, {"start": start})
    over = [window_start for window_start, attempts in counted if attempts > limit]
    if not over:
        return None
    retry_after = max(1, math.ceil(max(over) + window - now))
    return TryAgainLater(
        message=f"Too many sign-in attempts; try again in {retry_after} s.", retry_after_seconds=retry_after
    )

"""`/healthz` (the process is up; no I/O) and `/readyz` (the database answers, at the newest migration)."""

import asyncio
import functools
import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from migrations.runner import alembic_config, head
from models.db import Maker

log = logging.getLogger(__name__)
newest_revision = functools.cache(head)  # the migrations shipped with the code do not change while it runs
# Serving on a database a newer release has migrated: a rolling deploy migrates first, and every replica of the
# release before it must keep serving until it is replaced (a migration keeps the schema the release before it
# reads), so `ahead` is ready.
READY = {"ok", "ahead"}


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def readiness(sessionmaker: Maker, within: float) -> dict[str, str]:
    """Each check's verdict: `database` ok, unreachable or timeout; `migrations` ok, ahead, behind or unknown."""
    try:
        async with asyncio.timeout(within), sessionmaker() as session:
            connection = await session.connection()
            revision = await connection.run_sync(_revision)
    except TimeoutError:
        return {"database": "timeout", "migrations": "unknown"}
    except Exception as error:  # whatever the driver raises; the log has it, the answer names no path or SQL
        log.warning("readiness: the database is unreachable: %r", error)
        return {"database": "unreachable", "migrations": "unknown"}
    return {"database": "ok", "migrations": _compared(revision, newest_revision())}


def _compared(revision: str | None, newest: str | None) -> str:
    """`ok` at the code's newest revision, `behind: …` at an older one, `ahead: …` at one the code does not know."""
    if revision == newest:
        return "ok"
    if revision is not None and not _known(revision):
        return "ahead"
    return f"behind: {revision or '(empty)'} < {newest}"


@functools.cache
def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def health_router(timeout: float) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = await readiness(request.app.state.sessionmaker, timeout)
        ready = checks["database"] == "ok" and checks["migrations"] in READY
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )

    return router

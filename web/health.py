"""`/healthz` (the process is up; no I/O) and `/readyz` (the database answers, at the newest migration)."""

import asyncio
import functools
import logging

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from migrations.runner import head
from models.db import Maker

log = logging.getLogger(__name__)
newest_revision = functools.cache(head)  # the migrations shipped with the code do not change while it runs


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def readiness(sessionmaker: Maker, within: float) -> dict[str, str]:
    """Each check's verdict: `database` ok, unreachable or timeout; `migrations` ok, behind or unknown."""
    try:
        async with asyncio.timeout(within), sessionmaker() as session:
            connection = await session.connection()
            revision = await connection.run_sync(_revision)
    except TimeoutError:
        return {"database": "timeout", "migrations": "unknown"}
    except Exception as error:  # whatever the driver raises; the log has it, the answer names no path or SQL
        log.warning("readiness: the database is unreachable: %r", error)
        return {"database": "unreachable", "migrations": "unknown"}
    newest = newest_revision()
    migrations = "ok" if revision == newest else f"behind: {revision or '(empty)'} < {newest}"
    return {"database": "ok", "migrations": migrations}


def health_router(timeout: float) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = await readiness(request.app.state.sessionmaker, timeout)
        ready = all(verdict == "ok" for verdict in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )

    return router

"""Alembic environment: migrates the connection it is handed, or the database `DATABASE_URL` names."""

import asyncio

from alembic import context
from sqlalchemy import Connection

from models import Base, outside_the_models
from models.db import make_engine

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        # The search index is the database's own (models/search.py), built by DDL rather than from the models.
        include_name=lambda name, type_, parents: not outside_the_models(name, type_, parents),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    from app import Settings  # only when alembic's own CLI runs this file

    engine = make_engine(Settings().database_url)
    async with engine.begin() as conn:
        await conn.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
if (connection := config.attributes.get("connection")) is not None:
    run_migrations(connection)
else:
    asyncio.run(run_with_own_engine())

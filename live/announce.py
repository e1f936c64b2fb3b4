"""Announcing a publish as part of its transaction, so that a rolled-back one is never announced."""

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from live.broadcaster import Broadcaster
from live.events import CHANNEL, ReleasePublished

PENDING = "live_events"  # Session.info key: what this transaction announces in-process once it commits


async def announce(session: AsyncSession, broadcaster: Broadcaster, published: ReleasePublished) -> None:
    """On PostgreSQL a NOTIFY in the transaction, which the database delivers at commit (to every process's
    listener, this one's included) and drops at rollback. SQLite has one process: its broadcaster gets the
    event after the commit."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, published.encode())))
    else:
        session.sync_session.info.setdefault(PENDING, []).append((broadcaster, published))


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for broadcaster, published in session.info.pop(PENDING, ()):
        broadcaster.publish(published)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    session.info.pop(PENDING, None)

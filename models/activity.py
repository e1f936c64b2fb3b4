"""What the request in progress has done so far, reachable from every layer through a context variable.

The HTTP edge opens a record per request; SQL statements, the operation's name and its outcome are added to
it where they happen (engine events, a schema extension), and the edge logs and measures it at the end.
Tasks started by the request (DataLoader batches) copy the context, so they add to the same record.
"""

import contextvars
import dataclasses
import uuid

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclasses.dataclass(slots=True)
class RequestRecord:
    request_id: str
    statements: int = 0
    operation: str | None = None  # the bounded label (see models.metrics.operation_label), once validated
    outcome: str | None = None  # set by the schema once the operation ran; None: it never did


current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("cheeseshop_request", default=None)


def request_id() -> str:
    """The id of the request in progress, or a new one outside of any request."""
    record = current.get()
    return record.request_id if record is not None else uuid.uuid4().hex


def _count_statement(*_: object) -> None:
    record = current.get()
    if record is not None:
        record.statements += 1


def count_statements(engine: AsyncEngine) -> None:
    """Count every statement the engine sends against the request that sent it (once per engine)."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _count_statement):
        event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)

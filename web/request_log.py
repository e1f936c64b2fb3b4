"""ASGI middleware: each HTTP request gets an id, its record (models/activity.py), one log line and its metrics."""

import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import activity
from models.metrics import NONE, REQUEST_SECONDS, REQUESTS, STATEMENTS

log = logging.getLogger("cheeseshop.request")
HEADER = b"x-request-id"
# An id a client or a proxy sent is kept when it could not mislead a log reader: short, no spaces or quotes.
SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
DISCONNECTED = 499  # logged when no answer was sent because the client had gone (nginx's code for it)


def incoming_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER and SANE_ID.fullmatch(value):
            return bytes(value).decode()
    return os.urandom(16).hex()  # as random as uuid4's, without building a UUID per request


# The labelled children of REQUESTS and REQUEST_SECONDS, looked up once: prometheus_client's `labels()` takes a
# lock and checks every value each call. Bounded as the labels are (models.metrics.operation_label).
_children: dict[tuple[str, str], tuple[Any, Any]] = {}


def _children_of(operation: str, outcome: str) -> tuple[Any, Any]:
    found = _children.get((operation, outcome))
    if found is None:
        found = _children[operation, outcome] = (REQUESTS.labels(operation, outcome), REQUEST_SECONDS.labels(operation))
    return found


class RequestLog:
    """Outermost: the id is in the `X-Request-ID` answer header, in every masked error and in the log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = activity.RequestRecord(incoming_id(scope))
        header = (HEADER, record.request_id.encode())
        status = DISCONNECTED  # unless an answer starts: the client left before it (web/middleware.py)
        page = False  # GraphiQL's page, not an answer

        async def send_with_id(message: Message) -> None:
            nonlocal status, page
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
                page = (b"content-type", b"text/html; charset=utf-8") in headers
                message["headers"] = [*headers, header]
            await send(message)

        token = activity.current.set(record)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            if status == DISCONNECTED:
                status = 500  # what the server answers when the app raises before it starts its answer
            raise
        finally:
            activity.current.reset(token)
            self._report(scope, record, status, page, time.perf_counter() - started)

    @staticmethod
    def _report(scope: Scope, record: activity.RequestRecord, status: int, page: bool, seconds: float) -> None:
        path: str = scope["path"]
        graphql = path == "/graphql" and not page
        if status == DISCONNECTED:
            outcome = "disconnected"
        elif status >= 500:
            outcome = "failed"
        elif record.outcome is not None:
            outcome = record.outcome
        elif status >= 400 or graphql:  # a GraphQL answer whose operation never ran: a check refused it
            outcome = "refused"
        else:
            outcome = "ok"
        if graphql:
            requests, latency = _children_of(record.operation or NONE, outcome)
            requests.inc()
            latency.observe(seconds)
            STATEMENTS.observe(record.statements)
        if log.isEnabledFor(logging.INFO):
            fields = {
                "request_id": record.request_id,
                "method": scope["method"],
                "path": path,
                "operation": record.operation,
                "duration_ms": round(seconds * 1000, 2),
                "sql_statements": record.statements,
                "status": status,
                "outcome": outcome,
            }
            log.info(
                "%s %s %s %s %.1fms",
                scope["method"],
                path,
                status,
                outcome,
                seconds * 1000,
                extra={"fields": fields},
            )

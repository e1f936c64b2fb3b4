"""One log line per request, and the request id: kept from `X-Request-ID` when sane, answered, in masked errors."""

import json
import logging
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from models.db import Db, Maker
from tests import factories
from tests.conftest import SqlCounter, settings_for_tests
from web.logs import JsonFormatter

HEX_ID = re.compile(r"[0-9a-f]{32}")


def http(sessionmaker: Maker) -> httpx.AsyncClient:
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [record.fields for record in caplog.records if record.name == "cheeseshop.request"]  # type: ignore[attr-defined]


async def test_each_request_logs_one_line_with_its_work(
    sessionmaker: Maker, session: AsyncSession, sql: SqlCounter, caplog: pytest.LogCaptureFixture
) -> None:
    ada = await factories.user(session)
    await factories.package(session, "cheese", maintainers=[(ada, "owner")])
    caplog.set_level(logging.INFO, logger="cheeseshop.request")
    query = "query Shop { packages(first: 5) { edges { node { name maintainers { name } } } } }"
    async with http(sessionmaker) as client:
        with sql.count() as seen:
            response = await client.post("/graphql", json={"query": query})
    [line] = request_lines(caplog)
    assert line == {
        "request_id": response.headers["x-request-id"],
        "method": "POST",
        "path": "/graphql",
        "operation": "Shop",
        "duration_ms": line["duration_ms"],
        "sql_statements": len(seen),
        "status": 200,
        "outcome": "ok",
    }
    assert len(seen) >= 2
    assert 0 < line["duration_ms"] < 10_000


async def test_a_refused_request_is_logged_as_refused(sessionmaker: Maker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cheeseshop.request")
    async with http(sessionmaker) as client:
        await client.post("/graphql", json={"query": "query Bad { nope }"})
        await client.put("/graphql")
    bad, put = request_lines(caplog)
    assert (bad["operation"], bad["outcome"], bad["sql_statements"]) == (None, "refused", 0)
    assert (put["method"], put["status"], put["outcome"]) == ("PUT", 405, "refused")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_X.y:z", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ('quote"d', False),
        ("", False),
        ("ünïcode", False),
    ],
)
async def test_an_incoming_request_id_is_kept_only_when_sane(sessionmaker: Maker, sent: str, kept: bool) -> None:
    async with http(sessionmaker) as client:
        response = await client.get("/healthz", headers={b"X-Request-ID": sent.encode()})
    answered = response.headers["x-request-id"]
    if kept:
        assert answered == sent
    else:
        assert HEX_ID.fullmatch(answered)


async def test_every_request_gets_a_new_id(sessionmaker: Maker) -> None:
    async with http(sessionmaker) as client:
        first, second = await client.get("/healthz"), await client.post("/graphql", json={"query": "{ __typename }"})
    assert HEX_ID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_masked_error_carries_the_request_id(
    sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the internals")

    monkeypatch.setattr(Db, "rows", broken)
    caplog.set_level(logging.INFO)
    async with http(sessionmaker) as client:
        response = await client.post(
            "/graphql", json={"query": "{ stats { packageCount } }"}, headers={"X-Request-ID": "edge-42"}
        )
    [error] = response.json()["errors"]
    assert error["extensions"]["requestId"] == "edge-42" == response.headers["x-request-id"]
    failure = [r for r in caplog.records if r.name == "schema.extensions"]
    assert "edge-42" in failure[0].getMessage()
    assert failure[0].exc_info is not None
    [line] = request_lines(caplog)
    assert (line["request_id"], line["outcome"]) == ("edge-42", "errors")


def test_json_lines_hold_the_fields_and_the_exception() -> None:
    record = logging.LogRecord("cheeseshop.request", logging.INFO, __file__, 1, "POST %s", ("/graphql",), None)
    record.fields = {"request_id": "r1", "sql_statements": 3}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "POST /graphql"
    assert (line["level"], line["logger"], line["request_id"], line["sql_statements"]) == (
        "INFO",
        "cheeseshop.request",
        "r1",
        3,
    )
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(failed))["exception"]

"""The HTTP edge: bounded, strictly typed bodies, the GraphQL-over-HTTP spec's media types and statuses, CORS."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import Message

from app import Settings, create_app
from models.db import Maker
from tests.conftest import GraphQLClient, SqlCounter, settings_for_tests

SPEC = "application/graphql-response+json"
REGISTER = (
    'mutation { register(input: {name: "Eve", email: "eve@example.org", password: "long enough pw"}) { __typename } }'
)
USERS = "{ users { totalCount } }"
LIMIT = 1000


@asynccontextmanager
async def http(settings: Settings, sessionmaker: Maker | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


def refused(response: httpx.Response, status: int, code: str) -> str:
    """The message of a request refused before GraphQL: that status, a JSON `errors` body, nothing leaked."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    for leak in ("Traceback", ".py", "Internal server error"):
        assert leak not in response.text
    message: str = error["message"]
    return message


def nested(depth: int) -> Any:
    """A JSON value of arrays `depth` deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def padded(size: int) -> bytes:
    """A valid request of exactly `size` bytes."""
    empty = orjson.dumps({"query": "{ __typename }", "variables": {"pad": ""}})
    body = orjson.dumps({"query": "{ __typename }", "variables": {"pad": "x" * (size - len(empty))}})
    assert len(body) == size
    return body


MALFORMED = {
    "null": b"null",
    "number": b"1",
    "string": b'"{ __typename }"',
    "array": b'[{"query": "{ __typename }"}]',
    "not-json": b"{query: 1}",
    "invalid-utf-8": b'{"query": "{ __typename \xff }"}',
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
    "nested-object-100000": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "query-not-a-string": b'{"query": 1}',
    "variables-not-an-object": b'{"query": "{ __typename }", "variables": [1]}',
    "operation-name-not-a-string": b'{"query": "{ __typename }", "operationName": {}}',
    "no-query": b'{"variables": {}}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_body_is_a_400_with_a_json_error_and_runs_no_sql(
    body: bytes, client: GraphQLClient, sql: SqlCounter
) -> None:
    with sql.expect(0):
        response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    refused(response, 400, "BAD_REQUEST")


async def test_json_nesting_just_at_the_bound_passes_and_one_deeper_is_a_400(sessionmaker: Maker) -> None:
    async with http(settings_for_tests(max_json_depth=10), sessionmaker) as client:
        # The body object is one level, `variables` a second: `v` may nest 8 more.
        at = await client.post("/graphql", json={"query": "{ __typename }", "variables": {"v": nested(8)}})
        over = await client.post("/graphql", json={"query": "{ __typename }", "variables": {"v": nested(9)}})
    assert at.json() == {"data": {"__typename": "Query"}}
    assert "10" in refused(over, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("variables", "says"),
    [("{bad", "not valid"), ("[" * 5_000 + "]" * 5_000, "deeper than 64"), ("[1]", "must be an object")],
    ids=["not-json", "nested-5000", "an-array"],
)
async def test_bad_variables_in_a_get_are_a_400_and_run_no_sql(
    variables: str, says: str, client: GraphQLClient, sql: SqlCounter
) -> None:
    with sql.expect(0):
        response = await client.http.get("/graphql", params={"query": "{ __typename }", "variables": variables})
    assert says in refused(response, 400, "BAD_REQUEST")


async def test_json_nested_past_any_parser_is_named_as_too_deep(client: GraphQLClient) -> None:
    for body in (MALFORMED["nested-100000"], MALFORMED["nested-object-100000"]):
        response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert "deeper than 64" in refused(response, 400, "BAD_REQUEST")


async def test_a_lone_surrogate_escape_still_reaches_the_schema(client: GraphQLClient) -> None:
    body = b'{"query": "query ($v: String!) { package(name: $v) { id } }", "variables": {"v": "\\ud800"}}'
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    """A body sent without `Content-Length` (chunked)."""
    for start in range(0, len(body), 100):
        yield body[start : start + 100]


async def test_a_body_at_the_limit_passes_and_one_byte_more_is_a_413(sessionmaker: Maker, sql: SqlCounter) -> None:
    json_type = {"Content-Type": "application/json"}
    async with http(settings_for_tests(max_request_bytes=LIMIT), sessionmaker) as client:
        at = await client.post("/graphql", content=padded(LIMIT), headers=json_type)
        with sql.expect(0):
            over = await client.post("/graphql", content=padded(LIMIT + 1), headers=json_type)
            streamed = await client.post("/graphql", content=chunks(padded(LIMIT + 1)), headers=json_type)
            lying = await client.post(
                "/graphql", content=chunks(padded(LIMIT * 10)), headers={**json_type, "Content-Length": "10"}
            )
            declared = await client.post(
                "/graphql", content=chunks(padded(LIMIT)), headers={**json_type, "Content-Length": str(LIMIT + 1)}
            )
    assert at.json() == {"data": {"__typename": "Query"}}
    assert "Content-Length" not in streamed.request.headers
    for response in (over, streamed, lying, declared):
        assert str(LIMIT) in refused(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
async def test_a_post_that_is_not_json_is_a_415_and_cannot_run_a_mutation(
    content_type: str | None, client: GraphQLClient, sql: SqlCounter
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with sql.expect(0):
        response = await client.http.post("/graphql", content=orjson.dumps({"query": REGISTER}), headers=headers)
    refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert (await client.query(USERS))["users"]["totalCount"] == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", SPEC])
async def test_a_post_of_either_json_type_runs(content_type: str, client: GraphQLClient) -> None:
    body = orjson.dumps({"query": "{ __typename }"})
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_get_runs_queries(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql", params={"query": "query ($n: String!) { package(name: $n) { id } }", "variables": '{"n": "x"}'}
    )
    assert response.json() == {"data": {"package": None}}


async def test_a_mutation_over_get_is_a_405_and_runs_no_sql(client: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        response = await client.http.get("/graphql", params={"query": REGISTER})
    refused(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    assert (await client.query(USERS))["users"]["totalCount"] == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_other_methods_are_a_405_with_an_errors_body(client: GraphQLClient, sql: SqlCounter, method: str) -> None:
    with sql.expect(0):
        response = await client.http.request(method, "/graphql", json={"query": REGISTER})
    refused(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def spec_post(client: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await client.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Accept": f"{SPEC}, application/json;q=0.9"}
    )


async def test_a_spec_client_gets_its_media_type_and_200_for_a_document_that_ran(client: GraphQLClient) -> None:
    ok = await spec_post(client, "{ __typename }")
    field_error = await spec_post(client, "{ packages(first: -1) { totalCount } }")
    assert ok.status_code == 200
    assert ok.headers["content-type"] == f"{SPEC}; charset=utf-8"
    assert ok.json() == {"data": {"__typename": "Query"}}
    assert field_error.status_code == 200, "a document that reached execution is 200, even with field errors"
    assert field_error.json()["errors"][0]["path"] == ["packages"]
    assert field_error.headers["content-type"].startswith(SPEC)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ __typename", None),
        ("{ nothing }", None),
        ("query ($n: String!) { package(name: $n) { id } }", {"n": 1}),
        ("query ($n: String!) { package(name: $n) { id } }", None),
    ],
    ids=["parse-error", "validation-error", "variable-of-the-wrong-type", "variable-missing"],
)
async def test_a_document_that_never_ran_is_a_400_for_a_spec_client_and_a_200_for_a_legacy_one(
    query: str, variables: dict[str, Any] | None, client: GraphQLClient, sql: SqlCounter
) -> None:
    with sql.expect(0):
        spec = await spec_post(client, query, variables)
        legacy = await client.http.post("/graphql", json={"query": query, "variables": variables})
    assert spec.status_code == 400
    assert spec.headers["content-type"].startswith(SPEC)
    assert set(spec.json()) == {"errors"}, "a request error has no `data`"
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None
    assert legacy.json()["errors"] == spec.json()["errors"]


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/*", f"{SPEC};q=0.5, application/json"]
)
async def test_legacy_and_unspecific_clients_get_application_json(accept: str | None, client: GraphQLClient) -> None:
    headers = {} if accept is None else {"Accept": accept}
    request = client.http.build_request("POST", "/graphql", json={"query": "{ __typename }"}, headers=headers)
    if accept is None:
        del request.headers["Accept"]
    response = await client.http.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


async def test_a_client_that_accepts_neither_json_type_is_a_406(client: GraphQLClient, sql: SqlCounter) -> None:
    with sql.expect(0):
        response = await client.http.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/csv"})
    refused(response, 406, "NOT_ACCEPTABLE")


ALLOWED = "https://app.example.org"


async def test_cors_answers_only_the_listed_origins(sessionmaker: Maker) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    async with http(settings_for_tests(cors_origins=[ALLOWED]), sessionmaker) as client:
        allowed = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": ALLOWED})
        other = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )
        asked = await client.options("/graphql", headers={"Origin": ALLOWED, **preflight})
        refused_preflight = await client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-origin" not in other.headers
    assert asked.status_code == 200
    assert asked.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in asked.headers["access-control-allow-methods"]
    assert "authorization" in asked.headers["access-control-allow-headers"].lower()
    assert refused_preflight.status_code == 400
    assert "access-control-allow-origin" not in refused_preflight.headers


async def test_no_cors_headers_at_all_by_default(client: GraphQLClient) -> None:
    origin = {"Origin": ALLOWED}
    response = await client.http.post("/graphql", json={"query": "{ __typename }"}, headers=origin)
    preflight = await client.http.options("/graphql", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert not [name for name in preflight.headers if name.startswith("access-control-")]
    assert preflight.status_code == 405


def test_cors_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", f"{ALLOWED}, https://admin.example.org")
    assert Settings().cors_origins == [ALLOWED, "https://admin.example.org"]
    assert Settings(cors_origins="").cors_origins == []


@pytest.mark.parametrize("subprotocols", [["graphql-ws"], [], ["garbage", "x" * 200]], ids=str)
async def test_a_websocket_upgrade_without_graphql_transport_ws_is_refused_before_it_is_accepted(
    subprotocols: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Closing before `websocket.accept` is how an ASGI app refuses a handshake; servers answer it with HTTP 403."""
    app = create_app(settings_for_tests())
    header = ",".join(subprotocols).encode()
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"t"), (b"sec-websocket-protocol", header)] if subprotocols else [(b"host", b"t")],
        "subprotocols": subprotocols,
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    inbox = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)
    assert [message["type"] for message in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1002
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_subscription_over_http_is_a_400_that_names_the_websocket(
    client: GraphQLClient, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    document = "subscription { releasePublished { version } }"
    if method == "GET":
        response = await client.http.get("/graphql", params={"query": document})
    else:
        response = await client.http.post("/graphql", json={"query": document})
    message = refused(response, 400, "BAD_REQUEST")
    assert "graphql-transport-ws" in message
    assert "/graphql" in message
    assert not [record for record in caplog.records if record.levelname == "ERROR"]

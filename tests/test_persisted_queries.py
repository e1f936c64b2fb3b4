"""Trusted documents: automatic persisted queries as Apollo's and urql's links send them, and the allow-list."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import models
from app import create_app
from models.db import Maker
from resolvers.documents import register
from tests import factories
from tests.conftest import SqlCounter, settings_for_tests

QUERY = "query Names { packages(first: 5) { edges { node { name } } } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"

Http = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(hash_: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": hash_}}


@pytest.fixture
def replica(sessionmaker: Maker) -> Http:
    """Opens a client on a new app (another replica, with its own caches) on the test's database."""

    @asynccontextmanager
    async def open_replica(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings_for_tests(**settings), sessionmaker=sessionmaker)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            yield http

    return open_replica


@pytest.fixture
async def http(replica: Http) -> AsyncIterator[httpx.AsyncClient]:
    async with replica() as client:
        yield client


@pytest.fixture
async def packages(session: AsyncSession) -> None:
    for name in ("brie", "cheddar"):
        await factories.package(session, name)


async def post(
    http: httpx.AsyncClient, query: str | None, extensions: dict[str, Any] | None = None, accept: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"extensions": extensions} if extensions is not None else {}
    if query is not None:
        body["query"] = query
    return await http.post("/graphql", json=body, headers={"Accept": accept} if accept else {})


async def get(http: httpx.AsyncClient, extensions: dict[str, Any], **params: str) -> httpx.Response:
    """As Apollo's link sends a hashed query with `useGETForHashedQueries`: no query text, extensions as JSON."""
    return await http.get("/graphql", params={"extensions": json.dumps(extensions), **params})


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


async def stored(session: AsyncSession) -> dict[str, bool]:
    """Every stored document's hash, and whether it is trusted."""
    rows = await session.execute(select(models.PersistedDocument.sha256, models.PersistedDocument.trusted))
    return {hash_: trusted for hash_, trusted in rows}


NAMES = {"packages": {"edges": [{"node": {"name": "brie"}}, {"node": {"name": "cheddar"}}]}}


@pytest.mark.usefixtures("packages")
async def test_an_unknown_hash_is_not_found_then_its_text_is_stored_and_the_hash_alone_runs(
    http: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await post(http, None, persisted(sha256(QUERY)))
    assert first.status_code == 200
    assert only_error(first) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    retried = await post(http, QUERY, persisted(sha256(QUERY)))
    assert retried.json() == {"data": NAMES}
    assert await stored(session) == {sha256(QUERY): False}
    alone = await post(http, None, persisted(sha256(QUERY).upper()))
    assert alone.json() == {"data": NAMES}


@pytest.mark.usefixtures("packages")
async def test_a_hashed_query_runs_over_get_once_stored(http: httpx.AsyncClient) -> None:
    first = await get(http, persisted(sha256(QUERY)))
    assert only_error(first)["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    assert first.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert (await post(http, QUERY, persisted(sha256(QUERY)))).json() == {"data": NAMES}  # the link retries by POST
    again = await get(http, persisted(sha256(QUERY)))
    assert again.status_code == 200
    assert again.json() == {"data": NAMES}


async def test_a_hashed_query_takes_variables_and_an_operation_name_over_get(http: httpx.AsyncClient) -> None:
    query = "query One($name: String!) { package(name: $name) { name } } query Two { stats { packageCount } }"
    extensions = persisted(sha256(query))
    body = {"query": query, "extensions": extensions, "operationName": "Two"}
    assert (await http.post("/graphql", json=body)).json() == {"data": {"stats": {"packageCount": 0}}}
    answer = await get(http, extensions, operationName="One", variables=json.dumps({"name": "Nope"}))
    assert answer.json() == {"data": {"package": None}}


async def test_get_runs_no_stored_mutation(http: httpx.AsyncClient, session: AsyncSession) -> None:
    mutation = 'mutation { login(email: "a@example.org", password: "wrong password") { __typename } }'
    assert (await post(http, mutation, persisted(sha256(mutation)))).json()["data"] == {
        "login": {"__typename": "NotAuthenticated"}
    }
    refused = await get(http, persisted(sha256(mutation)))
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert "mutations are not allowed" in refused.text


@pytest.mark.parametrize(("accept", "status"), [(None, 200), (GRAPHQL_RESPONSE, 400)])
async def test_a_hash_that_is_not_its_texts_is_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, session: AsyncSession, sql: SqlCounter, accept: str | None, status: int
) -> None:
    with sql.expect(0):
        refused = await post(http, QUERY, persisted(sha256(QUERY + " ")), accept=accept)
    assert refused.status_code == status
    error = only_error(refused)
    assert error["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}
    assert "not the SHA-256 of the query text" in error["message"]
    assert await stored(session) == {}


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        (persisted(sha256(QUERY), version=2), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        (persisted(sha256(QUERY), version="1"), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        (persisted(sha256(QUERY), version=True), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        ({"persistedQuery": {"version": 1}}, "PERSISTED_QUERY_INVALID"),
        (persisted("abc"), "PERSISTED_QUERY_INVALID"),
        (persisted("g" * 64), "PERSISTED_QUERY_INVALID"),
        ({"persistedQuery": "yes"}, "PERSISTED_QUERY_INVALID"),
    ],
)
async def test_a_malformed_persisted_query_or_another_version_is_refused_before_any_sql(
    http: httpx.AsyncClient, sql: SqlCounter, extensions: dict[str, Any], code: str
) -> None:
    for query in (None, QUERY):
        with sql.expect(0):
            refused = await post(http, query, extensions, accept=GRAPHQL_RESPONSE)
        assert refused.status_code == 400
        assert only_error(refused)["extensions"] == {"code": code}


async def test_another_replica_knows_a_hash_one_replica_stored(replica: Http) -> None:
    async with replica() as one:
        assert (await post(one, QUERY, persisted(sha256(QUERY)))).json() == {"data": {"packages": {"edges": []}}}
    async with replica() as other:
        assert (await post(other, None, persisted(sha256(QUERY)))).json() == {"data": {"packages": {"edges": []}}}


@pytest.mark.usefixtures("packages")
async def test_a_known_hash_costs_one_lookup_per_replica_then_no_statement(replica: Http, sql: SqlCounter) -> None:
    async with replica() as one:
        with sql.count() as plain:
            assert (await post(one, QUERY)).json() == {"data": NAMES}
        assert plain, "the query itself runs statements"
        await post(one, QUERY, persisted(sha256(QUERY)))
        with sql.expect(len(plain)):
            assert (await post(one, None, persisted(sha256(QUERY)))).json() == {"data": NAMES}
        with sql.expect(len(plain)):  # text and hash, known: nothing to look up or store
            assert (await post(one, QUERY, persisted(sha256(QUERY)))).json() == {"data": NAMES}
    async with replica() as other:
        with sql.expect(len(plain) + 1):
            await post(other, None, persisted(sha256(QUERY)))
        with sql.expect(len(plain)):
            assert (await post(other, None, persisted(sha256(QUERY)))).json() == {"data": NAMES}


async def test_a_plain_text_request_costs_no_lookup(http: httpx.AsyncClient, sql: SqlCounter) -> None:
    with sql.expect(1):  # the counters read
        assert (await post(http, "{ stats { packageCount } }")).json() == {"data": {"stats": {"packageCount": 0}}}


async def test_a_text_that_fails_validation_is_not_stored(http: httpx.AsyncClient, session: AsyncSession) -> None:
    query = "{ stats { noSuchField } }"
    answer = await post(http, query, persisted(sha256(query)))
    assert "noSuchField" in only_error(answer)["message"]
    assert await stored(session) == {}
    assert only_error(await post(http, None, persisted(sha256(query))))["message"] == "PersistedQueryNotFound"


async def test_a_persisted_text_passes_the_same_checks_as_one_sent_in_full(http: httpx.AsyncClient) -> None:
    query = '{ search(query: "a\\u0000b") { totalCount } }'
    sent = only_error(await post(http, query, persisted(sha256(query))))
    assert sent["extensions"]["code"] == "BAD_USER_INPUT"
    assert only_error(await post(http, None, persisted(sha256(query)))) == sent


async def test_a_text_larger_than_the_bound_runs_but_is_not_stored(replica: Http, session: AsyncSession) -> None:
    small = "{ stats { packageCount } }"
    large = "{ stats { packageCount userCount } }"
    async with replica(persisted_document_max_bytes=len(small)) as http:
        for query in (small, large):
            assert "errors" not in (await post(http, query, persisted(sha256(query)))).json()
        assert "errors" not in (await post(http, None, persisted(sha256(small)))).json()
        not_kept = await post(http, None, persisted(sha256(large)))
        assert only_error(not_kept)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert await stored(session) == {sha256(small): False}


async def test_beyond_the_bound_the_oldest_stored_documents_are_evicted_and_registered_ones_stay(
    replica: Http, engine: AsyncEngine, session: AsyncSession
) -> None:
    trusted = "{ stats { userCount } }"
    await register(engine, [(Path("trusted.graphql"), trusted)])
    queries = [f"{{ stats {{ {field} }} }}" for field in ("packageCount", "releaseCount", "maintainerCount")]
    async with replica(persisted_documents_max=2) as http:
        for query in queries:
            assert "errors" not in (await post(http, query, persisted(sha256(query)))).json()
    assert await stored(session) == {sha256(trusted): True, sha256(queries[1]): False, sha256(queries[2]): False}
    async with replica() as other:
        evicted = await post(other, None, persisted(sha256(queries[0])))
        assert only_error(evicted)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert "errors" not in (await post(other, None, persisted(sha256(queries[2])))).json()
    count = await session.scalar(select(func.count()).select_from(models.PersistedDocument))
    assert count == 3


@pytest.mark.usefixtures("packages")
async def test_allow_list_mode_runs_registered_documents_only(
    replica: Http, engine: AsyncEngine, session: AsyncSession, sql: SqlCounter
) -> None:
    await register(engine, [(Path("names.graphql"), QUERY)])
    async with replica() as open_mode:  # stored by a client while APQ was open: not trusted later
        other = "{ stats { packageCount } }"
        await post(open_mode, other, persisted(sha256(other)))
    async with replica(trusted_documents_only=True) as http:
        assert (await post(http, None, persisted(sha256(QUERY)))).json() == {"data": NAMES}
        assert (await post(http, QUERY)).json() == {"data": NAMES}
        assert (await post(http, QUERY, persisted(sha256(QUERY)))).json() == {"data": NAMES}
        introspection = "{ __schema { queryType { name } } }"
        for query, extensions in [
            (other, None),
            (None, persisted(sha256(other))),
            (introspection, None),
            (introspection, persisted(sha256(introspection))),
            (None, persisted(sha256("{ never seen }"))),
        ]:
            with sql.count() as seen:
                refused = await post(http, query, extensions, accept=GRAPHQL_RESPONSE)
            assert len(seen) <= 1, seen  # at most the lookup of the hash: the document does not run
            assert refused.status_code == 403
            error = only_error(refused)
            assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_ALLOWED"}
            assert error["message"].startswith("Only trusted documents may run")
    assert await stored(session) == {sha256(QUERY): True, sha256(other): False}


def run_cli(engine: AsyncEngine, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.usefixtures("packages")
async def test_documents_add_registers_every_graphql_file_and_prints_its_hash(
    engine: AsyncEngine, tmp_path: Path, replica: Http, session: AsyncSession
) -> None:
    folder = tmp_path / "documents"
    (folder / "pages").mkdir(parents=True)
    (folder / "names.graphql").write_text(QUERY)
    (folder / "pages" / "stats.graphql").write_bytes(b"# counts\r\n{ stats { packageCount } }\r\n")
    (folder / "notes.txt").write_text("not a document")
    expected = {
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}"
        for path in (folder / "names.graphql", folder / "pages" / "stats.graphql")
    }
    first = run_cli(engine, tmp_path, "documents", "add", str(folder))
    assert first.returncode == 0, first.stderr
    assert set(first.stdout.splitlines()) == expected
    assert "2 new" in first.stderr
    again = run_cli(engine, tmp_path, "documents", "add", str(folder))
    assert again.returncode == 0, again.stderr
    assert set(again.stdout.splitlines()) == expected
    assert "0 new, 2 already registered" in again.stderr
    assert set((await stored(session)).values()) == {True}
    async with replica(trusted_documents_only=True) as http:
        stats = (folder / "pages" / "stats.graphql").read_bytes().decode()
        assert (await post(http, None, persisted(sha256(stats)))).json() == {"data": {"stats": {"packageCount": 2}}}
        assert (await post(http, None, persisted(sha256(QUERY)))).json() == {"data": NAMES}


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"{ stats { nope } }", "Cannot query field 'nope'"), (b"{ stats", "Syntax Error"), (b"\xff{}", "not UTF-8")],
)
async def test_documents_add_refuses_a_folder_with_a_bad_document_and_registers_none(
    engine: AsyncEngine, tmp_path: Path, session: AsyncSession, content: bytes, problem: str
) -> None:
    (tmp_path / "good.graphql").write_text(QUERY)
    (tmp_path / "bad.graphql").write_bytes(content)
    result = run_cli(engine, tmp_path, "documents", "add", str(tmp_path))
    assert result.returncode != 0
    assert str(tmp_path / "bad.graphql") in result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr
    assert await stored(session) == {}


async def test_documents_add_on_an_empty_folder_says_so(engine: AsyncEngine, tmp_path: Path) -> None:
    result = run_cli(engine, tmp_path, "documents", "add", str(tmp_path))
    assert result.returncode != 0
    assert "holds no .graphql file" in result.stderr


def test_documents_add_on_a_database_without_the_table_says_to_migrate(tmp_path: Path) -> None:
    (tmp_path / "names.graphql").write_text(QUERY)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "app", "documents", "add", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "is it migrated?" in result.stderr
    assert "Traceback" not in result.stderr


async def test_allow_list_mode_answers_a_database_outage_as_unavailable_under_the_request_id(
    replica: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("the database is away")

    monkeypatch.setattr(models.document.Documents, "find", refused)
    async with replica(trusted_documents_only=True) as http:
        response = await post(http, QUERY, accept="application/graphql-response+json")
    assert response.status_code == 503
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "DATABASE_UNAVAILABLE", "requestId": response.headers["x-request-id"]}

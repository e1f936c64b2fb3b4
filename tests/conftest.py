"""Fixtures: a fresh database per test on SQLite and PostgreSQL (or one the migrations built), the HTTP client, and
the SQL counter.

PostgreSQL is migrated once per run into a database of the run's own (named after POSTGRES_TEST_URL's); each
test then works on real connections, as the app does in production, and the tables are truncated afterwards.
(Not an outer rolled-back transaction: concurrent requests must get their own connections.)
"""

import asyncio
import contextvars
import dataclasses
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from inspect import isawaitable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import ExecutionResult, execute
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import Settings, create_app
from loaders import Loaders
from migrations.runner import upgrade
from models import Base, activity
from models.db import Db, Maker, make_engine, make_sessionmaker
from schema.execution import extension

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # ignored by git
_artifact_folders: list[Path] = []
TABLES = "users, packages, releases, maintainers, classifiers, package_classifiers, persisted_documents, auth_attempts"


def postgres_test_url() -> str | None:
    return os.environ.get("POSTGRES_TEST_URL")


TEST_SECRET = "test-secret-that-is-at-least-32-characters-long"


def settings_for_tests(**overrides: Any) -> Settings:
    """The app's settings for tests: a known signing key, and cheap password hashing to keep the suite fast."""
    defaults: dict[str, Any] = {
        "database_url": "sqlite://",
        "graphiql": False,
        "demo_data": False,
        "secret_key": TEST_SECRET,
        "password_time_cost": 1,
        "password_memory_cost": 1024,
        "password_parallelism": 1,
        # Races send twenty sign-ins at once; the bound itself is tested with a pool of its own.
        "password_queue_max": 100,
    }
    return Settings(**{**defaults, **overrides})


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database of this run's own; its URL. Dropped when the run ends.

    Its name is POSTGRES_TEST_URL's with this process's id appended, so that two runs on one machine never
    share one; a database left by a run that was killed is dropped by the next run that finds it.
    """
    url = postgres_test_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: set POSTGRES_TEST_URL")
        pytest.skip("set POSTGRES_TEST_URL to run the PostgreSQL tests")
    parsed = make_url(url)
    base = parsed.database
    assert base, "POSTGRES_TEST_URL must name a database"
    assert re.fullmatch(r"\w+", base), "POSTGRES_TEST_URL must name a plain database (letters, digits, _)"
    name = f"{base}_{os.getpid()}"
    run_url = parsed.set(database=name).render_as_string(hide_password=False)
    admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def create() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", f"{base}\\_%"):
                owner = re.fullmatch(rf"{base}_(\d+)(_\w+)?", row["datname"])
                if owner and not _process_alive(int(owner[1])):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        engine = make_engine(run_url)
        await upgrade(engine)
        await engine.dispose()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        # Its own thread and loop: the first test that needs it asks for it from inside a running loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, create()).result()
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL, which is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    yield run_url
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, drop()).result()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield engine
        await engine.dispose()
    else:
        engine = make_engine(request.getfixturevalue("postgres_database"), pool_size=5, max_overflow=25)
        yield engine
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database built by the migrations alone, at the newest revision: a SQLite file migrated here, or the run's
    PostgreSQL database (migrated once per run, and not emptied after the test)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        await upgrade(engine)
    else:
        engine = make_engine(request.getfixturevalue("postgres_database"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> Maker:
    return make_sessionmaker(engine)


# Set while graphql-core runs a planned operation again for comparison: its statements are not the app's.
REFERENCE_RUN = contextvars.ContextVar("REFERENCE_RUN", default=False)


@pytest.fixture(autouse=True)
def both_executors(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every query the planned executor answers is run again by graphql-core, and the two answers must be equal.

    The reference run gets a session and loaders of its own, after the planned run, on the same data. A test
    whose data changes while it runs (concurrent writers) opts out with `@pytest.mark.one_executor`.
    """
    if request.node.get_closest_marker("one_executor") is not None:
        yield
        return
    planned = extension.answer
    disagreements: list[str] = []

    async def compared(context: Any, plan: Any, variable_values: Any) -> ExecutionResult:
        ours = await planned(context, plan, variable_values)
        reference = await graphql_core_answer(context)
        if _comparable(ours) != _comparable(reference):  # reported when the test ends: the request must finish
            disagreements.append(
                f"{context.query!r} with {context.variables!r}:\nplanned   {_comparable(ours)}"
                f"\ngraphql-core {_comparable(reference)}"
            )
        return ours

    monkeypatch.setattr(extension, "answer", compared)
    yield
    assert not disagreements, "the executors disagree on\n" + "\n\n".join(disagreements)


async def graphql_core_answer(context: Any) -> ExecutionResult:
    """graphql-core's answer to the operation of a strawberry execution context, with a fresh request context."""
    own = context.context
    # A session of its own on the same engine, not from the app's sessionmaker: tests count the app's sessions.
    db = Db(AsyncSession(own.db.session.bind, expire_on_commit=False))
    fresh = dataclasses.replace(own, db=db, loaders=Loaders(db))
    token = REFERENCE_RUN.set(True)
    own_request = activity.current.set(None)  # nor are they the request's, which the log and metrics report
    try:
        result = execute(
            context.schema._schema,
            context.graphql_document,
            variable_values=context.variables,
            operation_name=context.operation_name,
            context_value=fresh,
        )
        return await result if isawaitable(result) else result
    finally:
        try:
            await db.close()  # still the reference run's
        finally:
            REFERENCE_RUN.reset(token)
            activity.current.reset(own_request)


def _comparable(result: ExecutionResult) -> tuple[str, list[str]]:
    """The data as JSON (key order included), and the formatted errors in any order (the spec sets none)."""
    errors = sorted(json.dumps(error.formatted, sort_keys=True) for error in result.errors or [])
    return json.dumps(result.data), errors


class SqlCounter:
    """Counts the statements the app sends; `expect` prints them all when the count is off."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not REFERENCE_RUN.get():
            self.statements.append(statement)

    @contextmanager
    def count(self) -> Iterator[list[str]]:
        """Collects the statements run inside the block."""
        start = len(self.statements)
        seen: list[str] = []
        yield seen
        seen.extend(self.statements[start:])

    @contextmanager
    def expect(self, n: int) -> Iterator[None]:
        with self.count() as seen:
            yield
        listing = "\n\n".join(f"[{i}] {s}" for i, s in enumerate(seen, 1))
        assert len(seen) == n, f"expected {n} SQL statements, the request ran {len(seen)}:\n{listing}"


@pytest.fixture
def sql(engine: AsyncEngine) -> SqlCounter:
    return SqlCounter(engine)


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole answer; the request must still get HTTP 200."""
        response = await self.http.post("/graphql", json={"query": document, "variables": variables or {}})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of an answer that must have no errors."""
        body = await self.execute(document, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, document: str, variables: dict[str, Any] | None = None) -> str:
        """The message of the one error an answer must have."""
        body = await self.execute(document, variables)
        errors = body.get("errors") or []
        assert len(errors) == 1, body
        message: str = errors[0]["message"]
        return message


@pytest.fixture
def fresh_document_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache kept per query text starts empty, so that a test sees a document's first request."""
    from schema import bounds, extensions, limits, production
    from schema.document_cache import DocumentCache, LruCache
    from schema.execution import extension as planned

    monkeypatch.setattr(DocumentCache, "valid", LruCache())
    for module, name in [
        (extensions, "_text_arguments"),
        (limits, "_known_facts"),
        (bounds, "_arguments"),
        (production, "_introspection_errors"),
        (planned, "_documents"),
    ]:
        monkeypatch.setattr(module, name, LruCache())


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The query texts strawberry validates, in order."""
    from strawberry.schema import schema as strawberry_schema

    seen: list[str] = []
    validate = strawberry_schema.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document.loc.source.body)
        return validate(schema, document, rules)

    monkeypatch.setattr(strawberry_schema, "validate_document", counting)
    return seen


@pytest.fixture
async def client(sessionmaker: Maker) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings_for_tests(), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def session(sessionmaker: Maker) -> AsyncIterator[Any]:
    """A session for arranging data; committed rows are what the app sees."""
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """An empty folder of the test's own under test-artifacts/ for what it saves (screenshots), named at the end."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _artifact_folders.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for folder in _artifact_folders:
        terminalreporter.write_line(f"test artifacts: {folder}")

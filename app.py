"""Cheeseshop: settings, the ASGI app and the command line (`python -m app --help`)."""

import argparse
import asyncio
import functools
import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from fastapi import FastAPI, Request, Response, WebSocket
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

import web
from live.hub import Live
from loaders import Loaders
from models import metrics
from models.activity import count_statements
from models.db import Db, Maker, async_url, make_engine, make_sessionmaker
from models.document import Documents
from models.passwords import Passwords
from resolvers import tokens
from schema.context import Context
from web.health import health_router
from web.logs import configure_logging
from web.metrics import metrics_router
from web.middleware import BufferedBody
from web.request_log import RequestLog
from web.router import EdgeRouter

log = logging.getLogger("cheeseshop")
DEFAULT_DATABASE_URL = "sqlite:///./cheeseshop.db"
# Package data of `web`, so that it is wherever the project is installed, not only in a source tree.
GRAPHIQL_DIR = Path(web.__file__).resolve().parent / "graphiql"


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Settings(BaseSettings):
    """Configuration, from the environment (or a `.env` file); each field is the upper-case variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False
    database_pool_size: int = 10
    database_max_overflow: int = 10
    # PostgreSQL outages (SQLite has no network): a connection must be made, a pooled one answer a ping before
    # it is handed out, and a statement end, within these; past them a request fails with DATABASE_UNAVAILABLE.
    database_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    database_ping_timeout_seconds: float = Field(default=0.5, gt=0)
    # How long a request waits for a pooled connection when all are in use (SQLAlchemy's default is 30 s).
    database_pool_timeout_seconds: float = Field(default=2.0, gt=0)
    # Also what a partition costs a connection used within the last second (only idler ones are pinged), twice
    # (the statement, then its rollback): every statement of this API takes milliseconds, a wide margin still.
    database_statement_timeout_seconds: float = Field(default=1.5, gt=0)
    # The LISTEN connection (PostgreSQL) sends its LISTEN again this often, to find out that it was cut without a
    # word (a partition); it must answer within DATABASE_CONNECT_TIMEOUT_SECONDS, or it is made again.
    listener_probe_seconds: float = Field(default=15.0, gt=0)
    readiness_timeout_seconds: float = Field(default=1.5, gt=0)  # /readyz's whole check, connecting included
    # On SIGTERM (`python -m app serve`): requests in flight get this long to finish before they are cancelled.
    shutdown_timeout_seconds: int = Field(default=20, ge=0)
    metrics: bool = True  # serve /metrics (Prometheus); see README on keeping it off the public port
    log_format: Literal["json", "plain"] = "json"  # one JSON object a line, or text for a terminal
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"  # INFO has one line per request
    page_size_default: int = 20
    page_size_max: int = 100
    max_concurrent_operations: int = Field(default=4, ge=1)
    # What one document may ask for, checked before it runs (schema/limits.py); the defaults leave every query
    # of bench/queries and of README.md several times its needs (tests/test_limits.py measures them).
    max_document_bytes: int = Field(default=32 * 1024, ge=1)
    max_document_tokens: int = Field(default=2000, ge=1)
    max_document_operations: int = Field(default=20, ge=1)
    max_document_aliases: int = Field(default=50, ge=0)
    max_root_fields: int = Field(default=20, ge=1)
    max_query_depth: int = Field(default=24, ge=1)
    max_query_cost: int = Field(default=100_000, ge=1)
    report_cost: bool = False  # `extensions.cost` in every accepted answer
    max_filter_depth: int = Field(default=5, ge=1)  # how deep `and`/`or`/`not` nest in one PackageFilter
    # Queries run on the breadth-first executor (schema/execution/); false leaves every operation to graphql-core.
    planned_execution: bool = True
    # Production refuses to start without SECRET_KEY, and turns off what helps a developer more than a user:
    # each of the five settings below it, when left unset (None), follows it (see `_follow_environment`).
    environment: Literal["development", "production"] = "development"
    introspection: bool | None = None
    field_suggestions: bool | None = None  # "Did you mean …?" in error messages
    graphiql: bool | None = None
    openapi_docs: bool | None = None  # FastAPI's /docs, /redoc and /openapi.json
    # On the embedded SQLite default (always migrated at start), seed a small demo dataset into an empty database.
    demo_data: bool | None = None
    # The HTTP edge: a request body is read whole, up to this many bytes, before anything parses it.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1)
    max_json_depth: int = Field(default=64, ge=1)  # nesting of a JSON body, variables included
    # Origins whose pages may call the API from a browser, comma-separated; none by default (no CORS headers).
    cors_origins: Annotated[list[str], NoDecode] = []
    secret_key: str | None = None
    token_lifetime_minutes: int = 24 * 60
    # argon2id cost; hashes made with other values are upgraded at the next sign-in.
    password_time_cost: int = 3
    password_memory_cost: int = 64 * 1024  # KiB
    password_parallelism: int = 4
    # Trusted documents: persisted queries that clients store (APQ), and the allow-list mode.
    trusted_documents_only: bool = False
    persisted_document_max_bytes: int = Field(default=16 * 1024, ge=0)
    persisted_documents_max: int = Field(default=10_000, ge=0)
    # Hashes run on a pool of their own, one per core; past the queue bound a sign-in answers TryAgainLater.
    password_workers: int = Field(default_factory=lambda: cores(), ge=1)
    password_queue_max: int | None = Field(default=None, ge=1)  # running + waiting; None: 2 x PASSWORD_WORKERS
    # login/register calls per client address and per email in each window, shared by every replica; None: off.
    auth_rate_limit: int | None = Field(default=None, ge=1)
    auth_rate_window_seconds: int = Field(default=60, ge=1)
    # Behind one proxy that appends the caller's address to X-Forwarded-For: count its last entry, not the peer.
    auth_rate_trust_forwarded_for: bool = False
    # Subscriptions (graphql-transport-ws at /graphql): seconds a socket may wait before its `connection_init`
    # (then 4408), operations one socket may run at once (past it, the new one gets an `error` message), and
    # sockets one process holds (past it, a new one is closed with 1013, "try again later").
    subscription_init_timeout_seconds: float = Field(default=5.0, gt=0)
    max_subscriptions_per_connection: int = Field(default=20, ge=1)
    max_websocket_connections: int = Field(default=5000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_url(url)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, origins: object) -> object:
        if isinstance(origins, str):
            return [origin.strip() for origin in origins.split(",") if origin.strip()]
        return origins

    @model_validator(mode="after")
    def _follow_environment(self) -> Self:
        """The one place where an unset developer feature is decided: on in development, off in production."""
        development = self.environment == "development"
        for name in ("introspection", "field_suggestions", "graphiql", "openapi_docs", "demo_data"):
            if getattr(self, name) is None:
                setattr(self, name, development)
        return self

    @model_validator(mode="after")
    def _secret_in_production(self) -> Self:
        if self.environment == "production" and (self.secret_key is None or len(self.secret_key) < 32):
            raise ValueError("SECRET_KEY must be set, at least 32 characters, when ENVIRONMENT is production")
        return self

    @model_validator(mode="after")
    def _page_sizes(self) -> Self:
        if not 1 <= self.page_size_default <= self.page_size_max:
            raise ValueError("PAGE_SIZE_DEFAULT must be at least 1 and at most PAGE_SIZE_MAX")
        return self

    @property
    def password_queue_bound(self) -> int:
        return self.password_queue_max or 2 * self.password_workers

    @property
    def token_lifetime(self) -> timedelta:
        return timedelta(minutes=self.token_lifetime_minutes)

    @property
    def embedded(self) -> bool:
        return self.database_url == async_url(DEFAULT_DATABASE_URL)


def create_app(settings: Settings, sessionmaker: Maker | None = None) -> FastAPI:
    """The ASGI app; tests hand in their own `sessionmaker`, otherwise the lifespan builds one from settings."""
    from schema.root import schema

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sessionmaker is not None:  # the caller owns the engine; the live events are the app's all the same
            await live.start(bound_url(sessionmaker, settings))
            try:
                yield
            finally:
                await live.stop()
                passwords.close()
            return
        engine = make_engine(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            connect_timeout=settings.database_connect_timeout_seconds,
            ping_timeout=settings.database_ping_timeout_seconds,
            pool_timeout=settings.database_pool_timeout_seconds,
            statement_timeout=settings.database_statement_timeout_seconds,
        )
        observe(engine)
        if settings.embedded:
            await prepare_embedded(engine, demo_data=bool(settings.demo_data))
        app.state.sessionmaker = make_sessionmaker(engine)
        await live.start(engine.url)
        # What exists now (modules, the schema, the mappers) lives as long as the process. Out of the collector's
        # sight, it is no longer walked by the full collections that a large answer's many objects set off,
        # which were the slowest requests' extra time (see bench/README.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            # Uvicorn gets here after the requests in flight have ended (or SHUTDOWN_TIMEOUT_SECONDS passed).
            await live.stop()
            await engine.dispose()
            passwords.close()
            metrics.process_exited()

    secret = settings.secret_key or development_secret()
    passwords = Passwords(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_cost,
        parallelism=settings.password_parallelism,
        workers=settings.password_workers,
        queue_max=settings.password_queue_bound,
    )

    executing = asyncio.Semaphore(settings.max_concurrent_operations)
    documents = Documents(max_bytes=settings.persisted_document_max_bytes, max_stored=settings.persisted_documents_max)

    live = Live(probe_every=settings.listener_probe_seconds, timeout=settings.database_connect_timeout_seconds)

    def context(maker: Maker, db: Db, caller: tokens.Caller) -> Context:
        return Context(
            db=db,
            loaders=Loaders(db),
            settings=settings,
            passwords=passwords,
            secret=secret,
            executing=executing,
            documents=documents,
            live=live,
            sessionmaker=maker,
            viewer_id=caller.user_id,
            viewer_key=caller.key,
            auth_problem=caller.problem,
            token_refused=caller.refused,
        )

    @asynccontextmanager
    async def request_context(request: Request, response: Response) -> AsyncIterator[Context]:
        caller = tokens.caller(request.headers.get("authorization"), secret=secret)
        maker = request.app.state.sessionmaker
        db = Db(maker())
        try:
            yielded = context(maker, db, caller)
            yielded.request, yielded.response = request, response
            yield yielded
        finally:
            # The answer is built by now: a session that cannot close cleanly (its connection cut meanwhile, which
            # SQLAlchemy has invalidated) must not replace it with an error.
            try:
                await db.close()
            except Exception:
                log.warning("closing a request's session failed", exc_info=True)

    def socket_context(websocket: WebSocket) -> Context:
        """A socket's context: anonymous until `connection_init` brings a token; each operation runs with a
        copy that has a session of its own (see `web.websocket`), so this one's is never used."""
        maker = websocket.app.state.sessionmaker
        socket = context(maker, Db(maker()), tokens.caller(None, secret=secret))
        socket.request = websocket  # its client address, for the sign-in rate limit
        return socket

    app = FastAPI(
        title="Cheeseshop",
        lifespan=lifespan,
        docs_url="/docs" if settings.openapi_docs else None,
        redoc_url="/redoc" if settings.openapi_docs else None,
        openapi_url="/openapi.json" if settings.openapi_docs else None,
    )
    if sessionmaker is not None:
        app.state.sessionmaker = sessionmaker
        bind = getattr(sessionmaker, "kw", {}).get("bind")
        if isinstance(bind, AsyncEngine):  # tests may hand in a maker of their own making
            observe(bind)
    app.include_router(health_router(settings.readiness_timeout_seconds))
    if settings.metrics:
        app.include_router(metrics_router())
    app.state.live = live
    app.include_router(
        EdgeRouter(
            schema,
            max_json_depth=settings.max_json_depth,
            graphiql_dir=GRAPHIQL_DIR,
            request_context=request_context,
            graphql_ide="graphiql" if settings.graphiql else None,
            socket_context=socket_context,
            max_connections=settings.max_websocket_connections,
            connection_init_seconds=settings.subscription_init_timeout_seconds,
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        ),
        prefix="/graphql",
    )
    app.add_middleware(BufferedBody, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:  # outermost, so that even a refused request carries the headers a browser needs
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(RequestLog)  # outermost: every answer, refused ones too, carries its id and is logged
    if settings.graphiql and GRAPHIQL_DIR.is_dir():
        app.mount("/graphql/static", StaticFiles(directory=GRAPHIQL_DIR), name="graphiql-static")
    return app


def observe(engine: AsyncEngine) -> None:
    """What the metrics and the request log read off an engine: its pool, and the statements of each request."""
    count_statements(engine)
    metrics.observe_pool(engine)


def bound_url(sessionmaker: Maker, settings: Settings) -> URL:
    """The database a caller's sessionmaker opens sessions on (DATABASE_URL's for one that does not say)."""
    bind = sessionmaker.kw.get("bind") if isinstance(sessionmaker, async_sessionmaker) else None
    return bind.url if isinstance(bind, AsyncEngine) else make_url(settings.database_url)


@functools.cache
def development_secret() -> str:
    log.warning("SECRET_KEY is not set: tokens are signed with a key made up for this process only")
    return secrets.token_urlsafe(32)


async def prepare_embedded(engine: Any, *, demo_data: bool) -> None:
    """A start on the embedded default: build the database, and on the first one give it something to show."""
    from migrations.runner import upgrade
    from models.seed import is_empty, seed

    await upgrade(engine)
    if demo_data and await is_empty(engine):
        log.info("empty embedded database: seeding demo data")
        await seed(engine, packages=50, seed=0, progress=False)


def __getattr__(name: str) -> Any:
    """`uvicorn app:app` gets an app configured by the environment alone."""
    if name == "app":
        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        return create_app(settings)
    raise AttributeError(name)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()} {e['msg']}" for e in error.errors())
        raise SystemExit(f"Invalid settings: {problems}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    migrate = commands.add_parser("migrate", help="bring the database to the newest schema revision")
    migrate.add_argument("--status", action="store_true", help="show the current and newest revision only")
    seed = commands.add_parser("seed", help="fill the database with deterministic sample data")
    seed.add_argument("--packages", type=int, default=1000)
    seed.add_argument("--seed", type=int, default=0)
    documents = commands.add_parser("documents", help="trusted documents (persisted queries)")
    documents_commands = documents.add_subparsers(dest="documents_command", required=True)
    add = documents_commands.add_parser(
        "add", help="register every .graphql file under FOLDER as trusted; print `<sha256>  <path>` for each"
    )
    add.add_argument("folder", type=Path)
    commands.add_parser(
        "recount", help="recompute every counter from the tables (after a load that bypassed the triggers)"
    )
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument(
        "--path",
        type=Path,
        default=Path("schema.graphql"),
        help="where (default: schema.graphql in the working folder)",
    )
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing: list how the schema differs from the file (breaking, dangerous, safe); exit 1 if breaking",
    )
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve_app(args)
        return
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "export-schema" and args.check:
        from schema.changes import check
        from schema.root import schema

        report, code = check(args.path, schema.as_str() + "\n")
        print(report)
        if code:
            raise SystemExit(code)
    elif args.command == "export-schema":
        from schema.root import schema

        args.path.write_text(schema.as_str() + "\n")
        print(f"wrote {args.path}")
    else:
        asyncio.run(_database_command(args, load_settings()))


def serve_app(args: argparse.Namespace) -> None:
    """Uvicorn with the settings' shutdown bound and logs; several workers share a fresh metrics folder."""
    import shutil
    import tempfile

    settings = load_settings()
    made = None
    if args.workers > 1 and metrics.multiprocess_dir() is None:
        # Read by prometheus_client when it is imported, which each worker does anew after this.
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cheeseshop-metrics-")
    configure_logging(settings.log_format, settings.log_level)
    if args.workers > 1 and settings.embedded:
        # Workers start together: the embedded database is built (and seeded) once, here, before any of them
        # would race another to create the same tables.
        asyncio.run(_prepare_embedded_once(settings))
    try:
        _run_uvicorn(args, settings)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


async def _prepare_embedded_once(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await prepare_embedded(engine, demo_data=bool(settings.demo_data))
    finally:
        await engine.dispose()


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import signal
    import sys

    import uvicorn

    from web import server

    # Uvicorn raises the SIGTERM it shut down on once more when it is done, to die of it; by then the shutdown
    # was orderly, so this handler makes it an exit with status 0 (what a process manager reads as a clean stop).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    config = uvicorn.Config(
        "app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        access_log=False,  # the app logs every request itself, with its id, operation and SQL statements
        log_config=None,  # keep configure_logging's handlers
    )
    server.run(config)


async def _database_command(args: argparse.Namespace, settings: Settings) -> None:
    from migrations.runner import current, head, upgrade
    from models.seed import seed

    engine = make_engine(settings.database_url, echo=settings.database_echo)
    try:
        if args.command == "migrate" and args.status:
            now, newest = await current(engine), head()
            print(f"current: {now or '(empty)'}\nnewest:  {newest}\n" + ("up to date" if now == newest else "behind"))
        elif args.command == "migrate":
            before, after = await upgrade(engine)
            print(f"already at {after}" if before == after else f"migrated {before or '(empty)'} -> {after}")
        elif args.command == "documents":
            from resolvers.documents import add
            from schema.root import schema

            await add(engine, args.folder, schema._schema)
        elif args.command == "recount":
            from models.recount import recount, report

            print(report(await recount(engine)))
        else:
            counts = await seed(engine, packages=args.packages, seed=args.seed, progress=True)
            print("seeded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()

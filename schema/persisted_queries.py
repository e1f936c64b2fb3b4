"""Automatic persisted queries (Apollo's protocol) and the trusted-documents allow-list.

A request names its document by hash in `extensions.persistedQuery { version: 1, sha256Hash }`. The text found
for it becomes the request's query before strawberry parses it, so it takes exactly the path of a text sent in
full: the document cache, validation, every limit and the executor.
"""

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from models import activity
from models.db import Db
from models.document import sha256_of
from models.outage import UNAVAILABLE_MESSAGE, database_unavailable
from schema.context import Context

log = logging.getLogger(__name__)

VERSION = 1
HASH = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueryError(GraphQLError):
    """A request refused for its persisted query; `http_status` is the HTTP status for clients that accept
    `application/graphql-response+json` (the edge applies it; `application/json` clients get 200)."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message, extensions={"code": code})
        self.http_status = status


def not_found() -> PersistedQueryError:
    # Message and code are what Apollo's and urql's links look for before they send the text with the hash.
    return PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", status=200)


def not_allowed(why: str) -> PersistedQueryError:
    return PersistedQueryError(f"Only trusted documents may run: {why}", "PERSISTED_QUERY_NOT_ALLOWED", status=403)


def requested_hash(persisted: object) -> str:
    """The hash `extensions.persistedQuery` names, lower-case; refused when its shape or version is wrong."""
    if not isinstance(persisted, dict):
        raise PersistedQueryError("`extensions.persistedQuery` must be an object.", "PERSISTED_QUERY_INVALID")
    version = persisted.get("version")
    if version != VERSION or isinstance(version, bool):
        raise PersistedQueryError(
            f"Unsupported persisted query version {version!r}: only version {VERSION} is supported.",
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not HASH.fullmatch(sha256):
        raise PersistedQueryError(
            "`extensions.persistedQuery.sha256Hash` must be the SHA-256 of the query text, as 64 hex digits.",
            "PERSISTED_QUERY_INVALID",
        )
    return sha256.lower()


class PersistedQueries(SchemaExtension):
    """Fills in the query text of a request that sends only its hash, and stores texts that come with one.

    In allow-list mode (`TRUSTED_DOCUMENTS_ONLY`) a document runs only when `documents add` registered it,
    whether the request sends its hash, its text or both, and clients store nothing. It must come first among
    the schema's extensions: it raises before any other has started, so none is left half-entered.
    """

    _to_store: str | None = None  # the hash of a new text, stored once the text has passed validation

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        ctx: Context = context.context
        try:
            await self._resolve(ctx)
        except PersistedQueryError as error:
            _not_cached(ctx, error)
            raise
        except Exception as error:  # the database failed: never its message, which may carry SQL
            raise _failed(error) from None
        yield

    async def _resolve(self, ctx: Context) -> None:
        async with _documents_db(ctx) as db:
            await self._resolve_with(ctx, db)

    async def _resolve_with(self, ctx: Context, db: Db) -> None:
        context = self.execution_context
        persisted = (context.operation_extensions or {}).get("persistedQuery")
        only_trusted = ctx.settings.trusted_documents_only
        text = context.query or None
        if persisted is None:
            if only_trusted and text is not None:
                found = await ctx.documents.find(db, sha256_of(text), trusted=True)
                if found is None or not found.trusted:
                    raise not_allowed("this query text is not registered.")
            return
        sha256 = requested_hash(persisted)
        if text is None:
            found = await ctx.documents.find(db, sha256, trusted=only_trusted)
            if found is None or (only_trusted and not found.trusted):
                raise not_allowed("no registered document has this hash.") if only_trusted else not_found()
            context.query = found.text
            return
        if sha256_of(text) != sha256:
            raise PersistedQueryError(
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of the query text.",
                "PERSISTED_QUERY_HASH_MISMATCH",
            )
        found = await ctx.documents.find(db, sha256, trusted=only_trusted)
        if only_trusted and (found is None or not found.trusted):
            raise not_allowed("this query text is not registered.")
        if found is None:
            self._to_store = sha256

    async def on_validate(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context
        if self._to_store is not None and context.query is not None and not context.pre_execution_errors:
            ctx: Context = context.context
            try:
                async with _documents_db(ctx) as db:
                    await ctx.documents.store(db, self._to_store, context.query)
            except Exception:  # the text still runs; the client sends it again next time
                log.exception("could not store persisted query %s", self._to_store)


@asynccontextmanager
async def _documents_db(ctx: Context) -> AsyncIterator[Db]:
    """The request's own `Db` over HTTP; over a socket a short session, so a subscription holds no connection."""
    if not isinstance(ctx.request, WebSocket):
        yield ctx.db
        return
    db = Db(ctx.sessionmaker())
    try:
        yield db
    finally:
        await db.close()


def _failed(error: Exception) -> GraphQLError:
    """The error for a document lookup that failed, under the request's id: an outage, or a bug."""
    request_id = activity.request_id()
    if database_unavailable(error):
        log.warning("request %s: the database is unavailable: %r", request_id, error)
        failure = PersistedQueryError(UNAVAILABLE_MESSAGE, "DATABASE_UNAVAILABLE", status=503)
    else:
        log.error("request %s failed", request_id, exc_info=error)
        failure = PersistedQueryError("Internal server error.", "INTERNAL_SERVER_ERROR", status=500)
    failure.extensions = {**(failure.extensions or {}), "requestId": request_id}
    return failure


def _not_cached(ctx: Context, error: PersistedQueryError) -> None:
    """Apollo's links send hashed queries by GET: no cache on the way may keep a "not found" answer."""
    if ctx.response is not None and error.http_status == 200:
        ctx.response.headers["Cache-Control"] = "private, no-cache, must-revalidate"

"""The naive baseline: the app's schema without DataLoaders, to show what the loaders save.

Every relationship field awaits `row.awaitable_attrs.<relationship>`, which loads all the children of that one
parent, then sorts and slices them in Python; `totalCount` is the length of that list. Top-level fields are plain
selects of ORM rows, paged in SQL with keyset cursors as in the app, so the two differ only below the top level.
Answers are the app's, cursors and global IDs included; `python -m bench.naive_check` checks that.

    DATABASE_URL=postgresql://... uvicorn bench.naive:app --loop uvloop --http httptools

Of the mutations, only `publishRelease` is here (maintainers only, with the app's typed refusals).
"""

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, Self, TypeVar

import strawberry
from fastapi import FastAPI, Request
from graphql import GraphQLError
from packaging.version import InvalidVersion, Version
from sqlalchemy import ColumnElement, Executable, Select, distinct, event, false, func, literal, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, lazyload
from strawberry import relay
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.types import ExecutionContext

import models
import resolvers.search as ranked
from app import Settings, development_secret, load_settings
from loaders.classifier import CLASSIFIERS_BY_NAME
from loaders.package import PACKAGES_BY_NAME
from loaders.paging import CursorError, Ordering
from loaders.user import USERS_BY_NAME
from models.base import utcnow
from models.db import AnyRow, make_engine
from resolvers import tokens
from resolvers.names import normalize_name
from resolvers.release_mutations import MAX_SIZE
from resolvers.validation import Checks
from schema.document_cache import DocumentCache
from schema.errors import BadArgument, Conflict, NotAllowed, NotAuthenticated, NotFound, ValidationError
from schema.extensions import MaskUnexpectedErrors, RejectUnstorableText, StorableTextArguments
from schema.ids import parse_global_id, row_id_of, row_ids
from schema.mutations import PublishReleaseInput
from schema.package import PackageFilter, PackageOrder
from schema.package_filter import package_where
from schema.release import ReleaseOrder
from schema.stats import Stats

T = TypeVar("T")
R = TypeVar("R")
NodeT = TypeVar("NodeT")
Maker = async_sessionmaker[AsyncSession]


class LazySession(Session):
    """A session in which every relationship of every row it loads can be lazy-loaded, whatever the models say."""


@event.listens_for(LazySession, "do_orm_execute")
def _lazy_relationships(state: ORMExecuteState) -> None:
    # The models say lazy="raise". `lazyload("*")` on a top-level select alone is not enough: it reaches the
    # relationships of that select's rows, not those of the rows their lazy loads bring (`Release.package` of a
    # package's releases would still raise). So it goes on every select of the session, lazy loads included.
    if state.is_select:
        state.statement = state.statement.options(lazyload("*"))


def make_sessionmaker(bind: AsyncEngine | AsyncConnection, **kwargs: Any) -> Maker:
    # close_resets_only=False, as in the app: a closed session refuses to start again.
    return async_sessionmaker(
        bind, sync_session_class=LazySession, expire_on_commit=False, close_resets_only=False, **kwargs
    )


@dataclass
class Context(BaseContext):
    session: AsyncSession
    settings: Settings
    viewer_id: int | None = None
    auth_problem: str | None = None
    # An AsyncSession runs one statement at a time, yet Strawberry resolves sibling fields concurrently: every
    # statement and lazy load of the request holds this lock.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def rows(self, stmt: Executable) -> Sequence[AnyRow]:
        async with self.lock:
            return (await self.session.execute(stmt)).all()

    async def scalars(self, stmt: Select[T]) -> Sequence[T]:
        async with self.lock:
            return (await self.session.scalars(stmt)).all()

    async def scalar(self, stmt: Select[T]) -> T | None:
        async with self.lock:
            result: T | None = await self.session.scalar(stmt)
            return result

    async def get(self, entity: type[T], id_: int) -> T | None:
        async with self.lock:
            return await self.session.get(entity, id_)


Info = strawberry.Info[Context, None]


@dataclass(frozen=True)
class Page:
    """The checked arguments of one connection page, with its cursors decoded."""

    ordering: Ordering
    first: int | None
    last: int | None
    after: tuple[Any, ...] | None
    before: tuple[Any, ...] | None

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def limit(self) -> int:
        limit = self.last if self.backward else self.first
        assert limit is not None
        return limit

    @property
    def start(self) -> tuple[Any, ...] | None:
        """The cursor the page starts from: `before` when paging backwards, `after` otherwise."""
        return self.before if self.backward else self.after


def page_of(
    info: Info, ordering: Ordering, first: int | None, after: str | None, last: int | None, before: str | None
) -> Page:
    """The app's checks of page arguments, with its messages."""
    default_size, max_size = info.context.settings.page_size_default, info.context.settings.page_size_max
    if first is not None and last is not None:
        raise BadArgument("first", "cannot be combined with `last`; page forwards or backwards, not both.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= max_size:
            raise BadArgument(name, f"must be between 0 and {max_size}, got {size}.")
    if first is None and last is None:
        first = default_size
    return Page(ordering, first, last, _decode("after", ordering, after), _decode("before", ordering, before))


def _decode(argument: str, ordering: Ordering, cursor: str | None) -> tuple[Any, ...] | None:
    try:
        return None if cursor is None else ordering.decode(cursor)
    except CursorError as error:
        raise BadArgument(argument, f"{error}.") from None


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    """One page; what the page alone cannot tell (None) is asked of `count` and `outside` when a client asks."""

    edges: list[Edge[NodeT]]
    has_previous: strawberry.Private[bool | None]
    has_next: strawberry.Private[bool | None]
    count: strawberry.Private[Callable[[], Awaitable[int]]]
    outside: strawberry.Private[Callable[[], Awaitable[bool]] | None] = None

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field
    async def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=await self._side(self.has_next),
            has_previous_page=await self._side(self.has_previous),
            start_cursor=self.edges[0].cursor if self.edges else None,
            end_cursor=self.edges[-1].cursor if self.edges else None,
        )

    async def _side(self, known: bool | None) -> bool:
        if known is not None:
            return known
        assert self.outside is not None, "only a page cut in SQL leaves a side unknown"
        return await self.outside()


def children(rows: Sequence[R], page: Page, node: Callable[[R], NodeT]) -> Connection[NodeT]:
    """The page of all of a parent's children that the app's windowed statement gives, cut in Python."""
    ordering = page.ordering
    names = [str(key.key) for key in ordering.keys]  # lists of children sort by columns, named like the attributes

    def key(row: R) -> tuple[Any, ...]:
        return tuple(getattr(row, name) for name in names)

    def later(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        """Whether `a` comes after `b` in the ordering."""
        return a < b if ordering.descending else a > b

    everything = sorted(rows, key=key, reverse=ordering.descending)
    bounded = [
        row
        for row in everything
        if (page.after is None or later(key(row), page.after)) and (page.before is None or later(page.before, key(row)))
    ]
    # The last `limit` rows when paging backwards, the first `limit` otherwise.
    shown = bounded[max(len(bounded) - page.limit, 0) :] if page.backward else bounded[: page.limit]
    more = len(bounded) > page.limit
    start = page.start

    def far_side(row: R) -> bool:
        """Whether `row` lies at or before `after` (at or after `before` when paging backwards)."""
        assert start is not None
        return not later(start, key(row)) if page.backward else not later(key(row), start)

    if start is None:
        outside = False
    elif bounded:
        outside = any(far_side(row) for row in everything)
    else:
        outside = bool(everything)  # what the app answers here: whether the parent has children at all

    async def count() -> int:
        return len(everything)

    return Connection(
        edges=[Edge(cursor=ordering.encode(key(row)), node=node(row)) for row in shown],
        has_previous=more if page.backward else outside,
        has_next=outside if page.backward else more,
        count=count,
    )


def _beyond(page: Page, values: tuple[Any, ...], *, forwards: bool) -> ColumnElement[bool]:
    """Rows after `values` in the page's ordering, or before them when not `forwards`."""
    keys = page.ordering.keys
    row = tuple_(*keys)
    bound = tuple_(*(literal(value, key.type) for key, value in zip(keys, values, strict=True)))
    return row > bound if forwards != page.ordering.descending else row < bound


async def top_level(info: Info, stmt: Select[Any], page: Page, node: Callable[[Any], NodeT]) -> Connection[NodeT]:
    """A page of a plain select of rows: keyset bounds and LIMIT in SQL, as the app pages its top-level lists."""
    ctx = info.context
    keys = page.ordering.keys
    bounds = [_beyond(page, page.after, forwards=True)] if page.after is not None else []
    if page.before is not None:
        bounds.append(_beyond(page, page.before, forwards=False))
    reverse = page.ordering.descending != page.backward  # scan from the end when paging backwards
    paged = (
        stmt.add_columns(*(key.label(f"k{i}") for i, key in enumerate(keys)))
        .where(*bounds)
        .order_by(*(key.desc() if reverse else key.asc() for key in keys))
        .limit(page.limit + 1)
    )
    rows = await ctx.rows(paged)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows = rows[::-1]
    outside = False if page.start is None else None  # None: only the database can tell

    async def count() -> int:
        return await ctx.scalar(stmt.with_only_columns(func.count(), maintain_column_froms=True)) or 0

    async def rows_outside() -> bool:
        assert page.start is not None
        # At or before `after`, or at or after `before` when paging backwards.
        far_side = ~_beyond(page, page.start, forwards=not page.backward)
        return bool(await ctx.scalar(select(stmt.where(far_side).exists())))

    return Connection(
        edges=[Edge(cursor=page.ordering.encode(tuple(row[1:])), node=node(row[0])) for row in rows],
        has_previous=more if page.backward else outside,
        has_next=outside if page.backward else more,
        count=count,
        outside=rows_outside,
    )


_columns: dict[type, tuple[str, ...]] = {}


class FromRow:
    """Builds a type from its model row: the row's columns under the same names, and the row for relationships."""

    @classmethod
    def from_row(cls, row: Any) -> Self:
        names = _columns.get(cls)
        if names is None:
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # every subclass is a Strawberry type
            names = _columns[cls] = tuple(f.name for f in fields if f.init and f.name != "row")
        return cls(**{"row": row, **{name: getattr(row, name) for name in names}})

    @classmethod
    def from_optional_row(cls, row: Any | None) -> Self | None:
        return None if row is None else cls.from_row(row)


@strawberry.type
class Release(FromRow, relay.Node):
    id: relay.NodeID[int]
    version: str
    created_at: datetime
    comment: str | None
    url: str | None
    size: int
    yanked: bool
    row: strawberry.Private[models.Release]

    @strawberry.field
    async def package(self, info: Info) -> "Package":
        async with info.context.lock:
            row = await self.row.awaitable_attrs.package  # no SQL when the package is in the session already
        return Package.from_row(row)


@strawberry.type
class Package(FromRow, relay.Node):
    id: relay.NodeID[int]
    name: str
    summary: str | None
    description: str | None
    home_page: str | None
    docs_url: str | None
    license: str | None
    author_name: str | None
    author_email: str | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Package]

    async def _releases(self, info: Info) -> list[models.Release]:
        """All the package's releases: one lazy load, then none for the other fields that need them."""
        async with info.context.lock:
            rows: list[models.Release] = await self.row.awaitable_attrs.releases
        return rows

    @strawberry.field
    async def releases(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: ReleaseOrder | None = None,
    ) -> Connection[Release]:
        page = page_of(info, (order_by or ReleaseOrder()).ordering, first, after, last, before)
        return children(await self._releases(info), page, Release.from_row)

    @strawberry.field
    async def latest_release(self, info: Info) -> Release | None:
        listed = [row for row in await self._releases(info) if not row.yanked]
        return Release.from_row(max(listed, key=lambda row: (row.created_at, row.id))) if listed else None

    @strawberry.field
    async def release_count(self, info: Info) -> int:
        return len(await self._releases(info))

    @strawberry.field
    async def maintainers(self, info: Info) -> list["User"]:
        async with info.context.lock:
            maintainerships: list[models.Maintainer] = await self.row.awaitable_attrs.maintainers
            rows: list[models.User] = [await m.awaitable_attrs.user for m in maintainerships]
        return [User.from_row(row) for row in sorted(rows, key=lambda row: (row.name, row.id))]

    @strawberry.field
    async def classifiers(self, info: Info) -> list["Classifier"]:
        async with info.context.lock:
            rows: list[models.Classifier] = await self.row.awaitable_attrs.classifiers
        return [Classifier.from_row(row) for row in sorted(rows, key=lambda row: (row.name, row.id))]


@strawberry.type
class User(FromRow, relay.Node):
    id: relay.NodeID[int]
    name: str
    created_at: datetime
    profile_image_url: str | None
    row: strawberry.Private[models.User]

    @strawberry.field
    def email(self, info: Info) -> str | None:
        return self.row.email if self.id == info.context.viewer_id else None

    @strawberry.field
    async def packages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Package]:
        page = page_of(info, PACKAGES_BY_NAME, first, after, last, before)
        async with info.context.lock:
            maintainerships: list[models.Maintainer] = await self.row.awaitable_attrs.maintainerships
            rows: list[models.Package] = [await m.awaitable_attrs.package for m in maintainerships]
        return children(rows, page, Package.from_row)


@strawberry.type
class Classifier(FromRow, relay.Node):
    id: relay.NodeID[int]
    name: str
    row: strawberry.Private[models.Classifier]

    @strawberry.field
    async def packages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Package]:
        page = page_of(info, PACKAGES_BY_NAME, first, after, last, before)
        async with info.context.lock:
            rows: list[models.Package] = await self.row.awaitable_attrs.packages
        return children(rows, page, Package.from_row)


NODE_TYPES: dict[str, tuple[type[Any], type[Package | Release | User | Classifier]]] = {
    "Package": (models.Package, Package),
    "Release": (models.Release, Release),
    "User": (models.User, User),
    "Classifier": (models.Classifier, Classifier),
}


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    global_id = parse_global_id(id)
    if global_id.type_name not in NODE_TYPES:
        raise BadArgument("id", "is not the ID of any object of this API.")
    entity, node_type = NODE_TYPES[global_id.type_name]
    return node_type.from_optional_row(await info.context.get(entity, row_ids([global_id.node_id])[0]))


async def package(info: Info, name: str) -> Package | None:
    stmt = select(models.Package).where(models.Package.name == normalize_name(name))
    return Package.from_optional_row(await info.context.scalar(stmt))


async def packages(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: PackageFilter | None = None,
    order_by: PackageOrder | None = None,
) -> Connection[Package]:
    page = page_of(info, (order_by or PackageOrder()).ordering, first, after, last, before)
    where = package_where(filter, info.context.settings.max_filter_depth)
    stmt = select(models.Package).where(where.clause()) if where else select(models.Package)
    return await top_level(info, stmt, page, Package.from_row)


async def search(
    info: Info,
    query: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Package]:
    terms = query.strip()
    if not terms:
        raise BadArgument("query", "must not be blank.")
    # The app's statement and ranking, with the values bound in, over ORM rows.
    dialect = ranked.dialect_of(info.context.session.get_bind().dialect.name)
    bound = ranked.bound_values(dialect, terms)
    if bound is None:  # no word: nothing matches, as in the app
        page = page_of(info, PACKAGES_BY_NAME, first, after, last, before)
        return await top_level(info, select(models.Package).where(false()), page, Package.from_row)
    keys = ranked.ORDERINGS[dialect].keys
    ordering = Ordering("search", tuple(key.params(bound) if isinstance(key, ColumnElement) else key for key in keys))
    page = page_of(info, ordering, first, after, last, before)
    stmt = ranked.STATEMENTS[dialect].with_only_columns(models.Package).params(bound)
    return await top_level(info, stmt, page, Package.from_row)


async def release(info: Info, package: str, version: str) -> Release | None:
    with suppress(InvalidVersion):
        version = str(Version(version.strip()))
    stmt = (
        select(models.Release)
        .join(models.Package, models.Package.id == models.Release.package_id)
        .where(models.Package.name == normalize_name(package), models.Release.version == version)
    )
    return Release.from_optional_row(await info.context.scalar(stmt))


async def latest_releases(info: Info, limit: int | None = 10) -> list[Release]:
    limit = 10 if limit is None else limit
    max_size = info.context.settings.page_size_max
    if not 0 <= limit <= max_size:
        raise BadArgument("limit", f"must be between 0 and {max_size}, got {limit}.")
    stmt = select(models.Release).order_by(models.Release.created_at.desc(), models.Release.id.desc()).limit(limit)
    return [Release.from_row(row) for row in await info.context.scalars(stmt)]


async def user(info: Info, id: strawberry.ID | None = None, email: str | None = None) -> User | None:
    if (id is None) == (email is None):
        raise BadArgument("id", "or `email` is needed, one of them and not both.")
    if id is not None:
        return User.from_optional_row(await info.context.get(models.User, row_id_of(id, "User")))
    assert email is not None
    # As the app: an address finds its own account only.
    own = models.User.id == (info.context.viewer_id or 0)
    stmt = select(models.User).where(models.User.email == email.strip().lower(), own)
    return User.from_optional_row(await info.context.scalar(stmt))


async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[User]:
    page = page_of(info, USERS_BY_NAME, first, after, last, before)
    return await top_level(info, select(models.User), page, User.from_row)


async def viewer(info: Info) -> User | None:
    viewer_id = info.context.viewer_id
    return None if viewer_id is None else User.from_optional_row(await info.context.get(models.User, viewer_id))


async def classifiers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Classifier]:
    page = page_of(info, CLASSIFIERS_BY_NAME, first, after, last, before)
    return await top_level(info, select(models.Classifier), page, Classifier.from_row)


async def stats(info: Info) -> Stats:
    """Four plain counts."""
    ctx = info.context
    return Stats(
        package_count=await ctx.scalar(select(func.count()).select_from(models.Package)) or 0,
        release_count=await ctx.scalar(select(func.count()).select_from(models.Release)) or 0,
        user_count=await ctx.scalar(select(func.count()).select_from(models.User)) or 0,
        maintainer_count=await ctx.scalar(select(func.count(distinct(models.Maintainer.user_id)))) or 0,
    )


@strawberry.type
class ReleasePayload:
    release: Release


PublishReleaseResult = Annotated[
    ReleasePayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict,
    strawberry.union("PublishReleaseResult"),
]


async def publish_release(info: Info, input: PublishReleaseInput) -> PublishReleaseResult:
    """The app's checks, refusals and messages; the package's maintainers and releases are lazy loads."""
    ctx = info.context
    checks = Checks()
    version = checks.version("version", input.version)
    comment = checks.text("comment", input.comment, max_length=10_000)
    url = checks.url("url", input.url)
    if not 0 <= input.size <= MAX_SIZE:
        checks.fail("size", f"must be between 0 and {MAX_SIZE} bytes.")
    taken = Conflict(field="version", message=f"Version {version} of this package already exists.")
    # Mutation fields run one at a time, so this one holds the session throughout and awaits its lazy loads directly.
    async with ctx.lock:
        session = ctx.session
        try:
            result = await _publish(ctx, session, input, checks, version, comment, url, taken)
            if isinstance(result, ReleasePayload):
                await session.commit()
                return result
        except IntegrityError:  # a concurrent request published this version first
            result = taken
        await session.rollback()
        return result


async def _publish(
    ctx: Context,
    session: AsyncSession,
    input: PublishReleaseInput,
    checks: Checks,
    version: str,
    comment: str | None,
    url: str | None,
    taken: Conflict,
) -> PublishReleaseResult:
    if ctx.viewer_id is None:
        return NotAuthenticated(message=ctx.auth_problem or "Sign in first.")
    if await session.get(models.User, ctx.viewer_id) is None:
        return NotAuthenticated(message="The token's user no longer exists; sign in again.")
    name = normalize_name(input.package)
    # Locked for the rest of the transaction (PostgreSQL), as in the app; SQLite has no row locks.
    package = await session.scalar(select(models.Package).where(models.Package.name == name).with_for_update())
    if package is None:
        return NotFound(message=f"There is no package {name}.")
    maintainerships: list[models.Maintainer] = await package.awaitable_attrs.maintainers
    if ctx.viewer_id not in {m.user_id for m in maintainerships}:
        return NotAllowed(message=f"Only a maintainer of {name} may do this.")
    if checks.problems:
        return ValidationError.of(checks.problems)
    releases: list[models.Release] = await package.awaitable_attrs.releases
    if any(row.version == version for row in releases):
        return taken
    now = utcnow()
    row = models.Release(version=version, created_at=now, comment=comment, url=url, size=input.size)
    releases.append(row)  # sets row.package, and keeps the loaded list whole for fields read after the commit
    package.updated_at = now
    await session.flush()
    return ReleasePayload(release=Release.from_row(row))


@strawberry.type
class Query:
    node: relay.Node | None = strawberry.field(resolver=node)
    package: Package | None = strawberry.field(resolver=package)
    packages: Connection[Package] = strawberry.field(resolver=packages)
    search: Connection[Package] = strawberry.field(resolver=search)
    release: Release | None = strawberry.field(resolver=release)
    latest_releases: list[Release] = strawberry.field(resolver=latest_releases)
    user: User | None = strawberry.field(resolver=user)
    users: Connection[User] = strawberry.field(resolver=users)
    viewer: User | None = strawberry.field(resolver=viewer)
    classifiers: Connection[Classifier] = strawberry.field(resolver=classifiers)
    stats: Stats = strawberry.field(resolver=stats)


@strawberry.type
class Mutation:
    publish_release: PublishReleaseResult = strawberry.field(
        resolver=publish_release, extensions=[StorableTextArguments()]
    )


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """As in the app: client errors are the client's, and `MaskUnexpectedErrors` logs the rest."""


# The app's extensions, so that both do the same work per request apart from loading.
schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Package, Release, User, Classifier],
    extensions=[DocumentCache, RejectUnstorableText, MaskUnexpectedErrors],
)


def create_app(settings: Settings, sessionmaker: Maker | None = None) -> FastAPI:
    """The naive ASGI app; a caller that hands in a `sessionmaker` (from `make_sessionmaker`) owns its engine."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sessionmaker is not None:
            yield
            return
        engine = make_engine(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    secret = settings.secret_key or development_secret()

    async def get_context(request: Request) -> AsyncIterator[Context]:
        caller = tokens.caller(request.headers.get("authorization"), secret=secret)
        ctx = Context(
            session=request.app.state.sessionmaker(),
            settings=settings,
            viewer_id=caller.user_id,
            auth_problem=caller.problem,
        )
        try:
            yield ctx
        finally:
            async with ctx.lock:
                await ctx.session.close()

    app = FastAPI(title="Cheeseshop (naive)", lifespan=lifespan)
    if sessionmaker is not None:
        app.state.sessionmaker = sessionmaker
    router: GraphQLRouter[Context, None] = GraphQLRouter(
        schema,
        context_getter=get_context,  # type: ignore[arg-type]  # FastAPI runs a generator as a yield dependency
        graphql_ide=None,
    )
    app.include_router(router, prefix="/graphql")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def __getattr__(name: str) -> Any:
    """`uvicorn bench.naive:app` gets an app configured by the environment alone."""
    if name == "app":
        return create_app(load_settings())
    raise AttributeError(name)

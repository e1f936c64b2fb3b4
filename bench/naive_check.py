"""Check that the naive baseline (bench/naive.py) answers exactly as the app does, in process, on one database.

python -m bench.naive_check --database-url postgresql://postgres@127.0.0.1:5432/cheeseshop_naive

Sends every read workload in bench/queries/ (with many variable values), page walks forwards and backwards
through cursors, the other root fields, and `publishRelease` with its read-back and refusals to both apps, and
prints the first difference of each answer that differs; cursors and IDs are compared too. Everything runs in one
transaction that is rolled back at the end, so the database is left as it was; an empty one is migrated and
seeded first. On SQLite, which cannot nest the app's writes in such a transaction, the apps work on a copy of the
database file instead. Exits with 1 when an answer differs.
"""

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.relay import to_base64

import models
from app import Settings, create_app
from bench import naive
from bench.compare import first_difference
from loaders.package import PACKAGES_BY_NAME
from loaders.release import RELEASES_NEWEST_FIRST
from migrations.runner import upgrade
from models.db import make_engine
from models.seed import is_empty, seed
from resolvers import tokens

HERE = Path(__file__).resolve().parent
WORKLOAD = {path.stem: path.read_text() for path in sorted((HERE / "queries").glob("*.graphql"))}
PUBLISH_WORKLOAD = WORKLOAD.pop("publish_release", None)  # the harness's mutation document, if it has one
Json = Any  # a decoded JSON value


@dataclass
class Pair:
    """The app and the naive app, asked the same things; keeps the tally."""

    app: httpx.AsyncClient
    naive: httpx.AsyncClient
    compared: int = 0
    errors: int = 0
    refusals: int = 0
    differences: list[str] = field(default_factory=list)

    async def ask(self, client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None) -> Json:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        return response.json()

    async def check(
        self, name: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Json:
        """Send `query` to both apps (the app first) and note a difference; returns the app's answer."""
        variables = variables or {}
        expected = await self.ask(self.app, query, variables, token)
        actual = await self.ask(self.naive, query, variables, token)
        self.errors += bool(expected.get("errors"))
        self.refusals += "message" in str((expected.get("data") or {}).get("publishRelease"))
        self.note(f"{name} {variables}", first_difference(expected, actual))
        return expected

    def note(self, what: str, difference: str | None) -> None:
        """Count one comparison, and print and keep its difference if there is one."""
        self.compared += 1
        if difference is not None:
            self.differences.append(f"{what}: {difference}")
            print(f"DIFFERENT {what}: {difference}")

    async def walk(
        self,
        name: str,
        query: str,
        variables: dict[str, Any],
        connection: Callable[[Json], Json],
        *,
        backward: bool = False,
        pages: int = 200,
    ) -> None:
        """Page through a connection with the cursors the app hands out (`$cursor`), comparing every page."""
        cursor = None
        for _ in range(pages):
            answer = await self.check(name, query, {**variables, "cursor": cursor})
            if answer.get("errors"):
                self.note(f"{name} {variables}", f"the app refused: {answer['errors']}")
                return
            info = connection(answer["data"])["pageInfo"]
            if not (info["hasPreviousPage"] if backward else info["hasNextPage"]):
                return
            cursor = info["startCursor"] if backward else info["endCursor"]


PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PACKAGE_RELEASES = """
query ($name: String!, $size: Int, $cursor: String, $order: ReleaseOrder) {
  package(name: $name) {
    releases(first: $size, after: $cursor, orderBy: $order) {
      totalCount PAGE_INFO edges { cursor node { id version createdAt comment url size yanked } }
    }
  }
}""".replace("PAGE_INFO", PAGE_INFO)
PACKAGE_RELEASES_BACKWARD = PACKAGE_RELEASES.replace("first: $size, after:", "last: $size, before:")
RELEASES_BETWEEN = """
query ($name: String!, $after: String, $before: String, $first: Int, $last: Int) {
  package(name: $name) {
    releases(first: $first, last: $last, after: $after, before: $before) {
      totalCount PAGE_INFO edges { cursor node { version } }
    }
  }
}""".replace("PAGE_INFO", PAGE_INFO)
PACKAGES = """
query ($size: Int, $cursor: String, $order: PackageOrder) {
  packages(first: $size, after: $cursor, orderBy: $order) {
    totalCount PAGE_INFO
    edges { cursor node { id name updatedAt releaseCount latestRelease { id version } classifiers { id name } } }
  }
}""".replace("PAGE_INFO", PAGE_INFO)
PACKAGES_BACKWARD = PACKAGES.replace("first: $size, after:", "last: $size, before:")
USER_PACKAGES = """
query ($id: ID!, $size: Int, $cursor: String) {
  user(id: $id) {
    id name createdAt email
    packages(first: $size, after: $cursor) { totalCount PAGE_INFO edges { cursor node { id name } } }
  }
}""".replace("PAGE_INFO", PAGE_INFO)
USER_PACKAGES_BACKWARD = USER_PACKAGES.replace("first: $size, after:", "last: $size, before:")
CLASSIFIER_PACKAGES = """
query ($id: ID!, $size: Int, $cursor: String) {
  node(id: $id) {
    id
    ... on Classifier { name packages(first: $size, after: $cursor) { totalCount PAGE_INFO edges { node { name } } } }
  }
}""".replace("PAGE_INFO", PAGE_INFO)
ROOTS = """
query ($release: ID!, $user: ID!, $package: ID!, $email: String!) {
  stats { packageCount releaseCount userCount maintainerCount }
  latestReleases(limit: 25) { id version yanked package { id name } }
  users(first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name email } } }
  classifiers(last: 5) { totalCount pageInfo { hasPreviousPage startCursor } edges { cursor node { id name } } }
  byEmail: user(email: $email) { id name }
  release: node(id: $release) { id ... on Release { version package { name } } }
  user: node(id: $user) { id ... on User { name } }
  package: node(id: $package) { id ... on Package { name maintainers { id name } } }
  viewer { id email }
  search(query: "json", last: 4) { totalCount edges { cursor node { name } } }
}"""
# One root field each: a field that fails makes graphql-core cancel its running siblings, SQL and all, and a
# query cancelled mid-flight would break the one connection that both apps share here.
REFUSED_PACKAGES = "query ($cursor: String, $size: Int) { packages(first: $size, after: $cursor) { totalCount } }"
REFUSED_LATEST = "query ($limit: Int) { latestReleases(limit: $limit) { version } }"
RELEASE = "id version createdAt comment url size yanked package { name updatedAt releaseCount latestRelease { id } }"
PUBLISH = """
mutation ($input: PublishReleaseInput!) {
  publishRelease(input: $input) {
    __typename
    ... on ReleasePayload { release { RELEASE } }
    ... on Error { message }
    ... on ValidationError { field problems { field message } }
    ... on Conflict { conflictingField: field }
  }
}""".replace("RELEASE", RELEASE)
READ_BACK = """
query ($name: String!, $version: String!) {
  release(package: $name, version: $version) { RELEASE }
  package(name: $name) {
    updatedAt releaseCount latestRelease { id version }
    releases(first: 3) { totalCount edges { cursor node { id version createdAt } } }
  }
  latestReleases(limit: 3) { id version package { name } }
}""".replace("RELEASE", RELEASE)


async def compare(pair: Pair, conn: AsyncConnection, secret: str, settings: Settings) -> None:
    """Everything this script compares, on the database behind `conn`."""
    busiest, names, user_ids, idle_user_id, classifier_ids, release_id, email = await _samples(conn)

    for name in names:
        await pair.check("package_page", WORKLOAD["package_page"], {"name": name})
    await pair.check("package_page", WORKLOAD["package_page"], {"name": "No_Such.Package"})
    for terms in ("json", "py", "a", "JSON-lib", "%", "_", "no such words"):
        await pair.check("search_page", WORKLOAD["search_page"], {"query": terms})
    for user_id in [*user_ids, idle_user_id]:
        await pair.check("user_page", WORKLOAD["user_page"], {"id": to_base64("User", user_id)})
    for name in ("home_page", "list_page", "deep_page"):
        await pair.check(name, WORKLOAD[name])

    def releases(data: Json) -> Json:
        return data["package"]["releases"]

    # Small pages through a small package, large ones through the busiest.
    for name, size in ((names[1], 1), (names[2], 2), (busiest, 25), (busiest, 100)):
        for order in (None, {"direction": "ASC"}):
            variables = {"name": name, "size": size, "order": order}
            await pair.walk("releases", PACKAGE_RELEASES, variables, releases)
            await pair.walk("releases backward", PACKAGE_RELEASES_BACKWARD, variables, releases, backward=True)
    await pair.check("releases first 0", PACKAGE_RELEASES, {"name": busiest, "size": 0})
    first_30 = await pair.check("releases", PACKAGE_RELEASES, {"name": busiest, "size": 30})
    cursors = [edge["cursor"] for edge in releases(first_30["data"])["edges"]]
    for after, before in ((3, 9), (9, 3), (0, 1), (20, 29)):
        for first, last in ((2, None), (None, 2), (None, None), (0, None), (None, 0)):
            bounds = {"after": cursors[after], "before": cursors[before], "first": first, "last": last}
            await pair.check("releases between", RELEASES_BETWEEN, {"name": busiest, **bounds})
        # Another package's cursor: the far side is that of a package whose releases lie elsewhere in time.
        await pair.check("releases after", RELEASES_BETWEEN, {"name": names[-1], "after": cursors[after], "first": 2})

    def packages(data: Json) -> Json:
        return data["packages"]

    for field_ in ("NAME", "CREATED_AT", "UPDATED_AT", "RELEASE_COUNT"):
        for direction in ("ASC", "DESC"):
            variables = {"size": 97, "order": {"field": field_, "direction": direction}}
            await pair.walk("packages", PACKAGES, variables, packages, pages=5)
    await pair.walk("packages backward", PACKAGES_BACKWARD, {"size": 45}, packages, backward=True, pages=5)
    # Cursors past either end (no row has them): an empty page, whose far side only the database can tell.
    end, start = PACKAGES_BY_NAME.encode(["~", 2**31 - 1]), PACKAGES_BY_NAME.encode(["", 0])
    await pair.check("packages past the end", PACKAGES, {"size": 3, "cursor": end})
    await pair.check("packages before the start", PACKAGES_BACKWARD, {"size": 3, "cursor": start})
    oldest, newest = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
    end, start = RELEASES_NEWEST_FIRST.encode([oldest, 0]), RELEASES_NEWEST_FIRST.encode([newest, 2**31 - 1])
    for name in (busiest, names[-1]):
        await pair.check("releases past the end", PACKAGE_RELEASES, {"name": name, "size": 3, "cursor": end})
        await pair.check(
            "releases before the start", PACKAGE_RELEASES_BACKWARD, {"name": name, "size": 3, "cursor": start}
        )

    def user_packages(data: Json) -> Json:
        return data["user"]["packages"]

    for user_id in user_ids[:5]:
        variables = {"id": to_base64("User", user_id), "size": 1}
        await pair.walk("user packages", USER_PACKAGES, variables, user_packages)
        await pair.walk("user packages backward", USER_PACKAGES_BACKWARD, variables, user_packages, backward=True)

    def classifier_packages(data: Json) -> Json:
        return data["node"]["packages"]

    for classifier_id in classifier_ids:
        variables = {"id": to_base64("Classifier", classifier_id), "size": 16}
        await pair.walk("classifier packages", CLASSIFIER_PACKAGES, variables, classifier_packages, pages=10)

    roots = {
        "release": to_base64("Release", release_id),
        "user": to_base64("User", user_ids[0]),
        "package": to_base64("Package", 1),
        "email": email.upper(),
    }
    await pair.check("roots", ROOTS, roots)
    await pair.check("roots as the user", ROOTS, roots, token=await _token(conn, user_ids[0], secret, settings))
    for refused in ({"size": 101}, {"size": -1}, {"cursor": "nonsense"}, {"cursor": cursors[0]}):
        await pair.check("refused", REFUSED_PACKAGES, refused)
    for limit in (-1, 101, None, 0):
        await pair.check("latest", REFUSED_LATEST, {"limit": limit})

    await _compare_publishing(pair, conn, secret, settings, busiest)


async def _compare_publishing(pair: Pair, conn: AsyncConnection, secret: str, settings: Settings, name: str) -> None:
    """Refusals answer alike; what one app publishes, both read back alike, and as its payload told."""
    package_id = (await conn.execute(select(models.Package.id).where(models.Package.name == name))).scalar_one()
    # A maintainer who is not an owner when there is one: publishing needs no more.
    maintainer_id = (
        await conn.execute(
            select(models.Maintainer.user_id)
            .where(models.Maintainer.package_id == package_id)
            .order_by(models.Maintainer.role, models.Maintainer.user_id)
            .limit(1)
        )
    ).scalar_one()
    outsider_id = (
        await conn.execute(
            select(func.max(models.User.id)).where(
                ~models.User.maintainerships.any(models.Maintainer.package_id == package_id)
            )
        )
    ).scalar_one()
    maintainer = await _token(conn, maintainer_id, secret, settings)
    outsider = await _token(conn, outsider_id, secret, settings)

    def release(version: str, **more: Any) -> dict[str, Any]:
        return {"input": {"package": name.upper(), "version": version, **more}}

    for variables, token in (
        (release("1.0"), None),
        (release("1.0"), "not a token"),
        (release("1.0"), outsider),
        (release("1.0"), await _token(conn, 2**31 - 1, secret, settings)),  # no such user
        ({"input": {"package": "no-such-package", "version": "1.0"}}, maintainer),
        (release("not a version", url="ftp://x", size=-1), maintainer),
        (release("not a version", url="ftp://x"), outsider),
        (release("1.0", comment="nul \x00 inside"), maintainer),
    ):
        await pair.check("publish refused", PUBLISH, variables, token=token)

    publishes = [("99.0-RC1", pair.naive, PUBLISH), ("99.1", pair.app, PUBLISH), ("99.2", pair.naive, PUBLISH)]
    if PUBLISH_WORKLOAD is not None:
        publishes.append(("99.3", pair.naive, PUBLISH_WORKLOAD))
    for version, publisher, document in publishes:
        variables = release(version, comment=" Hi ", url="https://example.org/x", size=1234)
        answer = await pair.ask(publisher, document, variables, maintainer)
        payload = (answer.get("data") or {}).get("publishRelease") or {}
        if payload.get("__typename") != "ReleasePayload":
            pair.note(f"publish {version}", f"not published: {answer}")
            continue
        stored = payload["release"]["version"]  # normalised
        read_back = await pair.check("read back", READ_BACK, {"name": name, "version": stored})
        told = payload["release"]
        pair.note(f"publish {version} payload", first_difference(_like(told, read_back["data"]["release"]), told))
        await pair.check("publish again", PUBLISH, release(version), token=maintainer)


def _like(shape: Json, value: Json) -> Json:
    """`value` with only the keys `shape` has (at every depth), to compare a smaller selection with a larger one."""
    if isinstance(shape, dict) and isinstance(value, dict):
        return {key: _like(shape[key], value[key]) if key in value else None for key in shape}
    return value


async def _token(conn: AsyncConnection, user_id: int, secret: str, settings: Settings) -> str:
    """A token for `user_id`, bound to its account's key (any key when there is no such account)."""
    key = (await conn.execute(select(models.User.token_key).where(models.User.id == user_id))).scalar()
    return tokens.issue(user_id, key or "no-such-account", secret=secret, lifetime=settings.token_lifetime)


async def _samples(conn: AsyncConnection) -> tuple[str, list[str], list[int], int, list[int], int, str]:
    """Names and ids to ask about: the package with most releases, a spread of packages and users, and so on."""

    async def scalars(stmt: Any) -> list[Any]:
        return list((await conn.execute(stmt)).scalars())

    counts = select(models.Release.package_id, func.count().label("n")).group_by(models.Release.package_id).subquery()
    busiest = (await scalars(
        select(models.Package.name).join(counts, counts.c.package_id == models.Package.id)
        .order_by(counts.c.n.desc(), models.Package.id).limit(1)
    ))[0]  # fmt: skip
    names = await scalars(select(models.Package.name).order_by(models.Package.id))
    names = names[:: max(1, len(names) // 60)]
    user_ids = await scalars(select(models.Maintainer.user_id).distinct().order_by(models.Maintainer.user_id))
    user_ids = user_ids[:: max(1, len(user_ids) // 20)]
    idle = select(models.User.id).where(~models.User.maintainerships.any()).order_by(models.User.id).limit(1)
    idle_user_id = (await scalars(idle) or [2**31 - 1])[0]
    classifier_ids = await scalars(select(models.Classifier.id).order_by(models.Classifier.id))
    release_id = (await scalars(select(func.max(models.Release.id))))[0]
    email = (await scalars(select(models.User.email).order_by(models.User.id).limit(1)))[0]
    return busiest, names, user_ids, idle_user_id, classifier_ids[::3], release_id, email


@asynccontextmanager
async def clients(bind: AsyncEngine | AsyncConnection, settings: Settings) -> AsyncIterator[Pair]:
    """Both apps on `bind`; on a connection, each request's session is a savepoint of its transaction."""
    joined: dict[str, Any] = {"join_transaction_mode": "create_savepoint"} if isinstance(bind, AsyncConnection) else {}
    app_sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
        bind, expire_on_commit=False, close_resets_only=False, **joined
    )
    app = create_app(settings, sessionmaker=app_sessions)
    naive_app = naive.create_app(settings, sessionmaker=naive.make_sessionmaker(bind, **joined))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as app_http,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=naive_app), base_url="http://naive") as naive_http,
    ):
        yield Pair(app_http, naive_http)


async def check(engine: AsyncEngine, secret: str, settings: Settings) -> Pair:
    """Compare everything; what the apps write is rolled back (PostgreSQL) or written to a copy (SQLite)."""
    if engine.dialect.name == "sqlite":
        # The app opens its writes with BEGIN IMMEDIATE, which SQLite refuses inside an outer transaction.
        with tempfile.TemporaryDirectory() as folder:
            assert engine.url.database is not None
            copy = Path(folder) / "copy.db"
            shutil.copyfile(engine.url.database, copy)
            engine = make_engine(f"sqlite:///{copy}")
            try:
                async with engine.connect() as conn, clients(engine, settings) as pair:
                    await compare(pair, conn, secret, settings)
            finally:
                await engine.dispose()
        return pair
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            async with clients(conn, settings) as pair:
                await compare(pair, conn, secret, settings)
        finally:
            await outer.rollback()
    return pair


async def main(args: argparse.Namespace) -> int:
    secret = "naive-check-" * 3
    settings = Settings(database_url=args.database_url, graphiql=False, demo_data=False, secret_key=secret)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        if await is_empty(engine):
            await seed(engine, packages=args.packages, seed=0, progress=False)
        pair = await check(engine, secret, settings)
    finally:
        await engine.dispose()
    n, different = pair.compared, len(pair.differences)
    print(f"{n} answers compared on {engine.dialect.name}: {n - different} equal, {different} different")
    print(f"({pair.errors} were GraphQL errors and {pair.refusals} typed refusals, where the app's answer was one)")
    return 1 if different else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite:///./bench.db")
    parser.add_argument("--packages", type=int, default=300, help="seed this many packages into an empty database")
    sys.exit(asyncio.run(main(parser.parse_args())))

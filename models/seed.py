"""Deterministic sample data: realistic names, PEP 440 version histories and many-to-many links."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from packaging.version import Version
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from models import Classifier, Maintainer, Package, Release, User, package_classifiers
from models.version_key import version_key

CHUNK = 1000  # packages generated and inserted at a time, so memory stays flat at any scale
EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3650

WORDS = """
    async flask django py numpy data http json yaml toml test lint cli web api auth cache queue task
    graph sql orm db redis mongo kafka aws gcp azure cloud docker kube log trace metrics plot image
    audio video text nlp ml torch tensor vector geo time date money crypto hash zip tar file path config
    env secret rest grpc socket mail sms pdf excel csv xml html markdown template form schema model type
    check doc
""".split()  # noqa: SIM905 (a word list reads better as text)
SUFFIXES = ("", "", "", "lib", "kit", "tools", "utils", "core", "io", "x", "py", "client", "server", "plus")
FIRST_NAMES = """
    Ada Alan Barbara Brian Carol Dennis Edsger Frances Grace Guido Hedy Ivan Jean John Ken Linus
    Margaret Niklaus Radia Raymond Shafi Sophie Tim Ursula Vint Whitfield Yukihiro Zelda Ana Bjarne Chen
    Dmitri Eva Fatima Goran Hiro Ines Jonas Kofi Lena Mateo Nadia Omar Priya Quentin Rosa Sanjay Tariq
    Uma Viktor Wei
""".split()  # noqa: SIM905 (a word list reads better as text)
LAST_NAMES = """
    Lovelace Turing Liskov Kernighan Kay Ritchie Dijkstra Allen Hopper Rossum Lamarr Sutherland Sammet
    Backus Thompson Torvalds Hamilton Wirth Perlman Hettinger Goldwasser Wilson Berners-Lee Franklin
    Cerf Diffie Matsumoto Okafor Silva Stroustrup Wang Petrov Novak Haddad Kovac Tanaka Moreau Lindqvist
    Mensah
""".split()  # noqa: SIM905 (a word list reads better as text)
CLASSIFIERS = [
    *(f"Development Status :: {s}" for s in ("3 - Alpha", "4 - Beta", "5 - Production/Stable", "7 - Inactive")),
    *(f"Programming Language :: Python :: {v}" for v in ("3", "3.9", "3.10", "3.11", "3.12", "3.13")),
    *(f"License :: OSI Approved :: {name} License" for name in ("MIT", "BSD", "Apache Software")),
    *(f"Framework :: {name}" for name in ("Django", "Flask", "FastAPI", "AsyncIO", "Pytest")),
    *(
        f"Topic :: {name}"
        for name in (
            "Software Development :: Libraries",
            "Internet :: WWW/HTTP",
            "Database",
            "Scientific/Engineering",
            "System :: Logging",
            "Utilities",
        )
    ),
    *(f"Operating System :: {name}" for name in ("OS Independent", "POSIX :: Linux", "MacOS", "Microsoft :: Windows")),
    "Intended Audience :: Developers",
    "Intended Audience :: Science/Research",
    "Typing :: Typed",
]
LICENSES = ("MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later", "MPL-2.0", None)


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return not await conn.scalar(select(select(Package.id).exists()))


async def seed(engine: AsyncEngine, *, packages: int, seed: int = 0, progress: bool = True) -> dict[str, int]:
    """Insert `packages` packages with users, classifiers, releases and links into an empty database.

    The same `seed` gives the same rows, ids included. Returns how many rows of each kind were written.
    """
    if not await is_empty(engine):
        raise SystemExit("The database already has packages; seed an empty one (run `migrate` on a new one).")
    rng = random.Random(seed)
    n_users = max(3, packages // 2)
    counts = {"users": n_users, "classifiers": len(CLASSIFIERS), "packages": packages, "releases": 0}
    async with engine.begin() as conn:
        await _insert(conn, User, list(_users(rng, n_users)))
        await _insert(conn, Classifier, [{"id": i, "name": n} for i, n in enumerate(CLASSIFIERS, 1)])
        names = _package_names(rng, packages)
        release_id = 0
        with tqdm(total=packages, unit="pkg", desc="seeding", disable=not progress, mininterval=0.5) as bar:
            for start in range(0, packages, CHUNK):
                chunk = _chunk(rng, names, start, min(start + CHUNK, packages), n_users, release_id)
                release_id += len(chunk["releases"])
                await _insert(conn, Package, chunk["packages"])
                await _insert(conn, Release, chunk["releases"])
                await _insert(conn, Maintainer, chunk["maintainers"])
                await _insert(conn, package_classifiers, chunk["links"])
                bar.update(len(chunk["packages"]))
        counts["releases"] = release_id
        if conn.dialect.name == "postgresql":  # ids were given explicitly; move the sequences past them
            for table in ("users", "classifiers", "packages", "releases"):
                await conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    async with engine.begin() as conn:
        # Fresh statistics for the planner: without them (autovacuum may be off, or not yet run) PostgreSQL plans
        # the first queries over a large seed as if the tables were empty.
        await conn.execute(text("ANALYZE"))
    return counts


async def _insert(conn: AsyncConnection, target: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        table = getattr(target, "__table__", target)
        stmt = insert(table)
        if conn.dialect.name == "postgresql":
            # RETURNING makes SQLAlchemy send multi-row INSERTs ("insertmanyvalues"), not a statement per row, so
            # the counting triggers, which run once per statement there, run once per thousand rows.
            stmt = stmt.returning(*table.primary_key)
        await conn.execute(stmt, rows)


def _users(rng: random.Random, n: int) -> Iterator[dict[str, Any]]:
    for user_id in range(1, n + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield {
            "id": user_id,
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{user_id}@example.org".lower(),
            "password_hash": None,
            "created_at": EPOCH + timedelta(days=rng.uniform(0, SPAN_DAYS)),
            "last_login": None,
            "profile_image_url": f"https://avatars.example.org/{user_id}.png" if rng.random() < 0.6 else None,
        }


def _package_names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        parts = [rng.choice(WORDS), rng.choice(WORDS), rng.choice(SUFFIXES)]
        name = "-".join(p for p in parts[: rng.choice((1, 2, 2, 3))] if p) or rng.choice(WORDS)
        if name in seen:
            name = f"{name}-{len(names)}"
        seen.add(name)
        names.append(name)
    return names


def _release_count(rng: random.Random) -> int:
    """Most packages have a handful of releases; about one in a hundred has hundreds."""
    if rng.random() < 0.01:
        return rng.randint(150, 600)
    return max(1, min(60, int(rng.lognormvariate(1.7, 0.8))))


def _versions(rng: random.Random, n: int) -> Iterator[str]:
    major, minor, patch = rng.choice((0, 0, 1, 2)), rng.randint(0, 3), 0
    for _ in range(n):
        roll = rng.random()
        if roll < 0.05:
            yield f"{major + 1}.0.0{rng.choice(('a', 'b', 'rc'))}{rng.randint(1, 3)}"
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.35:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        yield f"{major}.{minor}.{patch}" + (".post1" if rng.random() < 0.02 else "")


def _chunk(
    rng: random.Random, names: list[str], start: int, stop: int, n_users: int, release_id: int
) -> dict[str, list[dict[str, Any]]]:
    chunk: dict[str, list[dict[str, Any]]] = {"packages": [], "releases": [], "maintainers": [], "links": []}
    for package_id in range(start + 1, stop + 1):
        name = names[package_id - 1]
        created = EPOCH + timedelta(days=rng.uniform(0, SPAN_DAYS - 30))
        when = created
        versions = list(_versions(rng, _release_count(rng)))
        gap = timedelta(days=max(1.0, (SPAN_DAYS - (created - EPOCH).days) / (len(versions) + 1)))
        keys: set[str] = set()
        for version in versions:
            parsed = Version(version)
            key = version_key(parsed)
            if key in keys:  # one release per PEP 440 version, as publishRelease keeps it
                continue
            keys.add(key)
            release_id += 1
            when += gap * rng.uniform(0.2, 1.8)
            chunk["releases"].append({
                "id": release_id,
                "package_id": package_id,
                "version": version,
                "created_at": when,
                "comment": rng.choice((None, None, "Bug fixes.", "New features.", "Security release.")),
                "url": f"https://files.example.org/{name}/{version}",
                "size": rng.randint(8_000, 40_000_000),
                "yanked": rng.random() < 0.02,
                "version_key": key,
                "prerelease": parsed.is_prerelease,
            })  # fmt: skip
        owner = rng.randint(1, n_users)
        others = {rng.randint(1, n_users) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))} - {owner}
        chunk["maintainers"].append({"user_id": owner, "package_id": package_id, "role": "owner"})
        for user_id in sorted(others):
            chunk["maintainers"].append({"user_id": user_id, "package_id": package_id, "role": "maintainer"})
        for classifier_id in sorted(rng.sample(range(1, len(CLASSIFIERS) + 1), rng.randint(1, 6))):
            chunk["links"].append({"package_id": package_id, "classifier_id": classifier_id})
        words = name.replace("-", " ")
        chunk["packages"].append({
            "id": package_id,
            "name": name,
            "summary": f"{words.capitalize()}: {rng.choice(('a small', 'a fast', 'a friendly', 'the'))} "
                       f"{rng.choice(('library', 'toolkit', 'client', 'framework'))} for {rng.choice(WORDS)}.",
            "description": f"# {name}\n\n{words.capitalize()} for Python.",
            "home_page": f"https://example.org/{name}",
            "docs_url": f"https://docs.example.org/{name}" if rng.random() < 0.5 else None,
            "license": rng.choice(LICENSES),
            "author_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "author_email": None,
            "created_at": created,
            "updated_at": max(when, created),
        })  # fmt: skip
    return chunk

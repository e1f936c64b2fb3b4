"""Trusted documents from files: reading a folder of `.graphql` files and registering them (`documents add`)."""

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLSchema, GraphQLSyntaxError, parse, validate
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from models.base import utcnow
from models.document import sha256_of


@dataclass(frozen=True)
class Registered:
    path: Path
    sha256: str
    new: bool


class DocumentFileError(Exception):
    """A file that cannot be a trusted document; the message names it and says why."""


def read_documents(folder: Path, schema: GraphQLSchema) -> list[tuple[Path, str]]:
    """Every `.graphql` file under `folder` (sorted), with its text; each must parse and validate."""
    if not folder.is_dir():
        raise DocumentFileError(f"{folder} is not a folder")
    found: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*.graphql")):
        try:
            text = path.read_bytes().decode()
        except UnicodeDecodeError:
            raise DocumentFileError(f"{path}: not UTF-8 text") from None
        try:
            errors = validate(schema, parse(text))
        except GraphQLSyntaxError as error:
            raise DocumentFileError(f"{path}: {error.message}") from None
        if errors:
            raise DocumentFileError(f"{path}: {errors[0].message}")
        found.append((path, text))
    if not found:
        raise DocumentFileError(f"{folder} holds no .graphql file")
    return found


async def register(engine: AsyncEngine, documents: Iterable[tuple[Path, str]]) -> list[Registered]:
    """Store the documents as trusted, in one transaction; one stored earlier by a client becomes trusted."""
    table = models.PersistedDocument.__table__
    registered: list[Registered] = []
    async with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for path, text in documents:
            sha256 = sha256_of(text)
            before = await conn.scalar(select(table.c.trusted).where(table.c.sha256 == sha256))
            stmt = dialect.insert(table).values(sha256=sha256, document=text, trusted=True, created_at=utcnow())
            await conn.execute(stmt.on_conflict_do_update(index_elements=["sha256"], set_={"trusted": True}))
            registered.append(Registered(path, sha256, new=before is not True))
    return registered


async def add(engine: AsyncEngine, folder: Path, schema: GraphQLSchema) -> None:
    """`documents add`: all the files or none; one line per file as `sha256sum` prints it, for build tools."""
    try:
        found = read_documents(folder, schema)
    except DocumentFileError as error:
        raise SystemExit(f"documents add: {error}; nothing registered") from None
    try:
        registered = await register(engine, found)
    except DBAPIError as error:
        raise SystemExit(
            f"documents add: the database refused ({type(error.orig).__name__}); is it migrated?"
        ) from None
    for document in registered:
        print(f"{document.sha256}  {document.path}")
    new = sum(document.new for document in registered)
    print(f"{new} new, {len(registered) - new} already registered", file=sys.stderr)

"""Ranked full-text search over package names and summaries, on PostgreSQL's text search or SQLite's FTS5.

Results are ordered by three keys, all ascending: 0 for the package whose name is the query (PEP 503
normalised) and 1 for the rest, then a score where lower is more relevant, then the id. The user's text only
ever reaches the database as a bound parameter: PostgreSQL parses it with `websearch_to_tsquery` (which
accepts any text), and SQLite gets its words one by one, each quoted as an FTS5 string.
"""

import re
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

import models
from loaders import columns
from loaders.paging import Ordering, Slice
from models.search import FTS_TABLE, VECTOR_COLUMN
from resolvers.names import normalize_name
from resolvers.paging import connection
from schema.connection import Connection, page_of
from schema.context import Info
from schema.errors import BadArgument
from schema.package import Package

Row = models.Package
# A word as both databases' tokenizers see one: letters and digits, every other character separates.
WORD = re.compile(r"[^\W_]+")
# `-`, `_` and `.` inside a word join the parts of a name (`aiohttp-retry`, `zope.interface`): spaces, so that
# each part is a word, and `-` is not read as "without" by websearch_to_tsquery.
JOINER = re.compile(r"(?<=[^\W_])[-_.]+(?=[^\W_])")
EXACT = case((Row.name == bindparam("exact"), 0), else_=1)

# PostgreSQL: ts_rank with the default weights said out loud (D, C, B, A): the name counts 2.5 times the summary.
_vector = literal_column(f"packages.{VECTOR_COLUMN}", TSVECTOR)
_tsquery = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), bindparam("terms"))
_rank = func.ts_rank(literal_column("'{0.1, 0.2, 0.4, 1.0}'::float4[]"), _vector, _tsquery)
POSTGRESQL_SCORE = -cast(_rank, Float)  # float4 made float8 so that a cursor's value compares equal
# A query of exclusions alone (`-json`) would match nearly every package, read without the index: it finds none.
POSTGRESQL = select(*columns.PACKAGE).where(_vector.bool_op("@@")(_tsquery), func.querytree(_tsquery) != "T")

# SQLite: bm25, lower is better; a word in the name counts ten times one in the summary.
_fts = table(FTS_TABLE, column("rowid", Integer))
_fts_ref: ColumnElement[Any] = literal_column(FTS_TABLE)
SQLITE_SCORE = func.bm25(_fts_ref, 10.0, 1.0, type_=Float)
SQLITE = (
    select(*columns.PACKAGE).join(_fts, _fts.c.rowid == Row.id).where(_fts_ref.bool_op("MATCH")(bindparam("terms")))
)

ORDERINGS = {
    "postgresql": Ordering("search", (EXACT, POSTGRESQL_SCORE, Row.id)),
    "sqlite": Ordering("search", (EXACT, SQLITE_SCORE, Row.id)),
}
STATEMENTS: dict[str, Select[Any]] = {"postgresql": POSTGRESQL, "sqlite": SQLITE}


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
    dialect = dialect_of(info.context.db.session.get_bind().dialect.name)
    page = page_of(info, ORDERINGS[dialect], first, after, last, before)
    bound = bound_values(dialect, terms)
    if bound is None:  # only punctuation: nothing any package could match, so no need to ask
        return Connection.build(Slice([], [], page.ordering, False, False), Package.from_row, _nothing)
    by_id = info.context.loaders.package_by_id
    return await connection(
        info, STATEMENTS[dialect], page, Package.from_row, lambda row: by_id.prime(row.id, row), bound=bound
    )


def dialect_of(name: str) -> str:
    return "postgresql" if name == "postgresql" else "sqlite"


def bound_values(dialect: str, terms: str) -> dict[str, str] | None:
    """The values of the search statement's parameters for `terms` (stripped, not blank); None without a word."""
    words = WORD.findall(terms)
    if not words:
        return None
    if dialect == "postgresql":
        return {"terms": JOINER.sub(" ", terms), "exact": normalize_name(terms)}
    return {"terms": " ".join(_quoted(word) for word in words), "exact": normalize_name(terms)}


def _quoted(word: str) -> str:
    """An FTS5 string: whatever it holds is text to match, never query syntax."""
    return '"' + word.replace('"', '""') + '"'


async def _nothing() -> int:
    return 0

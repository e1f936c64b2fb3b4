"""The full-text index behind `search`: a generated `tsvector` on PostgreSQL, an FTS5 table on SQLite.

Neither is a model column or table: the ORM never reads or writes them, the database keeps them right on
every write, whichever path it takes (the API, `seed`, a psql session). PostgreSQL computes the column in
the row itself; SQLite's triggers run in the writing transaction. Package names also match on their parts
(`aiohttp-retry` is found by `retry`): PostgreSQL indexes the name a second time with its separators made
spaces, and SQLite's tokenizer splits on them anyway. Both use no stemming and no stop words ('simple',
`unicode61` without removing diacritics), so that both databases find the same words.
Migration 0006 creates the same objects (a test compares them); change them here and in a new migration.
"""

from typing import Any

from sqlalchemy import Connection, MetaData, event, text

from models.base import Base
from models.package import Package

# PostgreSQL: the name (weight A) twice, as stored and split into its parts, then the summary (weight B).
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_packages_search_vector"
VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, name), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, translate(name, '-_.', '   ')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'B')"
)
POSTGRESQL_DDL = [
    f"ALTER TABLE packages ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    f"CREATE INDEX {VECTOR_INDEX} ON packages USING gin ({VECTOR_COLUMN})",
]

# SQLite: the package id is the FTS5 rowid.
FTS_TABLE = "packages_search"
_FTS_ROW = "(rowid, name, summary) VALUES (NEW.id, NEW.name, NEW.summary)"
SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(name, summary, tokenize = 'unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON packages\nBEGIN INSERT INTO {FTS_TABLE} {_FTS_ROW}; END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON packages\n"
    f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF id, name, summary ON packages\n"
    f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; INSERT INTO {FTS_TABLE} {_FTS_ROW}; END",
]
SQLITE_BACKFILL = f"INSERT INTO {FTS_TABLE} (rowid, name, summary) SELECT id, name, summary FROM packages"


def search_ddl(dialect: str) -> list[str]:
    """The statements that build the index over the packages there are."""
    return POSTGRESQL_DDL if dialect == "postgresql" else [*SQLITE_DDL, SQLITE_BACKFILL]


def outside_the_models(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether a database object belongs to the search index, which autogenerate must leave alone."""
    if type_ == "table":
        return name is not None and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_"))  # and FTS5's own
    if type_ == "column":
        return name == VECTOR_COLUMN and parent_names.get("table_name") == "packages"
    return type_ == "index" and name == VECTOR_INDEX


@event.listens_for(Base.metadata, "after_create")
def _start_indexing(metadata: MetaData, connection: Connection, **kw: Any) -> None:
    if Package.__table__ in kw["tables"]:
        for statement in search_ddl(connection.dialect.name):
            connection.execute(text(statement))


@event.listens_for(Base.metadata, "before_drop")
def _stop_indexing(metadata: MetaData, connection: Connection, **kw: Any) -> None:
    # The column and index go with their table; SQLite's FTS5 table and its triggers would stay behind.
    if Package.__table__ in kw["tables"] and connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))

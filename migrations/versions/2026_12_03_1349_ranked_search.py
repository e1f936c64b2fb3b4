"""The full-text index behind ranked search, built over the packages there are.

PostgreSQL: a generated `tsvector` column over name and summary (computed for every existing row as it is
added) with a GIN index. SQLite: an FTS5 table, filled from the packages, and the triggers that keep it in
step with every write.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of models/search.py at this revision; a test checks that both build the same database.
VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, name), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, translate(name, '-_.', '   ')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'B')"
)
POSTGRESQL_DDL = [
    f"ALTER TABLE packages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX ix_packages_search_vector ON packages USING gin (search_vector)",
]
ROW = "(rowid, name, summary) VALUES (NEW.id, NEW.name, NEW.summary)"
SQLITE_DDL = [
    "CREATE VIRTUAL TABLE packages_search USING fts5(name, summary, tokenize = 'unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER packages_search_insert AFTER INSERT ON packages\nBEGIN INSERT INTO packages_search {ROW}; END",
    "CREATE TRIGGER packages_search_delete AFTER DELETE ON packages\n"
    "BEGIN DELETE FROM packages_search WHERE rowid = OLD.id; END",
    "CREATE TRIGGER packages_search_update AFTER UPDATE OF id, name, summary ON packages\n"
    f"BEGIN DELETE FROM packages_search WHERE rowid = OLD.id; INSERT INTO packages_search {ROW}; END",
    "INSERT INTO packages_search (rowid, name, summary) SELECT id, name, summary FROM packages",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DDL if dialect == "postgresql" else SQLITE_DDL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_packages_search_vector")
        op.execute("ALTER TABLE packages DROP COLUMN search_vector")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER packages_search_{trigger}")
        op.execute("DROP TABLE packages_search")

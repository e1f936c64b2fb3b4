"""Every account gets a token key, which its tokens name; on SQLite, ids of deleted rows are never handed out again.

Revision ID: 0003
Revises: 0002

SQLite reuses the highest id once its row is deleted unless the table is AUTOINCREMENT, which only a rebuild
of the table can add. A rebuild drops the table's triggers, so the counting triggers of the rebuilt tables are
made again here, as migration 0002 made them. PostgreSQL's sequences never go back: there it only adds the key.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_IDS = ("classifiers", "packages", "users", "releases")  # the tables whose rows have integer ids


def _counting_triggers(table: str) -> list[str]:
    """A frozen copy of the SQLite triggers migration 0002 made on `table`."""
    return [
        f"CREATE TRIGGER {table}_counter_{event} AFTER {event.upper()} ON {table}\n"
        f"BEGIN UPDATE counters SET value = value {sign} 1 WHERE name = '{table}'; END"
        for event, sign in (("insert", "+"), ("delete", "-"))
    ]


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """SQLite: a rebuild drops the old table, which with foreign keys on would cascade to the rows referring to it.

    The pragma is ignored inside a transaction, so the one that is open commits first; the rebuild is then a
    transaction of its own.
    """
    connection = op.get_bind().connection.driver_connection
    assert connection is not None
    if connection.in_transaction:
        op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = OFF")
    op.execute("BEGIN")
    yield
    problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"the rebuild broke foreign keys: {problems}")
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = ON")


def upgrade() -> None:
    op.add_column("users", sa.Column("token_key", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE users SET token_key = replace(gen_random_uuid()::text, '-', '')")
        op.alter_column("users", "token_key", nullable=False)
        op.create_unique_constraint(op.f("uq_users_token_key"), "users", ["token_key"])
        return
    op.execute("UPDATE users SET token_key = lower(hex(randomblob(16)))")
    with _foreign_keys_off():
        for table in ROW_IDS:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
                if table == "users":
                    batch.alter_column("token_key", existing_type=sa.String(length=64), nullable=False)
                    batch.create_unique_constraint(op.f("uq_users_token_key"), ["token_key"])
            for statement in _counting_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("uq_users_token_key"), "users", type_="unique")
        op.drop_column("users", "token_key")
        return
    # The tables stay AUTOINCREMENT: ids that were never reused may as well stay that way.
    with _foreign_keys_off():
        with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_constraint(op.f("uq_users_token_key"), type_="unique")
            batch.drop_column("token_key")
        for statement in _counting_triggers("users"):
            op.execute(statement)

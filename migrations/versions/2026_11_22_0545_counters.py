"""Counters that triggers keep exact in the same transaction as every write, started from the rows there are.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of models/counter.py at this revision; a test checks that both build the same database.
DEFINITIONS = {
    "packages": "SELECT count(*) FROM packages",
    "releases": "SELECT count(*) FROM releases",
    "users": "SELECT count(*) FROM users",
    "classifiers": "SELECT count(*) FROM classifiers",
    "maintainers": "SELECT count(DISTINCT user_id) FROM maintainers",
}
ROW_COUNTED = ("packages", "releases", "users", "classifiers")

POSTGRESQL_FUNCTIONS = [
    """
CREATE FUNCTION counters_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE counters SET value = 0 WHERE name = TG_ARGV[0];
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO delta FROM new_rows;
    ELSE
        SELECT -count(*) INTO delta FROM old_rows;
    END IF;
    IF delta <> 0 THEN
        UPDATE counters SET value = value + delta WHERE name = TG_ARGV[0];
    END IF;
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION counters_count_maintainers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE counters SET value = 0 WHERE name = 'maintainers';
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            (SELECT user_id FROM new_rows EXCEPT ALL SELECT user_id FROM old_rows)
            UNION ALL
            (SELECT user_id FROM old_rows EXCEPT ALL SELECT user_id FROM new_rows)
        ) THEN
            RETURN NULL;  -- every user keeps as many rows as before (a new role, say)
        END IF;
    END IF;
    -- Whether rows are a user's first or last is decided under this row's lock, so that two transactions
    -- cannot both count one user. The lock is taken by a write: a read committed transaction that waited for
    -- it then sees what the previous holder committed, and a repeatable read one fails to serialise rather
    -- than count from an old snapshot.
    UPDATE counters SET value = value WHERE name = 'maintainers';
    IF TG_OP = 'INSERT' THEN
        -- Users all of whose rows are new have begun to maintain.
        SELECT count(*) INTO delta
        FROM (SELECT user_id, count(*) AS added FROM new_rows GROUP BY user_id) AS changed
        WHERE added = (SELECT count(*) FROM maintainers WHERE maintainers.user_id = changed.user_id);
    ELSIF TG_OP = 'DELETE' THEN
        -- Users with no row left have stopped.
        SELECT -count(*) INTO delta
        FROM (SELECT DISTINCT user_id FROM old_rows) AS changed
        WHERE NOT EXISTS (SELECT FROM maintainers WHERE maintainers.user_id = changed.user_id);
    ELSE
        -- A user's rows went from (total - added) to total.
        SELECT count(*) FILTER (WHERE total > 0 AND total = added)
               - count(*) FILTER (WHERE total = 0 AND added < 0)
        INTO delta
        FROM (
            SELECT user_id, sum(added) AS added
            FROM (SELECT user_id, 1 AS added FROM new_rows UNION ALL SELECT user_id, -1 FROM old_rows) AS moves
            GROUP BY user_id
        ) AS changed,
        LATERAL (SELECT count(*) AS total FROM maintainers WHERE maintainers.user_id = changed.user_id) AS kept;
    END IF;
    IF delta <> 0 THEN
        UPDATE counters SET value = value + delta WHERE name = 'maintainers';
    END IF;
    RETURN NULL;
END
$$""",
]


def _postgresql_triggers() -> list[str]:
    counted = [(table, f"counters_count_rows('{table}')") for table in ROW_COUNTED]
    counted.append(("maintainers", "counters_count_maintainers()"))
    statements: list[str] = []
    for table, function in counted:
        run = f"FOR EACH STATEMENT EXECUTE FUNCTION {function}"
        statements += [
            f"CREATE TRIGGER {table}_counter_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows {run}",
            f"CREATE TRIGGER {table}_counter_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows {run}",
            f"CREATE TRIGGER {table}_counter_truncate AFTER TRUNCATE ON {table} {run}",
        ]
    statements.append(
        "CREATE TRIGGER maintainers_counter_update AFTER UPDATE ON maintainers"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION counters_count_maintainers()"
    )
    return statements


def _sqlite_triggers() -> list[str]:
    statements: list[str] = []
    for table in ROW_COUNTED:
        for event_, sign in (("insert", "+"), ("delete", "-")):
            statements.append(
                f"CREATE TRIGGER {table}_counter_{event_} AFTER {event_.upper()} ON {table}\n"
                f"BEGIN UPDATE counters SET value = value {sign} 1 WHERE name = '{table}'; END"
            )
    others_of_new = "SELECT 1 FROM maintainers WHERE user_id = NEW.user_id AND package_id <> NEW.package_id"
    none_of_old = "SELECT 1 FROM maintainers WHERE user_id = OLD.user_id"
    statements += [
        "CREATE TRIGGER maintainers_counter_insert AFTER INSERT ON maintainers\n"
        f"WHEN NOT EXISTS ({others_of_new})\n"
        "BEGIN UPDATE counters SET value = value + 1 WHERE name = 'maintainers'; END",
        "CREATE TRIGGER maintainers_counter_delete AFTER DELETE ON maintainers\n"
        f"WHEN NOT EXISTS ({none_of_old})\n"
        "BEGIN UPDATE counters SET value = value - 1 WHERE name = 'maintainers'; END",
        "CREATE TRIGGER maintainers_counter_update AFTER UPDATE OF user_id ON maintainers\n"
        "WHEN OLD.user_id <> NEW.user_id\n"
        "BEGIN\n"
        f"UPDATE counters SET value = value + 1 WHERE name = 'maintainers' AND NOT EXISTS ({others_of_new});\n"
        f"UPDATE counters SET value = value - 1 WHERE name = 'maintainers' AND NOT EXISTS ({none_of_old});\n"
        "END",
    ]
    return statements


def _trigger_names(dialect: str) -> list[tuple[str, str]]:
    """Every counting trigger, with its table."""
    events = ("insert", "delete", "truncate") if dialect == "postgresql" else ("insert", "delete")
    names = [(f"{table}_counter_{event}", table) for table in (*ROW_COUNTED, "maintainers") for event in events]
    names.append(("maintainers_counter_update", "maintainers"))
    return names


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    dialect = op.get_bind().dialect.name
    # Triggers before the first count: on PostgreSQL they lock their tables against writers until this commits.
    for statement in POSTGRESQL_FUNCTIONS if dialect == "postgresql" else []:
        op.execute(statement)
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)
    start = " UNION ALL ".join(f"SELECT '{name}', ({count})" for name, count in DEFINITIONS.items())
    op.execute(f"INSERT INTO counters (name, value) {start}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in _trigger_names(dialect):
        op.execute(f"DROP TRIGGER {name} ON {table}" if dialect == "postgresql" else f"DROP TRIGGER {name}")
    if dialect == "postgresql":
        for function in ("counters_count_rows", "counters_count_maintainers"):
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("counters")

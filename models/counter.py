"""Exact row counts that database triggers keep, in the same transaction as every write.

`stats` and the unfiltered `totalCount`s read a few rows here instead of counting big tables. The counting is
done by triggers, so every writer is counted, whichever path it takes: the API, `seed`, a psql session.
Migration 0002 creates the same triggers (a test compares them); change them here and in a new migration.

PostgreSQL counts once per statement from its transition tables, so that a bulk insert costs one counter
update. A counter row stays locked until its transaction ends; a cascading delete takes its own table's counter
before those of the tables it cascades to (PostgreSQL fires the parent's statement triggers first), which is the
order inserts take them in, parents first, so the two never wait for each other. SQLite counts row by row; it
serialises writers anyway.
"""

from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Connection, MetaData, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CounterName = Literal["packages", "releases", "users", "classifiers", "maintainers"]
COUNTER_NAMES: tuple[CounterName, ...] = get_args(CounterName)

# What each counter holds, counted the slow way: how the counters start, and what they always equal.
DEFINITIONS: dict[CounterName, str] = {
    "packages": "SELECT count(*) FROM packages",
    "releases": "SELECT count(*) FROM releases",
    "users": "SELECT count(*) FROM users",
    "classifiers": "SELECT count(*) FROM classifiers",
    "maintainers": "SELECT count(DISTINCT user_id) FROM maintainers",
}


class Counter(Base):
    """The number of rows of one table; `maintainers` counts users who maintain at least one package."""

    __tablename__ = "counters"

    name: Mapped[CounterName] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


ROW_COUNTED: tuple[CounterName, ...] = ("packages", "releases", "users", "classifiers")  # one count per row

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


def counting_ddl(dialect: str) -> list[str]:
    """The statements that make the database count: functions and triggers first, so that the tables are locked
    against writers (PostgreSQL) before the counters start from the rows there are."""
    triggers = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    functions = POSTGRESQL_FUNCTIONS if dialect == "postgresql" else []
    start = " UNION ALL ".join(f"SELECT '{name}', ({DEFINITIONS[name]})" for name in COUNTER_NAMES)
    return [*functions, *triggers, f"INSERT INTO counters (name, value) {start}"]


POSTGRESQL_DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS counters_count_rows()",
    "DROP FUNCTION IF EXISTS counters_count_maintainers()",
]


@event.listens_for(Base.metadata, "after_create")
def _start_counting(metadata: MetaData, connection: Connection, **kw: Any) -> None:
    if Counter.__table__ in kw["tables"]:
        for statement in counting_ddl(connection.dialect.name):
            connection.execute(text(statement))


@event.listens_for(Base.metadata, "after_drop")
def _stop_counting(metadata: MetaData, connection: Connection, **kw: Any) -> None:
    # The triggers went with their tables; PostgreSQL keeps functions until they are dropped.
    if Counter.__table__ in kw["tables"] and connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_DROP_FUNCTIONS:
            connection.execute(text(statement))

"""schema.graphql is the printed schema; changing the API means regenerating it on purpose."""

import difflib
from pathlib import Path

from graphql import GraphQLError

from schema.changes import changes_between
from schema.root import schema

SNAPSHOT = Path(__file__).resolve().parent.parent / "schema.graphql"


def out_of_date_message(stored: str) -> str | None:
    """Why `stored` is not the printed schema: each change classified, as `export-schema --check` lists them, then
    the diff; None when they are equal."""
    printed = schema.as_str() + "\n"
    if stored == printed:
        return None
    try:
        changes = "\n".join(map(str, changes_between(stored, printed)))
    except (GraphQLError, TypeError) as error:  # TypeError: graphql-core's verdict on SDL that parses but is invalid
        changes = f"schema.graphql is not a valid schema: {error}"
    diff = "".join(
        difflib.unified_diff(stored.splitlines(True), printed.splitlines(True), "schema.graphql", "printed schema")
    )
    return f"schema.graphql is out of date; run `python -m app export-schema` and review:\n{changes}\n\n{diff}"


def test_schema_graphql_matches_the_printed_schema() -> None:
    message = out_of_date_message(SNAPSHOT.read_text())
    assert message is None, message

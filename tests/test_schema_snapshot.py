"""schema.graphql is the printed schema; changing the API means regenerating it on purpose."""

import difflib
from pathlib import Path

from schema.root import schema

SNAPSHOT = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_matches_the_printed_schema() -> None:
    printed = schema.as_str() + "\n"
    stored = SNAPSHOT.read_text()
    diff = "".join(
        difflib.unified_diff(stored.splitlines(True), printed.splitlines(True), "schema.graphql", "printed schema")
    )
    assert not diff, f"schema.graphql is out of date; run `python -m app export-schema` and review:\n{diff}"

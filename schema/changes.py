"""How the schema the code builds differs from a pinned SDL file, each change classified as breaking, dangerous or safe.

graphql-core's `find_schema_changes` does the classifying (its `find_breaking_changes` and `find_dangerous_changes`
are filters over it): breaking changes fail operations that worked, dangerous ones may change what a client that
switches over every value or member receives, safe ones (additions) leave every existing operation as it was.
It does not compare deprecations, so they are added here, as safe changes.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from graphql import GraphQLError, GraphQLSchema, build_schema
from graphql.type import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType
from graphql.utilities import BreakingChangeType, DangerousChangeType, SchemaChange, find_schema_changes

Level = Literal["BREAKING", "DANGEROUS", "SAFE"]
LEVELS: tuple[Level, ...] = ("BREAKING", "DANGEROUS", "SAFE")


@dataclass(frozen=True)
class Change:
    """One difference: how much it matters, graphql-core's name for its kind, and what changed."""

    level: Level
    kind: str
    description: str

    def __str__(self) -> str:
        return f"{self.level}  {self.kind}  {self.description}"


def _deprecations(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Fields, arguments and enum values deprecated, or no longer deprecated, in `new`."""
    changes: list[Change] = []

    def compare(what: str, old_reason: str | None, new_reason: str | None) -> None:
        if old_reason == new_reason:
            return
        if new_reason is None:
            changes.append(Change("SAFE", "DEPRECATION_REMOVED", f"{what} is no longer deprecated."))
        else:
            changes.append(Change("SAFE", "DEPRECATION_ADDED", f"{what} was deprecated: {new_reason}"))

    for name, old_type in old.type_map.items():
        new_type = new.type_map.get(name)
        if isinstance(old_type, GraphQLEnumType) and isinstance(new_type, GraphQLEnumType):
            for value_name, old_value in old_type.values.items():
                if value_name in new_type.values:
                    new_reason = new_type.values[value_name].deprecation_reason
                    compare(f"Enum value {name}.{value_name}", old_value.deprecation_reason, new_reason)
        elif isinstance(old_type, GraphQLInputObjectType) and isinstance(new_type, GraphQLInputObjectType):
            for field_name, old_input in old_type.fields.items():
                if field_name in new_type.fields:
                    new_reason = new_type.fields[field_name].deprecation_reason
                    compare(f"Field {name}.{field_name}", old_input.deprecation_reason, new_reason)
        elif isinstance(old_type, GraphQLObjectType | GraphQLInterfaceType) and type(new_type) is type(old_type):
            assert isinstance(new_type, GraphQLObjectType | GraphQLInterfaceType)
            for field_name, old_field in old_type.fields.items():
                new_field = new_type.fields.get(field_name)
                if new_field is None:
                    continue
                compare(f"Field {name}.{field_name}", old_field.deprecation_reason, new_field.deprecation_reason)
                for arg_name, old_arg in old_field.args.items():
                    if arg_name in new_field.args:
                        new_reason = new_field.args[arg_name].deprecation_reason
                        compare(f"Argument {name}.{field_name}({arg_name}:)", old_arg.deprecation_reason, new_reason)
    return changes


def _level(change: SchemaChange) -> Level:
    if isinstance(change.type, BreakingChangeType):
        return "BREAKING"
    return "DANGEROUS" if isinstance(change.type, DangerousChangeType) else "SAFE"


def classify(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Every change from `old` to `new`: breaking ones first, then dangerous, then safe."""
    changes = [Change(_level(change), change.type.name, change.description) for change in find_schema_changes(old, new)]
    changes += _deprecations(old, new)
    return sorted(changes, key=lambda change: LEVELS.index(change.level))


def changes_between(stored: str, printed: str) -> list[Change]:
    """The changes from the pinned SDL to the printed one; one safe change when they differ only in order or form."""
    changes = classify(build_schema(stored), build_schema(printed))
    if not changes and stored != printed:
        changes = [Change("SAFE", "PRINTED_SCHEMA_CHANGED", "The printed schema differs only in order or layout.")]
    return changes


def check(path: Path, printed: str) -> tuple[str, int]:
    """What `python -m app export-schema --check` prints, and its exit code: 1 on a breaking change, else 0."""
    if not path.is_file():
        return f"{path.name} does not exist; write it with `python -m app export-schema`", 1
    stored = path.read_text(encoding="utf-8")
    if stored == printed:
        return f"{path.name} is up to date", 0
    try:
        changes = changes_between(stored, printed)
    except (GraphQLError, TypeError) as error:  # TypeError: graphql-core's verdict on SDL that parses but is invalid
        return f"{path.name} is not a valid schema: {error}", 1
    counts = ", ".join(f"{sum(c.level == level for c in changes)} {level.lower()}" for level in LEVELS)
    summary = (
        f"{path.name} differs from the schema the code builds ({counts}); rewrite it with `python -m app export-schema`"
    )
    failed = any(change.level == "BREAKING" for change in changes)
    return "\n".join([*map(str, changes), summary]), int(failed)

"""A validated query operation as a plan: per selection, the fields to fill, each with its source and type.

Fields are collected by graphql-core's own `collect_fields`/`collect_subfields`, so fragments, type conditions,
aliases, merging and `@skip`/`@include` follow the spec as graphql-core executes them. A plan depends on the
document, the operation and the values of the variables `@skip`/`@include` read; arguments are not part of it
(they are coerced per request). `None` means the executor does not cover the operation: graphql-core runs it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues

from schema.execution.sources import COVERED, Source, sources_of

Serialize = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """One response key of a selection: where its values come from and what shape they take."""

    key: str
    details: tuple[FieldDetails, ...]  # the merged field nodes: their locations, the first one's arguments
    definition: GraphQLField
    source: Source | None  # None for `__typename`
    nullable: bool
    is_list: bool
    items_nullable: bool
    serialize: Serialize | None  # for leaves
    exact: type | None  # a leaf value of exactly this class is its own serialisation: written as it is
    children: "Selection | None"  # for objects

    @property
    def nodes(self) -> list[FieldNode]:
        return [detail.node for detail in self.details]


@dataclass(frozen=True, slots=True)
class Selection:
    """The fields to fill on an object, per runtime type (one entry unless the field's type is abstract)."""

    fields_by_type: dict[str, tuple[FieldPlan, ...]]


@dataclass(frozen=True, slots=True)
class Plan:
    operation: OperationDefinitionNode
    root: Selection
    # The fields fed by their own resolver, once per parent (`Type.field`, once per plan node): root fields and
    # what has no batch form. Everything else is one batch per level.
    per_parent: tuple[str, ...] = ()


class NotCovered(Exception):
    """The operation has a field the executor has no source for."""


def plan_of(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDetails],
    variable_values: VariableValues,
) -> Plan | None:
    if operation.operation is not OperationType.QUERY or schema.query_type is None:
        return None
    planner = _Planner(schema, operation, fragments, variable_values)
    try:
        collected = collect_fields(schema, fragments, variable_values, schema.query_type, operation)
        root = planner.fields(schema.query_type, collected.grouped_field_set)
    except (NotCovered, GraphQLError):  # a directive's argument that does not coerce is graphql-core's to report
        return None
    return Plan(operation, Selection({schema.query_type.name: root}), tuple(planner.per_parent))


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables that `@skip`/`@include` read: their values are part of a plan's cache key."""
    names: set[str] = set()

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                names.update(a.value.name.value for a in node.arguments or () if isinstance(a.value, VariableNode))

    visit(document, Finder())
    return tuple(sorted(names))


class _Planner:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variable_values: VariableValues,
    ) -> None:
        self.schema, self.operation, self.fragments, self.variable_values = (
            schema,
            operation,
            fragments,
            variable_values,
        )
        self.per_parent: list[str] = []

    def fields(self, parent: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> tuple[FieldPlan, ...]:
        sources = _sources(parent, root=parent is self.schema.query_type)
        return tuple(self.field(parent, sources, key, details) for key, details in grouped.items())

    def field(
        self, parent: GraphQLObjectType, sources: dict[str, Source], key: str, details: list[FieldDetails]
    ) -> FieldPlan:
        name = details[0].node.name.value
        if name == "__typename":
            return FieldPlan(key, tuple(details), _TYPENAME, None, False, False, False, None, None, None)
        definition = parent.fields.get(name)
        python_name = definition and getattr(definition.extensions.get("strawberry-definition"), "python_name", None)
        if definition is None or python_name not in sources:
            raise NotCovered(name)
        if sources[python_name].per_parent:
            self.per_parent.append(f"{parent.name}.{name}")
        type_, nullable = _unwrap(definition.type)
        is_list, items_nullable = isinstance(type_, GraphQLList), False
        if isinstance(type_, GraphQLList):
            type_, items_nullable = _unwrap(type_.of_type)
            if isinstance(type_, GraphQLList):
                raise NotCovered(name)  # no field of the schema is a list of lists
        serialize, exact, children = None, None, None
        if isinstance(type_, GraphQLObjectType):
            children = Selection({type_.name: self.subfields(type_, details)})
        elif isinstance(type_, GraphQLInterfaceType):
            possible = self.schema.get_possible_types(type_)
            children = Selection({t.name: self.subfields(t, details) for t in possible})
        elif hasattr(type_, "serialize"):
            serialize, exact = type_.serialize, _EXACT.get(type_)
        else:
            raise NotCovered(name)
        return FieldPlan(
            key,
            tuple(details),
            definition,
            sources[python_name],
            nullable,
            is_list,
            items_nullable,
            serialize,
            exact,
            children,
        )

    def subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> tuple[FieldPlan, ...]:
        collected = collect_subfields(self.schema, self.fragments, self.variable_values, self.operation, type_, details)
        return self.fields(type_, collected.grouped_field_set)


_TYPENAME = GraphQLField(GraphQLNonNull(GraphQLString))


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, False
    return type_, True


@cache
def _sources(type_: GraphQLObjectType, root: bool) -> dict[str, Source]:
    """The sources of a covered type's fields by Python name; the introspection types and payloads have none."""
    definition = type_.extensions.get("strawberry-definition")
    if definition is None:
        raise NotCovered(type_.name)
    if not root and (definition.concrete_of or definition).origin not in COVERED:
        raise NotCovered(type_.name)
    return sources_of(definition)


# Not `Int`: its `serialize` also refuses an int beyond 32 bits.
_EXACT: dict[Any, type] = {GraphQLString: str, GraphQLBoolean: bool, GraphQLID: str}

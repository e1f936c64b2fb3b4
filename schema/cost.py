"""What an operation may cost, from its document and variables alone, before it runs.

Every object in the answer weighs 1, and scalars and enums weigh 0. A field that answers many objects counts
each of them with what is selected under it: a connection's edges by its `first`/`last` (the page cap when
absent), a list by its `limit` argument or, when it takes none, by the bound declared beside it with
`list_bound`. So the cost is the number of objects the answer may hold at most, which is what a query costs in
SQL rows, Python objects and bytes of answer.

`CostPlan.of` does the part that depends on the document only (once per query text); `CostPlan.cost` the part
that depends on the variables and the page cap (on every request).
"""

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLNamedType
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.types.field import StrawberryField

LIST_BOUND = "cheeseshop.cost.list_bound"
ONE_PAGE = -1  # the list is the page of the connection around it: its size is that connection's
PAGE_ARGUMENTS = ("first", "last")
LIST_ARGUMENTS = ("limit",)


def list_bound(items: int) -> dict[str, int]:
    """Field metadata for a list that takes no argument saying how long it is: at most `items` count."""
    return {LIST_BOUND: items}


@dataclass(frozen=True, slots=True)
class Size:
    """How many values a list or page holds: a number in the document, a variable's value, or the page cap.

    Sizes given by the client are clamped to `0..page cap`, as the resolvers refuse anything else; a declared
    bound (`capped=False`) is taken as it is.
    """

    literal: int | None = None
    variable: str | None = None
    default: int | None = None  # when the variable is left out: its default in the document, or the argument's
    capped: bool = True

    def of(self, variables: Mapping[str, Any], page_cap: int) -> int:
        value = variables.get(self.variable, self.default) if self.variable is not None else self.literal
        if not isinstance(value, int) or isinstance(value, bool):
            return page_cap  # absent, null or not a number: it cannot run, or it gets the widest page
        return min(max(value, 0), page_cap) if self.capped else value


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One field of the operation: its weight per value, how many values it may answer, and its selections."""

    weight: int
    sizes: tuple[Size, ...]  # the largest counts; none: once
    children: tuple["Step", ...]


@dataclass(frozen=True, slots=True)
class CostPlan:
    """An operation's fields as the cost sees them; fragments used several times are shared, not copied."""

    steps: tuple[Step, ...]
    variables: frozenset[str]  # those that give a size
    # By page cap, the cost of a plan whose sizes use no variable: most documents are computed once, not per request.
    fixed: dict[int, int] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls, schema: GraphQLSchema, document_fragments: Mapping[str, FragmentDefinitionNode], operation: Any
    ) -> "CostPlan":
        planner = _Planner(schema, document_fragments, operation)
        steps = planner.plan()
        return cls(steps, frozenset(planner.variables))

    def cost(self, variables: Mapping[str, Any] | None, page_cap: int) -> int:
        """The operation's cost with these variables; linear in the plan's size, whatever the fragments."""
        if not self.variables:
            found = self.fixed.get(page_cap)
            if found is None:
                found = self.fixed[page_cap] = self._cost({}, page_cap)
            return found
        return self._cost(variables or {}, page_cap)

    def _cost(self, variables: Mapping[str, Any], page_cap: int) -> int:
        known: dict[int, int] = {}

        def of(step: Step) -> int:
            found = known.get(id(step))
            if found is None:
                times = max((size.of(variables, page_cap) for size in step.sizes), default=1)
                found = times * (step.weight + sum(of(child) for child in step.children)) if times else 0
                known[id(step)] = found
            return found

        return sum(of(step) for step in self.steps)


def operation_cost(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    page_cap: int,
) -> int:
    """The cost of the operation of `document` that `operation_name` picks (the most costly one if it picks none)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name is not None and op.name and op.name.value == operation_name]
    return max((CostPlan.of(schema, fragments, op).cost(variables, page_cap) for op in chosen or operations), default=0)


class _Planner:
    """Builds the steps of one operation: fields looked up in the schema, fragments expanded once per place."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema, self.fragments, self.operation = schema, fragments, operation
        self.defaults = {
            v.variable.name.value: value_from_ast_untyped(v.default_value) if v.default_value else None
            for v in operation.variable_definitions or ()
        }
        self.bounds = introspection_bounds(schema)
        self.expanded: dict[tuple[str, str, tuple[Size, ...], bool], Step] = {}
        self.expanding: set[str] = set()
        self.variables: set[str] = set()

    def plan(self) -> tuple[Step, ...]:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[self.operation.operation]
        return self.selections(self.operation.selection_set, root, (), whole=False)

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        page: tuple[Size, ...],
        *,
        whole: bool,
    ) -> tuple[Step, ...]:
        """The steps of a selection set; `page` is the enclosing connection's size, `whole` see `EACH_ONCE`."""
        steps: list[Step] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                steps.append(self.field(selection, parent, page, whole=whole))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                steps.extend(self.selections(selection.selection_set, inner, page, whole=whole))
            elif isinstance(selection, FragmentSpreadNode):
                spread = self.spread(selection.name.value, page, whole=whole)
                if spread is not None:
                    steps.append(spread)
        return tuple(steps)

    def spread(self, name: str, page: tuple[Size, ...], *, whole: bool) -> Step | None:
        """One step, weightless, shared by every place that spreads the fragment alike.

        Shared, not copied: a fragment that spreads another twice, which spreads another twice, and so on, is
        a plan the size of the document, where copies would double at every level (and so would its cost walk).
        """
        fragment = self.fragments.get(name)
        if fragment is None or name in self.expanding:  # unknown or cyclic: validation refuses the document
            return None
        key = (name, fragment.type_condition.name.value, page, whole)
        found = self.expanded.get(key)
        if found is None:
            self.expanding.add(name)
            children = self.selections(fragment.selection_set, self.schema.get_type(key[1]), page, whole=whole)
            self.expanding.discard(name)
            found = self.expanded[key] = Step(weight=0, sizes=(), children=children)
        return found

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: tuple[Size, ...], *, whole: bool) -> Step:
        definition = self.definition(parent, node.name.value)
        if definition is None:  # __typename, or a field validation will refuse
            return Step(weight=0 if node.name.value == "__typename" else 1, sizes=(), children=())
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return Step(weight=0, sizes=(), children=())
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes: tuple[Size, ...] = ()
        inner_page: tuple[Size, ...] = ()
        if any(name in definition.args for name in PAGE_ARGUMENTS):
            inner_page = self.sizes(definition, arguments, PAGE_ARGUMENTS)
        elif _is_list(definition):
            sizes = self.list_sizes(parent, node.name.value, definition, arguments, page, whole=whole)
        each_once = (
            parent is not None and (parent.name, node.name.value) in EACH_ONCE and (whole or parent.name == "__Schema")
        )
        children = self.selections(node.selection_set, named, inner_page, whole=each_once)
        return Step(weight=1, sizes=sizes, children=children)

    def list_sizes(
        self,
        parent: GraphQLNamedType | None,
        name: str,
        definition: GraphQLField,
        arguments: Mapping[str, Any],
        page: tuple[Size, ...],
        *,
        whole: bool,
    ) -> tuple[Size, ...]:
        if any(argument in definition.args for argument in LIST_ARGUMENTS):
            return self.sizes(definition, arguments, LIST_ARGUMENTS)
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        bound = strawberry_field.metadata.get(LIST_BOUND) if isinstance(strawberry_field, StrawberryField) else None
        if bound == ONE_PAGE:
            return page or (Size(),)
        if bound is None and parent is not None:
            bound = (self.bounds.shares if whole else self.bounds.longest).get((parent.name, name))
        return (Size(literal=bound, capped=False),) if bound is not None else (Size(),)  # undeclared: a page

    def sizes(self, definition: GraphQLField, arguments: Mapping[str, Any], names: Iterable[str]) -> tuple[Size, ...]:
        """The sizes the arguments `names` give: in the document, through a variable, or by their default."""
        present = [name for name in names if name in definition.args]
        sizes = [
            self.size(arguments[name], definition.args[name].default_value) for name in present if name in arguments
        ]
        if not sizes:
            sizes = [Size(literal=d) for name in present if _is_int(d := definition.args[name].default_value)]
        return tuple(sizes) or (Size(),)  # absent, with no default: the page cap

    def size(self, value: Any, default: Any) -> Size:
        if isinstance(value, VariableNode):
            self.variables.add(value.name.value)
            written = self.defaults.get(value.name.value)
            return Size(
                variable=value.name.value,
                default=written if _is_int(written) else default if _is_int(default) else None,
            )
        if isinstance(value, IntValueNode):
            return Size(literal=int(value.value))
        return Size()  # null or not a number: the page cap, or a refusal when it runs

    def definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field: GraphQLField | None = parent.fields.get(name)
            return field
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list(definition: GraphQLField) -> bool:
    type_ = definition.type
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


# Introspection lists whose items are each a distinct part of the schema, met once when the list above them
# goes over all of their kind: `__schema { types { fields { args } } }` lists every type once, every field
# once and every argument once. Under such a list a list is counted by its share of the total (which sums to
# the total); elsewhere (a `type { fields }` reached from a field) by the longest it is anywhere.
EACH_ONCE = frozenset(
    {("__Schema", "types"), ("__Type", "fields"), ("__Type", "inputFields"), ("__Type", "enumValues")}
)


@dataclass(frozen=True)
class IntrospectionBounds:
    """How long each introspection list is at most (`longest`), and per item when all items are listed (`shares`)."""

    longest: dict[tuple[str, str], int]
    shares: dict[tuple[str, str], int]


@functools.cache
def introspection_bounds(schema: GraphQLSchema) -> IntrospectionBounds:
    """The introspection lists' bounds: the schema is its own bound."""
    types = list(schema.type_map.values())
    lists: dict[tuple[str, str], list[int]] = {
        ("__Type", "fields"): [
            len(getattr(t, "fields", {})) for t in types if not isinstance(t, GraphQLInputObjectType)
        ],
        ("__Type", "inputFields"): [len(t.fields) for t in types if isinstance(t, GraphQLInputObjectType)],
        ("__Type", "interfaces"): [len(getattr(t, "interfaces", ())) for t in types],
        ("__Type", "possibleTypes"): [len(schema.get_possible_types(t)) for t in types if is_abstract_type(t)],
        ("__Type", "enumValues"): [len(t.values) for t in types if isinstance(t, GraphQLEnumType)],
    }
    fields = [f for t in types if not isinstance(t, GraphQLInputObjectType) for f in getattr(t, "fields", {}).values()]
    longest = {key: max(lengths, default=0) for key, lengths in lists.items()}
    shares = {key: -(-sum(lengths) // len(types)) for key, lengths in lists.items()}  # rounded up
    longest[("__Field", "args")] = max((len(f.args) for f in fields), default=0)
    shares[("__Field", "args")] = -(-sum(len(f.args) for f in fields) // max(len(fields), 1))
    longest[("__Schema", "types")] = shares[("__Schema", "types")] = len(types)
    longest[("__Schema", "directives")] = shares[("__Schema", "directives")] = len(schema.directives)
    longest[("__Directive", "args")] = shares[("__Directive", "args")] = max(
        (len(d.args) for d in schema.directives), default=0
    )
    return IntrospectionBounds(longest, shares)

"""The level loop: a plan executed breadth-first, one batch per field over all the parents of a level.

Per level, every field of every group of parents starts its source once; the awaitable ones are awaited
together; then the values are written into the answer's dicts (already keyed in collected order) and the
objects among them form the groups of the next level. Errors are located as graphql-core locates them
and null the nearest nullable position. A level's errors are settled together once it is filled, as
graphql-core settles the errors of fields that fail in one turn of the event loop: first those of nullable
fields, then those that propagate to an ancestor, each dropped when its position or one above it is already
null, and of several that propagate to one position only the first is kept.
"""

import asyncio
from collections.abc import Awaitable, Sequence
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError, located_error
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Undefined, inspect
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import get_object_definition

from schema.context import Context
from schema.execution.plan import FieldPlan, Plan
from schema.execution.sources import Failed

Path = tuple[str | int, ...]


class Slot:
    """Where a value sits in the answer: a dict and a response key, or a list and an index."""

    __slots__ = ("container", "key", "nullable", "parent")

    def __init__(self, container: Any, key: str | int, nullable: bool, parent: "Slot | None") -> None:
        self.container, self.key, self.nullable, self.parent = container, key, nullable, parent

    @property
    def path(self) -> Path:
        keys: list[str | int] = []
        slot: Slot | None = self
        while slot is not None and slot.parent is not None:  # the top slot is `data` itself
            keys.append(slot.key)
            slot = slot.parent
        return tuple(reversed(keys))


class Group:
    """Parents of one level that share a runtime type and a selection: each field is one batch over them."""

    __slots__ = ("dicts", "fields", "keys", "objects", "slots", "type_name")

    def __init__(self, type_name: str, fields: tuple[FieldPlan, ...]) -> None:
        self.type_name, self.fields = type_name, fields
        self.keys = tuple(field.key for field in fields)  # each answer dict starts with them, in collected order
        self.objects: list[Any] = []
        self.dicts: list[dict[str, Any]] = []
        self.slots: list[Slot] = []


class Run:
    def __init__(self, schema: strawberry.Schema, context: Context, variable_values: VariableValues) -> None:
        self.schema, self.context, self.variable_values = schema, context, variable_values
        self.errors: list[GraphQLError] = []
        self.nulled: set[Path] = set()
        self.unsettled: list[tuple[GraphQLError, Slot, bool]] = []  # an error, the position it nulls, propagated
        self.top: dict[str, Any] = {"data": None}

    async def execute(self, plan: Plan) -> ExecutionResult:
        ((type_name, fields),) = plan.root.fields_by_type.items()
        root = Group(type_name, fields)
        data = dict.fromkeys(root.keys)
        self.top["data"] = data
        root.objects.append(None)
        root.dicts.append(data)
        root.slots.append(Slot(self.top, "data", True, None))
        level = [root]
        while level:
            level = await self.level(level)
        return ExecutionResult(self.top["data"], self.errors or None)

    async def level(self, groups: list[Group]) -> list[Group]:
        """Fill one level of the answer; the groups of the next."""
        waiting: list[tuple[Group, FieldPlan, Awaitable[list[Any]]]] = []
        filled: list[tuple[Group, FieldPlan, Sequence[Any]]] = []
        for group in groups:
            for field in group.fields:
                if field.source is None:  # __typename
                    for result in group.dicts:
                        result[field.key] = group.type_name
                    continue
                try:
                    values = field.source.feed(self.context, group.objects, self.arguments(field))
                except Exception as error:  # the arguments, or a source that fails as a whole
                    filled.append((group, field, [Failed(error)] * len(group.objects)))
                    continue
                if isawaitable(values):
                    waiting.append((group, field, values))
                else:
                    filled.append((group, field, values))
        done = await asyncio.gather(*(values for _, _, values in waiting), return_exceptions=True)
        for (group, field, _), outcome in zip(waiting, done, strict=True):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome  # cancellation and the like are not a field's error
                outcome = [Failed(outcome)] * len(group.objects)
            filled.append((group, field, outcome))
        children: dict[tuple[int, str], Group] = {}
        for group, field, ready in filled:
            self.fill(group, field, ready, children)
        self.settle()
        if self.nulled:  # graphql-core goes no further below a position that became null
            for child in children.values():
                self.prune(child)
        return [child for child in children.values() if child.objects]  # a column of nulls has no next level

    def prune(self, group: Group) -> None:
        """Drop the objects of `group` that sit at or below a nulled position."""
        kept = [index for index, slot in enumerate(group.slots) if not self.below_null(slot.path)]
        if len(kept) < len(group.slots):
            group.objects = [group.objects[index] for index in kept]
            group.dicts = [group.dicts[index] for index in kept]
            group.slots = [group.slots[index] for index in kept]

    def below_null(self, path: Path) -> bool:
        return any(path[:length] in self.nulled for length in range(len(path) + 1))

    def settle(self) -> None:
        """Report the level's errors and null their positions (see the module's docstring for the order)."""
        before = set(self.nulled)
        for error, position, propagated in sorted(self.unsettled, key=lambda unsettled: unsettled[2]):
            path = position.path
            nulled = self.nulled if propagated else before
            if any(path[:length] in nulled for length in range(len(path) + 1)):
                continue
            self.nulled.add(path)
            self.errors.append(error)
            position.container[position.key] = None
        self.unsettled.clear()

    def arguments(self, field: FieldPlan) -> dict[str, Any]:
        """The field's arguments, coerced as graphql-core does and converted as strawberry does for a resolver."""
        definition = field.definition
        if not definition.args:
            return {}
        detail = field.details[0]
        raw = get_argument_values(definition, detail.node, self.variable_values, detail.fragment_variable_values)
        strawberry_field = definition.extensions["strawberry-definition"]
        return convert_arguments(
            raw,
            strawberry_field.arguments,
            scalar_registry=self.schema.schema_converter.scalar_registry,
            config=self.schema.config,
        )

    def fill(
        self, group: Group, field: FieldPlan, values: Sequence[Any], children: dict[tuple[int, str], Group]
    ) -> None:
        key, nullable, exact = field.key, field.nullable, field.exact
        only = self.only_child(field, children)
        for result, slot, value in zip(group.dicts, group.slots, values, strict=True):
            if value.__class__ is exact:
                result[key] = value
            elif value is None or isinstance(value, Failed):
                if value is None and nullable:
                    result[key] = None
                else:
                    self.fail(group, field, Slot(result, key, nullable, slot), value)
            elif field.is_list:
                items: list[Any] = [None] * len(value)
                result[key] = items
                at = Slot(result, key, nullable, slot)
                for index, item in enumerate(value):
                    if item.__class__ is exact:
                        items[index] = item
                    else:
                        self.complete(group, field, items, index, field.items_nullable, at, item, only, children)
            else:
                self.complete(group, field, result, key, nullable, slot, value, only, children)

    @staticmethod
    def only_child(field: FieldPlan, children: dict[tuple[int, str], Group]) -> Group | None:
        """The next level's group of an object field whose type is not abstract: one for the whole column."""
        if field.children is None or len(field.children.fields_by_type) != 1:
            return None
        ((type_name, fields),) = field.children.fields_by_type.items()
        child = children.get((id(field), type_name))
        if child is None:
            child = children[id(field), type_name] = Group(type_name, fields)
        return child

    def complete(
        self,
        group: Group,
        field: FieldPlan,
        container: Any,
        key: str | int,
        nullable: bool,
        parent: Slot,
        value: Any,
        child: Group | None,
        children: dict[tuple[int, str], Group],
    ) -> None:
        """Write one non-list value at `container[key]`: a leaf serialised, an object as a dict for `child`.

        `child` is the next level's group the object joins; None for a leaf or an abstract type. The value's
        `Slot` (under `parent`) is made only for an object, whose fields may fail, or for an error here.
        """
        if value is None:
            if nullable:
                container[key] = None
            else:
                self.fail(group, field, Slot(container, key, nullable, parent), None)
            return
        if field.serialize is not None:
            try:
                serialized = field.serialize(value)
                if serialized is Undefined or serialized is None:
                    raise TypeError(f"Expected `{inspect(value)}` to be a valid {field.definition.type}.")
            except Exception as error:
                self.fail(group, field, Slot(container, key, nullable, parent), Failed(error))
                return
            container[key] = serialized
            return
        if child is None:
            assert field.children is not None
            type_name = get_object_definition(value, strict=True).name
            child = children.get((id(field), type_name))
            if child is None:
                child = children[id(field), type_name] = Group(type_name, field.children.fields_by_type[type_name])
        answer = dict.fromkeys(child.keys)
        container[key] = answer
        child.objects.append(value)
        child.dicts.append(answer)
        child.slots.append(Slot(container, key, nullable, parent))

    def fail(self, group: Group, field: FieldPlan, slot: Slot, value: Failed | None) -> None:
        """An error at `slot`, to settle at the nearest nullable position when the level is filled."""
        if value is None:
            name = field.details[0].node.name.value
            raw: Exception = TypeError(f"Cannot return null for non-nullable field {group.type_name}.{name}.")
        else:
            raw = value.error
        error = located_error(raw, field.nodes, list(slot.path))
        position: Slot | None = slot
        while position is not None and not position.nullable:
            position = position.parent
        assert position is not None, "the top slot, `data`, is nullable"
        self.unsettled.append((error, position, position is not slot))

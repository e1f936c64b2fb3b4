"""Input bounds: every text argument and input field has a longest value, checked before a resolver reads it.

A bound keeps text that no real input needs away from the parsers and the database: `packaging` fails on a
version with thousands of digits, and SQLite on a LIKE pattern over 50,000 bytes. Queries fail as a whole with
an error naming the argument; mutations answer field by field with a typed `ValidationError`.
"""

import dataclasses
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    value_from_ast_untyped,
    visit,
)
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from schema.document_cache import LruCache
from schema.errors import FieldProblem, ValidationError

# The longest value, in characters, of an argument or input field by its name; a schema coordinate
# (`PackageFilter.license`, `Mutation.login(email:)`) overrides the name.
BOUNDS: dict[str, int] = {
    # What queries look things up by: as long as the longest value that can be stored.
    "name": 200,
    "package": 200,
    "namePrefix": 200,
    "nameContains": 200,
    "classifier": 200,
    "classifiers": 200,
    "query": 200,
    "version": 100,
    "ReleaseFilter.version": 500,  # a specifier set: several versions
    "email": 254,
    "PackageFilter.license": 512,
    "maintainerEmail": 254,
    "after": 1024,
    "before": 1024,
    "Mutation.login(email:)": 254,
    # Mutation input that the mutation checks more narrowly itself (resolvers/validation.py), so that an
    # ordinary mistake gets every problem listed at once: these only stop text far beyond any real value.
    "RegisterInput.name": 1000,
    "RegisterInput.email": 1000,
    "CreatePackageInput.name": 1000,
    "PublishReleaseInput.version": 1000,
    "Mutation.yankRelease(version:)": 1000,
    "password": 4096,
    "summary": 2048,
    "license": 2048,
    "authorName": 1000,
    "authorEmail": 1000,
    "homePage": 8192,
    "docsUrl": 8192,
    "url": 8192,
    "comment": 100_000,
    "description": 1_000_000,
}
# Text nobody named above: a global ID is a few dozen characters, other text rarely a few hundred.
DEFAULT_BOUNDS: dict[str, int] = {"ID": 1024, "String": 1000}


def bound_of(coordinate: str, name: str, scalar: str) -> int:
    """The longest value allowed at `coordinate`, which is called `name` and holds a `scalar` (`String`, `ID`)."""
    return BOUNDS.get(coordinate) or BOUNDS.get(name) or DEFAULT_BOUNDS[scalar]


def overlong(value: Any, type_: GraphQLInputType, coordinate: str, name: str, path: str) -> Iterator[FieldProblem]:
    """Every text in `value` (as sent, or as strawberry made it) longer than its place allows, named by `path`."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        for item in value if isinstance(value, list | tuple) else [value]:
            yield from overlong(item, type_.of_type, coordinate, name, path)
    elif isinstance(type_, GraphQLInputObjectType):
        for field_name, field in type_.fields.items():
            inner = _field_value(value, field_name, field.extensions)
            if inner is not None:
                inner_path = f"{path}.{field_name}" if path else field_name
                yield from overlong(inner, field.type, f"{type_.name}.{field_name}", field_name, inner_path)
    elif isinstance(type_, GraphQLScalarType) and type_.name in DEFAULT_BOUNDS and isinstance(value, str):
        bound = bound_of(coordinate, name, type_.name)
        if len(value) > bound:
            yield FieldProblem(field=path, message=f"must be at most {bound} characters long.")


def _field_value(value: Any, field_name: str, extensions: dict[str, Any]) -> Any:
    """An input field of `value`: a key of the JSON object a client sent, or an attribute of strawberry's input."""
    if isinstance(value, dict):
        return value.get(field_name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        definition = extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        return getattr(value, definition.python_name if definition is not None else field_name, None)
    return None


@dataclasses.dataclass(frozen=True)
class _Argument:
    """An argument written in a document, with what its value's bounds depend on."""

    value: ValueNode
    type_: GraphQLInputType
    coordinate: str
    name: str


@dataclasses.dataclass(frozen=True)
class _Arguments:
    """What a document alone tells about its text arguments: computed once per query text, checked per request.

    A mutation's own arguments are left to `BoundedTextArguments`, which answers with a typed error instead.
    """

    arguments: tuple[_Argument, ...]
    defaults: tuple[VariableDefinitionNode, ...]

    @classmethod
    def of(cls, schema: GraphQLSchema, document: DocumentNode) -> "_Arguments":
        arguments: list[_Argument] = []
        defaults: list[VariableDefinitionNode] = []
        type_info = TypeInfo(schema)
        mutation = schema.mutation_type

        fields: list[str] = []

        class Finder(Visitor):
            def enter_field(self, node: FieldNode, *_: Any) -> None:
                fields.append(node.name.value)

            def leave_field(self, *_: Any) -> None:
                fields.pop()

            def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
                if node.default_value is not None:
                    defaults.append(node)

            def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
                parent, argument = type_info.get_parent_type(), type_info.get_argument()
                if parent is None or argument is None or parent is mutation or not fields:
                    return  # a directive's argument, or one the validation already refused
                coordinate = f"{parent.name}.{fields[-1]}({node.name.value}:)"
                arguments.append(_Argument(node.value, argument.type, coordinate, node.name.value))

        visit(document, TypeInfoVisitor(type_info, Finder()))
        return cls(tuple(arguments), tuple(defaults))

    def first_overlong(self, variables: dict[str, Any]) -> FieldProblem | None:
        values = {
            node.variable.name.value: value_from_ast_untyped(node.default_value)
            for node in self.defaults
            if node.default_value is not None
        }
        values.update(variables)
        for argument in self.arguments:
            value = value_from_ast_untyped(argument.value, values)
            found = next(overlong(value, argument.type_, argument.coordinate, argument.name, argument.name), None)
            if found is not None:
                return found
        return None


_arguments: LruCache[_Arguments] = LruCache()


class RejectOverlongText(SchemaExtension):
    """A query whose text argument is longer than its bound fails as a whole, before any SQL, naming it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None and context.operation_type is not OperationType.SUBSCRIPTION:
            schema = context.schema._schema
            if context.query is None:
                arguments = _Arguments.of(schema, document)
            else:
                arguments = _arguments.get(context.query, lambda: _Arguments.of(schema, document))
            found = arguments.first_overlong(context.variables or {})
            if found is not None:
                error = GraphQLError(
                    f"`{found.field}` {found.message}",
                    extensions={"code": "BAD_USER_INPUT", "argument": found.field},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield


class BoundedTextArguments(FieldExtension):
    """On a mutation: text longer than its bound is answered with a `ValidationError` naming every such field."""

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        raw = info._raw_info
        field = raw.parent_type.fields[raw.field_name]
        problems: list[FieldProblem] = []
        for name, argument in field.args.items():
            definition = argument.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            value = kwargs.get(definition.python_name if definition is not None else name)
            # Named like the other checks do: an input object's fields stand for themselves.
            path = "" if name == "input" else name
            coordinate = f"{raw.parent_type.name}.{raw.field_name}({name}:)"
            problems.extend(overlong(value, argument.type, coordinate, name, path))
        if problems:
            return ValidationError.of(problems)
        return await next_(source, info, **kwargs)

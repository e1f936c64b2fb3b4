"""Schema extensions: checks on the whole request, and masking of unexpected errors."""

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    StringValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import FieldExtension, MaskErrors, SchemaExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import ExecutionContext, Info
from strawberry.types.graphql import OperationType
from strawberry.utils.str_converters import to_camel_case

from schema.errors import FieldProblem, ValidationError

log = logging.getLogger(__name__)


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors reach the client as a bare message and a request id; the log gets the whole error.

    Errors about the request itself (syntax, validation, bad arguments and IDs) are the client's to read, so
    they pass. A class, not an instance, goes in the schema's extensions, so each request gets its own.
    """

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        super().__init__(should_mask_error=self.unexpected, error_message="Internal server error.")

    @staticmethod
    def unexpected(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(original, GraphQLError | GlobalIDValueError)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = uuid.uuid4().hex
        log.error("request %s failed", request_id, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


class RejectNulCharacters(SchemaExtension):
    """No text may carry U+0000: PostgreSQL cannot store it, and no name, version or query needs it.

    Queries fail as a whole with an error naming the argument; mutations answer field by field with a typed
    `ValidationError` instead (see `NulFreeArguments`).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.operation_type is not OperationType.MUTATION:
            argument = _argument_with_nul(context.graphql_document, context.variables or {})
            if argument is not None:
                error = GraphQLError(
                    f"`{argument}` must not contain the NUL character (U+0000).",
                    extensions={"code": "BAD_USER_INPUT", "argument": argument},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield


class NulFreeArguments(FieldExtension):
    """On a mutation: an argument holding U+0000 is answered with a `ValidationError` naming it."""

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        field = next((name for name, value in kwargs.items() if _nul_field(value) is not None), None)
        if field is None:
            return await next_(source, info, **kwargs)
        inner = _nul_field(kwargs[field])
        # Named like the other checks do: an input object's fields stand for themselves.
        path = inner if field == "input" and inner else to_camel_case(field) + (f".{inner}" if inner else "")
        return ValidationError.of([FieldProblem(field=path, message="must not contain the NUL character (U+0000).")])


def _nul_field(value: Any) -> str | None:
    """Where in `value` a NUL character is: "" for the value itself, a camelCase field for an input, or None."""
    if isinstance(value, str):
        return "" if "\x00" in value else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            if _nul_field(getattr(value, item.name)) is not None:
                return to_camel_case(item.name)
        return None
    if isinstance(value, list | tuple):
        return next((found for v in value if (found := _nul_field(v)) is not None), None)
    return None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _argument_with_nul(document: DocumentNode, variables: dict[str, Any]) -> str | None:
    """The first argument whose value, written inline or passed in a variable, holds a NUL character."""
    tainted = {name for name, value in variables.items() if _holds_nul(value)}
    found: list[str] = []

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            inner = _Values()
            visit(node.value, inner)
            if any("\x00" in s for s in inner.strings) or tainted & inner.variables:
                found.append(node.name.value)

    visit(document, Finder())
    return found[0] if found else None


class _Values(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self.variables: set[str] = set()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.strings.append(node.value)

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.variables.add(node.name.value)

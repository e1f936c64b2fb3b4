"""Schema extensions: checks on the whole request, and masking of unexpected errors."""

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
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import ExecutionContext

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
    """No text may carry U+0000: PostgreSQL cannot store it, and no name, version or query needs it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            argument = _argument_with_nul(context.graphql_document, context.variables or {})
            if argument is not None:
                error = GraphQLError(
                    f"`{argument}` must not contain the NUL character (U+0000).",
                    extensions={"code": "BAD_USER_INPUT", "argument": argument},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield


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

"""Schema extensions: checks on the whole request, and masking of unexpected errors."""

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    StringValueNode,
    VariableDefinitionNode,
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

from models import activity
from models.metrics import QUERIES_EXECUTING, QUERIES_WAITING, operation_label
from models.outage import UNAVAILABLE_MESSAGE, database_unavailable
from schema.document_cache import LruCache
from schema.errors import FieldProblem, UnexpectedError, ValidationError

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
        return is_unexpected(error.original_error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = logged(error.original_error)
        if database_unavailable(error.original_error):
            return GraphQLError(
                UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "DATABASE_UNAVAILABLE", "requestId": request_id},
            )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


def is_unexpected(error: BaseException | None) -> bool:
    """Whether an exception is a bug rather than an error about the request (its syntax, arguments or IDs)."""
    return error is not None and not isinstance(error, GraphQLError | GlobalIDValueError)


def logged(error: BaseException | None) -> str:
    """Log the whole of an unexpected error under the request's id, which the client gets instead of it."""
    request_id = activity.request_id()
    if database_unavailable(error):  # an outage, not a bug: one line, no traceback per request
        log.warning("request %s: the database is unavailable: %r", request_id, error)
    else:
        log.error("request %s failed", request_id, exc_info=error)
    return request_id


class UnexpectedErrorResult(FieldExtension):
    """On a mutation: an unexpected exception answers `UnexpectedError` with a request id, the rest rolled back.

    The result unions are non-null, so a raised error would null the whole answer, hiding what the document's
    earlier mutations committed. The session is rolled back so that the next mutation starts clean.
    """

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except Exception as error:
            if not is_unexpected(error):
                raise
            request_id = logged(error)
            try:
                await info.context.db.rollback()
            except Exception:  # the answer still says what happened; the request's end closes the session
                log.exception("request %s: the rollback after the failure failed too", request_id)
            info.context.loaders.clear_all()
            if database_unavailable(error):
                message = f"The change was not made: {UNAVAILABLE_MESSAGE} (request {request_id})"
            else:
                message = f"The change failed unexpectedly and was not made (request {request_id})."
            return UnexpectedError(message=message, request_id=request_id)


class ExecutionSlots(SchemaExtension):
    """At most `MAX_CONCURRENT_OPERATIONS` queries of a process execute at once; the rest wait in order.

    Executing a query is Python work on one core: beyond a few at once, more only interleave, so each takes
    longer and all of their half-built results are in memory together. The slot is taken after the request is
    read and parsed and given back before the answer is written, so a slow client holds none. Mutations take
    none: they wait on row locks and on password hashing in a thread, not on this core.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.operation_type is not OperationType.QUERY:
            yield
            return
        slots = context.context.executing
        with QUERIES_WAITING.track_inprogress():
            await slots.acquire()
        try:
            with QUERIES_EXECUTING.track_inprogress():
                yield
        finally:
            slots.release()


class RequestOutcome(SchemaExtension):
    """Tells the request's record (models/activity.py) which operation of a validated document ran, and how."""

    def on_execute(self) -> Iterator[None]:
        record = activity.current.get()
        if record is not None:
            record.operation = operation_label(self.execution_context.operation_name)
        yield
        result = self.execution_context.result
        if record is not None and result is not None:
            record.outcome = outcome(result.errors, result.data)


def outcome(errors: list[GraphQLError] | None, data: object) -> str:
    """ok; unavailable (the database); refused (a check refused the operation before it ran); or errors."""
    if not errors:
        return "ok"
    if any(database_unavailable(error.original_error) for error in errors):
        return "unavailable"
    if data is None and not any(is_unexpected(error.original_error) for error in errors):
        return "refused"
    return "errors"


NUL = "must not contain the NUL character (U+0000)."
SURROGATE = "must be valid Unicode text; it holds half of a surrogate pair."


def text_problem(value: str) -> str | None:
    """Why a database could not store this text, if it could not: PostgreSQL refuses U+0000, and neither
    backend can encode a lone surrogate (which JSON can carry as `\\ud800`)."""
    if "\x00" in value:
        return NUL
    try:
        value.encode()
    except UnicodeEncodeError:
        return SURROGATE
    return None


class RejectUnstorableText(SchemaExtension):
    """No text may carry U+0000 or a lone surrogate: the databases cannot store them, and no input needs them.

    Queries fail as a whole with an error naming the argument; mutations answer field by field with a typed
    `ValidationError` instead (see `StorableTextArguments`).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.operation_type is not OperationType.MUTATION:
            if context.query is None:
                arguments = _TextArguments.of(document)
            else:
                arguments = _text_arguments.get(context.query, lambda: _TextArguments.of(document))
            found = arguments.first_bad(context.variables or {})
            if found is not None:
                argument, problem = found
                error = GraphQLError(
                    f"`{argument}` {problem}",
                    extensions={"code": "BAD_USER_INPUT", "argument": argument},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield


class StorableTextArguments(FieldExtension):
    """On a mutation: an argument with text no database can store is answered with a `ValidationError`."""

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            found = _bad_text_in(value)
            if found is not None:
                inner, problem = found
                # Named like the other checks do: an input object's fields stand for themselves.
                path = inner if name == "input" and inner else to_camel_case(name) + (f".{inner}" if inner else "")
                return ValidationError.of([FieldProblem(field=path, message=problem)])
        return await next_(source, info, **kwargs)


def _bad_text_in(value: Any) -> tuple[str, str] | None:
    """Where in `value` unstorable text is ("" for the value itself, a camelCase input field) and why."""
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else ("", problem)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            found = _bad_text_in(getattr(value, item.name))
            if found is not None:
                return to_camel_case(item.name), found[1]
        return None
    if isinstance(value, dict):  # variables as the client sent them
        return next(((k, found[1]) for k, v in value.items() if (found := _bad_text_in(v)) is not None), None)
    if isinstance(value, list | tuple):
        return next((found for v in value if (found := _bad_text_in(v)) is not None), None)
    return None


@dataclasses.dataclass(frozen=True)
class _TextArguments:
    """What a document alone tells about unstorable text: computed once per query text, checked per request.

    `arguments` holds, in document order, each argument's name, the problem of a string written in it (if
    any) and the variables it uses; `defaults` the problem of each variable whose default value holds bad text.
    """

    arguments: tuple[tuple[str, str | None, tuple[str, ...]], ...]
    defaults: dict[str, str]

    @classmethod
    def of(cls, document: DocumentNode) -> "_TextArguments":
        arguments: list[tuple[str, str | None, tuple[str, ...]]] = []
        defaults: dict[str, str] = {}

        class Finder(Visitor):
            def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
                if node.default_value is not None:
                    problem = _Values.of(node.default_value).literal_problem()
                    if problem is not None:
                        defaults[node.variable.name.value] = problem

            def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
                inner = _Values.of(node.value)
                arguments.append((node.name.value, inner.literal_problem(), tuple(sorted(inner.variables))))

        visit(document, Finder())
        return cls(tuple(arguments), defaults)

    def first_bad(self, variables: dict[str, Any]) -> tuple[str, str] | None:
        """The first argument whose value, written inline or passed in a variable, holds unstorable text; and why.

        Variables the client left out take their default from the document, which may hold bad text too.
        """
        tainted = {name: problem for name, problem in self.defaults.items() if name not in variables}
        tainted.update((name, bad[1]) for name, value in variables.items() if (bad := _bad_text_in(value)))
        for argument, literal, used in self.arguments:
            problem = literal or next((tainted[v] for v in used if v in tainted), None)
            if problem is not None:
                return argument, problem
        return None


_text_arguments: LruCache[_TextArguments] = LruCache()


class _Values(Visitor):
    """The strings written in a part of the document, and the variables it uses."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self.variables: set[str] = set()

    @classmethod
    def of(cls, node: Any) -> "_Values":
        values = cls()
        visit(node, values)
        return values

    def literal_problem(self) -> str | None:
        return next((problem for s in self.strings if (problem := text_problem(s))), None)

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.strings.append(node.value)

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.variables.add(node.name.value)

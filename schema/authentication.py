"""A token that was sent but is not valid fails the request; it never makes the caller anonymous."""

from collections.abc import Iterator

from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.errors import Unauthenticated


class RejectRefusedTokens(SchemaExtension):
    """A query with an unreadable, forged or expired token gets one `UNAUTHENTICATED` error and runs no SQL.

    Mutations answer field by field instead: those that need a caller answer `NotAuthenticated`, and `register`
    and `login` read no caller at all, so that a client holding an expired token can still get a new one.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        ctx = context.context
        if ctx.token_refused and context.operation_type is not OperationType.MUTATION:
            error = Unauthenticated(ctx.auth_problem or "The token is not valid; sign in again.")
            if context.operation_type is OperationType.SUBSCRIPTION:
                raise error  # a subscription's stream ignores a result set here, and answers what this raises
            context.result = ExecutionResult(data=None, errors=[error])
        yield

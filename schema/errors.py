"""Errors that reach the client: GraphQL errors for bad arguments, typed results for expected failures."""

import strawberry
from graphql import GraphQLError

from schema.cost import list_bound

PROBLEMS = 10  # for the query cost: one per input field, and no input has more


class BadArgument(GraphQLError):
    """An argument the client can fix; the message names it, and so does `extensions.argument`."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"`{argument}` {message}", extensions={"code": "BAD_USER_INPUT", "argument": argument})


class Unauthenticated(GraphQLError):
    """A token was sent but signs no one in: expired, forged, or of an account that is gone. Never anonymous."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


GONE = "The token's account no longer exists or no longer accepts it; sign in again."


@strawberry.interface(description="An expected failure of a mutation; clients switch on `__typename`.")
class Error:
    message: str


@strawberry.type(description="One input field that was refused, and why.")
class FieldProblem:
    field: str = strawberry.field(description="The input field, as named in the schema (e.g. `homePage`).")
    message: str


@strawberry.type(description="The input was refused; `problems` lists every failing field at once.")
class ValidationError(Error):
    field: str = strawberry.field(description="The first failing field.")
    problems: list[FieldProblem] = strawberry.field(metadata=list_bound(PROBLEMS))

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> "ValidationError":
        first = problems[0]
        return cls(message=f"`{first.field}` {first.message}", field=first.field, problems=problems)


@strawberry.type(description="The mutation needs a signed-in caller: the token is missing, invalid or expired.")
class NotAuthenticated(Error):
    pass


@strawberry.type(description="The caller is signed in but may not do this.")
class NotAllowed(Error):
    pass


@strawberry.type(description="What the mutation names does not exist.")
class NotFound(Error):
    pass


@strawberry.type(description="The change clashes with what exists, such as a taken name or version.")
class Conflict(Error):
    field: str | None = None


@strawberry.type(description="Too many requests like this one right now; nothing was done. Ask again later.")
class TryAgainLater(Error):
    retry_after_seconds: int = strawberry.field(description="How long to wait before asking again.")


@strawberry.type(
    description="The mutation failed unexpectedly before it committed, so it changed nothing; the server's log has "
    "the error under `requestId`."
)
class UnexpectedError(Error):
    request_id: str = strawberry.field(description="Quote it when you report the failure.")


class Refused(Exception):
    """Raised inside a unit of work to roll it back and answer with `error`."""

    def __init__(self, error: Error) -> None:
        super().__init__(error.message)
        self.error = error

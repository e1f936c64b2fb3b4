"""Errors that reach the client."""

from graphql import GraphQLError


class BadArgument(GraphQLError):
    """An argument the client can fix; the message names it, and so does `extensions.argument`."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"`{argument}` {message}", extensions={"code": "BAD_USER_INPUT", "argument": argument})

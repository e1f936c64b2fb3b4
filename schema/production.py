"""What production keeps to itself: the schema (introspection) and its names in errors ("Did you mean …?")."""

import re
from collections.abc import Iterator

from graphql import GraphQLError, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from schema.document_cache import LruCache

# graphql-core ends a message with its suggestions, quoted names that hold no "?".
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _setting(extension: SchemaExtension, name: str) -> bool:
    """A resolved setting of the request's app; on when there is no app (the schema run on its own)."""
    settings = getattr(extension.execution_context.context, "settings", None)
    return bool(getattr(settings, name, True))


class HideIntrospection(SchemaExtension):
    """With `INTROSPECTION` off, a document that asks for `__schema` or `__type` is refused; `__typename` works.

    A check before execution rather than a validation rule: the document cache skips validation for a text
    it has seen valid, and the setting is the app's, read per request from its context.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not _setting(self, "introspection"):
            schema = context.schema._schema

            def check() -> list[GraphQLError]:
                return validate(schema, document, [NoSchemaIntrospectionCustomRule])

            errors = check() if context.query is None else _introspection_errors.get(context.query, check)
            if errors:  # one error per introspection field; the first says it all
                first = errors[0]
                refused = GraphQLError(first.message, first.nodes, extensions={"code": "INTROSPECTION_DISABLED"})
                context.result = ExecutionResult(data=None, errors=[refused])
        yield


_introspection_errors: LruCache[list[GraphQLError]] = LruCache()


class HideSuggestions(SchemaExtension):
    """With `FIELD_SUGGESTIONS` off, no error message names what the schema has that the client did not ask for.

    Every error of an answer passes here, whichever step made it (parsing, validation, coercing variables).
    """

    def on_operation(self) -> Iterator[None]:
        yield
        if _setting(self, "field_suggestions"):
            return
        context = self.execution_context
        errors = list(context.pre_execution_errors or ())
        if context.result is not None:
            errors.extend(context.result.errors or ())
        for error in errors:
            error.message = SUGGESTION.sub("", error.message)

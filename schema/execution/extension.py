"""The schema extension that answers a covered query with the planned executor instead of graphql-core's."""

import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.document_cache import LruCache
from schema.execution.plan import Plan, directive_variables, plan_of
from schema.execution.run import Run

# How many operations the planner ran, and how many it gave back to graphql-core (a query it does not cover).
outcomes: Counter[str] = Counter()


class _Document:
    """What a query text's document tells once: its fragments, the variables `@skip`/`@include` read, plans."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.fragments = {d.name.value: FragmentDetails(d) for d in self.fragments_nodes(document)}
        self.fragment_variables = any(
            d.variable_definitions for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        )
        self.directive_variables = directive_variables(document)
        # A plan per operation name and `@skip`/`@include` values, the most recent few: a document of many
        # directive variables must not grow a plan for each combination a client sends.
        self.plans: dict[tuple[Any, ...], Plan | None] = {}

    @staticmethod
    def fragments_nodes(document: DocumentNode) -> list[FragmentDefinitionNode]:
        return [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]


_documents: LruCache[_Document] = LruCache()
PLANS_PER_DOCUMENT = 16
log = logging.getLogger(__name__)


class PlannedExecution(SchemaExtension):
    """Runs a covered query operation on the breadth-first executor; anything else is left to graphql-core.

    It sets the execution context's result before it yields, which makes strawberry skip graphql-core's
    execution. It runs the whole operation or none of it. `PLANNED_EXECUTION=false` turns it off.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        if (
            context.result is None
            and context.operation_type is OperationType.QUERY
            and context.graphql_document is not None
            and context.query is not None
            and request.settings.planned_execution
        ):
            schema = self.execution_context.schema
            try:
                found = plan_for(
                    schema._schema, context.query, context.graphql_document, context.operation_name, context.variables
                )
            except Exception:  # raised here, it would skip the ends of the extensions entered before this one
                log.exception("the planner failed; graphql-core runs the operation")
                found = None
            if found is None:
                outcomes["given back"] += 1
            else:
                plan, variable_values = found
                outcomes["planned"] += 1
                context.result = await answer(context, plan, variable_values)
        yield


async def answer(context: ExecutionContext, plan: Plan, variable_values: VariableValues) -> ExecutionResult:
    """The planned executor's answer to the operation of `context` (the differential tests wrap it).

    A failure of the executor itself is answered as an error, which the masking hides and logs: raised here, it
    would skip the ends of the extensions that started before this one (the execution slot among them).
    """
    try:
        return await Run(context.schema, context.context, variable_values).execute(plan)
    except Exception as error:
        return ExecutionResult(None, [GraphQLError(str(error), original_error=error)])


def plan_for(
    schema: GraphQLSchema,
    text: str,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> tuple[Plan, VariableValues] | None:
    """The cached plan of an operation and its coerced variables; None when graphql-core must run it.

    Variables that do not coerce are graphql-core's to report, as are a missing or unknown operation.
    """
    known = _documents.get(text, lambda: _Document(document))
    if known.fragment_variables:
        return None
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    variable_values = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(variable_values, list):
        return None
    key = (operation_name, *(variable_values.coerced.get(name) for name in known.directive_variables))
    try:
        plan = known.plans[key]
    except KeyError:
        if len(known.plans) >= PLANS_PER_DOCUMENT:
            del known.plans[next(iter(known.plans))]
        plan = known.plans[key] = plan_of(schema, document, operation, known.fragments, variable_values)
    return None if plan is None else (plan, variable_values)

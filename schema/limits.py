"""Limits on what one document may ask for, checked before it is validated or runs (and so before any SQL).

Size, tokens, operations and selection depth are checked while the text is read, so an oversized document is
refused before it is parsed in full; depth through fragments, aliases, root fields, sign-ins and cost once the
document is parsed. What a document alone tells is worked out once per query text (`DocumentFacts`); only the
cost, which depends on the variables, is worked out on every request.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
)
from graphql.error import GraphQLSyntaxError
from graphql.language.parser import Parser, nested_too_deeply_error
from strawberry.extensions import SchemaExtension

from schema.cost import CostPlan
from schema.document_cache import LruCache

if TYPE_CHECKING:
    from app import Settings

SIGN_IN_FIELDS = frozenset({"login", "register"})
SIGN_INS_PER_DOCUMENT = 1  # each one hashes a password, the dearest thing a request can ask for


class LimitExceeded(GraphQLError):
    """A document asks for more than a limit allows; the error names the limit, its value and what was measured."""

    def __init__(
        self, code: str, what: str, measured: int, limit: int, setting: str | None, *, over: bool = False
    ) -> None:
        amount = f"more than {limit:,}" if over else f"{measured:,}"
        named = f" ({setting})" if setting else ""
        super().__init__(
            f"The document {what.format(amount)}; the limit{named} is {limit:,}.",
            extensions={
                "code": code,
                "limit": limit,
                "measured": measured,
                **({"setting": setting} if setting else {}),
            },
        )


def too_large(measured: int, limit: int) -> LimitExceeded:
    return LimitExceeded("DOCUMENT_TOO_LARGE", "is {} bytes long", measured, limit, "MAX_DOCUMENT_BYTES")


def too_many_tokens(limit: int) -> LimitExceeded:
    return LimitExceeded("TOO_MANY_TOKENS", "holds {} tokens", limit + 1, limit, "MAX_DOCUMENT_TOKENS", over=True)


def too_many_operations(measured: int, limit: int, *, over: bool = False) -> LimitExceeded:
    what = "holds {} operations"
    return LimitExceeded("TOO_MANY_OPERATIONS", what, measured, limit, "MAX_DOCUMENT_OPERATIONS", over=over)


def too_deep(measured: int, limit: int, *, over: bool = False) -> LimitExceeded:
    what = "nests fields {} levels deep"
    return LimitExceeded("QUERY_TOO_DEEP", what, measured, limit, "MAX_QUERY_DEPTH", over=over)


class LimitedParser(Parser):
    """graphql-core's parser, stopped as soon as the text passes the token, operation or nesting limit."""

    def __init__(self, source: str, settings: "Settings") -> None:
        super().__init__(Source(source), no_location=False, max_tokens=settings.max_document_tokens)
        self.max_operations, self.max_depth = settings.max_document_operations, settings.max_query_depth
        self.operations = self.depth = 0

    def parse_operation_definition(self) -> OperationDefinitionNode:
        self.operations += 1
        if self.operations > self.max_operations:
            raise too_many_operations(self.operations, self.max_operations, over=True)
        return super().parse_operation_definition()

    def parse_fragment(self) -> FragmentSpreadNode | InlineFragmentNode:
        # An inline fragment's selection set is not a level of fields. (Inline fragments nested in each other
        # with no field between them still meet graphql-core's own nesting bound.)
        self.depth -= 1
        try:
            return super().parse_fragment()
        finally:
            self.depth += 1

    def parse_selection_set(self) -> SelectionSetNode:
        # Each level of fields is one selection set, so the nesting read so far is a floor of the depth.
        self.depth += 1
        if self.depth > self.max_depth:
            raise too_deep(self.depth, self.max_depth, over=True)
        node = super().parse_selection_set()
        self.depth -= 1
        return node


def parse_within_limits(text: str, settings: "Settings") -> DocumentNode:
    """The document, or the first limit it passes; graphql-core's syntax errors pass through."""
    parser = LimitedParser(text, settings)
    try:
        return parser.parse_document()
    except GraphQLSyntaxError as error:
        if error.message.endswith("tokens. Parsing aborted."):  # graphql-core's own count, comments included
            raise too_many_tokens(settings.max_document_tokens) from None
        raise
    except RecursionError:  # values nested past graphql-core's bound, answered as its `parse` does
        pass
    raise nested_too_deeply_error(parser)


@dataclass(frozen=True)
class DocumentFacts:
    """What a document alone tells about the limits, kept per query text; `plans` waits for the variables."""

    tokens: int
    operations: int
    depth: int  # of its deepest operation, fragments followed
    aliases: int
    root_fields: int  # of its widest operation, fragments followed
    sign_ins: int  # `login` and `register` fields over all its operations, aliases and fragments included
    plans: dict[str | None, CostPlan]  # by operation name

    @classmethod
    def of(cls, document: DocumentNode, schema: GraphQLSchema) -> "DocumentFacts":
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        walk = _Walk(fragments)
        sign_ins = sum(walk.sign_ins(op.selection_set) for op in operations if op.operation is OperationType.MUTATION)
        return cls(
            tokens=getattr(document, "token_count", 0),
            operations=len(operations),
            depth=max((walk.depth(op.selection_set) for op in operations), default=0),
            aliases=sum(_aliases(d.selection_set) for d in document.definitions if hasattr(d, "selection_set")),
            root_fields=max((walk.root_fields(op.selection_set) for op in operations), default=0),
            sign_ins=sign_ins,
            plans={op.name.value if op.name else None: CostPlan.of(schema, fragments, op) for op in operations},
        )

    def problem(self, settings: "Settings") -> LimitExceeded | None:
        """The first limit that the document itself passes, if any."""
        if self.tokens > settings.max_document_tokens:
            return LimitExceeded(
                "TOO_MANY_TOKENS", "holds {} tokens", self.tokens, settings.max_document_tokens, "MAX_DOCUMENT_TOKENS"
            )
        if self.operations > settings.max_document_operations:
            return too_many_operations(self.operations, settings.max_document_operations)
        if self.depth > settings.max_query_depth:
            return too_deep(self.depth, settings.max_query_depth)
        if self.sign_ins > SIGN_INS_PER_DOCUMENT:
            what = "asks for `login` or `register` {} times"
            return LimitExceeded("TOO_MANY_SIGN_INS", what, self.sign_ins, SIGN_INS_PER_DOCUMENT, None)
        if self.aliases > settings.max_document_aliases:
            what = "uses {} aliases"
            return LimitExceeded(
                "TOO_MANY_ALIASES", what, self.aliases, settings.max_document_aliases, "MAX_DOCUMENT_ALIASES"
            )
        if self.root_fields > settings.max_root_fields:
            what = "asks for {} root fields in one operation"
            return LimitExceeded(
                "TOO_MANY_ROOT_FIELDS", what, self.root_fields, settings.max_root_fields, "MAX_ROOT_FIELDS"
            )
        return None

    def cost(self, operation_name: str | None, variables: dict[str, Any] | None, page_cap: int) -> int:
        """The cost of the operation that runs; of the dearest one when the name picks none (it will not run)."""
        plan = self.plans.get(operation_name) if operation_name is not None or len(self.plans) == 1 else None
        if plan is None and len(self.plans) == 1 and operation_name is None:
            plan = next(iter(self.plans.values()))
        plans = [plan] if plan is not None else list(self.plans.values())
        return max((p.cost(variables, page_cap) for p in plans), default=0)


class _Walk:
    """Depth, root fields and sign-ins of selection sets, fragments followed once each; a cycle adds nothing."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.known: dict[tuple[str, str], int] = {}
        self.walking: set[tuple[str, str]] = set()

    def spread(self, measure: str, name: str) -> int:
        key, fragment = (measure, name), self.fragments.get(name)
        if fragment is None or key in self.walking:  # unknown or cyclic: validation refuses the document
            return 0
        if key not in self.known:
            self.walking.add(key)
            self.known[key] = getattr(self, measure)(fragment.selection_set)
            self.walking.discard(key)
        return self.known[key]

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self.spread("depth", selection.name.value))
        return deepest

    def root_fields(self, selection_set: SelectionSetNode) -> int:
        return self._count(selection_set, "root_fields", lambda _: True)

    def sign_ins(self, selection_set: SelectionSetNode) -> int:
        return self._count(selection_set, "sign_ins", lambda name: name.value in SIGN_IN_FIELDS)

    def _count(self, selection_set: SelectionSetNode, measure: str, counts: Callable[[NameNode], bool]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += counts(selection.name)
            elif isinstance(selection, InlineFragmentNode):
                total += self._count(selection.selection_set, measure, counts)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(measure, selection.name.value)
        return total


def _aliases(selection_set: SelectionSetNode | None) -> int:
    """Aliases as written in the document (a fragment's count once, however often it is spread)."""
    total = 0
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode) and selection.alias is not None:
            total += 1
        total += _aliases(getattr(selection, "selection_set", None))
    return total


_known_facts: LruCache[DocumentFacts] = LruCache()


def stand_in(operation_name: str | None) -> DocumentNode:
    """A document put in the place of a refused one, so that strawberry neither parses nor validates that one.

    It is never validated or run: `QueryLimits` answers with its refusal first. It bears the operation name the
    request gave, so that strawberry finds the operation it looks for.
    """
    field = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name is not None else None,
        variable_definitions=(),
        directives=(),
        selection_set=SelectionSetNode(selections=(field,)),
    )
    return DocumentNode(definitions=(operation,))


class QueryLimits(SchemaExtension):
    """Refuses a document over a limit with one error before it is validated; reports accepted costs if asked.

    The checks run in the schema, so they hold for every way a document arrives. A refusal is handed to
    validation, which strawberry runs for every transport and which ends a request without running it; and a
    refused document is never kept by `DocumentCache`, which keeps only documents that validated.
    """

    refusal: GraphQLError | None = None
    cost: int | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        settings: Settings = context.context.settings
        try:
            facts = self._facts(settings)
            self.refusal = facts.problem(settings)
            if self.refusal is None:
                self.cost = facts.cost(context.operation_name, context.variables, settings.page_size_max)
                if self.cost > settings.max_query_cost:
                    self.refusal = LimitExceeded(
                        "QUERY_TOO_COMPLEX", "costs {}", self.cost, settings.max_query_cost, "MAX_QUERY_COST"
                    )
        except GraphQLError as error:  # a limit met while reading, or a syntax error: the same answer as strawberry's
            self.refusal = error
        if self.refusal is not None:
            self.cost = None
            context.graphql_document = stand_in(context.operation_name)
        yield

    def on_validate(self) -> Iterator[None]:
        if self.refusal is not None:
            self.execution_context.pre_execution_errors = [self.refusal]
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context
        if self.cost is None or not context.context.settings.report_cost:
            return {}
        return {"cost": self.cost}

    def _facts(self, settings: "Settings") -> DocumentFacts:
        context = self.execution_context
        schema = context.schema._schema
        text = context.query
        if text is None:  # handed over parsed: its text was checked where it was parsed
            assert context.graphql_document is not None
            return DocumentFacts.of(context.graphql_document, schema)
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if size > settings.max_document_bytes:
            raise too_large(size, settings.max_document_bytes)
        facts = _known_facts.find(text)
        if facts is None:
            document = context.graphql_document or parse_within_limits(text, settings)
            facts = DocumentFacts.of(document, schema)
            _known_facts.put(text, facts)
            context.graphql_document = document
        return facts

"""Work done once per distinct query text, not on every request: parsing, validating, reading the document."""

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

V = TypeVar("V")

# Frontends send the same few documents over and over; a client that sends new ones each time only evicts.
# The budget is in characters of query text: a parsed document takes about 60 bytes per character, so the
# cache stays near 16 MB however large the documents a client sends, and one over a sixteenth of it is not kept.
BUDGET = 256 * 1024


class LruCache(Generic[V]):
    """The most recently used values, by query text, within a budget of characters of text."""

    def __init__(self, budget: int = BUDGET, largest: int = BUDGET // 16) -> None:
        self.budget, self.largest, self.used = budget, largest, 0
        self._values: OrderedDict[str, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def find(self, text: str) -> V | None:
        value = self._values.get(text)
        if value is not None:
            self._values.move_to_end(text)
        return value

    def put(self, text: str, value: V) -> None:
        if len(text) > self.largest or text in self._values:
            return
        self._values[text] = value
        self.used += len(text)
        while self.used > self.budget:
            evicted, _ = self._values.popitem(last=False)
            self.used -= len(evicted)

    def get(self, text: str, make: Callable[[], V]) -> V:
        value = self.find(text)
        if value is None:
            value = make()
            self.put(text, value)
        return value


class DocumentCache(SchemaExtension):
    """Keeps the parsed documents that passed validation, for the most recent query texts.

    Strawberry's own `ParserCache` and `ValidationCache` key validation by the document, and a document's hash
    walks its whole tree; here the query text is the key, so a hit costs one dict lookup. The validation rules
    are the schema's and the same for every request, which is what lets a valid text skip them next time.
    A class, not an instance, goes in the schema's extensions; the cache itself is one per process.
    """

    valid: LruCache[DocumentNode] = LruCache()
    _hit: DocumentNode | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            self._hit = self.valid.find(context.query)
            if self._hit is not None:
                context.graphql_document = self._hit
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._hit is not None:
            context.pre_execution_errors = []  # validated when it was kept; strawberry skips validation
        yield
        # A document with errors is not kept: it cannot run, and a client can send such documents endlessly.
        document = context.graphql_document
        if (
            self._hit is None
            and context.query is not None
            and document is not None
            and not context.pre_execution_errors
        ):
            self.valid.put(context.query, document)

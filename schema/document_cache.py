"""Work done once per distinct query text, not on every request: parsing, validating, reading the document."""

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

K = TypeVar("K")
V = TypeVar("V")

# Frontends send the same few documents over and over; a client that sends new ones each time only evicts.
MAXSIZE = 256


class LruCache(Generic[K, V]):
    """The most recently used `maxsize` values, by key."""

    def __init__(self, maxsize: int = MAXSIZE) -> None:
        self.maxsize = maxsize
        self._values: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def find(self, key: K) -> V | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self.maxsize:
            self._values.popitem(last=False)

    def get(self, key: K, make: Callable[[], V]) -> V:
        value = self.find(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value


Entry = tuple[DocumentNode, list[GraphQLError] | None]


class DocumentCache(SchemaExtension):
    """Keeps the parsed document and its validation errors for the most recent query texts.

    Strawberry's own `ParserCache` and `ValidationCache` key validation by the document, and a document's hash
    walks its whole tree; here the query text is the key, so a hit costs one dict lookup.
    A class, not an instance, goes in the schema's extensions; the cache itself is one per process.
    """

    entries: LruCache[tuple[str, tuple[Any, ...]], Entry] = LruCache()
    _hit: Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            self._hit = self.entries.find(self._key())
            if self._hit is not None:
                context.graphql_document = self._hit[0]
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._hit is not None:
            errors = self._hit[1]
            context.pre_execution_errors = None if errors is None else list(errors)
        yield
        if self._hit is None and context.query is not None and context.graphql_document is not None:
            self.entries.put(self._key(), (context.graphql_document, context.pre_execution_errors))

    def _key(self) -> tuple[str, tuple[Any, ...]]:
        context = self.execution_context
        assert context.query is not None
        return context.query, tuple(context.validation_rules)

"""How the planned executor feeds each field: declared once per type, for all the parents of a level at a time.

A source takes the request's context, the parents of one level and the field's arguments (converted as
strawberry converts them for the resolver) and gives one value per parent, in order, or an awaitable of them.
A value that is a `Failed` is that parent's error. The relationship fields go through the same DataLoaders as
their strawberry resolvers, so a level costs the same statements on either executor.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from loaders.package import PACKAGES_BY_NAME
from schema.classifier import Classifier
from schema.connection import Connection, Edge, PageInfo
from schema.context import Context, Info
from schema.execution.connections import (
    ContextOnly,
    Nested,
    cursors,
    packages_where,
    page_infos,
    releases_where,
    total_counts,
)
from schema.package import Package
from schema.release import Release, ReleaseOrder
from schema.stats import Stats
from schema.user import User

Values = list[Any] | Awaitable[list[Any]]
Feed = Callable[[Context, Sequence[Any], dict[str, Any]], Values]


@dataclass(frozen=True, slots=True)
class Failed:
    """A parent's field failed with `error`; the executor reports it at that parent's path."""

    error: Exception


@dataclass(frozen=True, slots=True)
class Source:
    feed: Feed
    per_parent: bool = False  # the field's own resolver, called once for each parent


def column(name: str) -> Source:
    """The attribute of the parent object that strawberry's default resolver reads."""

    def feed(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        return [getattr(parent, name) for parent in parents]

    return Source(feed)


def global_id(type_name: str) -> Source:
    """`id` of a `Node`: the global ID strawberry writes, `base64("<type>:<row id>")`."""

    def feed(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        return [relay.to_base64(type_name, parent.id) for parent in parents]

    return Source(feed)


def loaded(loader: str, key: str, build: Callable[[Any], Any]) -> Source:
    """One batch of a DataLoader over the parents' `key`; each loaded value goes through `build`."""

    async def feed(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        found = await getattr(ctx.loaders, loader).load_many([getattr(parent, key) for parent in parents])
        return [build(value) for value in found]

    return Source(feed)


def resolved(field: StrawberryField) -> Source:
    """The field's own strawberry resolver, called for each parent; for fields that are not a plain batch."""
    resolver = field.base_resolver
    assert resolver is not None, f"{field.python_name} has no resolver"
    function: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]  # a plain function here
    takes_parent = resolver.self_parameter is not None or resolver.root_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    asynchronous = resolver.is_async

    def call(ctx: Context, parent: Any, arguments: dict[str, Any]) -> Any:
        if info_name is not None:
            arguments = {**arguments, info_name: cast(Info, ContextOnly(ctx))}
        return function(parent, **arguments) if takes_parent else function(**arguments)

    def each(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        values = []
        for parent in parents:
            try:
                values.append(call(ctx, parent, arguments))
            except Exception as error:
                values.append(Failed(error))
        return values

    async def each_awaited(ctx: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
        values = await asyncio.gather(*(call(ctx, parent, arguments) for parent in parents), return_exceptions=True)
        return [Failed(value) if isinstance(value, Exception) else value for value in values]

    return Source(each_awaited if asynchronous else each, per_parent=True)


def _must_exist(row: Any) -> Package:
    assert row is not None, "releases.package_id is a foreign key"
    return Package.from_row(row)


def _users(rows: list[Any]) -> list[User]:
    return [User.from_row(row) for row in rows]


def _classifiers(rows: list[Any]) -> list[Classifier]:
    return [Classifier.from_row(row) for row in rows]


def _release_ordering(arguments: dict[str, Any]) -> Any:
    return (arguments.get("order_by") or ReleaseOrder()).ordering


def _packages_of(pages: str, counts: str) -> Source:
    nested = Nested(pages, counts, f"{counts}_and_filter", Package.from_row, lambda _: PACKAGES_BY_NAME, packages_where)
    return Source(nested.feed)


# The relationships and connection parts batched here directly; every other field with a resolver calls it
# (see `sources_of`).
BATCHED: dict[type, dict[str, Source]] = {
    Package: {
        "releases": Source(
            Nested(
                "releases_by_package_id",
                "release_count_by_package_id",
                "release_count_by_package_id_and_filter",
                Release.from_row,
                _release_ordering,
                releases_where,
            ).feed
        ),
        "latest_release": loaded("latest_release_by_package_id", "id", Release.from_optional_row),
        "highest_release": loaded("highest_release_by_package_id", "id", Release.from_optional_row),
        "release_count": loaded("release_count_by_package_id", "id", lambda count: count),
        "maintainers": loaded("maintainers_by_package_id", "id", _users),
        "classifiers": loaded("classifiers_by_package_id", "id", _classifiers),
    },
    Release: {"package": loaded("package_by_id", "package_id", _must_exist)},
    User: {"packages": _packages_of("packages_by_user_id", "package_count_by_user_id")},
    Classifier: {"packages": _packages_of("packages_by_classifier_id", "package_count_by_classifier_id")},
    Connection: {"total_count": Source(total_counts), "page_info": Source(page_infos)},
    Edge: {"cursor": Source(cursors)},
}

# The types the executor covers (the root query, the nodes, the connections, the counts); the result types of
# mutations are not among them, and neither is the introspection schema.
COVERED: tuple[type, ...] = (Package, Release, User, Classifier, Connection, Edge, PageInfo, Stats)


def sources_of(definition: StrawberryObjectDefinition) -> dict[str, Source]:
    """Each field of a type by its Python name: batched, a column, or its resolver (generic types specialised)."""
    batched = BATCHED.get((definition.concrete_of or definition).origin, {})
    sources: dict[str, Source] = {}
    for field in definition.fields:
        if field.python_name in batched:
            sources[field.python_name] = batched[field.python_name]
        elif field.python_name == "_id":  # relay.Node's `id`
            sources[field.python_name] = global_id(definition.name)  # the type's GraphQL name
        elif field.base_resolver is None:
            sources[field.python_name] = column(field.python_name)
        else:
            sources[field.python_name] = resolved(field)
    return sources

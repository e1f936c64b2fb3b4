"""Checking a `PackageFilter` as sent: its nesting, list lengths, IDs and times, into a `PackageWhere` for SQL."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from loaders.package_filter import PackageWhere
from schema.errors import BadArgument
from schema.ids import row_id_of

if TYPE_CHECKING:
    from schema.package import PackageFilter

# How long the lists of one filter may be, and how many filters a whole filter may hold: with `and`/`or` nested
# MAX_FILTER_DEPTH deep, the list bounds alone would let one argument grow into millions of conditions.
SUB_FILTERS = 20
ANY_CLASSIFIERS = 50
FILTERS_IN_ALL = 100


def package_where(filter: "PackageFilter | None", max_depth: int, argument: str = "filter") -> PackageWhere | None:
    """What `filter` keeps, checked; None when it keeps every package (no filter, or one without conditions)."""
    if filter is None:
        return None
    where = _Checker(max_depth).where(filter, argument, 1)
    return None if where == PackageWhere() else where


class _Checker:
    """Walks one filter, counting its sub-filters; each problem is a `BadArgument` naming where it is."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.filters = 0

    def where(self, filter: "PackageFilter", path: str, depth: int) -> PackageWhere:
        if depth > self.max_depth:
            raise BadArgument(path, f"nests filters {depth} deep; the limit (MAX_FILTER_DEPTH) is {self.max_depth}.")
        self.filters += 1
        if self.filters > FILTERS_IN_ALL:
            raise BadArgument(path, f"is one filter too many: a filter may hold at most {FILTERS_IN_ALL} in all.")
        all_of = self.sub_filters(filter.and_, f"{path}.and", depth)
        return PackageWhere(
            name_prefix=_name(filter.name_prefix),
            name_contains=_name(filter.name_contains),
            classifier=filter.classifier,
            classifiers=_classifiers(filter.classifiers, f"{path}.classifiers"),
            maintainer_id=None
            if filter.maintainer is None
            else row_id_of(filter.maintainer, "User", f"{path}.maintainer"),
            # Emails are stored lower-case, so the unique index on them finds the address whatever its case.
            maintainer_email=None if filter.maintainer_email is None else filter.maintainer_email.strip().lower(),
            license=filter.license,
            has_releases=filter.has_releases,
            created_after=_aware(f"{path}.createdAfter", filter.created_after),
            created_before=_aware(f"{path}.createdBefore", filter.created_before),
            updated_after=_aware(f"{path}.updatedAfter", filter.updated_after),
            updated_before=_aware(f"{path}.updatedBefore", filter.updated_before),
            # `and: []` asks nothing more of a package: as if it were left out.
            all_of=all_of or None,
            any_of=self.sub_filters(filter.or_, f"{path}.or", depth),
            none_of=None if filter.not_ is None else self.where(filter.not_, f"{path}.not", depth + 1),
        )

    def sub_filters(
        self, filters: "list[PackageFilter] | None", path: str, depth: int
    ) -> tuple[PackageWhere, ...] | None:
        if filters is None:
            return None
        if len(filters) > SUB_FILTERS:
            raise BadArgument(path, f"must hold at most {SUB_FILTERS} filters, got {len(filters)}.")
        return tuple(self.where(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(filters))


def _name(value: str | None) -> str | None:
    # PEP 503, as `resolvers/names.py` normalises every name the index stores.
    return None if value is None else str(canonicalize_name(value))


def _classifiers(names: list[str] | None, path: str) -> tuple[str, ...] | None:
    if names is None:
        return None
    if len(names) > ANY_CLASSIFIERS:
        raise BadArgument(path, f"must hold at most {ANY_CLASSIFIERS} classifiers, got {len(names)}.")
    return tuple(sorted(set(names)))  # one key, and one statement, for the same set in any order


def _aware(argument: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise BadArgument(argument, "needs a UTC offset, as in 2024-01-31T12:00:00Z.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadArgument(argument, "is out of range once moved to UTC.") from None

"""A package filter as SQL: checked values in a hashable tree, compiled to one condition on `packages`."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, true

import models

Row = models.Package
_link = models.package_classifiers.c


@dataclass(frozen=True)
class PackageWhere:
    """What `PackageFilter` asks for, checked and normalised; the fields of one object are ANDed.

    Hashable, so a nested connection keys its loader by it: each distinct filter is one statement over all the
    parents of a level. Every value goes into the SQL as a bound parameter.
    """

    name_prefix: str | None = None
    name_contains: str | None = None
    classifier: str | None = None
    classifiers: tuple[str, ...] | None = None
    maintainer_id: int | None = None
    maintainer_email: str | None = None
    license: str | None = None
    has_releases: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    all_of: tuple["PackageWhere", ...] | None = None
    any_of: tuple["PackageWhere", ...] | None = None
    none_of: "PackageWhere | None" = None

    def clause(self) -> ColumnElement[bool]:
        """The condition on a row of `packages`: true or false, never null, so that `not` is its exact opposite."""
        return and_(true(), *self._conditions())

    def _conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.name_prefix is not None:
            conditions.append(Row.name.startswith(self.name_prefix, autoescape=True))
        if self.name_contains is not None:
            conditions.append(Row.name.contains(self.name_contains, autoescape=True))
        if self.license is not None:
            # A package without a license is not "MIT", so `not: {license: "MIT"}` finds it.
            conditions.append(and_(Row.license.is_not(None), Row.license == self.license))
        if self.classifier is not None:
            conditions.append(_classified(models.Classifier.name == self.classifier))
        if self.classifiers is not None:
            conditions.append(
                _classified(models.Classifier.name.in_(self.classifiers)) if self.classifiers else false()
            )
        if self.maintainer_id is not None:
            conditions.append(_maintained(models.Maintainer.user_id == self.maintainer_id))
        if self.maintainer_email is not None:
            conditions.append(
                _maintained(models.Maintainer.user_id == models.User.id, models.User.email == self.maintainer_email)
            )
        if self.has_releases is not None:
            released = exists().where(models.Release.package_id == Row.id).correlate(Row)
            conditions.append(released if self.has_releases else ~released)
        for column, value, lower in (
            (Row.created_at, self.created_after, True),
            (Row.created_at, self.created_before, False),
            (Row.updated_at, self.updated_after, True),
            (Row.updated_at, self.updated_before, False),
        ):
            if value is not None:
                conditions.append(column >= value if lower else column < value)
        if self.all_of is not None:
            conditions.extend(where.clause() for where in self.all_of)
        if self.any_of is not None:
            conditions.append(or_(false(), *(where.clause() for where in self.any_of)))
        if self.none_of is not None:
            conditions.append(not_(self.none_of.clause()))
        return conditions


# Correlated on `packages` alone: inside `User.packages` or `Classifier.packages` the outer statement joins
# `maintainers` or `package_classifiers` too, and the subquery must not take their row for its own.
def _classified(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The package carries a classifier that meets `condition` (by the link's primary key, then the name's index)."""
    return (
        exists()
        .where(_link.package_id == Row.id, _link.classifier_id == models.Classifier.id, condition)
        .correlate(Row)
    )


def _maintained(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The package has a maintainer that meets `conditions` (by the maintainers' package index)."""
    return exists().where(models.Maintainer.package_id == Row.id, *conditions).correlate(Row)

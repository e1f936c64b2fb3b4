"""Release filters compiled to SQL: yanked, pre-release, and PEP 440 specifier sets as ranges of the version key.

A specifier set answers as `packaging`'s `SpecifierSet(spec).contains(version, prereleases=...)` does, with
`prereleases` what the set itself implies (`SpecifierSet.prereleases`: a pre-release only when a specifier
names one) unless the filter says `prerelease`. Every condition is a comparison of `version_key` with bound
values, mostly a range of keys that share a prefix (see models/version_key.py), so the unique index on
(package_id, version_key) serves them.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version
from sqlalchemy import ColumnElement, Select, and_, not_, or_

import models
from models.version_key import KEY_END, pre_key, public_key, release_key, release_prefix, version_key

Release = models.Release


@dataclass(frozen=True)
class ReleaseWhere:
    """What a page of releases is filtered by, already checked; hashable, so pages with it key a loader."""

    yanked: bool | None = None
    prerelease: bool | None = None
    specifiers: SpecifierSet | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.yanked is not None:
            conditions.append(Release.yanked.is_(self.yanked))
        if self.prerelease is not None:
            conditions.append(Release.prerelease.is_(self.prerelease))
        if self.specifiers is not None:
            if self.prerelease is None and not self.specifiers.prereleases:
                conditions.append(Release.prerelease.is_(False))
            conditions.extend(specifier_condition(specifier) for specifier in self.specifiers)
        return conditions


def _starts_with(prefix: str) -> ColumnElement[bool]:
    return and_(Release.version_key >= prefix, Release.version_key < prefix + KEY_END)


def _wildcard(epoch: int, release: tuple[int, ...]) -> ColumnElement[bool]:
    """`==E!R.*`: the release, padded with zeros, begins with R (1.0.* takes 1, whose key ends the release early)."""
    return or_(_starts_with(release_prefix(epoch, release)), _starts_with(release_key(epoch, release)))


def _equal(spec: str) -> ColumnElement[bool]:
    if spec.endswith(".*"):
        version = Version(spec[:-2])
        return _wildcard(version.epoch, version.release)
    version = Version(spec)
    if version.local is not None:  # a local version in the specifier must match exactly
        return Release.version_key == version_key(version)
    return _starts_with(public_key(version))  # otherwise any local version of it matches


def specifier_condition(specifier: Specifier) -> ColumnElement[bool]:
    """The condition on a release that `specifier.contains(release.version, prereleases=True)` is."""
    operator, spec = specifier.operator, specifier.version
    if operator == "===":
        # Arbitrary equality compares text, case-insensitively; stored versions are normalised, so lower-case.
        return Release.version == spec.lower()
    if operator == "==":
        return _equal(spec)
    if operator == "!=":
        return not_(_equal(spec))
    version = Version(spec)
    if operator == ">=":
        return Release.version_key >= version_key(version)
    if operator == "<=":
        return Release.version_key < public_key(version) + KEY_END  # V's local versions are V here
    if operator == "<":
        # `<V` leaves out V's pre- and dev-releases unless V is one itself: below V.dev0, the first of them.
        bound = version if version.is_prerelease else Version(f"{version}.dev0")
        return Release.version_key < version_key(bound)
    if operator == ">":
        above = Release.version_key >= public_key(version) + KEY_END  # never V's own local versions
        if version.dev is not None or version.post is not None:
            return above
        # Nor the post-releases of V (those that share its pre-release segment), unless V is one itself.
        return and_(above, not_(_starts_with(pre_key(version))))
    assert operator == "~=", operator
    # `~=1.4.5` is `>=1.4.5, ==1.4.*`.
    return and_(Release.version_key >= version_key(version), _wildcard(version.epoch, version.release[:-1]))


@lru_cache(maxsize=256)
def filtered(children: Select[Any], where: ReleaseWhere) -> Select[Any]:
    """`children` with `where`'s conditions; one statement per filter, so the SQL built on it is built once."""
    return children.where(*where.conditions())

"""`releases(filter: {version:})` answers as `packaging` does, for every specifier form (a property test).

Each example publishes a few generated versions to a package of its own and asks for them with a generated
specifier set, on SQLite and PostgreSQL. The versions and the specifiers' versions come from one small pool,
so the boundaries where PEP 440 is subtle (post-releases of V under `>V`, pre-releases of V under `<V`, local
versions, trailing zeros, `.*`) are hit often.

The reference is `SpecifierSet(spec).contains(version, prereleases=...)` with the pre-release policy the
set itself implies (`SpecifierSet.prereleases`, true when one of its specifiers names a pre-release). It is
passed explicitly because packaging 26 changed what `contains` does with none: a lone version "has no
alternatives", so a matching pre-release is accepted, which is not what a list of releases should do.
"""

from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.conftest import GraphQLClient

small = st.integers(0, 2)


@st.composite
def versions(draw: st.DrawFn, *, public: bool = False, release_only: bool = False) -> str:
    """A version spelled as people do (`1.0-RC1`, `v2`): few, small numbers, so that versions meet."""
    text = draw(st.sampled_from(["", "", "", "", "v", "1!"]))
    text += ".".join(str(draw(small)) for _ in range(draw(st.integers(1, 3))))
    if release_only:
        return text
    if draw(st.integers(0, 2)) == 0:
        text += draw(st.sampled_from(["a", "b", "rc", "-RC", ".alpha"])) + str(draw(small))
    if draw(st.integers(0, 2)) == 0:
        text += draw(st.sampled_from([".post", "-"])) + str(draw(small))
    if draw(st.integers(0, 3)) == 0:
        text += ".dev" + str(draw(small))
    if not public and draw(st.integers(0, 3)) == 0:
        text += "+" + draw(st.sampled_from(["local", "1", "abc.2", "ubuntu-1"]))
    return text


@st.composite
def specifiers(draw: st.DrawFn) -> str:
    operator = draw(st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "==*", "!=*"]))
    if operator in ("==*", "!=*"):
        return f"{operator[:2]}{draw(versions(release_only=True))}.*"
    if operator in ("==", "!="):
        return operator + draw(versions())
    if operator == "===":
        return operator + str(Version(draw(versions())))
    if operator == "~=":  # two release segments at least
        return operator + draw(versions(public=True).filter(lambda v: len(Version(v).release) >= 2))
    return operator + draw(versions(public=True))


def specifier_sets() -> st.SearchStrategy[str]:
    return st.lists(specifiers(), min_size=0, max_size=3).map(",".join)


def expected(spec: str, published: list[str], prerelease: bool | None) -> list[str]:
    specifiers = SpecifierSet(spec)
    if prerelease is None:
        return [v for v in published if specifiers.contains(v, prereleases=bool(specifiers.prereleases))]
    matching = [v for v in published if specifiers.contains(v, prereleases=True)]
    return [v for v in matching if Version(v).is_prerelease == prerelease]


QUERY = """
query($name: String!, $filter: ReleaseFilter) {
  package(name: $name) {
    releases(filter: $filter, first: 100, orderBy: {field: VERSION, direction: ASC}) {
      totalCount edges { node { version } }
    }
  }
}
"""
packages = count()


@settings(
    max_examples=40,
    deadline=None,
    # Data is added per example in a package of its own, so the database the fixtures give is fit for all.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    published=st.lists(versions(), min_size=1, max_size=10),
    spec=specifier_sets(),
    prerelease=st.sampled_from([None, None, True, False]),
)
async def test_filtered_versions_are_exactly_those_packaging_accepts(
    client: GraphQLClient, session: AsyncSession, published: list[str], spec: str, prerelease: bool | None
) -> None:
    # One release per PEP 440 version, stored normalised, as publishRelease does.
    distinct = list({Version(v): str(Version(v)) for v in published}.values())
    name = f"pkg-{next(packages)}"
    await factories.package(session, name, versions=distinct)
    filter: dict[str, Any] = {"version": spec, "prerelease": prerelease}
    data = await client.query(QUERY, {"name": name, "filter": filter})
    page = data["package"]["releases"]
    want = sorted(expected(spec, distinct, prerelease), key=Version)
    assert [edge["node"]["version"] for edge in page["edges"]] == want, (spec, prerelease, distinct)
    assert page["totalCount"] == len(want)

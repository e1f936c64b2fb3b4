"""The sortable version key sorts exactly as `packaging.version.Version` does."""

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from models.version_key import KEY_END, KEY_LENGTH, base_key, public_key, version_key

numbers = st.one_of(st.integers(0, 12), st.integers(0, 10**25))
local_parts = st.one_of(st.integers(0, 20).map(str), st.text("abz019", min_size=1, max_size=3))
# A loaded machine is no failure: the examples are what is checked, not their speed.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def versions(draw: st.DrawFn) -> Version:
    """Any PEP 440 version, in any of its spellings: every segment present or not, with small numbers
    (so that versions often share segments) and big ones."""
    text = ""
    if draw(st.booleans()):
        text += f"{draw(numbers)}!"
    text += ".".join(str(draw(numbers)) for _ in range(draw(st.integers(1, 5))))
    if draw(st.booleans()):
        text += draw(st.sampled_from(["a", "b", "rc", "alpha", "c", "pre", "-beta"])) + str(draw(numbers))
    if draw(st.booleans()):
        text += draw(st.sampled_from([".post", "-", "post", ".rev"])) + str(draw(numbers))
    if draw(st.booleans()):
        text += draw(st.sampled_from([".dev", "dev"])) + str(draw(numbers))
    if draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(local_parts, min_size=1, max_size=3)))
    return Version(text)


def test_documented_examples_sort_in_pep_440_order() -> None:
    ordered = [
        "1!0.1",  # epochs first
        "1.9",
        "1.10",  # 1.10 follows 1.9
    ]
    assert sorted(ordered, key=lambda v: version_key(Version(v))) == ["1.9", "1.10", "1!0.1"]
    chain = ["1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0+abc", "1.0+5", "1.0.post1"]
    chain += ["1.0.post2.dev1", "1.0.post2", "1.0.1", "1.1.dev1"]
    keys = [version_key(Version(v)) for v in chain]
    assert all(a < b for a, b in pairwise(keys)), chain


def test_pep_440_equal_spellings_have_one_key() -> None:
    spellings = ["1.0", "1.0.0", "v1.0", "1.0.0.0", "1", "0!1.0", "V1.0"]
    assert len({version_key(Version(v)) for v in spellings}) == 1


@relaxed
@given(versions(), versions())
def test_keys_compare_as_versions_do(a: Version, b: Version) -> None:
    ka, kb = version_key(a), version_key(b)
    assert (ka < kb, ka == kb, ka > kb) == (a < b, a == b, a > b)


@relaxed
@given(st.lists(versions(), min_size=2, max_size=12))
def test_sorting_by_key_sorts_as_packaging_does(items: list[Version]) -> None:
    assert [str(v) for v in sorted(items, key=version_key)] == [str(v) for v in sorted(items)]


@relaxed
@given(versions())
def test_a_key_is_its_public_key_then_the_local_part_and_starts_with_its_release(version: Version) -> None:
    key = version_key(version)
    public = public_key(version)
    assert key.startswith(public)
    assert (key == public) == (version.local is None)
    assert public == version_key(Version(version.public))
    assert key.startswith(base_key(version))
    assert key < base_key(version) + KEY_END
    assert key.isascii()
    assert all(c < KEY_END for c in key)


def test_the_longest_versions_that_can_be_published_fit_the_key_column() -> None:
    # Short numbers and many of them are the most key per character of version.
    widest = [
        "1." * 49 + "1",
        "1!" + "1." * 48 + "1",
        "0+" + "1." * 48 + "1",
        "0+" + "a." * 48 + "a",
        "1.0a1.post1.dev1+" + "1." * 40 + "1",
    ]
    for text in widest:
        assert len(str(Version(text))) <= 100
        assert len(version_key(Version(text))) <= KEY_LENGTH, text

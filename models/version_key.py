"""The sortable key of a PEP 440 version: text whose code point order is the order of the versions.

A key is the version's segments in PEP 440's order of precedence, each encoded so that comparing the text
compares the segment: a number is its digit count (three digits) then its digits, so `10` follows `9`; a
missing segment is a marker that sorts where PEP 440 puts it. Every segment is self-delimiting, so no
public version's key is a prefix of another's, and a local version's key is its public key plus the local
part. That makes "the same public version" and "the same release" prefixes of the key, which a query can
ask for as a range (`prefix <= key < prefix + KEY_END`). Versions equal under PEP 440 (`1.0`, `1.0.0`,
`v1.0`) have the same key. Keys are ASCII, so SQLite's BINARY and PostgreSQL's "C" collation agree on them.
"""

from packaging.version import Version

KEY_LENGTH = 400  # enough for any version of at most 100 characters, the longest publishRelease takes
# Sorts after every character a key holds: the end of every range of keys sharing a prefix.
KEY_END = "~"

_RELEASE_END = "!"  # before any number: `1` sorts before `1.0.1`
_PRE = {"a": "a", "b": "b", "rc": "c"}
_LOCAL_TEXT_END = "!"  # before any letter or digit: `+abc` sorts before `+abcd`


def number(value: int) -> str:
    """A non-negative integer as text that sorts in numeric order."""
    digits = str(value)
    if len(digits) > 999:
        raise ValueError("a version number has more than 999 digits")
    return f"{len(digits):03d}{digits}"


def release_prefix(epoch: int, release: tuple[int, ...]) -> str:
    """The start of the key of every version whose epoch is `epoch` and whose release begins with `release`."""
    return number(epoch) + "".join(number(part) for part in release)


def release_key(epoch: int, release: tuple[int, ...]) -> str:
    """The key's first segments, epoch and release: shared by every pre-, post- and dev-release of one release."""
    parts = list(release)
    while parts and parts[-1] == 0:  # PEP 440: 1.0 == 1
        parts.pop()
    return release_prefix(epoch, tuple(parts)) + _RELEASE_END


def base_key(version: Version) -> str:
    """The epoch and release segments of the key of `version`."""
    return release_key(version.epoch, version.release)


def pre_key(version: Version) -> str:
    """The key up to the pre-release segment: shared by a release (or pre-release) and its post-releases."""
    pre = version.pre
    if pre is None:
        # A dev release of the final release comes before its pre-releases (1.0.dev0 < 1.0a1); otherwise
        # having no pre-release segment sorts after every pre-release (1.0a1 < 1.0).
        marker = "0" if version.post is None and version.dev is not None else "2"
    else:
        marker = "1" + _PRE[pre[0]] + number(pre[1])
    return base_key(version) + marker


def public_key(version: Version) -> str:
    """The key of the version without its local part."""
    post = "0" if version.post is None else "1" + number(version.post)  # no post-release first
    dev = "2" if version.dev is None else "1" + number(version.dev)  # a dev release before its release
    return pre_key(version) + post + dev


def version_key(version: Version) -> str:
    """The sortable key of `version`; equal keys for versions that PEP 440 calls equal."""
    local = ""
    if version.local is not None:
        # PEP 440: segments compare as numbers when they are digits (and then after text), else as text.
        for part in version.local.split("."):
            local += "1" + number(int(part)) if part.isdigit() else "0" + part + _LOCAL_TEXT_END
    return public_key(version) + local

"""The variants' answers side by side: equal, once what cannot be the same is masked."""

from typing import Any

# Each publishRelease answer is about a release of its own.
PUBLISHED_FIELDS = frozenset({"id", "version", "createdAt", "releaseCount"})
MASK = "(masked)"


def masked(answer: Any, fields: frozenset[str]) -> Any:
    """The answer with the values of `fields` replaced, at any depth."""
    if isinstance(answer, dict):
        return {key: MASK if key in fields else masked(value, fields) for key, value in answer.items()}
    if isinstance(answer, list):
        return [masked(item, fields) for item in answer]
    return answer


def first_difference(expected: Any, found: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, with both values there; None when they are equal."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in [*expected, *(key for key in found if key not in expected)]:
            if key not in found or key not in expected:
                return f"{path}.{key}: only in {'the app' if key in expected else 'the other'}"
            difference = first_difference(expected[key], found[key], f"{path}.{key}")
            if difference is not None:
                return difference
        return None
    if isinstance(expected, list) and isinstance(found, list):
        for index, (left, right) in enumerate(zip(expected, found, strict=False)):
            difference = first_difference(left, right, f"{path}[{index}]")
            if difference is not None:
                return difference
        if len(expected) != len(found):
            return f"{path}: {len(expected)} items in the app's answer, {len(found)} in the other"
        return None
    if expected != found or type(expected) is not type(found):
        return f"{path}: app {expected!r}, other {found!r}"
    return None


def difference(app: Any, other: Any, *, publishes: bool) -> str | None:
    """How `other` answers differently from the app; None when it answers the same.

    Cursors and global IDs are compared too: every variant writes them as the app does. Only the publish mix,
    where each answer is about a release of its own, is compared with those fields masked.
    """
    fields = PUBLISHED_FIELDS if publishes else frozenset()
    return first_difference(masked(app, fields), masked(other, fields))

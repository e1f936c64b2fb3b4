"""Package names as the index compares them."""

from packaging.utils import canonicalize_name


def normalize_name(name: str) -> str:
    """The PEP 503 form: lower case, each run of `-`, `_` and `.` made one `-`."""
    return str(canonicalize_name(name))

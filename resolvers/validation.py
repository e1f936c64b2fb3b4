"""Checks on mutation input that collect every problem before anything is written."""

import re
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from schema.errors import FieldProblem, Refused, ValidationError

PACKAGE_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class Checks:
    """Collects problems field by field; `done()` refuses with all of them at once."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(field=field, message=message))

    def text(self, field: str, value: str | None, *, max_length: int, required: bool = False) -> str | None:
        """The value with surrounding white space trimmed; an empty optional value becomes None."""
        if value is None:
            return None
        value = value.strip()
        if not value:
            if required:
                self.fail(field, "must not be empty.")
            return None
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters long.")
        return value

    def url(self, field: str, value: str | None) -> str | None:
        value = self.text(field, value, max_length=2048)
        if value is not None:
            try:
                parts = urlsplit(value)
            except ValueError:  # e.g. an unclosed IPv6 bracket
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                self.fail(field, "must be an http or https URL.")
        return value

    def email(self, field: str, value: str | None) -> str | None:
        value = self.text(field, value, max_length=254)
        if value is not None and not EMAIL.match(value):
            self.fail(field, "must be an email address.")
        return value.lower() if value is not None else None

    def package_name(self, field: str, value: str) -> str:
        if len(value) > 200 or not PACKAGE_NAME.match(value):
            self.fail(field, "must be a valid package name: letters, digits, `.`, `_` and `-`, up to 200 characters.")
        return value

    def version(self, field: str, value: str) -> str:
        """The normalised PEP 440 form, e.g. `1.0.0-RC1` becomes `1.0.0rc1`."""
        try:
            normal = str(Version(value.strip()))
        except InvalidVersion:
            self.fail(field, "must be a PEP 440 version such as 1.2.0 or 2.0rc1.")
            return value
        if len(normal) > 100:
            self.fail(field, "must be at most 100 characters long.")
        return normal

    def done(self) -> None:
        if self.problems:
            raise Refused(ValidationError.of(self.problems))

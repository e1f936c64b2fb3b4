"""Building a Strawberry type from its model row."""

import dataclasses
from typing import Any, ClassVar, Self


class RowType:
    """Mixin for types that reuse their model's field names: `from_row` copies every init field off the row."""

    _row_fields: ClassVar[tuple[tuple[str, str], ...]]
    # A field whose row attribute has another name, like a private copy behind a resolver of the same name.
    _row_sources: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_row(cls, row: Any) -> Self:
        try:
            names = cls.__dict__["_row_fields"]
        except KeyError:
            names = tuple(
                (f.name, cls._row_sources.get(f.name, f.name))
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                if f.init
            )
            cls._row_fields = names
        return cls(**{name: getattr(row, source) for name, source in names})

    @classmethod
    def from_optional_row(cls, row: Any | None) -> Self | None:
        return None if row is None else cls.from_row(row)

"""Building a Strawberry type from its model row."""

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Self


class RowType:
    """Mixin for types that reuse their model's field names: `from_row` copies every init field off the row.

    The row is a plain result row or a model instance; either way the type reads the model's attribute names.
    """

    # A field whose row attribute has another name, like a private copy behind a resolver of the same name.
    _row_sources: ClassVar[dict[str, str]] = {}
    _row_reader: ClassVar[tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        try:
            names, read = cls.__dict__["_row_reader"]
        except KeyError:
            names, read = cls._reader()
        # Built without `__init__`: these types are plain dataclasses whose every init field comes off the row,
        # and one C-level attribute read per row is what a page of thousands of rows can afford.
        instance = object.__new__(cls)
        instance.__dict__.update(zip(names, read(row), strict=True))
        return instance

    @classmethod
    def from_optional_row(cls, row: Any | None) -> Self | None:
        return None if row is None else cls.from_row(row)

    @classmethod
    def _reader(cls) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
        fields = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        sources = [cls._row_sources.get(name, name) for name in fields]
        # attrgetter of one name returns the value itself, not a 1-tuple.
        getter = attrgetter(*sources)
        read = getter if len(sources) > 1 else lambda row: (getter(row),)
        cls._row_reader = (tuple(fields), read)
        return cls._row_reader

"""The keys of a batch as one bound parameter: a statement is built once and run for any number of keys."""

from typing import Any

from sqlalchemy import Boolean, ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

IDS = "ids"
PARENT_IDS = "parent_ids"


class KeysIn(ColumnElement[bool]):
    """`column` is one of the list bound as `name`.

    SQLite gets an expanding `IN`, rewritten for each number of keys. PostgreSQL gets `column = ANY($1)` over one
    array: a single SQL text whatever the batch size, so SQLAlchemy rewrites nothing per execution and asyncpg
    reuses its prepared statement.
    """

    inherit_cache = True
    _is_implicitly_boolean = True  # a comparison: no `= 1` where a dialect lacks booleans
    type = Boolean()
    # What the statement cache tells apart: the column and the parameter's name.
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012  # SQLAlchemy's own declaration
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any], name: str) -> None:
        self.column: ColumnElement[Any] = coercions.expect(roles.ExpressionElementRole, column)
        self.name = name

    @property
    def _from_objects(self) -> list[FromClause]:  # the column's table belongs in the FROM, as with `.in_()`
        return self.column._from_objects


def keys_in(column: ColumnElement[Any] | QueryableAttribute[Any], name: str = IDS) -> KeysIn:
    return KeysIn(column, name)


@compiles(KeysIn)
def _expanding_in(element: KeysIn, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(KeysIn, "postgresql")
def _any_of_array(element: KeysIn, compiler: SQLCompiler, **kw: Any) -> str:
    array = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(array), **kw)

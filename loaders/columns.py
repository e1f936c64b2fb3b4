"""Reads select plain rows of a model's columns, not ORM instances.

A read builds each row into a Strawberry type once and never changes it, so an ORM instance (identity map,
attribute instrumentation, state tracking) costs several times what the row itself does and gives nothing back.
The rows still carry the model's own attribute names, which is all `RowType.from_row` reads.
"""

from typing import Any

from sqlalchemy import ColumnElement

import models


def columns_of(model: type[models.Base], *, leave_out: tuple[str, ...] = ()) -> tuple[ColumnElement[Any], ...]:
    return tuple(column for column in model.__table__.columns if column.key not in leave_out)


PACKAGE = columns_of(models.Package)
RELEASE = columns_of(models.Release)
# A read never needs the password hash, so it never leaves the database.
USER = columns_of(models.User, leave_out=("password_hash",))
CLASSIFIER = columns_of(models.Classifier)

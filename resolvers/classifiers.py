"""Root fields that list classifiers."""

from sqlalchemy import select

from loaders import columns
from loaders.classifier import CLASSIFIERS_BY_NAME
from resolvers.paging import connection
from schema.classifier import Classifier
from schema.connection import Connection, page_of
from schema.context import Info

ALL = select(*columns.CLASSIFIER)


async def classifiers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Classifier]:
    page = page_of(info, CLASSIFIERS_BY_NAME, first, after, last, before)
    by_id = info.context.loaders.classifier_by_id
    return await connection(info, ALL, page, Classifier.from_row, lambda row: by_id.prime(row.id, row), "classifiers")

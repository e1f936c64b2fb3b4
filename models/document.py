"""Persisted documents: query texts known by their SHA-256, stored by clients (APQ) or registered as trusted.

A document is known by the SHA-256 of its text's UTF-8 bytes, in lower-case hex, exactly as the client sends
the text (Apollo's link hashes the printed query it sends; `documents add` hashes each file's text as it is).
"""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.db import Db


class PersistedDocument(Base):
    __tablename__ = "persisted_documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # lower-case hex of the text's UTF-8 bytes
    document: Mapped[str] = mapped_column(Text)
    # Registered with `python -m app documents add`: the only documents that run in allow-list mode, never evicted.
    trusted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Eviction walks the stored (untrusted) documents newest first.
    __table_args__ = (Index("ix_persisted_documents_trusted_created_at", "trusted", "created_at", "sha256"),)


# Known documents each process keeps in memory; stored ones are bounded in size, so this is too (16 MB at 16 KiB).
CACHED = 1024


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Document:
    text: str
    trusted: bool


class Documents:
    """Persisted documents by hash: a process keeps those it has seen, the database every replica's."""

    def __init__(self, *, max_bytes: int, max_stored: int) -> None:
        self.max_bytes, self.max_stored = max_bytes, max_stored
        self._cache: OrderedDict[str, Document] = OrderedDict()

    def _remember(self, sha256: str, document: Document) -> None:
        self._cache[sha256] = document
        self._cache.move_to_end(sha256)
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)

    async def find(self, db: Db, sha256: str, *, trusted: bool = False) -> Document | None:
        """The document with this hash, if any; from memory after the first time, with no statement.

        Asked for a trusted one, a document kept untrusted is read again: `documents add` may have trusted it since.
        """
        known = self._cache.get(sha256)
        if known is not None and (known.trusted or not trusted):
            self._cache.move_to_end(sha256)
            return known
        table = PersistedDocument.__table__
        row = await db.first(select(table.c.document, table.c.trusted).where(table.c.sha256 == sha256))
        if row is None:
            return None
        document = Document(row.document, row.trusted)
        self._remember(sha256, document)
        return document

    async def store(self, db: Db, sha256: str, text: str) -> bool:
        """Keep a client's document (APQ), evicting the oldest stored ones beyond the bound; False if too large."""
        if len(text.encode()) > self.max_bytes:
            return False
        table = PersistedDocument.__table__
        async with db.write() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            # Another replica may store the same document at the same moment: the first one wins, both succeed.
            await session.execute(
                dialect.insert(table)
                .values(sha256=sha256, document=text, trusted=False, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
            newest = (
                select(table.c.sha256)
                .where(table.c.trusted.is_(False))
                .order_by(table.c.created_at.desc(), table.c.sha256.desc())
                .offset(self.max_stored)
            )
            evict = delete(PersistedDocument).where(PersistedDocument.sha256.in_(newest))
            await session.execute(evict.execution_options(synchronize_session=False))
        self._remember(sha256, Document(text, trusted=False))
        return True

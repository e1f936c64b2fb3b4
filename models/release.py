"""Published versions of a package."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.package import Package


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    yanked: Mapped[bool] = mapped_column(default=False)

    package: Mapped["Package"] = relationship(back_populates="releases", lazy="raise")

    __table_args__ = (
        UniqueConstraint("package_id", "version"),
        # Serves the foreign key and Package.releases / latestRelease (newest first per package).
        Index("ix_releases_package_id_created_at_id", "package_id", "created_at", "id"),
        Index("ix_releases_created_at_id", "created_at", "id"),
        {"sqlite_autoincrement": True},  # SQLite: a deleted row's id is never handed out again
    )

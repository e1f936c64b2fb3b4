"""Published versions of a package."""

from datetime import datetime
from typing import TYPE_CHECKING

from packaging.version import Version
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import Base, UTCDateTime, name_type, utcnow
from models.version_key import KEY_LENGTH, version_key

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
    # Written with `version` (see models/version_key.py): the order PEP 440 gives, and which versions it calls equal.
    version_key: Mapped[str] = mapped_column(name_type(KEY_LENGTH))
    prerelease: Mapped[bool] = mapped_column(default=False)

    package: Mapped["Package"] = relationship(back_populates="releases", lazy="raise")

    @validates("version")
    def _with_key(self, _: str, version: str) -> str:
        """Setting the version sets what is derived from it, so no row is written without them."""
        parsed = Version(version)
        self.version_key = version_key(parsed)
        self.prerelease = parsed.is_prerelease
        return version

    __table_args__ = (
        UniqueConstraint("package_id", "version"),
        # One release per PEP 440 version (`1.0` is `1.0.0`); serves Package.releases by version and the lookups.
        Index("ix_releases_package_id_version_key", "package_id", "version_key", unique=True),
        # Serves the foreign key and Package.releases / latestRelease (newest first per package).
        Index("ix_releases_package_id_created_at_id", "package_id", "created_at", "id"),
        Index("ix_releases_created_at_id", "created_at", "id"),
        {"sqlite_autoincrement": True},  # SQLite: a deleted row's id is never handed out again
    )

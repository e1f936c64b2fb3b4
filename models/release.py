"""Published versions of a package."""

from datetime import datetime
from typing import TYPE_CHECKING

from packaging.version import Version
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, name_type, utcnow
from models.version_key import KEY_LENGTH, version_key

if TYPE_CHECKING:
    from models.package import Package


def _version(context: DefaultExecutionContext) -> Version:
    parameters: dict[str, object] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return Version(str(parameters["version"]))


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
    # Derived from `version` as every row is inserted, by the ORM or in bulk (see models/version_key.py): the
    # order PEP 440 gives, and which versions it calls equal.
    version_key: Mapped[str] = mapped_column(name_type(KEY_LENGTH), default=lambda ctx: version_key(_version(ctx)))
    prerelease: Mapped[bool] = mapped_column(default=lambda ctx: _version(ctx).is_prerelease)

    package: Mapped["Package"] = relationship(back_populates="releases", lazy="raise")

    __table_args__ = (
        UniqueConstraint("package_id", "version"),
        # One release per PEP 440 version (`1.0` is `1.0.0`); serves Package.releases by version and the lookups.
        Index("ix_releases_package_id_version_key", "package_id", "version_key", unique=True),
        # Serves the foreign key and Package.releases / latestRelease (newest first per package).
        Index("ix_releases_package_id_created_at_id", "package_id", "created_at", "id"),
        Index("ix_releases_created_at_id", "created_at", "id"),
        {"sqlite_autoincrement": True},  # SQLite: a deleted row's id is never handed out again
    )

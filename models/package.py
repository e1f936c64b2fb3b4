"""Packages and who maintains them."""

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, name_type, utcnow

if TYPE_CHECKING:
    from models.classifier import Classifier
    from models.release import Release
    from models.user import User

Role = Literal["owner", "maintainer"]


class Package(Base):
    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(name_type(200), unique=True)
    summary: Mapped[str | None] = mapped_column(String(512), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    home_page: Mapped[str | None] = mapped_column(String(2048), default=None)
    docs_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    license: Mapped[str | None] = mapped_column(String(512), default=None)
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    author_email: Mapped[str | None] = mapped_column(String(254), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    releases: Mapped[list["Release"]] = relationship(back_populates="package", lazy="raise", passive_deletes=True)
    maintainers: Mapped[list["Maintainer"]] = relationship(back_populates="package", lazy="raise", passive_deletes=True)
    classifiers: Mapped[list["Classifier"]] = relationship(
        secondary="package_classifiers", back_populates="packages", lazy="raise", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_packages_created_at_id", "created_at", "id"),
        Index("ix_packages_updated_at_id", "updated_at", "id"),
        Index("ix_packages_license", "license"),
        {"sqlite_autoincrement": True},  # SQLite: a deleted row's id is never handed out again
    )


class Maintainer(Base):
    """A user's role on a package."""

    __tablename__ = "maintainers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[Role] = mapped_column(String(20), default="maintainer")

    user: Mapped["User"] = relationship(back_populates="maintainerships", lazy="raise")
    package: Mapped[Package] = relationship(back_populates="maintainers", lazy="raise")

    __table_args__ = (CheckConstraint("role IN ('owner', 'maintainer')", name="role"),)

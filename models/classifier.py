"""Trove classifiers and their links to packages."""

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, name_type

if TYPE_CHECKING:
    from models.package import Package

package_classifiers = Table(
    "package_classifiers",
    Base.metadata,
    Column("package_id", ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True),
    Column("classifier_id", ForeignKey("classifiers.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Classifier(Base):
    __tablename__ = "classifiers"
    __table_args__ = ({"sqlite_autoincrement": True},)  # SQLite: a deleted row's id is never handed out again

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(name_type(255), unique=True)

    packages: Mapped[list["Package"]] = relationship(
        secondary=package_classifiers, back_populates="classifiers", lazy="raise", passive_deletes=True
    )

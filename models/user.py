"""Accounts."""

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, name_type, utcnow

if TYPE_CHECKING:
    from models.package import Maintainer


def new_token_key() -> str:
    return secrets.token_urlsafe(24)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(name_type(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    profile_image_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Every token names it: no other account ever has it, so a token outlives its account only as an invalid one.
    token_key: Mapped[str] = mapped_column(String(64), unique=True, default=new_token_key)

    maintainerships: Mapped[list["Maintainer"]] = relationship(
        back_populates="user", lazy="raise", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_users_name_id", "name", "id"),
        {"sqlite_autoincrement": True},  # SQLite: a deleted row's id is never handed out again
    )

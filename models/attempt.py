"""Sign-in attempts counted per client address and per email, in the database so that every replica shares them."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuthAttempt(Base):
    """How many `login`/`register` calls one key made in its current fixed window (see resolvers/attempts.py)."""

    __tablename__ = "auth_attempts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a SHA-256 of what is counted, never the email
    window_start: Mapped[int] = mapped_column(BigInteger, index=True)  # Unix seconds; older windows are pruned
    attempts: Mapped[int]

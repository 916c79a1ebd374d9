from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    INTAKE = "intake"  # a mail gateway: may only hand over incoming email (POST /api/v1/inbound/email)


class StaffUser(Base):
    __tablename__ = "staff_user"
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    role: Mapped[Role] = mapped_column(str_enum(Role, 20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    tokens: Mapped[list[StaffToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class StaffToken(Base):
    """A bearer token of a staff user; only the SHA-256 of the token is stored, and its first characters
    (``prefix``) so that people can tell their tokens apart."""

    __tablename__ = "staff_token"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # To the minute at best: a token's use writes this at most once a minute (auth.service).
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    user: Mapped[StaffUser] = relationship(back_populates="tokens")

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum


class OrganisationKind(enum.StrEnum):
    GOVERNMENT = "government"
    PUBLIC_AGENCY = "public_agency"
    SOCIAL_SERVICE = "social_service"
    NGO = "ngo"
    PRIVATE_SECTOR = "private_sector"
    INTERNATIONAL = "international"
    ACADEMIA = "academia"
    OTHER = "other"


class Language(enum.StrEnum):
    AZ = "az"
    RU = "ru"
    EN = "en"
    FR = "fr"


class Organisation(Base):
    __tablename__ = "organisation"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind), index=True)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    website: Mapped[str | None] = mapped_column(String(500), default=None)


# Organisations are matched by name regardless of case ("State Migration Service" == "state migration service").
Index("uq_organisation_name_lower", func.lower(Organisation.name), unique=True)


group_member = Table(
    "group_member",
    Base.metadata,
    Column("group_id", ForeignKey("person_group.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Person(Base):
    __tablename__ = "person"

    full_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    organisation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True, default=None
    )
    position: Mapped[str | None] = mapped_column(String(300), default=None)
    language: Mapped[Language] = mapped_column(str_enum(Language, 2), default=Language.EN)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Reminders and digests stop when the person unsubscribes (List-Unsubscribe); all mail stops after
    # a hard bounce until an organiser clears it.
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    bounced_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    bounce_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Set when an admin erased the person's data (consult.privacy): no mail reaches them again.
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class PersonGroup(Base):
    """A named set of people, e.g. "Strategy working group"."""

    __tablename__ = "person_group"

    name: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[list[Person]] = relationship(secondary=group_member, lazy="raise")


class PersonLink(Base):
    """A link to a person's own page (``/p/<token>``), in the footer of every email to them. Only the
    digest is stored; it shows that person's invitations, rounds and comments, nothing else."""

    __tablename__ = "person_link"

    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))

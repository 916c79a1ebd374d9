from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, str_enum


class ActorKind(enum.StrEnum):
    STAFF = "staff"  # a staff user's bearer token
    STAKEHOLDER = "stakeholder"  # a person through one of their personal links
    INTAKE = "intake"  # incoming email: the mail gateway's token, or the worker processing the mail
    SYSTEM = "system"  # the workers' own schedule, the command line
    ANONYMOUS = "anonymous"  # a request without a principal whose handler named no one


class AuditEntry(Base):
    """One row written, changed or deleted (or one bulk statement), by whom and from where.

    ``fields`` names the columns that changed; ``changes`` holds their old and new values only for
    changes staff made (``{"name": {"old": ..., "new": ...}}``): what stakeholders write is personal,
    and kept where it belongs (comments keep their own history). ``created_at`` is the time.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
        Index("ix_audit_entry_actor", "actor_id"),
        Index("ix_audit_entry_created_at", "created_at"),
    )

    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, 20))
    actor_id: Mapped[UUID | None] = mapped_column(default=None)  # staff user or person
    actor_label: Mapped[str] = mapped_column(String(320), default="")  # a staff user's email
    address: Mapped[str | None] = mapped_column(String(64), default=None)  # the client's IP address
    entity_type: Mapped[str] = mapped_column(String(64))  # the table's name
    entity_id: Mapped[UUID | None] = mapped_column(default=None)  # None for a bulk statement
    action: Mapped[str] = mapped_column(String(32))  # create, update, delete
    fields: Mapped[list[str]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), default=list)
    changes: Mapped[dict[str, Any] | None] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=None
    )

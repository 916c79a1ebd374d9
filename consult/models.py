"""Imports every domain's models so the metadata (Alembic, tests) sees all tables."""

from consult.auth.models import StaffToken, StaffUser
from consult.db import Base
from consult.directory.models import Organisation, Person, PersonGroup, group_member
from consult.events.models import AgendaItem, Consultation, Event

__all__ = [
    "AgendaItem",
    "Base",
    "Consultation",
    "Event",
    "Organisation",
    "Person",
    "PersonGroup",
    "StaffToken",
    "StaffUser",
    "group_member",
]

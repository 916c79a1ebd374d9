"""Imports every domain's models so the metadata (Alembic, tests) sees all tables."""

from consult.auth.models import StaffToken, StaffUser
from consult.db import Base
from consult.directory.models import Organisation, Person, PersonGroup, group_member
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.events.models import AgendaItem, Consultation, Event
from consult.invitations.models import Invitation, ReminderSent, RsvpLink
from consult.mail.models import OutboundEmail

__all__ = [
    "AgendaItem",
    "Base",
    "Consultation",
    "Document",
    "DocumentSection",
    "DocumentVersion",
    "Event",
    "Invitation",
    "Organisation",
    "OutboundEmail",
    "Person",
    "PersonGroup",
    "ReminderSent",
    "RsvpLink",
    "StaffToken",
    "StaffUser",
    "group_member",
]

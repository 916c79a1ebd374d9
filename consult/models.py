"""Imports every domain's models so the metadata (Alembic, tests) sees all tables."""

from consult.attendance.models import EventAttendance
from consult.audit.models import AuditEntry
from consult.auth.models import StaffToken, StaffUser
from consult.claims import WorkerHeartbeat
from consult.db import Base
from consult.directory.models import Organisation, Person, PersonGroup, group_member
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.events.models import AgendaItem, Consultation, Event
from consult.exports.models import ExportJob
from consult.inbound.models import InboundMessage
from consult.invitations.models import Invitation, ReminderSent, RsvpLink
from consult.mail.models import OutboundEmail, ReplyToken
from consult.polls.models import (
    PollAnswer,
    PollInvitee,
    PollLink,
    PollRequiredOrganisation,
    PollSlot,
    SchedulingPoll,
)
from consult.questionnaires.models import (
    Questionnaire,
    QuestionnaireInvitee,
    QuestionnaireLink,
    QuestionnaireResponse,
    QuestionnaireResponseChange,
    QuestionnaireTally,
    QuestionnaireVersion,
)
from consult.rounds.models import (
    Comment,
    CommentAttachment,
    CommentRevision,
    CommentRound,
    ModerationEntry,
    ReplyNotice,
    RoundInvitee,
    RoundLink,
)

__all__ = [
    "AgendaItem",
    "AuditEntry",
    "Base",
    "Comment",
    "CommentAttachment",
    "CommentRevision",
    "CommentRound",
    "Consultation",
    "Document",
    "DocumentSection",
    "DocumentVersion",
    "Event",
    "EventAttendance",
    "ExportJob",
    "InboundMessage",
    "Invitation",
    "ModerationEntry",
    "Organisation",
    "OutboundEmail",
    "Person",
    "PersonGroup",
    "PollAnswer",
    "PollInvitee",
    "PollLink",
    "PollRequiredOrganisation",
    "PollSlot",
    "Questionnaire",
    "QuestionnaireInvitee",
    "QuestionnaireLink",
    "QuestionnaireResponse",
    "QuestionnaireResponseChange",
    "QuestionnaireTally",
    "QuestionnaireVersion",
    "ReminderSent",
    "ReplyNotice",
    "ReplyToken",
    "RoundInvitee",
    "RoundLink",
    "RsvpLink",
    "SchedulingPoll",
    "StaffToken",
    "StaffUser",
    "WorkerHeartbeat",
    "group_member",
]

"""A person's rights over their data (GDPR articles 15, 17, 20): a copy of everything held about them,
and its erasure.

Erasure keeps what the consultation needs as a record (their comments, attributed to their
organisation or to "a participant"; their answers to invitations; their attendance, for the counts)
and removes what identifies them: their name and address, raw mail from them, files they sent, the
earlier texts of their comments, every link and reply token that acts as them. Their name and address
are also cut out of the texts that quote them (a signature in a comment, a bounce's error line).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio.to_thread
import msgspec
from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consult.attendance.models import EventAttendance
from consult.audit.service import forget_values, forget_values_mentioning
from consult.crud import get_or_404
from consult.directory.links import revoke_person_links
from consult.directory.models import Organisation, Person, PersonGroup, PersonLink, group_member
from consult.events.models import Event
from consult.exports.models import ExportJob
from consult.inbound.models import InboundMessage, InboundOutcome, InboundState
from consult.invitations.models import Invitation, RsvpLink
from consult.mail.models import OutboundEmail, OutboxState, ReplyToken
from consult.polls.links import revoke_poll_links
from consult.polls.models import PollAnswer, PollInvitee, PollLink, PollSlot, SchedulingPoll
from consult.privacy.retention import forget_export_files
from consult.questionnaires.links import revoke_questionnaire_links
from consult.questionnaires.models import (
    QuestionnaireInvitee,
    QuestionnaireLink,
    QuestionnaireResponse,
    QuestionnaireResponseChange,
)
from consult.rounds.models import (
    Attribution,
    Comment,
    CommentAttachment,
    CommentRevision,
    CommentRound,
    ModerationEntry,
    RoundInvitee,
    RoundLink,
)
from consult.settings import Settings

ERASED_NAME = "Erased participant"
ERASED_TEXT = "[erased]"
# A reserved top-level domain (RFC 2606): the address is unique (the column is) and reaches nobody.
ERASED_EMAIL_DOMAIN = "erased.invalid"


def erased_email(person_id: UUID) -> str:
    return f"erased-{person_id.hex}@{ERASED_EMAIL_DOMAIN}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fields(row: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


# What the copy shows of each row (tokens: never their digests).
_PERSON_FIELDS = (
    "id", "full_name", "email", "position", "language", "timezone", "unsubscribed_at", "bounced_at",
    "bounce_reason", "erased_at", "created_at", "updated_at",
)  # fmt: skip
_INVITATION_FIELDS = (
    "id", "event_id", "role", "rsvp", "responded_at", "waitlisted_at", "withdrawn_at", "delivery_state",
    "last_sent_at",
)  # fmt: skip
_COMMENT_FIELDS = (
    "id", "round_id", "section_key", "parent_id", "kind", "body", "quote", "proposed_text", "attribution",
    "on_behalf_of_organisation_id", "created_at", "edited_at", "withdrawn_at", "hidden_at", "hidden_reason",
    "decision", "rationale", "responded_at",
)  # fmt: skip
_LINK_FIELDS = ("id", "created_at", "expires_at")


# --- the copy (article 15) --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataFile:
    """A file held about the person, stored in the archive under ``path``."""

    path: str
    content: bytes


@dataclass(frozen=True)
class PersonalData:
    data: dict[str, Any]
    files: list[DataFile]


_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def _archive_name(folder: str, row_id: UUID, filename: str) -> str:
    """The id keeps names unique; the rest of the name is the original, without path parts."""
    safe = _UNSAFE_NAME.sub("_", Path(filename).name).strip(" .") or "file"
    return f"files/{folder}/{row_id}-{safe}"


def _inbound_of(person: Person, outbound_ids: Sequence[UUID]) -> ColumnElement[bool]:
    """Incoming mail about the person: from them, matched to them, or a bounce of an email to them."""
    return or_(
        InboundMessage.person_id == person.id,
        func.lower(InboundMessage.from_address) == person.email,
        InboundMessage.outbound_email_id.in_(outbound_ids) if outbound_ids else false(),
    )


class PrivacyService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def _outbound_ids(self, person_id: UUID) -> list[UUID]:
        return list(
            await self.session.scalars(select(OutboundEmail.id).where(OutboundEmail.person_id == person_id))
        )

    async def _comment_ids(self, person_id: UUID) -> list[UUID]:
        return list(await self.session.scalars(select(Comment.id).where(Comment.author_id == person_id)))

    async def _with_event_title(
        self, model: type[Invitation] | type[EventAttendance], person_id: UUID
    ) -> list[tuple[Any, str]]:
        """The person's rows of ``model`` (invitations, attendance), each with its event's title."""
        rows = await self.session.execute(
            select(model, Event.title)
            .join(Event, Event.id == model.event_id)
            .where(model.person_id == person_id)
            .order_by(model.created_at)
        )
        return [(row, title) for row, title in rows.tuples()]

    async def personal_data(self, person_id: UUID) -> PersonalData:
        """Everything held about the person; tokens as metadata only (only their digests are stored)."""
        session = self.session
        person = await get_or_404(session, Person, person_id, "person")
        organisation = (
            await session.get(Organisation, person.organisation_id) if person.organisation_id else None
        )
        groups = await session.scalars(
            select(PersonGroup)
            .join(group_member, group_member.c.group_id == PersonGroup.id)
            .where(group_member.c.person_id == person_id)
            .order_by(PersonGroup.name)
        )
        invitations = await self._with_event_title(Invitation, person_id)
        invitation_ids = [invitation.id for invitation, _ in invitations]
        rsvp_links = await session.scalars(
            select(RsvpLink).where(RsvpLink.invitation_id.in_(invitation_ids)).order_by(RsvpLink.created_at)
        )
        poll_invitations = (
            await session.execute(
                select(PollInvitee, SchedulingPoll.title)
                .join(SchedulingPoll, SchedulingPoll.id == PollInvitee.poll_id)
                .where(PollInvitee.person_id == person_id)
                .order_by(PollInvitee.created_at)
            )
        ).all()
        poll_answers: dict[UUID, list[dict[str, Any]]] = {invitee.id: [] for invitee, _ in poll_invitations}
        for answer, starts_at in await session.execute(
            select(PollAnswer, PollSlot.starts_at)
            .join(PollSlot, PollSlot.id == PollAnswer.slot_id)
            .where(PollAnswer.invitee_id.in_(poll_answers))
            .order_by(PollSlot.starts_at)
        ):
            poll_answers[answer.invitee_id].append(
                {"slot_starts_at": starts_at, "answer": answer.answer, "answered_at": answer.updated_at}
            )
        poll_links = await session.scalars(
            select(PollLink).where(PollLink.invitee_id.in_(poll_answers)).order_by(PollLink.created_at)
        )
        round_invitations = (
            await session.execute(
                select(RoundInvitee, CommentRound.title)
                .join(CommentRound, CommentRound.id == RoundInvitee.round_id)
                .where(RoundInvitee.person_id == person_id)
                .order_by(RoundInvitee.created_at)
            )
        ).all()
        person_links = await session.scalars(
            select(PersonLink).where(PersonLink.person_id == person_id).order_by(PersonLink.created_at)
        )
        round_links = await session.scalars(
            select(RoundLink)
            .where(RoundLink.invitee_id.in_([invitee.id for invitee, _ in round_invitations]))
            .order_by(RoundLink.created_at)
        )
        comments = list(
            await session.scalars(
                select(Comment).where(Comment.author_id == person_id).order_by(Comment.created_at)
            )
        )
        comment_ids = [comment.id for comment in comments]
        revisions = await session.scalars(
            select(CommentRevision)
            .where(CommentRevision.comment_id.in_(comment_ids))
            .order_by(CommentRevision.number)
        )
        moderation = await session.scalars(
            select(ModerationEntry)
            .where(ModerationEntry.comment_id.in_(comment_ids))
            .order_by(ModerationEntry.created_at)
        )
        attachments = list(
            await session.scalars(
                select(CommentAttachment)
                .where(CommentAttachment.comment_id.in_(comment_ids))
                .order_by(CommentAttachment.created_at)
            )
        )
        outbound = list(
            await session.scalars(
                select(OutboundEmail)
                .where(OutboundEmail.person_id == person_id)
                .order_by(OutboundEmail.created_at)
            )
        )
        inbound = list(
            await session.scalars(
                select(InboundMessage)
                .where(_inbound_of(person, [row.id for row in outbound]))
                .order_by(InboundMessage.created_at)
            )
        )
        attendance = await self._with_event_title(EventAttendance, person_id)
        reply_tokens = await session.scalars(
            select(ReplyToken).where(ReplyToken.person_id == person_id).order_by(ReplyToken.created_at)
        )
        questionnaire_invitations = list(
            await session.scalars(
                select(QuestionnaireInvitee)
                .where(QuestionnaireInvitee.person_id == person_id)
                .order_by(QuestionnaireInvitee.created_at)
            )
        )
        questionnaire_links = await session.scalars(
            select(QuestionnaireLink)
            .where(QuestionnaireLink.invitee_id.in_([invitee.id for invitee in questionnaire_invitations]))
            .order_by(QuestionnaireLink.created_at)
        )
        # Their own answers (mode per_person), and what they changed in their organisation's.
        questionnaire_answers = await session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.person_id == person_id)
            .order_by(QuestionnaireResponse.created_at)
        )
        questionnaire_changes = await session.scalars(
            select(QuestionnaireResponseChange)
            .where(QuestionnaireResponseChange.person_id == person_id)
            .order_by(QuestionnaireResponseChange.created_at)
        )

        by_comment: dict[UUID, dict[str, list[dict[str, Any]]]] = {
            comment_id: {"revisions": [], "moderation": [], "attachments": []} for comment_id in comment_ids
        }
        for revision in revisions:
            by_comment[revision.comment_id]["revisions"].append(
                _fields(revision, "number", "kind", "body", "quote", "proposed_text", "attribution")
                | {"replaced_at": revision.created_at}
            )
        for entry in moderation:
            by_comment[entry.comment_id]["moderation"].append(
                _fields(entry, "action", "reason") | {"at": entry.created_at}
            )
        files = []
        for attachment in attachments:
            path = _archive_name("attachments", attachment.id, attachment.filename)
            files.append(DataFile(path, attachment.data))
            by_comment[attachment.comment_id]["attachments"].append(
                _fields(attachment, "id", "filename", "content_type", "size") | {"file": path}
            )
        inbound_out = []
        for message in inbound:
            # Emptied once the retention period is over (consult.privacy.retention).
            raw_path = _archive_name("inbound", message.id, "message.eml") if message.raw else None
            if raw_path:
                files.append(DataFile(raw_path, message.raw))
            inbound_out.append(
                _fields(message, "id", "from_address", "subject", "source", "state", "outcome", "reason")
                | {"received_at": message.created_at, "comment_id": message.comment_id, "file": raw_path}
            )

        data = {
            "generated_at": _now(),
            "person": _fields(person, *_PERSON_FIELDS)
            | {"organisation": _fields(organisation, "id", "name", "kind") if organisation else None},
            "groups": [_fields(group, "id", "name") for group in groups],
            "event_invitations": [
                _fields(invitation, *_INVITATION_FIELDS)
                | {"event_title": title, "invited_at": invitation.created_at}
                for invitation, title in invitations
            ],
            "round_invitations": [
                {"id": invitee.id, "round_id": invitee.round_id, "round_title": title}
                | {"invited_at": invitee.created_at, "opening_email_queued_at": invitee.opening_queued_at}
                for invitee, title in round_invitations
            ],
            "scheduling_polls": [
                {"poll_id": invitee.poll_id, "poll_title": title, "invited_at": invitee.created_at}
                | {"answers": poll_answers[invitee.id]}
                for invitee, title in poll_invitations
            ],
            "comments": [_fields(comment, *_COMMENT_FIELDS) | by_comment[comment.id] for comment in comments],
            # Emails are rendered when sent and not kept: what was sent, when, and what became of it.
            "emails_sent": [
                _fields(row, "id", "kind", "state", "sent_at", "last_error") | {"queued_at": row.created_at}
                for row in outbound
            ],
            "inbound_messages": inbound_out,
            "attendance": [
                _fields(row, "event_id", "source", "checked_in_at", "minutes")
                | {"event_title": title, "recorded_at": row.created_at}
                for row, title in attendance
            ],
            "questionnaires": {
                "invitations": [
                    _fields(invitee, "id", "questionnaire_id", "organisation_id", "invitation_queued_at")
                    | {"invited_at": invitee.created_at}
                    for invitee in questionnaire_invitations
                ],
                "answers": [
                    _fields(answer, "id", "questionnaire_id", "version_id", "status", "submitted_at")
                    | _fields(answer, "attribution", "answers")
                    for answer in questionnaire_answers
                ],
                "changes": [
                    _fields(change, "response_id", "action", "revision", "changed_keys")
                    | {"at": change.created_at}
                    for change in questionnaire_changes
                ],
            },
            "links": {
                "rsvp": [_fields(link, "invitation_id", *_LINK_FIELDS) for link in rsvp_links],
                "questionnaire": [_fields(link, "invitee_id", *_LINK_FIELDS) for link in questionnaire_links],
                "round": [_fields(link, "invitee_id", *_LINK_FIELDS) for link in round_links],
                "personal_page": [_fields(link, *_LINK_FIELDS) for link in person_links],
                "poll": [_fields(link, "invitee_id", *_LINK_FIELDS) for link in poll_links],
                "reply_tokens": [
                    _fields(token, "round_id", "comment_id", "invitation_id", *_LINK_FIELDS)
                    for token in reply_tokens
                ],
            },
        }
        return PersonalData(data=data, files=files)

    async def archive(self, person_id: UUID) -> bytes:
        """The copy as a ZIP: ``data.json`` and the files under ``files/``, built off the event loop."""
        found = await self.personal_data(person_id)
        return await anyio.to_thread.run_sync(zip_archive, found)

    # --- erasure (article 17) -----------------------------------------------------------------------

    async def erase(self, person_id: UUID) -> Person:
        """Anonymise the person and remove what identifies them; a second call changes nothing."""
        session = self.session
        person = await get_or_404(session, Person, person_id, "person")
        if person.erased_at is not None:
            return person
        now = _now()
        identifiers = [person.full_name, person.email]
        comment_ids = await self._comment_ids(person_id)
        outbound_ids = await self._outbound_ids(person_id)
        invitee_ids = list(
            await session.scalars(select(RoundInvitee.id).where(RoundInvitee.person_id == person_id))
        )
        round_ids = set(
            await session.scalars(select(RoundInvitee.round_id).where(RoundInvitee.person_id == person_id))
        ) | set(await session.scalars(select(Comment.round_id).where(Comment.author_id == person_id)))

        # Their comments stay, shown as their organisation's, or anonymous ("a participant").
        shown_as = Attribution.ORGANISATION if person.organisation_id else Attribution.ANONYMOUS
        await session.execute(
            update(Comment)
            .where(Comment.author_id == person_id, Comment.attribution == Attribution.NAMED)
            .values(attribution=shown_as)
        )
        await session.execute(delete(CommentRevision).where(CommentRevision.comment_id.in_(comment_ids)))
        await session.execute(delete(CommentAttachment).where(CommentAttachment.comment_id.in_(comment_ids)))
        await session.execute(
            update(InboundMessage)
            .where(_inbound_of(person, outbound_ids))
            .values(
                raw=b"",
                from_address=None,
                subject=None,
                reason="erased",
                state=InboundState.DONE,
                outcome=InboundOutcome.IGNORED,
            )
            .execution_options(synchronize_session=False)
        )
        # Every credential that acts as them stops working.
        await session.execute(delete(RoundLink).where(RoundLink.invitee_id.in_(invitee_ids)))
        await session.execute(
            delete(RsvpLink).where(
                RsvpLink.invitation_id.in_(select(Invitation.id).where(Invitation.person_id == person_id))
            )
        )
        await session.execute(delete(ReplyToken).where(ReplyToken.person_id == person_id))
        await revoke_questionnaire_links(session, person_id)
        await revoke_person_links(session, person_id)
        await revoke_poll_links(session, person_id)
        await session.execute(delete(group_member).where(group_member.c.person_id == person_id))
        await session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(outbound_ids), OutboundEmail.state == OutboxState.PENDING)
            .values(state=OutboxState.SUPPRESSED, last_error="not sent: the person's data was erased")
        )
        await self._cut_out(identifiers)
        # Files exported before today may name them; the jobs stay, without a file.
        jobs = await session.scalars(
            select(ExportJob).where(ExportJob.round_id.in_(round_ids), ExportJob.file_path.is_not(None))
        )
        await anyio.to_thread.run_sync(forget_export_files, list(jobs), self.settings)

        person.full_name = ERASED_NAME
        person.email = erased_email(person.id)
        person.position = None
        person.bounce_reason = None
        person.erased_at = now
        # The audit log keeps that an erasure happened, not the values it erased.
        await forget_values(session, "person", person.id)
        await forget_values_mentioning(session, identifiers)
        return person

    async def _cut_out(self, identifiers: Sequence[str]) -> None:
        """Replace the name and address wherever a text quotes them (any case)."""
        pattern = re.compile("|".join(re.escape(i) for i in identifiers if i), re.IGNORECASE)
        for model, columns in _TEXTS:
            found = or_(*(column.ilike(f"%{i}%") for column in columns for i in identifiers if i))
            for row in await self.session.scalars(select(model).where(found)):
                for column in columns:
                    value = getattr(row, column.key)
                    if value:
                        setattr(row, column.key, pattern.sub(ERASED_TEXT, value))


# Texts that may quote a person's name or address: a comment's signature or greeting, an error line.
_TEXTS: list[tuple[type[Any], list[Any]]] = [
    (
        Comment,
        [Comment.body, Comment.quote, Comment.proposed_text, Comment.rationale, Comment.hidden_reason],
    ),
    (CommentRevision, [CommentRevision.body, CommentRevision.quote, CommentRevision.proposed_text]),
    (OutboundEmail, [OutboundEmail.last_error]),
    (Invitation, [Invitation.delivery_error]),
    (InboundMessage, [InboundMessage.reason]),
    (ModerationEntry, [ModerationEntry.reason]),
]


def zip_archive(found: PersonalData) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", msgspec.json.format(msgspec.json.encode(found.data), indent=2))
        for file in found.files:
            archive.writestr(file.path, file.content)
    return buffer.getvalue()

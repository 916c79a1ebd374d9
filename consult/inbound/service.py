"""What an incoming message becomes: a comment, an RSVP, a bounce on a delivery, an unsubscription,
or nothing (logged); a message that could not be recorded gets one polite answer.

Storing is the API's job (``store``); processing runs in a worker (``process``), in one transaction
per message that also marks it done, so a retry or a second delivery of the task changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid_utils.compat import uuid7

from consult.audit.recording import INTAKE, act_as
from consult.auth.principals import StakeholderPrincipal
from consult.auth.tokens import token_digest
from consult.claims import due_for_relay
from consult.db import async_session_factory, create_api_engine
from consult.directory.models import Person
from consult.errors import ConsultError
from consult.events.models import Event
from consult.inbound.models import InboundMessage, InboundOutcome, InboundState
from consult.inbound.parsing import (
    Attachment,
    Bounce,
    CalendarReply,
    Parsed,
    content_hash,
    header,
    parse,
    read_message,
)
from consult.invitations.models import DeliveryState, Invitation, Rsvp
from consult.invitations.service import InvitationService
from consult.jobs import defer
from consult.mail.compose import OutgoingEmail, new_message_id, render_message
from consult.mail.i18n import best_language
from consult.mail.letters import write_letter
from consult.mail.models import OutboundEmail, OutboxState, ReplyToken
from consult.mail.replies import person_of_unsubscribe_token
from consult.mail.smtp import Result, SmtpConfig, deliver
from consult.rounds import schemas as round_schemas
from consult.rounds.links import new_round_link
from consult.rounds.models import CommentAttachment, CommentRound, CommentSource, RoundInvitee
from consult.rounds.service import is_open
from consult.rounds.writing import WritingService
from consult.settings import Settings
from consult.types import COMMENT_MAX_LENGTH
from consult.word.importing import WordImportService, is_word_file

logger = logging.getLogger(__name__)

PROCESS_TASK = "consult.process_inbound"
MAX_ATTEMPTS = 3
_PARTSTAT = {answer.partstat: answer for answer in Rsvp if answer is not Rsvp.NEEDS_ACTION}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def attachment_filename(raw: str, number: int = 1) -> str:
    """A name a file can be saved under: the last part of a path, without control characters; one
    that would say nothing or name a directory (empty, ``.``, ``..``) becomes ``attachment-N.bin``."""
    name = "".join(c for c in raw if c.isprintable()).replace("\\", "/").rpartition("/")[2].strip()
    return name if name.strip(".") else f"attachment-{number}.bin"


# --- the API side: keep the message, once -------------------------------------------------------------


async def store(session: AsyncSession, raw: bytes, source: str = "http") -> tuple[InboundMessage, bool]:
    """The stored message and whether it had been stored before (same Message-ID, or same content).
    A new message goes to the workers once the session commits."""
    digest = content_hash(raw)
    message = read_message(raw)
    message_id = header(message, "Message-ID")[:1000] or None
    key = message_id or f"sha256:{digest}"
    existing = await session.scalar(select(InboundMessage).where(InboundMessage.dedupe_key == key))
    if existing is not None:
        return existing, True
    row = InboundMessage(
        id=uuid7(),
        dedupe_key=key,
        message_id=message_id,
        content_hash=digest,
        raw=raw,
        size=len(raw),
        from_address=header(message, "From")[:320] or None,
        subject=header(message, "Subject")[:1000] or None,
        source=source,
        dispatched_at=_now(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # stored by a concurrent request in the meantime
        found = await session.scalar(select(InboundMessage).where(InboundMessage.dedupe_key == key))
        if found is None:
            raise
        return found, True
    defer(session, PROCESS_TASK, str(row.id))
    return row, False


# --- the worker side -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    to: str
    reason: str
    language: str
    person_name: str | None
    link: str | None
    subject: str
    in_reply_to: str | None


class Intake:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.answer: Answer | None = None

    async def handle(self, row: InboundMessage) -> None:
        parsed = parse(row.raw)
        row.from_address = parsed.from_address
        if parsed.bounce is not None:  # before the auto-reply filter: DSNs are automatic mail too
            await self._bounce(row, parsed.bounce)
        elif parsed.auto_reply is not None:
            self._done(row, InboundOutcome.AUTO_REPLY, parsed.auto_reply)
        elif parsed.calendar is not None:
            await self._calendar(row, parsed, parsed.calendar)
        elif parsed.unsubscribe_token is not None:
            await self._unsubscribe(row, parsed.unsubscribe_token)
        elif parsed.reply_token is not None:
            await self._reply(row, parsed, parsed.reply_token)
        else:
            self._done(row, InboundOutcome.IGNORED, "not addressed to a reply, bounce or unsubscribe address")

    def _done(self, row: InboundMessage, outcome: InboundOutcome, reason: str) -> None:
        row.outcome = outcome
        row.reason = reason[:4000]

    async def _reject(
        self,
        row: InboundMessage,
        parsed: Parsed,
        code: str,
        reason: str,
        person: Person | None = None,
        link: str | None = None,
    ) -> None:
        """Not recorded; the sender hears why (once), unless we answered that address within the hour."""
        self._done(row, InboundOutcome.REJECTED, reason)
        row.answer_reason = code
        to = parsed.from_address
        if not to or to.rpartition("@")[2] == self.settings.mail.domain:
            return
        recent = await self.session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.from_address == to,
                InboundMessage.answered_at > _now() - dt.timedelta(hours=1),
            )
        )
        if recent is not None:
            return
        if person is None:
            person = await self.session.scalar(select(Person).where(Person.email == to))
        row.answered_at = _now()
        self.answer = Answer(
            to=to,
            reason=code,
            language=best_language(person.language.value if person else None),
            person_name=person.full_name if person else (parsed.from_name or None),
            link=link,
            subject=parsed.subject,
            in_reply_to=parsed.message_id,
        )

    async def _bounce(self, row: InboundMessage, bounce: Bounce) -> None:
        outbound = None
        if bounce.verp_id is not None:
            outbound = await self.session.get(OutboundEmail, bounce.verp_id)
        if outbound is None and bounce.original_message_id:
            outbound = await self.session.scalar(
                select(OutboundEmail).where(OutboundEmail.message_id == bounce.original_message_id)
            )
        detail = " ".join(filter(None, [bounce.status, bounce.diagnostic])) or "bounced"
        if outbound is None:
            self._done(row, InboundOutcome.BOUNCE, f"bounce for no delivery we know: {detail}")
            return
        row.outbound_email_id = outbound.id
        row.person_id = outbound.person_id
        row.invitation_id = outbound.invitation_id
        if bounce.action in {"delayed", "delivered", "relayed", "expanded"}:
            self._done(row, InboundOutcome.BOUNCE, f"delivery {bounce.action}: {detail}")
            return
        outbound.state = OutboxState.BOUNCED
        outbound.last_error = f"bounced: {detail}"[:2000]
        if outbound.invitation_id is not None:
            await self.session.execute(
                update(Invitation)
                .where(Invitation.id == outbound.invitation_id)
                .values(delivery_state=DeliveryState.BOUNCED, delivery_error=outbound.last_error)
            )
        hard = bounce.permanent and outbound.person_id is not None
        if hard:
            person = await self.session.get(Person, outbound.person_id)
            if person is not None:
                person.bounced_at = _now()
                person.bounce_reason = detail[:2000]
        kind = "hard" if hard else "soft"
        self._done(row, InboundOutcome.BOUNCE, f"{kind} bounce of {outbound.kind.value} email: {detail}")

    async def _calendar(self, row: InboundMessage, parsed: Parsed, reply: CalendarReply) -> None:
        event = await self.session.scalar(select(Event).where(Event.ical_uid == reply.uid))
        if event is None:
            await self._reject(
                row, parsed, "calendar", f"calendar reply for an unknown event UID {reply.uid!r}"
            )
            return
        if not reply.attendee or reply.attendee != parsed.from_address:
            await self._reject(
                row, parsed, "calendar", f"ATTENDEE {reply.attendee} is not the sender {parsed.from_address}"
            )
            return
        invitation = await self.session.scalar(
            select(Invitation)
            .join(Person, Person.id == Invitation.person_id)
            .where(
                Invitation.event_id == event.id,
                Person.email == reply.attendee,
                Invitation.withdrawn_at.is_(None),
            )
        )
        if invitation is None:
            await self._reject(row, parsed, "calendar", f"{reply.attendee} is not invited to {event.title!r}")
            return
        row.person_id, row.invitation_id = invitation.person_id, invitation.id
        if reply.sequence > event.ical_sequence:
            self._done(
                row,
                InboundOutcome.REJECTED,
                f"suspicious: answers SEQUENCE {reply.sequence}, we sent {event.ical_sequence}",
            )
            return
        if reply.sequence < invitation.answer_sequence:
            self._done(
                row,
                InboundOutcome.REJECTED,
                f"outdated: answers SEQUENCE {reply.sequence}, but the time or place changed since "
                f"(SEQUENCE {invitation.answer_sequence}); the answer was not applied",
            )
            return
        response = _PARTSTAT.get(reply.partstat or "")
        if response is None:
            self._done(row, InboundOutcome.IGNORED, f"calendar reply with PARTSTAT {reply.partstat}")
            return
        try:
            result = await InvitationService(self.session, self.settings).respond_to(invitation, response)
        except ConsultError as exc:
            self._done(row, InboundOutcome.REJECTED, f"calendar reply not recorded: {exc.detail}")
            return
        waiting = " (waiting list)" if result.invitation.waitlisted_at is not None else ""
        self._done(
            row,
            InboundOutcome.RSVP,
            f"{response.value}{waiting} by calendar reply, SEQUENCE {reply.sequence}",
        )

    async def _unsubscribe(self, row: InboundMessage, token: str) -> None:
        person_id = person_of_unsubscribe_token(self.settings, token)
        person = await self.session.get(Person, person_id) if person_id else None
        if person is None:
            self._done(row, InboundOutcome.IGNORED, "unsubscribe address with an invalid token")
            return
        row.person_id = person.id
        person.unsubscribed_at = person.unsubscribed_at or _now()
        self._done(row, InboundOutcome.UNSUBSCRIBED, "unsubscribed from reminders and digests by email")

    async def _invitee(self, round_: CommentRound, person: Person) -> RoundInvitee | None:
        return await self.session.scalar(
            select(RoundInvitee).where(
                RoundInvitee.round_id == round_.id, RoundInvitee.person_id == person.id
            )
        )

    async def _fresh_link(self, round_: CommentRound, person: Person) -> str | None:
        if not is_open(round_):
            return None
        invitee = await self._invitee(round_, person)
        if invitee is None:
            return None
        return await self.session.run_sync(lambda s: new_round_link(s, invitee, round_, self.settings))

    async def _reply(self, row: InboundMessage, parsed: Parsed, token_text: str) -> None:
        token = await self.session.scalar(
            select(ReplyToken).where(ReplyToken.token_hash == token_digest(token_text))
        )
        if token is None:
            await self._reject(row, parsed, "unknown_token", "unknown reply address")
            return
        person = await self.session.get(Person, token.person_id)
        assert person is not None  # the foreign key cascades
        row.person_id = person.id
        if parsed.from_address != person.email:
            await self._reject(
                row,
                parsed,
                "sender_mismatch",
                f"sent from {parsed.from_address}, the token is {person.email}'s",
            )
            return
        round_ = await self.session.get(CommentRound, token.round_id) if token.round_id else None
        if token.expires_at <= _now():
            link = await self._fresh_link(round_, person) if round_ else None
            await self._reject(row, parsed, "unknown_token", "expired reply address", person, link)
            return
        if round_ is None:
            self._done(
                row, InboundOutcome.IGNORED, "a reply to an invitation email without a calendar answer"
            )
            row.invitation_id = token.invitation_id
            return
        if not is_open(round_):
            await self._reject(row, parsed, "round_closed", f"the round {round_.title!r} is not open", person)
            return
        if await self._invitee(round_, person) is None:
            await self._reject(
                row, parsed, "unknown_token", f"no longer invited to the round {round_.title!r}", person
            )
            return
        word_files = [a for a in parsed.attachments if is_word_file(a.filename, a.content_type)]
        if not parsed.text and not word_files:
            link = await self._fresh_link(round_, person)
            await self._reject(row, parsed, "empty", "no text of the sender's own", person, link)
            return
        principal = StakeholderPrincipal(person_id=person.id, round_id=round_.id)
        data = round_schemas.CommentCreate(
            # A Word file sent without a word: the comment names the file it came with.
            body=parsed.text[:COMMENT_MAX_LENGTH]
            or ", ".join(a.filename for a in word_files)[:COMMENT_MAX_LENGTH],
            section_key=token.section_key if token.comment_id is None else None,
            parent_id=token.comment_id,
        )
        try:
            async with self.session.begin_nested():
                comment = await WritingService(self.session, self.settings, principal).create(
                    round_.id, data, source=CommentSource.EMAIL
                )
        except ConsultError as exc:
            link = await self._fresh_link(round_, person)
            await self._reject(row, parsed, "not_accepted", f"comment refused: {exc.detail}", person, link)
            return
        for number, attachment in enumerate(parsed.attachments, start=1):
            self.session.add(
                CommentAttachment(
                    comment_id=comment.id,
                    inbound_message_id=row.id,
                    filename=attachment_filename(attachment.filename, number),
                    content_type=attachment.content_type,
                    size=len(attachment.data),
                    data=attachment.data,
                )
            )
        row.comment_id = comment.id
        where = "a reply in the thread" if token.comment_id else "a comment on the round"
        imported = [await self._import_word(principal, a) for a in word_files]
        self._done(row, InboundOutcome.COMMENT, "; ".join([f"{where} {round_.title!r}", *imported]))

    async def _import_word(self, principal: StakeholderPrincipal, attachment: Attachment) -> str:
        """A Word file attached to the reply goes through the round's Word import, as the sender's
        comments; a file it refuses stays attached to the email's comment, and the reason is logged."""
        try:
            report = await WordImportService(self.session, self.settings, principal).import_file(
                principal.round_id, attachment.data
            )
        except ConsultError as exc:
            reason = exc.errors[0].reason if exc.errors else exc.detail
            return f"Word file {attachment.filename!r} not imported: {reason}"
        return f"Word file {attachment.filename!r}: {report.summary}"


async def _send_answer(settings: Settings, answer: Answer) -> None:
    letter = write_letter(
        settings,
        "intake_answer",
        answer.language,
        {
            "person_name": answer.person_name,
            "reason": answer.reason,
            "link": answer.link,
            "original_subject": answer.subject,
        },
        to=answer.to,
        message_id=new_message_id(settings.mail.domain),
        in_reply_to=answer.in_reply_to,
        headers={"Auto-Submitted": "auto-replied"},
    )
    outgoing = OutgoingEmail(
        raw=render_message(letter), envelope_from=settings.mail.from_address, recipient=answer.to
    )

    def report(_: int, result: Result) -> None:
        logger.info("intake answer to %s: %s %s", answer.to, result.outcome.value, result.detail)

    await deliver(SmtpConfig.from_url(settings.mail.smtp_url, settings.mail.smtp_timeout), [outgoing], report)


async def _process_one(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, inbound_id: UUID
) -> str | None:
    async with sessions() as session:
        act_as(session, INTAKE)
        row = await session.scalar(
            select(InboundMessage)
            .where(InboundMessage.id == inbound_id, InboundMessage.state == InboundState.PENDING)
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return None  # done already, or another worker holds it
        row.attempts += 1
        attempts = row.attempts
        intake = Intake(session, settings)
        try:
            await intake.handle(row)
        except Exception as exc:
            await session.rollback()
            logger.exception("processing inbound message %s failed", inbound_id)
            values: dict[str, object] = {
                "attempts": attempts,
                "reason": f"{type(exc).__name__}: {exc}"[:4000],
            }
            if attempts >= MAX_ATTEMPTS:
                values |= {
                    "state": InboundState.DONE,
                    "outcome": InboundOutcome.IGNORED,
                    "processed_at": _now(),
                }
            await session.execute(
                update(InboundMessage).where(InboundMessage.id == inbound_id).values(**values)
            )
            await session.commit()
            return "failed"
        row.state = InboundState.DONE
        row.processed_at = _now()
        outcome = row.outcome.value if row.outcome else None
        await session.commit()
    if intake.answer is not None:
        try:
            await _send_answer(settings, intake.answer)
        except Exception:
            logger.exception("the answer to inbound message %s could not be sent", inbound_id)
    return outcome


async def _process(settings: Settings, ids: Sequence[UUID]) -> list[str | None]:
    engine = create_api_engine(settings)
    try:
        sessions = async_session_factory(engine)
        return [await _process_one(sessions, settings, inbound_id) for inbound_id in ids]
    finally:
        await engine.dispose()


def process(settings: Settings, ids: Sequence[UUID]) -> list[str | None]:
    """Process stored messages (from a Celery task: one event loop per call)."""
    return asyncio.run(_process(settings, ids))


def pending_ids(settings: Settings) -> list[UUID]:
    """Messages still pending after the grace period (the broker lost the task, or a worker died),
    marked as dispatched again."""

    async def find() -> list[UUID]:
        engine = create_api_engine(settings)
        try:
            async with async_session_factory(engine)() as session:
                ids: list[UUID] = await session.run_sync(
                    lambda sync: due_for_relay(
                        sync,
                        InboundMessage,
                        grace_seconds=settings.inbound.grace_seconds,
                        order_by=InboundMessage.created_at,
                        limit=100,
                    )
                )
                await session.commit()
                return ids
        finally:
            await engine.dispose()

    return asyncio.run(find())

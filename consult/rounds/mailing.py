"""Emails of comment rounds: what to queue (shared by the API and the beat scans, on a synchronous
session; the API calls them through ``AsyncSession.run_sync``) and how the worker writes them.

Every email about a round carries a fresh personal link ``{base_url}/r/{token}``: the link is the
stakeholder's way in, and only its digest is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from consult.directory.models import Organisation, Person
from consult.drafts.models import Document, DocumentSection, DocumentVersion
from consult.mail.compose import Letter
from consult.mail.delivery import KindHandler
from consult.mail.i18n import best_language, format_in, format_when
from consult.mail.letters import letter_to_person
from consult.mail.models import EmailKind, OutboundEmail
from consult.mail.outbox import enqueue, mail_domain
from consult.rounds.links import link_expiry, new_round_link
from consult.rounds.models import Comment, CommentRound, ReplyNotice, RoundInvitee
from consult.rounds.reply_targets import comment_reply_targets
from consult.rounds.visibility import (
    ShownAuthor,
    comment_table,
    person_table,
    public_author,
    readable,
    speaks_for,
)
from consult.settings import Settings

_ROUND_TEMPLATES = {
    EmailKind.ROUND_OPENED: "round_opened",
    EmailKind.ROUND_EXTENDED: "round_extended",
    EmailKind.ROUND_CLOSING: "round_closing",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- queueing: in the transaction of the change, or of the beat scan -------------------------------


def queue_openings(session: Session, settings: Settings, *, round_id: UUID | None = None) -> list[UUID]:
    """The opening email, once per invitee, for every round that is open now (or just ``round_id``)."""
    now = _now()
    stmt = (
        select(RoundInvitee)
        .join(CommentRound, CommentRound.id == RoundInvitee.round_id)
        .where(
            RoundInvitee.opening_queued_at.is_(None),
            CommentRound.opens_at <= now,
            CommentRound.closes_at > now,
        )
        .with_for_update(of=RoundInvitee, skip_locked=True)
    )
    if round_id is not None:
        stmt = stmt.where(RoundInvitee.round_id == round_id)
    queued: list[UUID] = []
    for invitee in session.scalars(stmt).all():
        row = _enqueue(session, settings, EmailKind.ROUND_OPENED, invitee)
        invitee.opening_queued_at = now
        invitee.thread_message_id = row.message_id
        queued.append(row.id)
    session.flush()
    return queued


def queue_to_invitees(
    session: Session, settings: Settings, *, round_id: UUID, kind: EmailKind, context: dict[str, Any]
) -> None:
    """``kind`` to every invitee already told about the round (the others learn from the opening email)."""
    invitees = session.scalars(
        select(RoundInvitee).where(
            RoundInvitee.round_id == round_id, RoundInvitee.opening_queued_at.is_not(None)
        )
    ).all()
    for invitee in invitees:
        _enqueue(session, settings, kind, invitee, context)
    session.flush()


def queue_closing_reminders(session: Session, settings: Settings) -> list[UUID]:
    """Before a round closes, remind the people of invited organisations from which no comment has
    come yet; at most once per round and person, and not right behind their opening email."""
    now = _now()
    opened_before = now - dt.timedelta(hours=settings.rounds.reminder_hours_after_opening)
    author = aliased(Person)
    organisation_commented = exists().where(
        Comment.round_id == RoundInvitee.round_id,
        Comment.withdrawn_at.is_(None),
        author.id == Comment.author_id,
        or_(
            Comment.on_behalf_of_organisation_id == RoundInvitee.invited_organisation_id,
            author.organisation_id == RoundInvitee.invited_organisation_id,
        ),
    )
    invitees = session.scalars(
        select(RoundInvitee)
        .join(CommentRound, CommentRound.id == RoundInvitee.round_id)
        .where(
            CommentRound.opens_at <= now,
            CommentRound.closes_at > now,
            CommentRound.closes_at <= now + dt.timedelta(hours=settings.rounds.reminder_hours_before_close),
            RoundInvitee.invited_organisation_id.is_not(None),
            RoundInvitee.opening_queued_at <= opened_before,
            RoundInvitee.reminder_queued_at.is_(None),
            ~organisation_commented,
        )
        .with_for_update(of=RoundInvitee, skip_locked=True)
    ).all()
    queued = []
    for invitee in invitees:
        invitee.reminder_queued_at = now
        queued.append(_enqueue(session, settings, EmailKind.ROUND_CLOSING, invitee).id)
    session.flush()
    return queued


def queue_reply_digests(session: Session, settings: Settings) -> list[UUID]:
    """One email per person with replies waiting, unless their last digest is more recent than the
    digest interval. Replies the person may no longer read (withdrawn or hidden in the meantime) are
    dropped."""
    now = _now()
    still_readable = readable(comment_table, CommentRound.visibility, ReplyNotice.person_id)
    waiting = session.execute(
        select(ReplyNotice, still_readable)
        .join(Comment, Comment.id == ReplyNotice.comment_id)
        .join(CommentRound, CommentRound.id == Comment.round_id)
        .where(ReplyNotice.sent_at.is_(None))
        .order_by(ReplyNotice.person_id, Comment.created_at)
        .with_for_update(of=ReplyNotice, skip_locked=True)
    ).all()
    if not waiting:
        return []
    people = {notice.person_id for notice, _ in waiting}
    last_digest = dict(
        session.execute(
            select(ReplyNotice.person_id, func.max(ReplyNotice.sent_at))
            .where(ReplyNotice.person_id.in_(people), ReplyNotice.sent_at.is_not(None))
            .group_by(ReplyNotice.person_id)
        ).all()
    )
    quiet_since = now - dt.timedelta(minutes=settings.rounds.reply_digest_minutes)
    replies: dict[UUID, list[str]] = {}
    for notice, still_visible in waiting:
        last = last_digest.get(notice.person_id)
        if last is not None and last > quiet_since:
            continue
        notice.sent_at = now
        if still_visible:
            replies.setdefault(notice.person_id, []).append(str(notice.comment_id))
    queued = [
        enqueue(
            session,
            kind=EmailKind.REPLY_DIGEST,
            person_id=person_id,
            domain=mail_domain(settings.mail.from_address),
            context={"comment_ids": comment_ids},
        ).id
        for person_id, comment_ids in replies.items()
    ]
    session.flush()
    return queued


def _enqueue(
    session: Session,
    settings: Settings,
    kind: EmailKind,
    invitee: RoundInvitee,
    context: dict[str, Any] | None = None,
) -> OutboundEmail:
    return enqueue(
        session,
        kind=kind,
        person_id=invitee.person_id,
        domain=mail_domain(settings.mail.from_address),
        context={"round_id": str(invitee.round_id), **(context or {})},
        in_reply_to=invitee.thread_message_id,
    )


# --- composing: in the worker ----------------------------------------------------------------------


def _letter(
    session: Session,
    row: OutboundEmail,
    person: Person,
    template: str,
    context: dict[str, Any],
    settings: Settings,
) -> Letter:
    return letter_to_person(
        session,
        settings,
        row,
        person,
        template,
        best_language(person.language.value),
        {"person_name": person.full_name, **context},
    )


def _rounds_with_titles(session: Session, round_ids: set[UUID]) -> dict[UUID, tuple[CommentRound, str]]:
    rows = session.execute(
        select(CommentRound, Document.title)
        .join(DocumentVersion, DocumentVersion.id == CommentRound.document_version_id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(CommentRound.id.in_(round_ids))
    )
    return {round_.id: (round_, title) for round_, title in rows}


def _invitees(session: Session, pairs: set[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], RoundInvitee]:
    round_ids = {round_id for round_id, _ in pairs}
    person_ids = {person_id for _, person_id in pairs}
    invitees = session.scalars(
        select(RoundInvitee).where(
            RoundInvitee.round_id.in_(round_ids), RoundInvitee.person_id.in_(person_ids)
        )
    ).all()
    return {(i.round_id, i.person_id): i for i in invitees}


def _people(session: Session, rows: Sequence[OutboundEmail]) -> dict[UUID, Person]:
    ids = {row.person_recipient for row in rows}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids))).all()}


def _round_context(
    session: Session,
    round_: CommentRound,
    document_title: str,
    invitee: RoundInvitee | None,
    person: Person,
    settings: Settings,
) -> dict[str, Any]:
    language = best_language(person.language.value)
    usable = invitee is not None and link_expiry(round_, settings) > _now()
    return {
        "round_title": round_.title,
        "document_title": document_title,
        "when_open": format_when(round_.opens_at, round_.closes_at, person.timezone, language),
        "closes_in": format_in(round_.closes_at - _now(), language),
        "link": new_round_link(session, invitee, round_, settings) if usable and invitee else None,
    }


def compose_round_emails(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> dict[UUID, Letter]:
    rounds = _rounds_with_titles(session, {UUID(row.context["round_id"]) for row in rows})
    invitees = _invitees(session, {(UUID(row.context["round_id"]), row.person_recipient) for row in rows})
    people = _people(session, rows)
    letters: dict[UUID, Letter] = {}
    for row in rows:
        round_id = UUID(row.context["round_id"])
        invitee = invitees.get((round_id, row.person_recipient))
        if round_id not in rounds or invitee is None:
            continue
        round_, title = rounds[round_id]
        if row.kind is not EmailKind.ROUND_EXTENDED and round_.closes_at <= _now():
            continue  # a round that has closed since: the email has nothing left to ask for
        person = people[row.person_recipient]
        context = _round_context(session, round_, title, invitee, person, settings)
        letters[row.id] = _letter(session, row, person, _ROUND_TEMPLATES[row.kind], context, settings)
    return letters


def compose_responses(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> dict[UUID, Letter]:
    comments = {
        c.id: c
        for c in session.scalars(
            select(Comment).where(Comment.id.in_({UUID(row.context["comment_id"]) for row in rows}))
        ).all()
    }
    rounds = _rounds_with_titles(session, {c.round_id for c in comments.values()})
    invitees = _invitees(session, {(c.round_id, c.author_id) for c in comments.values()})
    headings = _section_headings(session, comments.values(), rounds)
    people = _people(session, rows)
    letters: dict[UUID, Letter] = {}
    for row in rows:
        comment = comments.get(UUID(row.context["comment_id"]))
        if comment is None or comment.decision is None or comment.rationale is None:
            continue
        round_, title = rounds[comment.round_id]
        person = people[row.person_recipient]
        context = {
            **_round_context(session, round_, title, invitees.get((round_.id, person.id)), person, settings),
            "section": headings.get((round_.id, comment.section_key)),
            "comment_body": comment.body,
            "decision": comment.decision.value,
            "rationale": comment.rationale,
        }
        letters[row.id] = _letter(session, row, person, "comment_response", context, settings)
    return letters


def compose_digests(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> dict[UUID, Letter]:
    reply_ids = {UUID(i) for row in rows for i in row.context["comment_ids"]}
    author = person_table.alias("author")
    replies = {
        reply.id: (reply, name, organisation)
        for reply, name, organisation in session.execute(
            select(Comment, author.c.full_name, Organisation.name)
            .join(author, author.c.id == Comment.author_id)
            .outerjoin(Organisation, Organisation.id == speaks_for(comment_table, author))
            .where(Comment.id.in_(reply_ids))
        )
    }
    rounds = _rounds_with_titles(session, {reply.round_id for reply, _, _ in replies.values()})
    invitees = _invitees(
        session, {(reply.round_id, row.person_recipient) for row in rows for reply, _, _ in replies.values()}
    )
    headings = _section_headings(session, (reply for reply, _, _ in replies.values()), rounds)
    people = _people(session, rows)
    letters: dict[UUID, Letter] = {}
    for row in rows:
        person = people[row.person_recipient]
        by_round: dict[UUID, list[dict[str, Any]]] = {}
        for reply_id in row.context["comment_ids"]:
            if UUID(reply_id) not in replies:
                continue
            reply, name, organisation = replies[UUID(reply_id)]
            shown = public_author(
                reply.attribution, ShownAuthor(full_name=name, organisation_name=organisation)
            )
            by_round.setdefault(reply.round_id, []).append(
                {
                    "author": shown.full_name or shown.organisation_name,
                    "section": headings.get((reply.round_id, reply.section_key)),
                    "body": reply.body,
                }
            )
        if not by_round:
            continue
        sections = []
        for round_id, items in by_round.items():
            round_, title = rounds[round_id]
            invitee = invitees.get((round_id, person.id))
            sections.append(
                {**_round_context(session, round_, title, invitee, person, settings), "replies": items}
            )
        letters[row.id] = _letter(session, row, person, "reply_digest", {"rounds": sections}, settings)
    return letters


def _section_headings(
    session: Session, comments: Any, rounds: dict[UUID, tuple[CommentRound, str]]
) -> dict[tuple[UUID, str | None], str]:
    """The heading of each (round, section key) among ``comments``."""
    wanted = {(c.round_id, c.section_key) for c in comments if c.section_key}
    if not wanted:
        return {}
    version_of = {round_id: rounds[round_id][0].document_version_id for round_id, _ in wanted}
    rows = session.execute(
        select(DocumentSection.version_id, DocumentSection.key, DocumentSection.heading).where(
            or_(
                *(
                    and_(DocumentSection.version_id == version_of[round_id], DocumentSection.key == key)
                    for round_id, key in wanted
                )
            )
        )
    )
    by_version = {(version_id, key): heading for version_id, key, heading in rows}
    return {
        (round_id, key): by_version[(version_of[round_id], key)]
        for round_id, key in wanted
        if (version_of[round_id], key) in by_version
    }


# The round emails the workers send; registered by consult.email_kinds.
EMAIL_KINDS = dict.fromkeys(_ROUND_TEMPLATES, KindHandler(compose=compose_round_emails)) | {
    EmailKind.COMMENT_RESPONSE: KindHandler(compose=compose_responses, reply_targets=comment_reply_targets),
    EmailKind.REPLY_DIGEST: KindHandler(compose=compose_digests, reply_targets=comment_reply_targets),
}

"""Emails of questionnaires: the invitation once the questionnaire opens, and one reminder before it
closes to those whose answer (their organisation's, in mode per_organisation) is not submitted yet.
Queued on a synchronous session (the API reaches it through ``AsyncSession.run_sync``, beat directly);
each email carries a fresh personal link ``{base_url}/q/{token}``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from consult.auth.service import normalise_email
from consult.auth.tokens import new_token, token_digest
from consult.directory.models import Person
from consult.errors import Invalid
from consult.mail.compose import Letter
from consult.mail.delivery import KindHandler
from consult.mail.i18n import best_language, format_in, format_when
from consult.mail.letters import letter_to_person, write_letter
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.questionnaires.definition import decode_definition
from consult.questionnaires.links import CONFIRMATION_LINK_PREFIX, new_questionnaire_link
from consult.questionnaires.models import (
    Mode,
    Questionnaire,
    QuestionnaireConfirmation,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireStatus,
    QuestionnaireVersion,
    ResponseStatus,
)
from consult.settings import Settings

_TEMPLATES = {
    EmailKind.QUESTIONNAIRE_INVITATION: "questionnaire_invitation",
    EmailKind.QUESTIONNAIRE_REMINDER: "questionnaire_reminder",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_now(now: dt.datetime) -> Any:
    return and_(
        Questionnaire.status == QuestionnaireStatus.OPEN,
        Questionnaire.opens_at <= now,
        Questionnaire.closes_at > now,
    )


def queue_invitations(
    session: Session, settings: Settings, *, questionnaire_id: UUID | None = None
) -> list[UUID]:
    """The invitation, once per invitee, for every questionnaire open now (or just that one)."""
    now = _now()
    stmt = (
        select(QuestionnaireInvitee)
        .join(Questionnaire, Questionnaire.id == QuestionnaireInvitee.questionnaire_id)
        .where(QuestionnaireInvitee.invitation_queued_at.is_(None), _open_now(now))
        .with_for_update(of=QuestionnaireInvitee, skip_locked=True)
    )
    if questionnaire_id is not None:
        stmt = stmt.where(QuestionnaireInvitee.questionnaire_id == questionnaire_id)
    queued = []
    for invitee in session.scalars(stmt).all():
        invitee.invitation_queued_at = now
        queued.append(_enqueue(session, settings, EmailKind.QUESTIONNAIRE_INVITATION, invitee))
    session.flush()
    return queued


def queue_reminders(session: Session, settings: Settings) -> list[UUID]:
    """Once per invitee, the set time before closing, unless their answer is submitted: in mode
    per_organisation the organisation's (anyone of it may have submitted), else their own."""
    now = _now()
    window = now + dt.timedelta(hours=settings.questionnaires.reminder_hours_before_close)
    submitted = exists().where(
        QuestionnaireResponse.questionnaire_id == QuestionnaireInvitee.questionnaire_id,
        QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
        or_(
            and_(
                Questionnaire.mode == Mode.PER_ORGANISATION,
                QuestionnaireInvitee.organisation_id.is_not(None),
                QuestionnaireResponse.person_id.is_(None),
                QuestionnaireResponse.organisation_id == QuestionnaireInvitee.organisation_id,
            ),
            QuestionnaireResponse.person_id == QuestionnaireInvitee.person_id,
        ),
    )
    invitees = session.scalars(
        select(QuestionnaireInvitee)
        .join(Questionnaire, Questionnaire.id == QuestionnaireInvitee.questionnaire_id)
        .where(
            _open_now(now),
            Questionnaire.closes_at <= window,
            QuestionnaireInvitee.invitation_queued_at.is_not(None),
            QuestionnaireInvitee.reminder_queued_at.is_(None),
            ~submitted,
        )
        .with_for_update(of=QuestionnaireInvitee, skip_locked=True)
    ).all()
    queued = []
    for invitee in invitees:
        invitee.reminder_queued_at = now
        queued.append(_enqueue(session, settings, EmailKind.QUESTIONNAIRE_REMINDER, invitee))
    session.flush()
    return queued


def _enqueue(session: Session, settings: Settings, kind: EmailKind, invitee: QuestionnaireInvitee) -> UUID:
    return enqueue(
        session,
        kind=kind,
        person_id=invitee.person_id,
        domain=mail_domain(settings.mail.from_address),
        context={"questionnaire_id": str(invitee.questionnaire_id)},
    ).id


def _with_latest_versions(
    session: Session, ids: set[UUID]
) -> tuple[dict[UUID, Questionnaire], dict[UUID, QuestionnaireVersion]]:
    """The questionnaires by id, and each one's latest version (what its emails quote)."""
    questionnaires = {
        q.id: q for q in session.scalars(select(Questionnaire).where(Questionnaire.id.in_(ids)))
    }
    latest: dict[UUID, QuestionnaireVersion] = {}
    for version in session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id.in_(ids))
        .order_by(QuestionnaireVersion.number)
    ):
        latest[version.questionnaire_id] = version
    return questionnaires, latest


def compose_questionnaire_emails(
    session: Session, rows: Sequence[Any], settings: Settings
) -> dict[UUID, Letter]:
    ids = {UUID(row.context["questionnaire_id"]) for row in rows}
    questionnaires, latest = _with_latest_versions(session, ids)
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({row.person_recipient for row in rows})))
    }
    invitees = {
        (i.questionnaire_id, i.person_id): i
        for i in session.scalars(
            select(QuestionnaireInvitee).where(
                QuestionnaireInvitee.questionnaire_id.in_(ids),
                QuestionnaireInvitee.person_id.in_(people),
            )
        )
    }
    now = _now()
    letters: dict[UUID, Letter] = {}
    for row in rows:
        questionnaire_id = UUID(row.context["questionnaire_id"])
        questionnaire = questionnaires.get(questionnaire_id)
        invitee = invitees.get((questionnaire_id, row.person_recipient))
        if (
            questionnaire is None
            or invitee is None
            or questionnaire.closes_at is None
            or questionnaire.opens_at is None
            or questionnaire.closes_at <= now
            or questionnaire.status is not QuestionnaireStatus.OPEN
        ):
            continue  # closed or withdrawn since: nothing left to ask for
        person = people[row.person_recipient]
        language = best_language(person.language.value)
        definition = decode_definition(latest[questionnaire_id].definition)
        context = {
            "person_name": person.full_name,
            "questionnaire_title": definition.title.get(language),
            "per_organisation": questionnaire.mode is Mode.PER_ORGANISATION
            and invitee.organisation_id is not None,
            "when_open": format_when(
                questionnaire.opens_at, questionnaire.closes_at, person.timezone, language
            ),
            "closes_in": format_in(questionnaire.closes_at - now, language),
            "link": new_questionnaire_link(session, invitee, questionnaire, settings),
        }
        letters[row.id] = letter_to_person(
            session, settings, row, person, _TEMPLATES[row.kind], language, context
        )
    return letters


def compose_confirmations(session: Session, rows: Sequence[Any], settings: Settings) -> dict[UUID, Letter]:
    """The email that confirms an open questionnaire's answer, to the address the respondent typed,
    in the language of the page they answered on. The link's token is made here, and only its digest
    kept: it appears nowhere but in this email (a retried email carries a new one)."""
    confirmations = {
        c.id: c
        for c in session.scalars(
            select(QuestionnaireConfirmation).where(
                QuestionnaireConfirmation.id.in_({UUID(row.context["confirmation_id"]) for row in rows})
            )
        )
    }
    ids = {c.questionnaire_id for c in confirmations.values()}
    questionnaires, latest = _with_latest_versions(session, ids)
    now = _now()
    letters: dict[UUID, Letter] = {}
    for row in rows:
        confirmation = confirmations.get(UUID(row.context["confirmation_id"]))
        questionnaire = questionnaires.get(confirmation.questionnaire_id) if confirmation else None
        if (
            confirmation is None
            or questionnaire is None
            or confirmation.confirmed_at is not None
            or confirmation.expires_at <= now
            or row.to_address is None
        ):
            continue  # confirmed, expired or withdrawn since: nothing left to confirm
        try:
            to = normalise_email(row.to_address)  # checked when stored; checked again at the door
        except Invalid:
            continue
        language = best_language(row.context.get("language"))
        token = new_token(CONFIRMATION_LINK_PREFIX)
        confirmation.token_hash = token_digest(token)
        context = {
            "person_name": None,
            "questionnaire_title": decode_definition(latest[questionnaire.id].definition).title.get(language),
            # The page behind it speaks the language the answer was given in.
            "link": f"{settings.app.base_url}/q/open/{questionnaire.public_key}/confirm/{token}?lang={language}",
            "valid_for": format_in(confirmation.expires_at - now, language),
        }
        letters[row.id] = write_letter(
            settings,
            "questionnaire_confirmation",
            language,
            context,
            to=to,
            message_id=row.message_id,
            in_reply_to=row.in_reply_to,
        )
    session.flush()
    return letters


# Registered by consult.email_kinds.
EMAIL_KINDS = {
    **dict.fromkeys(_TEMPLATES, KindHandler(compose=compose_questionnaire_emails)),
    EmailKind.QUESTIONNAIRE_CONFIRMATION: KindHandler(compose=compose_confirmations),
}

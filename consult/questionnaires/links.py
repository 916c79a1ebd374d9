"""Personal questionnaire links, ``{base_url}/q/{token}``: random, shown only in the email, stored as
a digest; they work until some days after the questionnaire closes (to read the answer given), or
until cut (the invitee removed, or the person's links revoked)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from consult.auth.principals import RespondentPrincipal
from consult.auth.tokens import new_token, token_digest
from consult.questionnaires.models import Questionnaire, QuestionnaireInvitee, QuestionnaireLink
from consult.settings import Settings

QUESTIONNAIRE_LINK_PREFIX = "csq_"
# The link ``/q/open/{public_key}/confirm/{token}`` that confirms an open questionnaire's answer.
CONFIRMATION_LINK_PREFIX = "csc_"


def link_expiry(questionnaire: Questionnaire, settings: Settings) -> dt.datetime:
    closes_at = questionnaire.closes_at or dt.datetime.now(dt.UTC)
    return closes_at + dt.timedelta(days=settings.questionnaires.link_days_after_close)


def new_questionnaire_link(
    session: Session, invitee: QuestionnaireInvitee, questionnaire: Questionnaire, settings: Settings
) -> str:
    """A fresh link for ``invitee``; returns its URL (the only place the token ever appears)."""
    token = new_token(QUESTIONNAIRE_LINK_PREFIX)
    session.add(
        QuestionnaireLink(
            invitee_id=invitee.id,
            token_hash=token_digest(token),
            expires_at=link_expiry(questionnaire, settings),
        )
    )
    return f"{settings.app.base_url}/q/{token}"


async def resolve_questionnaire_token(session: AsyncSession, token: str) -> QuestionnaireInvitee | None:
    if not token.startswith(QUESTIONNAIRE_LINK_PREFIX):
        return None
    return await session.scalar(
        select(QuestionnaireInvitee)
        .join(QuestionnaireLink, QuestionnaireLink.invitee_id == QuestionnaireInvitee.id)
        .where(
            QuestionnaireLink.token_hash == token_digest(token),
            QuestionnaireLink.expires_at > dt.datetime.now(dt.UTC),
        )
    )


async def resolve_respondent_token(session: AsyncSession, token: str) -> RespondentPrincipal | None:
    """The bearer of a personal questionnaire link, for the respondents' API."""
    invitee = await resolve_questionnaire_token(session, token)
    if invitee is None:
        return None
    return RespondentPrincipal(
        person_id=invitee.person_id, questionnaire_id=invitee.questionnaire_id, invitee_id=invitee.id
    )


async def revoke_questionnaire_links(session: AsyncSession, person_id: UUID) -> int:
    """Cut every questionnaire link of the person; returns how many there were."""
    result = await session.execute(
        delete(QuestionnaireLink).where(
            QuestionnaireLink.invitee_id.in_(
                select(QuestionnaireInvitee.id).where(QuestionnaireInvitee.person_id == person_id)
            )
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

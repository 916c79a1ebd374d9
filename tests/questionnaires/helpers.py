"""Builders other test packages (the audit walk, the fuzz test) use to reach the questionnaire routes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update

from consult.auth.tokens import new_token, token_digest
from consult.mail.models import OutboundEmail, OutboxState
from consult.questionnaires.links import CONFIRMATION_LINK_PREFIX, new_questionnaire_link
from consult.questionnaires.models import Questionnaire, QuestionnaireConfirmation, QuestionnaireInvitee
from consult.settings import get_settings
from tests.waiting import wait_until


def _texts(en: str) -> dict[str, str]:
    return {"en": en, "az": f"{en} (az)", "ru": f"{en} (ru)", "fr": f"{en} (fr)"}


def questionnaire_definition() -> dict[str, Any]:
    """A small definition: one required choice and an optional text."""
    return {
        "original_language": "en",
        "title": _texts("Needs assessment"),
        "sections": [
            {
                "key": "s-1",
                "title": _texts("Services"),
                "questions": [
                    {
                        "key": "q-services",
                        "kind": "choice",
                        "required": True,
                        "text": _texts("Do you provide services to migrants?"),
                        "options": [
                            {"key": "yes", "label": _texts("Yes")},
                            {"key": "no", "label": _texts("No")},
                        ],
                    },
                    {"key": "q-notes", "kind": "text", "text": _texts("Notes")},
                ],
            }
        ],
    }


def open_answer_form() -> dict[str, str]:
    return {"action": "submit", "q.q-services": "no", "q.q-notes": "Nothing to add."}


def questionnaire_token(db: Any, questionnaire_id: str, person_id: str) -> str:
    """A fresh personal link's token for an invitee, as the invitation email carries."""
    questionnaire = db.get(Questionnaire, UUID(questionnaire_id))
    invitee = db.scalar(
        select(QuestionnaireInvitee).where(
            QuestionnaireInvitee.questionnaire_id == UUID(questionnaire_id),
            QuestionnaireInvitee.person_id == UUID(person_id),
        )
    )
    url = new_questionnaire_link(db, invitee, questionnaire, get_settings())
    db.commit()
    return url.rsplit("/q/", 1)[1]


def confirmation_token(db: Any, response_id: UUID) -> str:
    """A fresh token of the link confirming an open questionnaire's response, as the worker puts
    in the confirmation email (its digest stored, committed). A worker running in the session would
    write a token of its own as it composes the email: the email is taken out of the outbox first
    (or, already being sent, waited for)."""
    confirmation_id = db.scalar(
        select(QuestionnaireConfirmation.id).where(QuestionnaireConfirmation.response_id == response_id)
    )
    assert confirmation_id is not None
    its_email = OutboundEmail.context["confirmation_id"].as_string() == str(confirmation_id)
    db.execute(
        update(OutboundEmail)
        .where(its_email, OutboundEmail.state == OutboxState.PENDING)
        .values(state=OutboxState.SUPPRESSED, last_error="taken out by a test")
    )
    db.commit()

    def composed() -> bool:
        db.rollback()  # a fresh snapshot
        return not db.scalar(
            select(func.count()).where(its_email, OutboundEmail.state == OutboxState.SENDING)
        )

    wait_until(composed, "the confirmation email being sent")
    token = new_token(CONFIRMATION_LINK_PREFIX)
    db.execute(
        update(QuestionnaireConfirmation)
        .where(QuestionnaireConfirmation.id == confirmation_id)
        .values(token_hash=token_digest(token))
    )
    db.commit()
    return token


def unconfirmed_response(db: Any, questionnaire_id: str) -> UUID:
    """The latest response of an open questionnaire waiting for its email confirmation."""
    db.expire_all()
    response_id = db.scalar(
        select(QuestionnaireConfirmation.response_id)
        .where(
            QuestionnaireConfirmation.questionnaire_id == UUID(questionnaire_id),
            QuestionnaireConfirmation.confirmed_at.is_(None),
        )
        .order_by(QuestionnaireConfirmation.created_at.desc())
        .limit(1)
    )
    assert response_id is not None
    return UUID(str(response_id))

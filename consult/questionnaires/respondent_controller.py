"""The respondents' API: the bearer of a personal questionnaire link (``Authorization: Bearer
csq_…``, the token of ``/q/{token}``) reads the questionnaire and saves, submits or reopens the
response that link answers, with the same rules and problems as the page."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.principals import Principal, RespondentPrincipal
from consult.crud import get_or_404
from consult.errors import Forbidden
from consult.questionnaires import schemas
from consult.questionnaires.models import Questionnaire, QuestionnaireInvitee, QuestionnaireResponse
from consult.questionnaires.service import (
    QuestionnaireService,
    Respondent,
    ResponseService,
    takes_answers,
)

AnyRequest = Request[Principal, str, State]


async def _respondent(
    service: ResponseService, request: AnyRequest, questionnaire_id: UUID
) -> tuple[Questionnaire, Respondent]:
    principal = request.user
    if not isinstance(principal, RespondentPrincipal):
        raise Forbidden("a questionnaire is answered by its invitees, with the token of their personal link")
    if principal.questionnaire_id != questionnaire_id:
        raise Forbidden("this link is for another questionnaire")
    invitee = await get_or_404(service.session, QuestionnaireInvitee, principal.invitee_id, "invitee")
    questionnaire = await get_or_404(service.session, Questionnaire, questionnaire_id, "questionnaire")
    return questionnaire, await service.respondent(invitee, questionnaire)


def _out(response: QuestionnaireResponse) -> schemas.ResponseOut:
    return schemas.ResponseOut.from_model(response)


class RespondentController(Controller):
    path = "/api/v1/questionnaires/{questionnaire_id:uuid}/my-response"
    tags = ["questionnaires"]

    @get("/")
    async def read_my_response(
        self, db_session: AsyncSession, request: AnyRequest, questionnaire_id: UUID
    ) -> schemas.RespondentView:
        """The questionnaire as the link's bearer answers it, and their response so far."""
        service = ResponseService(db_session, request.app.state.settings)
        questionnaire, respondent = await _respondent(service, request, questionnaire_id)
        response = await service.find(questionnaire.id, respondent)
        definition = await QuestionnaireService(db_session, service.settings).definition_for(
            questionnaire.id, response
        )
        return schemas.RespondentView(
            questionnaire_id=questionnaire.id,
            name=questionnaire.name,
            mode=questionnaire.mode,
            status=questionnaire.status,
            opens_at=questionnaire.opens_at,
            closes_at=questionnaire.closes_at,
            takes_answers=takes_answers(questionnaire),
            organisation_id=respondent.organisation_id,
            definition=definition,
            response=_out(response) if response is not None else None,
        )

    @put("/")
    async def save_my_response(
        self,
        db_session: AsyncSession,
        request: AnyRequest,
        questionnaire_id: UUID,
        data: schemas.ResponseSave,
    ) -> schemas.ResponseOut:
        """Save the answers as a draft, or submit them (``submit``). Refused as a whole: 422 naming
        each answer that does not fit (``answers.<question key>``), 409 when the response changed since
        ``revision`` (someone else saved: read it again), was submitted already, or the questionnaire
        is not open."""
        service = ResponseService(db_session, request.app.state.settings)
        questionnaire, respondent = await _respondent(service, request, questionnaire_id)
        return _out(await service.save(questionnaire, respondent, data))

    @post("/reopen", status_code=200)
    async def reopen_my_response(
        self, db_session: AsyncSession, request: AnyRequest, questionnaire_id: UUID, data: schemas.ReopenIn
    ) -> schemas.ResponseOut:
        """A submitted response becomes a draft again, until the questionnaire closes."""
        service = ResponseService(db_session, request.app.state.settings)
        questionnaire, respondent = await _respondent(service, request, questionnaire_id)
        return _out(await service.reopen(questionnaire, respondent, data.revision))

"""Questionnaires over /api/v1, for organisers and facilitators: build, revise, send, close, and read
the responses with their history. Respondents answer on the pages (consult.questionnaires.pages)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff
from consult.pagination import Page, PageParams
from consult.questionnaires import schemas
from consult.questionnaires.definition import decode_definition
from consult.questionnaires.models import Questionnaire, QuestionnaireVersion, ResponseStatus
from consult.questionnaires.service import QuestionnaireService


async def _out(service: QuestionnaireService, rows: list[Questionnaire]) -> list[schemas.QuestionnaireOut]:
    numbers = await service.version_numbers([row.id for row in rows])
    base_url = service.settings.app.base_url
    return [
        schemas.QuestionnaireOut.from_model(
            row,
            current_version=numbers.get(row.id, 1),
            public_url=f"{base_url}/q/open/{row.public_key}" if row.public_key else None,
        )
        for row in rows
    ]


def _version_out(version: QuestionnaireVersion) -> schemas.VersionOut:
    return schemas.VersionOut.from_model(version, definition=decode_definition(version.definition))


class ConsultationQuestionnaireController(Controller):
    path = "/api/v1/consultations/{consultation_id:uuid}/questionnaires"
    tags = ["questionnaires"]
    guards = [any_staff]

    @post("/")
    async def create_questionnaire(
        self, db_session: AsyncSession, state: State, consultation_id: UUID, data: schemas.QuestionnaireCreate
    ) -> schemas.QuestionnaireOut:
        service = QuestionnaireService(db_session, state.settings)
        return (await _out(service, [await service.create(consultation_id, data)]))[0]

    @get("/")
    async def list_questionnaires(
        self, db_session: AsyncSession, state: State, consultation_id: UUID, page: PageParams
    ) -> Page[schemas.QuestionnaireOut]:
        service = QuestionnaireService(db_session, state.settings)
        rows, total = await service.in_consultation(consultation_id, page)
        return Page.of(await _out(service, rows), total, page)


class QuestionnaireController(Controller):
    path = "/api/v1/questionnaires/{questionnaire_id:uuid}"
    tags = ["questionnaires"]
    guards = [any_staff]

    @get("/")
    async def get_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID
    ) -> schemas.QuestionnaireOut:
        service = QuestionnaireService(db_session, state.settings)
        return (await _out(service, [await service.get(questionnaire_id)]))[0]

    @patch("/")
    async def update_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID, data: schemas.QuestionnairePatch
    ) -> schemas.QuestionnaireOut:
        service = QuestionnaireService(db_session, state.settings)
        return (await _out(service, [await service.update(questionnaire_id, data)]))[0]

    @delete("/")
    async def delete_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID
    ) -> None:
        await QuestionnaireService(db_session, state.settings).delete(questionnaire_id)

    @get("/versions")
    async def list_versions(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID
    ) -> list[schemas.VersionOut]:
        versions = await QuestionnaireService(db_session, state.settings).versions(questionnaire_id)
        return [_version_out(v) for v in versions]

    @post("/versions", status_code=200)
    async def revise_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID, data: schemas.VersionCreate
    ) -> schemas.VersionOut:
        version = await QuestionnaireService(db_session, state.settings).revise(
            questionnaire_id, data.definition
        )
        return _version_out(version)

    @post("/send", status_code=200)
    async def send_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID, data: schemas.QuestionnaireSend
    ) -> schemas.SendResult:
        return await QuestionnaireService(db_session, state.settings).send(questionnaire_id, data)

    @post("/close", status_code=200)
    async def close_questionnaire(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID
    ) -> schemas.QuestionnaireOut:
        service = QuestionnaireService(db_session, state.settings)
        return (await _out(service, [await service.close(questionnaire_id)]))[0]

    @get("/responses")
    async def list_responses(
        self,
        db_session: AsyncSession,
        state: State,
        questionnaire_id: UUID,
        page: PageParams,
        status: ResponseStatus | None = None,
    ) -> Page[schemas.ResponseOut]:
        rows, total = await QuestionnaireService(db_session, state.settings).responses(
            questionnaire_id, page, status
        )
        return Page.of([schemas.ResponseOut.from_model(r) for r in rows], total, page)

    @get("/responses/{response_id:uuid}/changes")
    async def list_response_changes(
        self, db_session: AsyncSession, state: State, questionnaire_id: UUID, response_id: UUID
    ) -> list[schemas.ChangeOut]:
        changes = await QuestionnaireService(db_session, state.settings).changes(
            questionnaire_id, response_id
        )
        return [schemas.ChangeOut.from_model(c) for c in changes]

"""A questionnaire's results over /api/v1, for organisers, facilitators and admins."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import any_staff
from consult.directory.models import OrganisationKind
from consult.questionnaires.results import Filters, Results, ResultsService

Version = Annotated[
    int | None,
    Parameter(
        ge=1, le=100_000, description="the version's number; default: the latest with submitted responses"
    ),
]
Country = Annotated[
    str | None,
    Parameter(pattern=r"^[A-Za-z]{2}$", description="only responses from organisations of this country"),
]
Kind = Annotated[
    OrganisationKind | None, Parameter(description="only responses from this kind of organisation")
]


class QuestionnaireResultsController(Controller):
    path = "/api/v1/questionnaires/{questionnaire_id:uuid}"
    tags = ["questionnaires"]
    guards = [any_staff]

    @get("/results")
    async def questionnaire_results(
        self,
        db_session: AsyncSession,
        questionnaire_id: UUID,
        version: Version = None,
        organisation_kind: Kind = None,
        country: Country = None,
    ) -> Results:
        filters = Filters(organisation_kind=organisation_kind, country=country)
        return await ResultsService(db_session).results(questionnaire_id, version, filters)

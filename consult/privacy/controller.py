"""The data rights of a person of the directory, for admins: a copy of their data, its erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.guards import admins
from consult.crud import ModelOut
from consult.directory.models import Person
from consult.privacy.service import PrivacyService


class ErasureOut(ModelOut):
    person_id: UUID
    full_name: str
    email: str
    erased_at: dt.datetime

    @classmethod
    def from_model(cls, row: Person, **computed: Any) -> Self:
        return super().from_model(row, person_id=row.id, **computed)


class PersonDataController(Controller):
    path = "/api/v1/people/{person_id:uuid}"
    tags = ["personal data"]

    @get("/data", guards=[admins], media_type="application/zip")
    async def personal_data(self, db_session: AsyncSession, state: State, person_id: UUID) -> Response[bytes]:
        """Everything held about the person (GDPR article 15), admins only: a ZIP with ``data.json``
        (directory entry, groups, invitations and answers, round invitations, comments with their
        history, emails sent to them, mail from them, attendance, links and reply tokens as metadata)
        and ``files/`` (their attachments and raw incoming messages)."""
        archive = await PrivacyService(db_session, state.settings).archive(person_id)
        return Response(
            archive,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="personal-data-{person_id}.zip"',
                "Cache-Control": "no-store",
            },
        )

    @post("/erase", guards=[admins], status_code=200)
    async def erase(self, db_session: AsyncSession, state: State, person_id: UUID) -> ErasureOut:
        """Erase the person's data (GDPR article 17), admins only. The entry becomes "Erased
        participant" with an address that reaches nobody; their comments stay, shown as their
        organisation's (or anonymous); raw mail from them, their attachments and the earlier texts of
        their comments are deleted, their links and reply tokens stop working, and no mail reaches
        them again. A second call changes nothing."""
        person = await PrivacyService(db_session, state.settings).erase(person_id)
        return ErasureOut.from_model(person)

"""The "your export is ready" email to the staff member who queued an export job."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.directory.models import Person
from consult.exports.models import ExportJob, ExportState
from consult.exports.service import download_url
from consult.mail.compose import Letter, address
from consult.mail.delivery import KindHandler, register
from consult.mail.i18n import best_language
from consult.mail.models import EmailKind, OutboundEmail
from consult.mail.render import render_email
from consult.rounds.models import CommentRound
from consult.settings import Settings


def compose_export_ready(
    session: Session, rows: Sequence[OutboundEmail], settings: Settings
) -> dict[UUID, Letter]:
    jobs = {
        job.id: (job, title)
        for job, title in session.execute(
            select(ExportJob, CommentRound.title)
            .join(CommentRound, CommentRound.id == ExportJob.round_id)
            .where(ExportJob.id.in_({UUID(row.context["export_id"]) for row in rows}))
        ).all()
    }
    people = {
        p.id: p for p in session.scalars(select(Person).where(Person.id.in_({r.person_id for r in rows})))
    }
    letters: dict[UUID, Letter] = {}
    for row in rows:
        found = jobs.get(UUID(row.context["export_id"]))
        person = people.get(row.person_id)
        if found is None or person is None or found[0].state is not ExportState.DONE:
            continue
        job, round_title = found
        rendered = render_email(
            "export_ready",
            best_language(person.language.value),
            {
                "person_name": person.full_name,
                "round_title": round_title,
                "format": job.format.value.upper(),
                "row_count": job.row_count or 0,
                "download_url": download_url(settings, job),
            },
        )
        letters[row.id] = Letter(
            sender=address(settings.mail_from, settings.mail_from_name),
            recipient=address(person.email, person.full_name),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=row.message_id,
        )
    return letters


register([EmailKind.EXPORT_READY], KindHandler(compose=compose_export_ready))

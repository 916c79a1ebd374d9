"""The "your export is ready" email to the staff member who queued an export job."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.auth.models import StaffUser
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
    staff = {
        u.id: u
        for u in session.scalars(
            select(StaffUser).where(StaffUser.id.in_({r.staff_user_id for r in rows}), StaffUser.is_active)
        )
    }
    letters: dict[UUID, Letter] = {}
    for row in rows:
        found = jobs.get(UUID(row.context["export_id"]))
        requester = staff.get(row.staff_user_id) if row.staff_user_id else None
        if found is None or requester is None or found[0].state is not ExportState.DONE:
            continue
        job, round_title = found
        rendered = render_email(
            "export_ready",
            # Staff accounts carry no language: the staff email is in English.
            best_language(None),
            {
                "person_name": requester.email,
                "round_title": round_title,
                "format": job.format.value.upper(),
                "row_count": job.row_count or 0,
                "download_url": download_url(settings, job),
            },
        )
        letters[row.id] = Letter(
            sender=address(settings.mail.from_address, settings.mail.from_name),
            recipient=address(requester.email),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=row.message_id,
        )
    return letters


register([EmailKind.EXPORT_READY], KindHandler(compose=compose_export_ready))

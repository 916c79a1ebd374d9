"""How long raw data is kept: the raw incoming messages (once handled, what became of them is recorded
without them), the files of export jobs (built again on request), and the addresses of people outside
the directory that emails went to (the outbox row stays). Beat runs ``purge_expired``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.exports.models import ExportJob
from consult.inbound.models import InboundMessage, InboundState
from consult.mail.models import OutboundEmail, OutboxState
from consult.settings import Settings

PURGE_TASK = "consult.purge_expired"
# What a forgotten address becomes: the row still records that an email went out, to no one known.
FORGOTTEN_ADDRESS = ""
_FINISHED = (OutboxState.SENT, OutboxState.FAILED, OutboxState.BOUNCED, OutboxState.SUPPRESSED)


@dataclass(frozen=True)
class Purged:
    inbound_messages: int  # raw messages emptied
    export_files: int  # files deleted
    addresses: int = 0  # addresses outside the directory forgotten


def forget_export_files(jobs: Sequence[ExportJob], settings: Settings) -> None:
    """Delete the jobs' files; each job stays, without a file (its download answers 404)."""
    for job in jobs:
        if job.file_path:
            (settings.storage.export_dir / job.file_path).unlink(missing_ok=True)
        job.file_path = None


def purge_expired(session: Session, settings: Settings, now: dt.datetime | None = None) -> Purged:
    """Empty the raw messages handled more than CONSULT_RETENTION_DAYS_INBOUND days ago, delete the
    export files finished more than CONSULT_RETENTION_DAYS_EXPORTS days ago, and forget the addresses
    outside the directory whose emails finished more than CONSULT_RETENTION_DAYS_ADDRESSES days ago
    (0: keep them)."""
    now = now or dt.datetime.now(dt.UTC)
    retention = settings.retention
    inbound = 0
    if retention.inbound_days > 0:
        emptied = session.execute(
            update(InboundMessage)
            .where(
                InboundMessage.state == InboundState.DONE,
                InboundMessage.created_at < now - dt.timedelta(days=retention.inbound_days),
                InboundMessage.raw != b"",
            )
            .values(raw=b"")
            .execution_options(synchronize_session=False)
        )
        inbound = emptied.rowcount  # type: ignore[attr-defined]
    jobs: list[ExportJob] = []
    if retention.exports_days > 0:
        jobs = list(
            session.scalars(
                select(ExportJob).where(
                    ExportJob.file_path.is_not(None),
                    ExportJob.finished_at < now - dt.timedelta(days=retention.exports_days),
                )
            )
        )
        forget_export_files(jobs, settings)
    addresses = 0
    if retention.addresses_days > 0:
        forgotten = session.execute(
            update(OutboundEmail)
            .where(
                OutboundEmail.to_address.is_not(None),
                OutboundEmail.to_address != FORGOTTEN_ADDRESS,
                OutboundEmail.state.in_(_FINISHED),
                OutboundEmail.updated_at < now - dt.timedelta(days=retention.addresses_days),
            )
            .values(to_address=FORGOTTEN_ADDRESS)
            .execution_options(synchronize_session=False)
        )
        addresses = forgotten.rowcount  # type: ignore[attr-defined]
    session.flush()
    return Purged(inbound_messages=inbound, export_files=len(jobs), addresses=addresses)

"""Retention: raw incoming mail and export files older than the settings say are deleted by beat's
``consult.purge_expired``; the rows stay, and what they record."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import replace
from pathlib import Path
from uuid import UUID

from sqlalchemy import update

from consult.exports.models import ExportFormat, ExportJob, ExportState
from consult.inbound.models import InboundMessage, InboundState
from consult.mail.models import EmailKind, OutboundEmail, OutboxState
from consult.privacy.retention import FORGOTTEN_ADDRESS, PURGE_TASK, purge_expired
from consult.settings import RetentionSettings, Settings, StorageSettings, get_settings
from workers.app import beat_schedule

NOW = dt.datetime.now(dt.UTC)


def inbound(db, *, days_ago: float, state: InboundState) -> InboundMessage:
    raw = f"From: someone@example.org\r\nMessage-ID: <{uuid.uuid4()}@example.org>\r\n\r\nHello".encode()
    row = InboundMessage(
        dedupe_key=str(uuid.uuid4()),
        content_hash=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        size=len(raw),
        state=state,
    )
    db.add(row)
    db.flush()
    db.execute(
        update(InboundMessage)
        .where(InboundMessage.id == row.id)
        .values(created_at=NOW - dt.timedelta(days=days_ago))
    )
    return row


def export_job(db, settings: Settings, round_id: str, *, days_ago: float) -> ExportJob:
    name = f"{uuid.uuid4()}.csv"
    settings.storage.export_dir.mkdir(parents=True, exist_ok=True)
    (settings.storage.export_dir / name).write_text("Author,Comment\r\n")
    job = ExportJob(
        round_id=UUID(round_id),
        format=ExportFormat.CSV,
        state=ExportState.DONE,
        file_path=name,
        finished_at=NOW - dt.timedelta(days=days_ago),
    )
    db.add(job)
    db.flush()
    return job


def test_raw_mail_and_export_files_past_their_retention_are_deleted(
    db, make_round, facilitator, tmp_path: Path
):
    settings = replace(
        get_settings(),
        storage=StorageSettings(data_dir=tmp_path),
        retention=RetentionSettings(inbound_days=30, exports_days=7, scan_seconds=60),
    )
    old, recent = (
        inbound(db, days_ago=31, state=InboundState.DONE),
        inbound(db, days_ago=29, state=InboundState.DONE),
    )
    old_unhandled = inbound(db, days_ago=60, state=InboundState.PENDING)
    round_ = make_round()
    old_job = export_job(db, settings, round_["id"], days_ago=8)
    recent_job = export_job(db, settings, round_["id"], days_ago=6)
    old_file, recent_file = old_job.file_path, recent_job.file_path
    db.commit()

    purged = purge_expired(db, settings, now=NOW)
    db.commit()
    assert (purged.inbound_messages, purged.export_files) == (1, 1)
    db.expire_all()
    assert old.raw == b"" and old.size > 0 and old.dedupe_key  # emptied; the record stays
    assert recent.raw != b"" and old_unhandled.raw != b""
    assert not (settings.storage.export_dir / str(old_file)).exists()
    assert (settings.storage.export_dir / str(recent_file)).exists()
    assert old_job.file_path is None and old_job.state is ExportState.DONE
    assert recent_job.file_path == recent_file
    assert facilitator.get(f"/api/v1/exports/{old_job.id}/file").status_code == 404

    again = purge_expired(db, settings, now=NOW)
    assert (again.inbound_messages, again.export_files) == (0, 0)
    keep_all = replace(settings, retention=RetentionSettings(inbound_days=0, exports_days=0))
    later = purge_expired(db, keep_all, now=NOW + dt.timedelta(days=365))
    assert (later.inbound_messages, later.export_files) == (0, 0)


def test_beat_runs_the_purge() -> None:
    schedule = beat_schedule(Settings(retention=RetentionSettings(scan_seconds=600)))
    assert schedule["purge-expired"] == {"task": PURGE_TASK, "schedule": 600}


def outside_email(db, *, days_ago: float, state: OutboxState) -> OutboundEmail:
    """An email to an address outside the directory (an open questionnaire's confirmation)."""
    row = OutboundEmail(
        kind=EmailKind.QUESTIONNAIRE_CONFIRMATION,
        to_address=f"someone-{uuid.uuid4().hex[:6]}@example.org",
        message_id=f"<{uuid.uuid4()}@example.org>",
        next_attempt_at=NOW,
        state=state,
    )
    db.add(row)
    db.flush()
    db.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == row.id)
        .values(updated_at=NOW - dt.timedelta(days=days_ago))
    )
    return row


def test_addresses_outside_the_directory_are_forgotten_once_their_email_is_done(db) -> None:
    settings = replace(get_settings(), retention=RetentionSettings(addresses_days=30))
    sent = outside_email(db, days_ago=31, state=OutboxState.SENT)
    failed = outside_email(db, days_ago=40, state=OutboxState.FAILED)
    recent = outside_email(db, days_ago=29, state=OutboxState.SENT)
    waiting = outside_email(db, days_ago=31, state=OutboxState.PENDING)  # still to be sent: kept
    kept = {row.id: row.to_address for row in (recent, waiting)}
    db.commit()

    purged = purge_expired(db, settings, now=NOW)
    db.commit()
    assert purged.addresses == 2
    db.expire_all()
    assert sent.to_address == FORGOTTEN_ADDRESS and failed.to_address == FORGOTTEN_ADDRESS
    assert sent.state is OutboxState.SENT and sent.message_id  # the record of the email stays
    assert {row.id: row.to_address for row in (recent, waiting)} == kept
    assert purge_expired(db, settings, now=NOW).addresses == 0
    keep_all = replace(settings, retention=RetentionSettings(addresses_days=0))
    assert purge_expired(db, keep_all, now=NOW + dt.timedelta(days=365)).addresses == 0

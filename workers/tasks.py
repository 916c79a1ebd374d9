"""Thin Celery tasks: each takes ids, opens a worker session and calls a consult service."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from consult.audit.recording import record_changes
from consult.db import create_worker_engine, sync_session_factory
from consult.email_kinds import register_email_kinds
from consult.exports.service import RUN_TASK, requeue_lost, run_job
from consult.inbound import imap
from consult.inbound.service import PROCESS_TASK, pending_ids, process
from consult.invitations.mailing import queue_due_reminders
from consult.mail.delivery import relay, send_batch
from consult.mail.outbox import SEND_TASK
from consult.polls.mailing import queue_poll_reminders
from consult.privacy.retention import PURGE_TASK, purge_expired
from consult.questionnaires.mailing import queue_invitations, queue_reminders
from consult.rounds.mailing import queue_closing_reminders, queue_openings, queue_reply_digests
from consult.settings import get_settings
from workers.app import celery_app

register_email_kinds()
record_changes()


@lru_cache(maxsize=1)
def sessions() -> sessionmaker[Session]:
    """One engine per worker process, created lazily after the prefork."""
    return sync_session_factory(create_worker_engine(get_settings()))


@celery_app.task(name=SEND_TASK, acks_late=True)
def send_emails(ids: list[str]) -> int:
    return send_batch(sessions(), get_settings(), [UUID(i) for i in ids])


@celery_app.task(name="consult.relay_outbox", acks_late=True)
def relay_outbox() -> int:
    return relay(sessions(), get_settings())


@celery_app.task(name="consult.send_due_reminders", acks_late=True)
def send_due_reminders() -> int:
    with sessions()() as session:
        queued = queue_due_reminders(session, get_settings())
        session.commit()
    return len(queued)


@celery_app.task(name="consult.scan_rounds", acks_late=True)
def scan_rounds() -> int:
    """Opening emails of rounds whose time has come, reminders before closing, reply digests."""
    settings = get_settings()
    with sessions()() as session:
        queued = (
            queue_openings(session, settings)
            + queue_closing_reminders(session, settings)
            + queue_reply_digests(session, settings)
        )
        session.commit()
    return len(queued)


@celery_app.task(name="consult.scan_polls", acks_late=True)
def scan_polls() -> int:
    """Reminders, once, to those who have not answered a scheduling poll that closes soon."""
    with sessions()() as session:
        queued = queue_poll_reminders(session, get_settings())
        session.commit()
    return len(queued)


@celery_app.task(name="consult.scan_questionnaires", acks_late=True)
def scan_questionnaires() -> int:
    """Invitations of questionnaires whose opening time has come, and reminders before closing."""
    settings = get_settings()
    with sessions()() as session:
        queued = queue_invitations(session, settings) + queue_reminders(session, settings)
        session.commit()
    return len(queued)


@celery_app.task(name=RUN_TASK, acks_late=True)
def run_export(job_id: str) -> str:
    """Write an export job's file; a job already done or held by another worker is left alone."""
    state = run_job(sessions(), get_settings(), UUID(job_id))
    return state.value if state else "skipped"


@celery_app.task(name="consult.scan_exports", acks_late=True)
def scan_exports() -> int:
    """Export jobs whose task was lost (broker) or whose worker died are dispatched again."""
    return len(requeue_lost(sessions(), get_settings()))


@celery_app.task(name=PROCESS_TASK, acks_late=True)
def process_inbound(inbound_id: str) -> str | None:
    """Turn a stored incoming email into what it is (comment, RSVP, bounce...); done once per message."""
    return process(get_settings(), [UUID(inbound_id)])[0]


@celery_app.task(name="consult.scan_inbound", acks_late=True)
def scan_inbound() -> int:
    """Incoming emails whose task was lost (broker down, worker killed) are processed here."""
    settings = get_settings()
    ids = pending_ids(settings)
    if ids:
        process(settings, ids)
    return len(ids)


@celery_app.task(name="consult.poll_imap", acks_late=True)
def poll_imap() -> int:
    """New mail in the CONSULT_IMAP_URL folder is stored and processed (scheduled only when it is set)."""
    return imap.poll(get_settings())


@celery_app.task(name=PURGE_TASK, acks_late=True)
def purge_expired_data() -> dict[str, int]:
    """Raw incoming mail, export files and outside addresses kept longer than the retention
    settings are deleted."""
    with sessions()() as session:
        purged = purge_expired(session, get_settings())
        session.commit()
    return {
        "inbound_messages": purged.inbound_messages,
        "export_files": purged.export_files,
        "addresses": purged.addresses,
    }

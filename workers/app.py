"""The workers' Celery app: consult's (``consult.jobs.celery``, which the API publishes through) with
the tasks of ``workers.tasks`` and the beat schedule."""

from __future__ import annotations

from typing import Any

from celery.signals import celeryd_init, worker_ready

from consult.claims import GONE_AFTER_SECONDS, HEARTBEAT_SECONDS
from consult.jobs import celery
from consult.privacy.retention import PURGE_TASK
from consult.settings import Settings, get_settings, production_settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Periodic work scans the database (no long countdown/ETA tasks); run exactly one beat."""
    return {
        "relay-outbox": {"task": "consult.relay_outbox", "schedule": settings.outbox.relay_seconds},
        "send-due-reminders": {
            "task": "consult.send_due_reminders",
            "schedule": settings.events.reminder_scan_seconds,
        },
        "scan-comment-rounds": {"task": "consult.scan_rounds", "schedule": settings.rounds.scan_seconds},
        "scan-scheduling-polls": {"task": "consult.scan_polls", "schedule": settings.polls.scan_seconds},
        "scan-questionnaires": {
            "task": "consult.scan_questionnaires",
            "schedule": settings.questionnaires.scan_seconds,
        },
        "scan-export-jobs": {"task": "consult.scan_exports", "schedule": settings.exports.scan_seconds},
        "scan-inbound-email": {"task": "consult.scan_inbound", "schedule": settings.inbound.scan_seconds},
        "purge-expired": {"task": PURGE_TASK, "schedule": settings.retention.scan_seconds},
        # Only with a mailbox to poll: nothing runs (or logs) while CONSULT_IMAP_URL is unset.
        **(
            {"poll-imap": {"task": "consult.poll_imap", "schedule": settings.imap.poll_seconds}}
            if settings.imap.url
            else {}
        ),
    }


celery_app = celery()
celery_app.conf.update(include=["workers.tasks"], beat_schedule=beat_schedule(get_settings()))


def _relay_once_the_dead_are_known(sender: Any, **_: Any) -> None:
    """A worker that starts may replace one that was killed: relay once that one's heartbeat has gone
    stale, so its claims are taken over without waiting for the beat schedule."""
    for task in ("consult.relay_outbox", "consult.scan_exports"):
        sender.app.send_task(task, countdown=GONE_AFTER_SECONDS + HEARTBEAT_SECONDS)


worker_ready.connect(_relay_once_the_dead_are_known)


def refuse_dev_settings(**_: Any) -> None:
    """`celery worker` and `consult worker` refuse the dev secret key (the worker `consult dev` runs
    in a thread is no worker program and does not send this signal)."""
    production_settings()


celeryd_init.connect(refuse_dev_settings)

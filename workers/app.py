"""The Celery app. Redis is the broker in production; the embedded default uses kombu's filesystem
transport in the data folder, so `consult dev` needs no external server."""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery
from celery.signals import celeryd_init

from consult.settings import Settings, get_settings, production_settings

# A killed worker's unacknowledged task comes back after this long; retries back off well below it.
VISIBILITY_TIMEOUT_SECONDS = 15 * 60


def broker_settings(settings: Settings) -> dict[str, Any]:
    if settings.broker.embedded:
        folder = settings.storage.broker_dir
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "broker_url": "filesystem://",
            "broker_transport_options": {
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "processed_folder": str(folder / "processed"),
                "control_folder": str(folder / "control"),
                "store_processed": False,
            },
        }
    return {
        "broker_url": settings.broker.url,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
    }


def make_celery(settings: Settings) -> Celery:
    app = Celery("consult", include=["workers.tasks"])
    app.conf.update(
        **broker_settings(settings),
        task_default_queue=settings.broker.queue,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # Publishing must not hang a request when the broker is down: the outbox relay catches up.
        broker_connection_timeout=2,
        task_publish_retry=False,
        timezone="UTC",
        enable_utc=True,
        # Periodic work scans the database (no long countdown/ETA tasks); run exactly one beat.
        beat_schedule={
            "relay-outbox": {"task": "consult.relay_outbox", "schedule": settings.outbox.relay_seconds},
            "send-due-reminders": {
                "task": "consult.send_due_reminders",
                "schedule": settings.events.reminder_scan_seconds,
            },
            "scan-comment-rounds": {"task": "consult.scan_rounds", "schedule": settings.rounds.scan_seconds},
            "scan-export-jobs": {"task": "consult.scan_exports", "schedule": settings.exports.scan_seconds},
            "scan-inbound-email": {"task": "consult.scan_inbound", "schedule": settings.inbound.scan_seconds},
            # Only with a mailbox to poll: nothing runs (or logs) while CONSULT_IMAP_URL is unset.
            **(
                {"poll-imap": {"task": "consult.poll_imap", "schedule": settings.imap.poll_seconds}}
                if settings.imap.url
                else {}
            ),
        },
    )
    return app


celery_app = make_celery(get_settings())


def refuse_dev_settings(**_: Any) -> None:
    """`celery worker` and `consult worker` refuse the dev secret key (the worker `consult dev` runs
    in a thread is no worker program and does not send this signal)."""
    production_settings()


celeryd_init.connect(refuse_dev_settings)


async def broker_ping(settings: Settings) -> str:
    if settings.broker.embedded:
        return "embedded"
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(settings.broker.url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and is reported as such
        return f"error: {type(exc).__name__}"
    finally:
        await client.aclose()

"""Work for the Celery workers, handed over only once the transaction that records it has committed.

Code that records work calls ``defer`` (or ``defer_batched``) on its session, sync or async; a
listener on every SQLAlchemy session publishes the tasks after the session commits and forgets them
after a rollback, wherever the session was opened (an HTTP request, a task, the CLI). Tasks are
published by name, so nothing here imports the workers; ``workers/app.py`` adds the tasks and the
beat schedule to the same Celery app (``celery()``).

The rows behind the work are the record, not the broker: a broker that is down when a transaction
commits only delays the work, because each kind of work has a relay (a beat task) that dispatches
again what stayed pending (see ``consult.claims``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from consult.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# The Celery app of the workers, as Celery's loader finds it (`celery -A`): the CLI and `consult dev`
# start workers by this name instead of importing them.
WORKER_APP = "workers.app:celery_app"
# A killed worker's unacknowledged task comes back after this long; retries back off well below it.
VISIBILITY_TIMEOUT_SECONDS = 15 * 60
_PENDING_KEY = "consult.jobs"


def broker_settings(settings: Settings) -> dict[str, Any]:
    """Redis in production; the embedded default is kombu's filesystem transport in the data folder,
    so `consult dev` needs no external server."""
    if settings.broker.embedded:
        folder = settings.storage.broker_dir
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            # The filesystem transport ignores the host, but kombu warns "No hostname was supplied"
            # at every connection when the URL names none.
            "broker_url": "filesystem://localhost/",
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
    """A Celery app that publishes consult's tasks by name (the workers add the tasks themselves)."""
    app = Celery("consult")
    app.conf.update(
        **broker_settings(settings),
        task_default_queue=settings.broker.queue,
        # Remote control (ping, inspect, shutdown) and worker events travel on fanout exchanges,
        # which are Redis pub/sub channels: every worker on the Redis server hears them, whatever
        # its queue. Named after the queue, a deployment's commands reach only its own workers.
        control_exchange=settings.broker.queue,
        event_exchange=f"{settings.broker.queue}.events",
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # Publishing must not hang when the broker is down: the relays catch up.
        broker_connection_timeout=2,
        task_publish_retry=False,
        timezone="UTC",
        enable_utc=True,
    )
    return app


@functools.cache
def celery() -> Celery:
    """The process's Celery app, configured from the settings: a client in the API and the CLI, and
    the app the workers run (``workers/app.py`` adds the tasks and the beat schedule to it)."""
    return make_celery(get_settings())


@dataclass
class _Pending:
    """The tasks a session has deferred: single ones, and items gathered into batches per task."""

    single: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    batched: dict[tuple[str, int], list[Hashable]] = field(default_factory=dict)

    def messages(self) -> list[tuple[str, tuple[Any, ...]]]:
        messages = list(self.single)
        for (task, size), items in self.batched.items():
            messages += [(task, (items[start : start + size],)) for start in range(0, len(items), size)]
        return messages


def _pending(session: Session | AsyncSession) -> _Pending:
    info = session.info  # an AsyncSession shares its sync session's info
    pending: _Pending = info.setdefault(_PENDING_KEY, _Pending())
    return pending


def defer(session: Session | AsyncSession, task: str, *args: Any) -> None:
    """Publish ``task(*args)`` once the session's transaction commits; nothing if it rolls back."""
    _pending(session).single.append((task, args))


def defer_batched(session: Session | AsyncSession, task: str, item: Hashable, size: int) -> None:
    """Add ``item`` to the list argument of ``task``; after commit one message carries up to ``size``
    items (one SMTP connection per batch of emails, for instance)."""
    _pending(session).batched.setdefault((task, size), []).append(item)


def publish(messages: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Send tasks to the broker now. A broker that is down only delays them: the relays dispatch the
    rows that stay pending again."""
    app = celery()
    try:
        for task, args in messages:
            app.send_task(task, args=list(args))
    except Exception:
        logger.warning("broker unavailable; the relay will dispatch the work again", exc_info=True)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING_KEY, None)
    if pending is None:
        return
    messages = pending.messages()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a synchronous caller (a task, the CLI): publishing may block it
        publish(messages)
        return
    # An async session commits on the event loop, which a broker that is slow to answer must not
    # block; the loop's executor finishes the hand-over before ``asyncio.run`` returns.
    loop.run_in_executor(None, publish, messages)


@event.listens_for(Session, "after_transaction_end")
def _forget_unless_committed(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without a commit (rolled back, or the session closed) takes its work
    with it; after a commit the work is already gone from here."""
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)

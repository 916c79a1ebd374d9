"""Rows that wait for a worker, and the relay that dispatches them again when the broker lost them.

``Relayed`` rows (outbox emails, export jobs, incoming messages) record when they were last handed to
the broker; a beat task re-dispatches those still waiting after a grace period (``due_for_relay``).

``Leased`` rows are claimed by a worker for longer than a transaction: one UPDATE takes them, so two
deliveries of a task never do the work twice. The claim names the worker process, and every worker
process keeps a heartbeat row fresh while it lives; a claim whose worker stopped beating (killed,
machine gone) is free within seconds, and any claim is free after its lease, which is what frees
the rows of a worker that is alive but stuck.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ColumnElement, Integer, String, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from consult.db import Base

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# A worker whose heartbeat is older than this is gone: its claims are free. Several missed beats, so
# a busy database or a pause of the process is not taken for a death.
GONE_AFTER_SECONDS = 15.0
# Heartbeats of workers gone this long are deleted.
FORGET_AFTER = dt.timedelta(hours=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WorkerHeartbeat(Base):
    """A worker process that is alive, as long as ``beat_at`` keeps moving."""

    __tablename__ = "worker_heartbeat"

    worker: Mapped[str] = mapped_column(String(200), unique=True)
    beat_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class Relayed:
    """A row handed to the broker after commit; the relay dispatches it again while it waits."""

    WAITING: ClassVar[Any]  # the state of a row no worker has taken yet
    if TYPE_CHECKING:  # columns of the model the mixin is part of
        id: Mapped[UUID]
        state: Mapped[Any]

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row was last handed to the broker.
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Leased(Relayed):
    """A row a worker holds across transactions while it works on it."""

    WORKING: ClassVar[Any]  # the state of a claimed row

    # When the claim was taken or last renewed, and by which worker process (``worker_id``).
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)


class _Process:
    """This process's identity and heartbeat thread; a forked child gets its own."""

    pid = 0
    worker = ""
    thread: threading.Thread | None = None


_process = _Process()
_process_lock = threading.Lock()


def worker_id() -> str:
    """The current worker process: host, pid and a random part (pids are reused)."""
    if _process.pid != os.getpid():
        _process.pid = os.getpid()
        _process.worker = f"{socket.gethostname()}:{_process.pid}:{secrets.token_hex(4)}"
        _process.thread = None
    return _process.worker


def _beat(session: Session) -> None:
    """Record that this worker process is alive (an upsert: the claim and the heartbeat thread may
    write the first beat at the same time)."""
    now = _now()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(WorkerHeartbeat).values(worker=worker_id(), beat_at=now)
    session.execute(
        stmt.on_conflict_do_update(index_elements=[WorkerHeartbeat.worker], set_={"beat_at": now})
    )


def _keep_beating(bind: Engine | Connection) -> None:
    while True:
        try:
            with Session(bind) as session:
                _beat(session)
                session.execute(
                    delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < _now() - FORGET_AFTER)
                )
                session.commit()
        except Exception:
            logger.warning("worker heartbeat not recorded; trying again", exc_info=True)
        time.sleep(HEARTBEAT_SECONDS)


def keep_alive(bind: Engine | Connection) -> None:
    """Start this process's heartbeat thread, once per process."""
    with _process_lock:
        worker_id()
        if _process.thread is None:
            _process.thread = threading.Thread(
                target=_keep_beating, args=(bind,), name="consult-heartbeat", daemon=True
            )
            _process.thread.start()


def lost(model: type[Leased], lease_seconds: float, now: dt.datetime) -> ColumnElement[bool]:
    """Claimed rows whose worker is gone, or that were held longer than the lease."""
    alive = select(WorkerHeartbeat.worker).where(
        WorkerHeartbeat.beat_at >= now - dt.timedelta(seconds=GONE_AFTER_SECONDS)
    )
    return and_(
        model.state == model.WORKING,
        or_(
            model.claimed_at < now - dt.timedelta(seconds=lease_seconds),
            model.claimed_by.not_in(alive),
        ),
    )


def claim(
    session: Session,
    model: type[Leased],
    ids: Sequence[UUID],
    *,
    lease_seconds: float,
    ready: ColumnElement[bool] | None = None,
    **values: Any,
) -> list[UUID]:
    """Take the rows among ``ids`` that wait (and are ``ready``) or whose claim is lost, set ``values``
    on them, and commit; returns the ids taken. The claim and this process's heartbeat are written in
    one transaction, so no other worker ever sees a claim without a live heartbeat behind it."""
    keep_alive(session.get_bind())
    now = _now()
    waiting: ColumnElement[bool] = model.state == model.WAITING
    if ready is not None:
        waiting = and_(waiting, ready)
    _beat(session)
    taken = session.scalars(
        update(model)
        .where(model.id.in_(ids), or_(waiting, lost(model, lease_seconds, now)))
        .values(
            state=model.WORKING,
            claimed_at=now,
            claimed_by=worker_id(),
            attempts=model.attempts + 1,
            **values,
        )
        .returning(model.id)
    ).all()
    session.commit()
    return list(taken)


def renew(session: Session, model: type[Leased], row_id: UUID, **values: Any) -> None:
    """Extend this worker's claim on a row (a long job reporting progress), setting ``values``."""
    session.execute(
        update(model)
        .where(model.id == row_id, model.state == model.WORKING, model.claimed_by == worker_id())
        .values(claimed_at=_now(), **values)
    )


def due_for_relay(
    session: Session,
    model: type[Relayed],
    *,
    grace_seconds: float,
    lease_seconds: float | None = None,
    ready: ColumnElement[bool] | None = None,
    order_by: InstrumentedAttribute[Any] | None = None,
    limit: int | None = None,
) -> list[UUID]:
    """Rows to hand to the broker again, marked as dispatched now (the caller defers their tasks and
    commits): waiting rows not dispatched within the grace period, and, for leased rows, rows whose
    claim is lost."""
    now = _now()
    due: ColumnElement[bool] = and_(
        model.state == model.WAITING,
        or_(model.dispatched_at.is_(None), model.dispatched_at < now - dt.timedelta(seconds=grace_seconds)),
    )
    if ready is not None:
        due = and_(due, ready)
    if lease_seconds is not None:
        assert issubclass(model, Leased)
        due = or_(due, lost(model, lease_seconds, now))
    stmt = select(model.id).where(due).limit(limit)
    if order_by is not None:
        stmt = stmt.order_by(order_by)
    ids = list(session.scalars(stmt).all())
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(dispatched_at=now))
    return ids

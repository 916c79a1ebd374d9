"""The database sessions of an HTTP request.

Requests with a safe method (GET, HEAD, OPTIONS) read in autocommit mode, which spares the BEGIN and
COMMIT round trips; under READ COMMITTED every statement reads its own snapshot anyway, so a reader
sees nothing different. Writing in such a session would not be atomic, so it is refused as the
programming error it is. A read resolves its bearer token in the same session as the handler: one
pooled connection per request.

A write resolves its token in a short autocommit session, closed at once, and its own session begins
its transaction only at its first statement, after the body has been read: a client uploading slowly
holds no connection, and no transaction stays open while it does.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from consult.db import async_session_factory, create_api_engine
from consult.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPE_KEY = "consult.db_session"
_TRANSACTION = "db_transaction"
# Who is asking and from where, in a request's ``session.info`` (consult.audit records them with every
# change): the request's principal (absent on public pages, which name their person themselves) and
# the client's address.
PRINCIPAL_KEY = "consult.principal"
ADDRESS_KEY = "consult.client_address"
# Route option for a safe request that needs a transaction all the same: reading through a
# server-side cursor (asyncpg has those only inside a transaction).
IN_TRANSACTION = {_TRANSACTION: True}


class ReadOnlySession(Session):
    """The session of a safe request: autocommit, and no writes through the ORM or ``session.execute``
    (a statement run on ``session.connection()`` is the caller's responsibility)."""


def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise RuntimeError("a GET or HEAD request must not write to the database")


def _refuse_write_statements(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError("a GET or HEAD request must not write to the database")


event.listen(ReadOnlySession, "before_flush", _refuse_flush)
event.listen(ReadOnlySession, "do_orm_execute", _refuse_write_statements)


class RequestSessions:
    """The API's engine and its two session factories, kept in the app's state.

    On PostgreSQL the pooled connections rest in autocommit mode: readers run without a transaction,
    and writers ask for a READ COMMITTED one.
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = create_api_engine(settings, autocommit=True)
        writes = self.engine
        if self.engine.dialect.name == "postgresql":
            writes = self.engine.execution_options(isolation_level="READ COMMITTED")
        self.read_write: async_sessionmaker[AsyncSession] = async_session_factory(writes)
        self.read_only: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=ReadOnlySession
        )


def _reads_only(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope.get("method", "GET") in SAFE_METHODS and not connection.route_handler.opt.get(
        _TRANSACTION
    )


def request_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The request's session, opened on first use and kept in the ASGI scope."""
    scope: dict[str, Any] = connection.scope  # type: ignore[assignment]
    session: AsyncSession | None = scope.get(_SCOPE_KEY)
    if session is None:
        sessions: RequestSessions = connection.app.state.db_sessions
        session = scope[_SCOPE_KEY] = (
            sessions.read_only if _reads_only(connection) else sessions.read_write
        )()
    return session


@asynccontextmanager
async def token_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """Where to look the bearer token up: a read's own session, or a short autocommit one for a write."""
    if _reads_only(connection):
        yield request_session(connection)
        return
    sessions: RequestSessions = connection.app.state.db_sessions
    session = sessions.read_only()
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: AsyncSession) -> None:
    # Shielded: a client that goes away while the connection is being given back must not leave it
    # to the garbage collector.
    with anyio.CancelScope(shield=True):
        await session.close()


async def close_request_session(scope: Any) -> None:
    """Gives the connection back if the handler did not (a refused token, a route without the database)."""
    session: AsyncSession | None = scope.pop(_SCOPE_KEY, None)
    if session is not None:
        await _close(session)


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """The handler's session, committed when it succeeds and rolled back otherwise.

    Work the request deferred (``consult.jobs``: emails in the outbox, export jobs, incoming mail)
    goes to the workers only once the commit has succeeded.
    """
    async with request_session(request) as session:
        session.info[PRINCIPAL_KEY] = request.scope.get("user")
        session.info[ADDRESS_KEY] = request.client.host if request.client else None
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        if isinstance(session.sync_session, ReadOnlySession):
            return  # nothing to commit; closing gives the connection back
        await session.commit()

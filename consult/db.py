"""Database plumbing: the declarative base, URL handling and engine/session factories.

The API uses an async engine (asyncpg, or aiosqlite for the embedded default); Celery workers use a
synchronous engine (psycopg, or pysqlite) over the same models.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from typing import Any

import asyncpg
from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import Engine, Enum, Select, create_engine, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from consult.settings import Settings

# How the API's connections show in pg_stat_activity.
APPLICATION_NAME = "consult"

Base = UUIDv7AuditBase
"""Every table has a UUIDv7 ``id`` and UTC ``created_at`` / ``updated_at``."""


def str_enum(kind: type[enum.StrEnum], length: int = 32) -> Enum:
    """Enums stored as their values in a VARCHAR, so SQLite and PostgreSQL share one migration."""
    return Enum(
        kind,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "sqlite": "sqlite+pysqlite"}


def _database_url(settings: Settings) -> URL:
    if settings.database.embedded:
        return make_url(f"sqlite:///{settings.storage.sqlite_path}")
    url = make_url(settings.database.url)
    backend = url.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"CONSULT_DATABASE_URL: unsupported database {backend!r} (use postgresql or sqlite)")
    return url.set(drivername=backend)


def async_url(settings: Settings) -> URL:
    url = _database_url(settings)
    return url.set(drivername=_ASYNC_DRIVERS[url.get_backend_name()])


def sync_url(settings: Settings) -> URL:
    url = _database_url(settings)
    return url.set(drivername=_SYNC_DRIVERS[url.get_backend_name()])


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _prepare_sqlite(settings: Settings) -> None:
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)


def create_api_engine(settings: Settings, *, autocommit: bool = False) -> AsyncEngine:
    """The async engine. With ``autocommit``, pooled PostgreSQL connections are in autocommit mode
    unless a session asks for a transaction (see ``consult.sessions``); SQLite ignores it."""
    url = async_url(settings)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite(settings)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_async_engine(
        url,
        pool_size=settings.database.pool_size,
        # A firewall or load balancer may drop an idle connection without a word, which no check on
        # checkout notices: renew connections well before the usual idle limits.
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
        **options,
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed_connection)
    return engine


def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (restart, idle timeout, terminated backend) is replaced
    on checkout. asyncpg notices the close as it happens, on the event loop, so this costs no round
    trip; ``pool_pre_ping`` would spend one on every request."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def create_worker_engine(settings: Settings) -> Engine:
    url = sync_url(settings)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite(settings)
        engine = create_engine(url)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    # Workers write delivery bookkeeping after every message. Not waiting for the WAL flush makes
    # that cheap; a database crash can then forget the last fraction of a second of it, which only
    # means a message may be sent twice, never lost (the outbox rows themselves are written by the
    # API with full durability).
    return create_engine(
        url, pool_size=5, pool_pre_ping=True, connect_args={"options": "-c synchronous_commit=off"}
    )


@functools.lru_cache(maxsize=256)
def _asyncpg_statement(
    stmt: Select[*tuple[Any, ...]], dialect: Dialect
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """A statement as asyncpg takes it: the SQL, its parameters' names in order, and the values of the
    literals SQLAlchemy binds itself."""
    compiled = stmt.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)


async def fetch_rows(
    connection: AsyncConnection, stmt: Select[*tuple[Any, ...]], params: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of a read built once (a module-level statement: its compiled form is cached).

    On PostgreSQL asyncpg runs the SQL that SQLAlchemy compiled, and the values come as the driver
    gives them: UUIDs, aware datetimes, and enum columns as their text values (callers turn those
    back into members). For the reads every request makes, where SQLAlchemy's execution and result
    processing cost as much as the rest of the request; elsewhere SQLAlchemy runs it.
    """
    if connection.dialect.driver != "asyncpg":
        rows: Sequence[Sequence[Any]] = (await connection.execute(stmt, params)).all()
        return rows
    sql, names, literals = _asyncpg_statement(stmt, connection.dialect)
    values = literals | params
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        return await driver.fetch(sql, *(values[name] for name in names))  # type: ignore[no-any-return]
    except asyncpg.PostgresError as exc:
        # As SQLAlchemy would raise it: a value the database refuses (a NUL in a filter) is then a 422.
        raise DBAPIError(sql, None, exc) from exc


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)

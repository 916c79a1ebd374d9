"""The fast layer: services called directly on a real PostgreSQL session, without HTTP or a worker.

Each test runs inside one transaction that is rolled back at its end, so nothing needs emptying and
tests cannot see each other's rows. Mark a module ``pytestmark = pytest.mark.anyio`` to write
``async def`` tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from consult.db import create_api_engine
from consult.settings import Settings, get_settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
async def db_session(database: str, settings: Settings) -> AsyncIterator[AsyncSession]:
    """An AsyncSession as the API's services get one, in a transaction rolled back after the test.

    The session's own transaction is a savepoint in the test's: ``commit()`` keeps what a test
    arranged as an earlier request would, and a service's ``rollback()`` (after an integrity error)
    ends only its own work, as it ends its request's transaction.
    """
    engine = create_api_engine(settings)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            session = AsyncSession(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            try:
                yield session
            finally:
                await session.close()
                await transaction.rollback()
    finally:
        await engine.dispose()

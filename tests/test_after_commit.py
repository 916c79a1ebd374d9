"""Work deferred in a session reaches the broker only after the session commits, from a sync or an
async session alike, and not at all when it rolls back."""

from __future__ import annotations

import asyncio
import base64
import json
from uuid import uuid4

import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.orm import Session

from consult import jobs
from consult.db import async_session_factory, create_api_engine
from consult.jobs import defer, defer_batched, make_celery
from consult.settings import BrokerSettings, Settings, get_settings
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch):
    """A queue of its own on the real broker, which no worker consumes; yields what reached it."""
    name = f"consult-after-commit-{uuid4().hex[:8]}"
    monkeypatch.setattr(jobs, "celery", lambda: make_celery(Settings(broker=BrokerSettings(queue=name))))
    redis = Redis.from_url(TEST_REDIS_URL)

    def published() -> list[tuple[str, list]]:
        messages = [json.loads(raw) for raw in redis.lrange(name, 0, -1)]
        return sorted(
            (m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in reversed(messages)
        )

    yield published
    redis.delete(name)
    redis.close()


def test_a_sync_session_publishes_after_commit_and_forgets_on_rollback(db_engine, queue):
    with Session(db_engine) as session:
        defer(session, "consult.example", "rolled back")
        session.execute(text("SELECT 1"))
        session.rollback()
        defer(session, "consult.example", "committed")
        for number in range(120):
            defer_batched(session, "consult.batch", number, 50)
        session.execute(text("SELECT 1"))
        assert queue() == [], "nothing leaves before the commit"
        session.commit()
    assert queue() == [
        ("consult.batch", [list(range(0, 50))]),
        ("consult.batch", [list(range(50, 100))]),
        ("consult.batch", [list(range(100, 120))]),
        ("consult.example", ["committed"]),
    ]


def test_an_async_session_publishes_after_commit(database, queue):
    async def record() -> None:
        engine = create_api_engine(get_settings())
        try:
            async with async_session_factory(engine)() as session:
                defer(session, "consult.example", "rolled back")
                await session.execute(text("SELECT 1"))
                await session.rollback()
                defer(session, "consult.example", "committed")
                await session.execute(text("SELECT 1"))
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(record())  # the hand-over runs beside the event loop and is done when the loop closes
    assert queue() == [("consult.example", ["committed"])]

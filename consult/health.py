from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from litestar import Request, Response, get
from sqlalchemy import text

from consult.settings import Settings


async def broker_ping(settings: Settings) -> str:
    if settings.broker.embedded:
        return "embedded"
    client = aioredis.Redis.from_url(settings.broker.url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and is reported as such
        return f"error: {type(exc).__name__}"
    finally:
        await client.aclose()


@get("/health", tags=["ops"])
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Reports whether the database and the broker (Redis) answer; 503 when one does not."""
    settings: Settings = request.app.state.settings
    report = {"status": "ok", "database": "ok", "broker": "ok"}
    try:
        async with request.app.state.db_sessions.read_only() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and is reported as such
        report["database"] = f"error: {type(exc).__name__}"
    report["broker"] = await broker_ping(settings)
    report["redis"] = report["broker"]
    if report["database"] != "ok" or report["broker"] not in ("ok", "embedded"):
        report["status"] = "degraded"
        return Response(report, status_code=503)
    return Response(report)

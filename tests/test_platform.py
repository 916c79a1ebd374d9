"""Health, OpenAPI and the shape of errors, against the running server."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text

from consult.auth.models import Role
from consult.db import APPLICATION_NAME
from tests.conftest import api_server
from tests.helpers import problem
from tests.servers import free_port


def test_health_reports_database_and_redis(server):
    response = httpx.get(f"{server}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "redis": "ok"}


def test_health_says_when_redis_is_down(database, tmp_path):
    with api_server(tmp_path, CONSULT_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0") as base_url:
        response = httpx.get(f"{base_url}/health")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["redis"].startswith("error")


def test_openapi_schema_lists_the_api(server):
    schema = httpx.get(f"{server}/schema/openapi.json").json()
    for path in (
        "/api/v1/organisations",
        "/api/v1/people",
        "/api/v1/groups",
        "/api/v1/consultations",
        "/api/v1/events",
        "/api/v1/events/{event_id}/cancel",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_unknown_routes_and_ids_are_problems(api):
    problem(api.get("/api/v1/nothing-here"), 404)
    problem(api.get("/api/v1/events/018f4a7e-0000-7000-8000-000000000000"), 404)
    problem(api.get("/api/v1/events/not-a-uuid"), 404)
    problem(api.put("/api/v1/organisations"), 405)


def test_requests_go_on_when_the_database_closes_pooled_connections(api, db):
    """A database restart or an idle timeout closes the pool's connections under the server: the next
    requests, reading (autocommit) and writing (in a transaction), get fresh ones, not errors."""
    assert api.get("/api/v1/organisations").status_code == 200
    terminated = db.execute(
        text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = :name"
        ),
        {"name": APPLICATION_NAME},
    ).scalar_one()
    db.commit()
    assert terminated >= 1
    time.sleep(0.5)  # the server's event loop sees the sockets close
    for n in range(12):  # more than the pool holds
        assert api.get("/api/v1/organisations").status_code == 200
        created = api.post("/api/v1/organisations", json={"name": f"Organisation {n}", "kind": "ngo"})
        assert created.status_code == 201, created.text
    assert api.get("/api/v1/organisations").json()["total"] == 12


def test_a_slow_upload_holds_no_database_connection(server, tokens, db):
    """A write's token is checked and its connection given back before the body arrives; its
    transaction begins only once the handler runs."""
    body = b'{"name": "Migrant Support NGO", "kind": "ngo"}'
    host, port = urlsplit(server).hostname, urlsplit(server).port
    with socket.create_connection((host, port), timeout=10) as client:
        client.sendall(
            b"POST /api/v1/organisations HTTP/1.1\r\n"
            + f"Host: {host}\r\nAuthorization: Bearer {tokens[Role.ORGANISER]}\r\n".encode()
            + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(1)  # the client stalls mid-body
        held = db.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = :name AND state <> 'idle'"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
        db.commit()
        assert held == 0
        client.sendall(body[10:])
        assert client.recv(4096).startswith(b"HTTP/1.1 201")

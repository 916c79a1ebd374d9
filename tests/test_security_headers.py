"""Issue 11: security headers on every response; CORS only for the origins CONSULT_CORS_ORIGINS lists."""

from __future__ import annotations

import httpx
import pytest

from consult.auth.models import Role
from tests.conftest import api_server

PORTAL = "https://portal.example.org"


def test_every_response_carries_the_headers(server, api):
    responses = {
        "probe": httpx.get(f"{server}/health"),
        "api": api.get("/api/v1/organisations"),
        "unauthorised": httpx.get(f"{server}/api/v1/organisations"),
        "link page": httpx.get(f"{server}/r/csr_unknown"),
        "no route": httpx.get(f"{server}/no/such/path"),
        "wrong method": httpx.delete(f"{server}/health"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 401, 404, 404, 405]
    for what, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", what
        assert response.headers["Referrer-Policy"] == "no-referrer", what
        assert response.headers["X-Frame-Options"] == "DENY", what
        assert "Strict-Transport-Security" not in response.headers, what  # plain http here
    page = responses["link page"]
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy  # no script at all
    for what in ("link page", "api", "unauthorised"):
        assert responses[what].headers["Cache-Control"] == "no-store", what
    assert "Content-Security-Policy" not in responses["api"].headers  # JSON, not a page


def test_no_cors_unless_configured(server):
    preflight = httpx.options(
        f"{server}/api/v1/organisations",
        headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET"},
    )
    plain = httpx.get(f"{server}/health", headers={"Origin": PORTAL})
    for response in (preflight, plain):
        assert "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture(scope="module")
def https_server(database, tmp_path_factory) -> str:
    with api_server(
        tmp_path_factory.mktemp("https"),
        CONSULT_BASE_URL="https://consult.example.org",
        CONSULT_CORS_ORIGINS=f"{PORTAL}, https://other.example.org",
    ) as base_url:
        yield base_url


def test_hsts_when_the_base_url_is_https(https_server):
    response = httpx.get(f"{https_server}/health")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_cors_for_the_listed_origins_only(https_server, tokens):
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            f"{https_server}/api/v1/organisations",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )

    allowed = preflight(PORTAL)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    refused = preflight("https://evil.example.org")
    assert refused.headers.get("Access-Control-Allow-Origin") != "https://evil.example.org"
    assert refused.status_code == 400

    read = httpx.get(
        f"{https_server}/api/v1/organisations",
        headers={"Origin": PORTAL, "Authorization": f"Bearer {tokens[Role.FACILITATOR]}"},
    )
    assert read.status_code == 200
    assert read.headers["Access-Control-Allow-Origin"] == PORTAL

from __future__ import annotations

from typing import Any

import httpx


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """Asserts an RFC 9457 problem-details answer; with ``field``, that the field is named."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body

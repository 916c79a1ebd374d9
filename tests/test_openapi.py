"""The OpenAPI document is a contract clients can build on (consult/openapi.py): valid, every
operation described with who may call it, its credential, every error status as the one problem
schema, real media types for files; and the documentation UI works without internet.

tests/test_fuzz.py checks the running API's answers against this document."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from consult.openapi import OPERATIONS

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PAGES = ("/r/", "/rsvp/", "/unsubscribe/", "/p/", "/poll/", "/q/")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    response = httpx.get(f"{server}/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_the_document_is_valid_openapi(document) -> None:
    validate(document)
    assert len(operations(document)) >= 78


def test_every_operation_says_what_it_does_and_who_may_call_it(document) -> None:
    ids = {operation["operationId"] for _, _, operation in operations(document)}
    assert ids - OPERATIONS.keys() == set(), "add a summary and description to consult/openapi.py"
    assert OPERATIONS.keys() - ids == set(), "rows of consult/openapi.py's OPERATIONS without a route"
    for method, path, operation in operations(document):
        label = f"{method.upper()} {path}"
        assert operation.get("summary") and " " in operation["summary"], label  # a phrase, not a name
        assert "Who may call:" in operation.get("description", ""), label


def test_security_per_operation(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"bearer", "roundLink", "questionnaireLink"}
    assert "security" not in document  # no document-wide default: each operation says
    by_label = {f"{m.upper()} {p}": op for m, p, op in operations(document)}
    for label, operation in by_label.items():
        path = label.split(" ", 1)[1]
        if path == "/health" or path.startswith(PAGES):
            assert operation["security"] == [], label
        elif "/my-response" in path:  # the respondents' API: their link's token only
            assert operation["security"] == [{"questionnaireLink": []}], label
        else:
            assert {"bearer": []} in operation["security"], label
    stakeholder = [{"bearer": []}, {"roundLink": []}]
    assert by_label["POST /api/v1/rounds/{round_id}/comments"]["security"] == stakeholder
    assert by_label["GET /api/v1/rounds/{round_id}/draft"]["security"] == stakeholder
    assert by_label["POST /api/v1/rounds"]["security"] == [{"bearer": []}]
    assert by_label["GET /api/v1/people"]["security"] == [{"bearer": []}]


def test_errors_are_documented_as_problems(document) -> None:
    for method, path, operation in operations(document):
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        for status, response in responses.items():
            if not status.startswith("4"):
                continue
            content = response["content"]
            if path.startswith(PAGES) and "text/html; charset=utf-8" in content:
                continue  # a page for people
            assert content == {"application/problem+json": {"schema": PROBLEM_REF}}, (label, status)
        expected = set()
        if path.startswith("/api/"):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("422")
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
            expected.add("415")
        if path.startswith("/api/") and method != "get":
            expected.add("409")
        assert expected <= set(responses), (label, sorted(expected - set(responses)))
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def test_files_have_their_real_media_types(document) -> None:
    paths = document["paths"]

    def content(path: str) -> dict[str, Any]:
        found: dict[str, Any] = paths[path]["get"]["responses"]["200"]["content"]
        return found

    stats = content("/api/v1/consultations/{consultation_id}/stats")
    assert stats["application/json"]["schema"] == {"$ref": "#/components/schemas/ConsultationStats"}
    assert stats[XLSX]["schema"] == {"type": "string", "format": "binary"}
    assert set(content("/api/v1/consultations/{consultation_id}/stats.xlsx")) == {XLSX}
    for path in ("/api/v1/rounds/{round_id}/export", "/api/v1/exports/{export_id}/file"):
        assert set(content(path)) == {XLSX, DOCX, "text/csv", "application/json"}, path
    assert set(content("/api/v1/events/{event_id}/calendar.ics")) == {"text/calendar; charset=utf-8"}
    assert set(content("/api/v1/attachments/{attachment_id}")) == {"application/octet-stream"}


def test_the_docs_page_loads_only_our_own_files(server: str) -> None:
    page = httpx.get(f"{server}/schema/swagger")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        assert source.startswith("/schema/static/"), source  # no CDN
        assert httpx.get(f"{server}{source}").status_code == 200, source


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (scripts/test installs it)")
def test_the_docs_page_renders_without_internet(server: str) -> None:
    """Every address but the API's goes to a closed port, as on a machine without internet."""
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{server}/schema/swagger",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    assert 'class="opblock-summary-path"' in dom or "opblock-summary-path" in dom, dom[-2000:]
    assert "Create an organisation" in dom

"""Bad input gets a clear 4xx problem-details answer: never a 500, never a half-written record.

``test_every_operation_survives_generated_input`` loads the OpenAPI schema from the running server
and lets Schemathesis generate, for every operation, requests that fit the schema (positive) and
requests that do not (negative), half as an admin (every guard lets an admin through) and half with
a stakeholder's round link token (which the staff-only operations refuse with 403). Path ids and
``*_id`` body fields are swapped, half of the time, for ids of real records seeded first, so the
generated bodies reach the services and the database instead of stopping at a 404.

Checked for every answer: no 5xx; a 4xx is ``application/problem+json`` with ``status`` (equal to
the response status), ``title`` and ``detail``; the status, the content type and the body are as the
OpenAPI document says (Schemathesis's conformance checks); a refused write leaves the row counts of
every table as they were. The two exceptions are stated where they are made:

* ``/rsvp/{token}``, ``/r/{token}``, ``/unsubscribe/{token}``, ``/p/{token}``, ``/poll/{token}`` and ``/q/...`` are pages people
  open from their email: an unknown link is a 404 HTML page, and a refused form is the page again
  with the error (HTML). They are fuzzed with random tokens (no 5xx), and below with real tokens and
  hand-written malformed input.
* Multipart uploads (``POST /people/import``, ``POST /documents/{id}/versions``) are fuzzed, but the
  generator cannot produce meaningful files (XLSX, DOCX, CSV with the right header), so the hand-written
  tests below send random bytes, truncated zips, wrong content types and oversized files.

Nothing else is left out. The run is deterministic (``derandomize``) and bounded: EXAMPLES_PER_MODE
positive plus as many negative cases per operation; failures are collected (not shrunk) and reported
together with a curl command each.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import secrets
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    Failure,
    FailureGroup,
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select, text

from consult.auth.models import Role
from consult.auth.tokens import token_digest
from consult.drafts.fixtures import strategy_markdown
from consult.invitations.models import RsvpLink
from consult.models import Base
from consult.rounds.links import new_round_link
from consult.rounds.models import CommentRound, RoundInvitee
from consult.settings import get_settings
from tests.helpers import problem
from tests.polls.helpers import link_for
from tests.questionnaires.helpers import (
    confirmation_token,
    open_answer_form,
    questionnaire_definition,
    questionnaire_token,
    unconfirmed_response,
)

EXAMPLES_PER_MODE = int(os.environ.get("CONSULT_FUZZ_EXAMPLES", "15"))
PAGE_PATHS = ("/rsvp/", "/r/", "/unsubscribe/", "/p/", "/poll/", "/q/")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# What the answers must agree with in the OpenAPI document (consult/openapi.py): a documented status,
# a documented content type, and a body that fits the documented schema (problems included).
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    not_a_server_error,
]


def future(days: int, hour: int) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


def iso_from_now(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat()


@dataclass
class Seeded:
    """Real records to aim generated requests at, by the name of the path parameter or body field."""

    ids: dict[str, str]
    rsvp_token: str
    round_token: str
    body_ids: dict[str, Any] = field(default_factory=dict)
    poll_token: str = ""
    questionnaire_token: str = ""  # the bearer of the respondents' API (``…/my-response``)
    confirm_token: str = ""  # an open questionnaire's answer waiting for its email confirmation


def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def poll_body(person_id: str) -> dict[str, Any]:
    """A scheduling poll asking one person about two times a month ahead."""
    return {
        "title": "Round table",
        "kind": "round_table",
        "format": "online",
        "timezone": "Europe/Vienna",
        "duration_minutes": 90,
        "online_url": "https://meet.example.org/rt",
        "slots": [{"starts_at": future(40, 10)}, {"starts_at": future(41, 10)}],
        "closes_at": future(30, 18),
        "person_ids": [person_id],
    }


@pytest.fixture
def admin(client_for) -> httpx.Client:
    return client_for(Role.ADMIN)


@pytest.fixture
def seeded(admin: httpx.Client, db) -> Seeded:
    def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        return created(admin.post(path, json=body), status)

    org = post("/api/v1/organisations", {"name": "Migrant Support NGO", "kind": "ngo"})
    person = post(
        "/api/v1/people",
        {
            "full_name": "Ирина Петрова",
            "email": "i.petrova@ngo.example.org",
            "language": "ru",
            "timezone": "Asia/Baku",
            "organisation_id": org["id"],
        },
    )
    group = post("/api/v1/groups", {"name": "Civil society"})
    post(f"/api/v1/groups/{group['id']}/members", {"person_ids": [person["id"]]})
    consultation = post("/api/v1/consultations", {"title": "Integration strategy"})
    event = post(
        "/api/v1/events",
        {
            "consultation_id": consultation["id"],
            "kind": "launch",
            "format": "in_person",
            "title": "Launch",
            "timezone": "Asia/Baku",
            "starts_at": future(30, 10),
            "ends_at": future(30, 16),
            "location": "Baku",
        },
    )
    invited = post(f"/api/v1/events/{event['id']}/invitations", {"person_ids": [person["id"]]}, 202)
    invitation_id = invited["invited"][0]["id"] if invited.get("invited") else None
    document = post(
        "/api/v1/documents", {"consultation_id": consultation["id"], "title": "Strategy", "language": "en"}
    )
    version = created(
        admin.post(
            f"/api/v1/documents/{document['id']}/versions",
            files={"file": ("strategy.md", strategy_markdown(1), "text/markdown")},
        )
    )
    round_ = post(
        "/api/v1/rounds",
        {
            "document_version_id": version["id"],
            "title": "First round",
            "opens_at": iso_from_now(hours=-1),
            "closes_at": iso_from_now(days=10),
            "visibility": "participants",
            "person_ids": [person["id"]],
        },
    )
    round_row = db.get(CommentRound, UUID(round_["id"]))
    invitee = db.scalar(select(RoundInvitee).where(RoundInvitee.round_id == round_row.id))
    round_token = new_round_link(db, invitee, round_row, get_settings()).rsplit("/", 1)[1]
    db.commit()
    comment = created(
        httpx.post(
            f"{admin.base_url}/api/v1/rounds/{round_['id']}/comments",
            json={"body": "Agreed."},
            headers={"Authorization": f"Bearer {round_token}"},
        )
    )
    if invitation_id is None:
        invitation_id = str(
            db.scalar(text("SELECT id FROM invitation WHERE event_id = :e"), {"e": UUID(event["id"])})
        )
    rsvp_token = f"rsvp_{secrets.token_urlsafe(24)}"
    db.add(
        RsvpLink(
            invitation_id=UUID(invitation_id),
            token_hash=token_digest(rsvp_token),
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        )
    )
    db.commit()

    ids = {
        "organisation_id": org["id"],
        "person_id": person["id"],
        "group_id": group["id"],
        "consultation_id": consultation["id"],
        "event_id": event["id"],
        "invitation_id": invitation_id,
        "document_id": document["id"],
        "document_version_id": version["id"],
        "number": 1,
        "round_id": round_["id"],
        "comment_id": comment["id"],
    }
    poll = post(f"/api/v1/consultations/{consultation['id']}/scheduling-polls", poll_body(person["id"]))
    ids["poll_id"] = poll["id"]
    poll_token = link_for(db, poll["id"], person["id"])
    questionnaire = post(
        f"/api/v1/consultations/{consultation['id']}/questionnaires",
        {"name": "Needs", "mode": "per_person", "definition": questionnaire_definition()},
    )
    sent = admin.post(
        f"/api/v1/questionnaires/{questionnaire['id']}/send",
        json={"closes_at": iso_from_now(days=10), "person_ids": [person["id"]]},
    )
    assert sent.status_code == 200, sent.text
    ids["questionnaire_id"] = questionnaire["id"]
    export = admin.post(f"/api/v1/rounds/{round_['id']}/exports", json={"format": "csv"})
    if export.status_code == 202 and "id" in export.json():
        ids["export_id"] = export.json()["id"]
    # An open questionnaire that confirms answers by email, with an answer waiting for it: its public
    # key and the confirmation link's token (/q/open/{public_key}/confirm/{token}).
    open_questionnaire = post(
        f"/api/v1/consultations/{consultation['id']}/questionnaires",
        {
            "name": "Open call",
            "mode": "open",
            "definition": questionnaire_definition(),
            "email_confirmation": True,
        },
    )
    post(f"/api/v1/questionnaires/{open_questionnaire['id']}/send", {"closes_at": iso_from_now(days=10)}, 200)
    public_url = admin.get(f"/api/v1/questionnaires/{open_questionnaire['id']}").json()["public_url"]
    ids["public_key"] = public_url.rsplit("/", 1)[1]
    answered = httpx.post(
        f"{admin.base_url}/q/open/{ids['public_key']}",
        data={**open_answer_form(), "email": "anyone@example.org"},
    )
    assert answered.status_code == 303, answered.text[:500]
    confirm_token = confirmation_token(db, unconfirmed_response(db, open_questionnaire["id"]))
    body_ids: dict[str, Any] = {
        **ids,
        "person_ids": [person["id"]],
        "group_ids": [group["id"]],
        "organisation_ids": [org["id"]],
        "parent_id": comment["id"],
    }
    return Seeded(
        ids=ids,
        rsvp_token=rsvp_token,
        round_token=round_token,
        body_ids=body_ids,
        poll_token=poll_token,
        questionnaire_token=questionnaire_token(db, questionnaire["id"], person["id"]),
        confirm_token=confirm_token,
    )


# Rows the Celery worker writes on its own schedule (emails it queues when an export job ends, the
# links it puts in the emails it sends, reminders, its heartbeat): their counts move whatever the
# request did.
WORKER_WRITTEN = {
    "outbound_email",
    "rsvp_link",
    "round_link",
    "questionnaire_link",
    "questionnaire_invitee",  # invitation_queued_at / reminder_queued_at, set by the beat scan
    "reply_token",
    "reminder_sent",
    "export_job",
    "worker_heartbeat",
    "person_link",  # the personal page's link, issued as the worker writes an email
    "poll_link",  # a scheduling poll's personal link, issued as the worker writes the email
    "audit_entry",  # the worker's own changes are recorded as it makes them
}


def row_counts(db) -> dict[str, int]:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in WORKER_WRITTEN]
    query = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM \"{name}\"" for name in tables)
    db.rollback()  # a fresh snapshot, not the one the session began with
    return {name: count for name, count in db.execute(text(query))}


def problems_with(method: str, path: str, response: Any) -> str | None:
    """What is wrong with an answer to a generated request, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.text[:300]}"
    if not 400 <= status < 500:
        return None
    content_type = response.headers.get("content-type", "")
    if isinstance(content_type, list):  # Schemathesis keeps every value of a header
        content_type = content_type[0] if content_type else ""
    if path.startswith(PAGE_PATHS) and content_type.startswith("text/html"):
        return None  # a page for people, see the module docstring
    if not content_type.startswith("application/problem+json"):
        return f"{status} with content-type {content_type!r}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"{status} problem+json that is not JSON: {response.text[:200]}"
    if not isinstance(body, dict) or body.get("status") != status or not body.get("title"):
        return f"{status} problem without status/title: {body}"
    if not body.get("detail"):
        return f"{status} problem without detail: {body}"
    return None


def _operation_order(operation: Any) -> tuple[int, str]:
    # Deletes go last, so the seeded records stay for the operations that aim at them.
    return (operation.method.upper() == "DELETE", operation.label)


def aim_at_seeded(case: Any, seeded: Seeded, draw: Callable[..., Any]) -> None:
    """Half of the time per parameter, swap generated ids for real ones."""
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        if name == "token" and path.startswith("/q/open/"):
            real: Any = seeded.confirm_token
        elif name == "token":
            real = {"/rsvp/": seeded.rsvp_token, "/poll/": seeded.poll_token}.get(
                path[: path.index("/", 1) + 1], seeded.round_token
            )
        else:
            real = seeded.ids.get(name)
        if real is not None and draw(st.booleans()):
            case.path_parameters[name] = real
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in seeded.body_ids and draw(st.booleans()):
                case.body[name] = seeded.body_ids[name]


@dataclass
class Fuzzing:
    server: str
    seeded: Seeded
    db: Any
    as_admin: dict[str, str]
    as_stakeholder: dict[str, str]
    as_respondent: dict[str, str]
    calls: int = 0
    succeeded: set[str] = field(default_factory=set)  # operations that answered 2xx at least once
    failures: dict[str, list[str]] = field(default_factory=dict)

    def check(self, case: Any, draw: Callable[..., Any]) -> None:
        operation = case.operation
        aim_at_seeded(case, self.seeded, draw)
        # Half the cases go out with a stakeholder's link as the bearer token (a questionnaire link for
        # the respondents' API, a round link elsewhere): the operations it may call must answer it as
        # documented, and the others with the documented 403.
        stakeholder = self.as_respondent if "/my-response" in operation.path else self.as_stakeholder
        headers = stakeholder if draw(st.booleans()) else self.as_admin
        method = operation.method.upper()
        before = row_counts(self.db) if method in WRITE_METHODS else None
        response = case.call(base_url=self.server, headers=headers, timeout=30)
        self.calls += 1
        if 200 <= response.status_code < 300:
            self.succeeded.add(operation.label)
        wrong = problems_with(method, operation.path, response)
        if wrong is None:
            try:
                case.validate_response(response, checks=CONFORMANCE, headers=headers)
            except (Failure, FailureGroup) as exc:
                wrong = f"not as documented: {exc}"[:1500]
        if wrong is None and before is not None and 400 <= response.status_code < 500:
            after = row_counts(self.db)
            if after != before:
                changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
                wrong = f"{response.status_code} but rows changed: {changed}"
        if wrong is not None:
            found = self.failures.setdefault(operation.label, [])
            if len(found) < 3:
                found.append(f"{wrong}\n    {case.as_curl_command(headers=headers)}")

    def run(self, operation: Any, mode: GenerationMode) -> None:
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def fuzz(case: Any, data: st.DataObject) -> None:
            self.check(case, data.draw)

        try:
            fuzz()
        except Unsatisfiable:
            # No input of the operation can be wrong: /health has none, and a page's token is any
            # string. (Staff operations always have one: the bearer token.)
            if mode is not GenerationMode.NEGATIVE or operation.path.startswith(("/api/", "/schema")):
                raise


def test_every_operation_survives_generated_input(server: str, tokens: dict[Role, str], seeded, db) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    # An operation the loader cannot read raises here rather than being skipped.
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_operation_order)
    fuzzing = Fuzzing(
        server,
        seeded,
        db,
        as_admin={"Authorization": f"Bearer {tokens[Role.ADMIN]}"},
        as_stakeholder={"Authorization": f"Bearer {seeded.round_token}"},
        as_respondent={"Authorization": f"Bearer {seeded.questionnaire_token}"},
    )
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzzing.run(operation, mode)

    assert fuzzing.calls >= len(operations) * EXAMPLES_PER_MODE
    # The seeded ids and the admin token get generated requests past auth and lookups: most operations
    # answer 2xx to some of them (deletes of referenced records, uploads and imports rarely do).
    assert len(fuzzing.succeeded) >= len(operations) // 2, sorted(fuzzing.succeeded)
    failures = fuzzing.failures
    report = "\n".join(f"{label}:\n  " + "\n  ".join(found) for label, found in failures.items())
    assert not failures, f"{len(failures)} of {len(operations)} operations answered badly:\n{report}"


# Hand-written malformed input for what the generator cannot reach or produce.


NUL_BODIES = [
    ("/api/v1/organisations", {"name": "Bad\x00name", "kind": "ngo"}, "name"),
    ("/api/v1/consultations", {"title": "Strategy\x00"}, "title"),
    ("/api/v1/groups", {"name": "\x00"}, "name"),
    (
        "/api/v1/people",
        {"full_name": "Anna\x00Gruber", "email": "a.gruber@example.org", "language": "en"},
        "full_name",
    ),
]


@pytest.mark.parametrize(("path", "body", "field_name"), NUL_BODIES)
def test_nul_bytes_in_strings_are_refused(admin, db, path, body, field_name) -> None:
    """PostgreSQL cannot store NUL in text: that is the client's mistake, named, not a 500."""
    before = row_counts(db)
    problem(admin.post(path, json=body), 422, field_name)
    assert row_counts(db) == before


def test_nul_bytes_in_query_and_path_are_refused(admin, seeded) -> None:
    for url in ("/api/v1/organisations?q=a%00b", "/api/v1/people?q=%00", "/api/v1/events?q=x%00"):
        response = admin.get(url)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            problem(response, 422, "q")
    problem(admin.get("/api/v1/organisations/not-a-uuid%00"), 404)


def test_nul_bytes_in_patches_and_comments(admin, client_for, seeded, db) -> None:
    ids = seeded.ids
    problem(
        admin.patch(f"/api/v1/organisations/{ids['organisation_id']}", json={"name": "x\x00"}), 422, "name"
    )
    problem(admin.patch(f"/api/v1/events/{ids['event_id']}", json={"location": "Baku\x00"}), 422, "location")
    before = row_counts(db)
    stakeholder = client_for(None, token=seeded.round_token)
    problem(
        stakeholder.post(f"/api/v1/rounds/{ids['round_id']}/comments", json={"body": "\x00"}), 422, "body"
    )
    problem(stakeholder.patch(f"/api/v1/comments/{ids['comment_id']}", json={"body": "a\x00b"}), 422, "body")
    assert row_counts(db) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/not-a-uuid",
        "/api/v1/people/1",
        "/api/v1/events/%F0%9F%92%A5",
        "/api/v1/documents/00000000-0000-0000-0000-00000000000g/versions/1",
        "/api/v1/documents/00000000-0000-0000-0000-000000000000/versions/99999999999999999999",
        "/api/v1/rounds/" + "a" * 5000,
    ],
)
def test_path_ids_that_are_not_ids(admin, path) -> None:
    problem(admin.get(path), 404)


def test_wrong_content_types_and_broken_json(admin, db) -> None:
    body = b'{"name": "X", "kind": "ngo"}'
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded", ""):
        response = admin.post("/api/v1/organisations", content=body, headers={"content-type": content_type})
        # Litestar reads a JSON body whatever the content type says; what it must not do is fail.
        assert response.status_code == 201 or 400 <= response.status_code < 500, response.text
        if response.status_code != 201:
            problem(response, response.status_code)
    before = row_counts(db)
    broken = [
        b"{",
        b"\xff\xfe",
        b"null",
        b"[]",
        b'"a string"',
        b"1e999999",
        b'{"name": "\\udcff", "kind": "ngo"}',
    ]
    for raw in broken:
        response = admin.post(
            "/api/v1/organisations", content=raw, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (raw, response.text)
        problem(response, response.status_code)
    assert row_counts(db) == before


def test_huge_json_and_unicode_junk(admin, db) -> None:
    before = row_counts(db)
    junk = "\u202e\ufeff\U0001f4a5\u0301" * 50_000
    response = admin.post("/api/v1/organisations", json={"name": junk, "kind": "ngo"})
    problem(response, response.status_code)
    assert 400 <= response.status_code < 500
    deep = b'{"name": "G", "description": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = admin.post("/api/v1/groups", content=deep, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    problem(response, response.status_code)
    huge = b'{"title": "' + b"x" * (12 * 1024 * 1024) + b'"}'
    response = admin.post("/api/v1/consultations", content=huge, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    problem(response, response.status_code)
    assert row_counts(db) == before


def test_out_of_range_numbers(admin, seeded) -> None:
    for url in (
        "/api/v1/organisations?limit=99999999999999999999",
        "/api/v1/organisations?offset=99999999999999999999",
        "/api/v1/organisations?offset=-1",
        f"/api/v1/documents/{seeded.ids['document_id']}/versions/99999999999",
        f"/api/v1/documents/{seeded.ids['document_id']}/versions/1/diff?against=99999999999",
    ):
        response = admin.get(url)
        assert 400 <= response.status_code < 500, (url, response.text)
        problem(response, response.status_code)


def _zip_with(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


UPLOADS = [
    ("random.docx", secrets.token_bytes(4096), "application/octet-stream"),
    ("truncated.docx", _zip_with("word/document.xml", b"<w:document")[:-20], "application/zip"),
    ("notword.docx", _zip_with("hello.txt", b"hi"), "application/vnd.openxmlformats"),
    ("bad.md", b"\xff\xfe\x00\x00# heading\x00", "text/markdown"),
    ("empty.md", b"", "text/markdown"),
    ("nul.md", b"# One\x00\n\ntext\x00", "text/markdown"),
    ("\x00.md", b"# One\n", "text/markdown"),
    ("image.png", b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(64), "image/png"),
]


@pytest.mark.parametrize(("filename", "content", "content_type"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_malformed_draft_uploads(admin, seeded, db, filename, content, content_type) -> None:
    before = row_counts(db)
    response = admin.post(
        f"/api/v1/documents/{seeded.ids['document_id']}/versions",
        files={"file": (filename, content, content_type)},
    )
    if response.status_code == 201:  # a Markdown file that parses is a version
        return
    problem(response, response.status_code)
    assert 400 <= response.status_code < 500
    assert row_counts(db) == before


IMPORTS = [
    ("random.csv", secrets.token_bytes(2048), "text/csv"),
    ("people.xlsx", secrets.token_bytes(2048), "application/vnd.ms-excel"),
    ("truncated.xlsx", _zip_with("xl/workbook.xml", b"<workbook")[:-10], "application/zip"),
    ("nul.csv", b"full_name,email\nAnna\x00,a@example.org\n", "text/csv"),
    ("latin1.csv", "full_name,email\nJosé,j@example.org\n".encode("latin-1"), "text/csv"),
    ("bom.csv", b"\xef\xbb\xbf", "text/csv"),
]


@pytest.mark.parametrize(("filename", "content", "content_type"), IMPORTS, ids=[i[0] for i in IMPORTS])
def test_malformed_people_imports(admin, db, filename, content, content_type) -> None:
    before = row_counts(db)
    response = admin.post("/api/v1/people/import", files={"file": (filename, content, content_type)})
    problem(response, response.status_code)
    assert 400 <= response.status_code < 500
    assert row_counts(db) == before


def test_uploads_without_a_file_or_as_json(admin, seeded) -> None:
    url = f"/api/v1/documents/{seeded.ids['document_id']}/versions"
    for kwargs in (
        {"json": {"file": "x"}},
        {"data": {"other": "x"}},
        {"files": {"other": ("a.md", b"# a", "text/markdown")}},
        {"content": b"--xx\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=xx"}},
    ):
        response = admin.post(url, **kwargs)
        assert 400 <= response.status_code < 500, (kwargs, response.text)
        problem(response, response.status_code)
    response = admin.post("/api/v1/people/import", json={"file": "x"})
    assert 400 <= response.status_code < 500
    problem(response, response.status_code)


def test_rsvp_with_a_real_token_and_malformed_answers(server: str, seeded, db) -> None:
    url = f"{server}/rsvp/{seeded.rsvp_token}"
    before = row_counts(db)
    for kwargs in (
        {"json": {"response": "maybe"}},
        {"json": {"response": "accepted\x00"}},
        {"json": ["accepted"]},
        {"content": b"{", "headers": {"content-type": "application/json"}},
        {"content": b"\xff", "headers": {"content-type": "application/json"}},
        {"json": {"response": "accepted", "extra": 1}},
    ):
        response = httpx.post(url, **kwargs)
        assert 400 <= response.status_code < 500, (kwargs, response.text)
        problem(response, response.status_code)
    for form in ({"response": "maybe"}, {"response": "\x00"}, {}):
        response = httpx.post(url, data=form)
        assert 400 <= response.status_code < 500, (form, response.text)
    response = httpx.get(url, params={"answer": "\x00" * 10})
    assert response.status_code == 200
    assert row_counts(db) == before
    for token in ("%00", "x" * 5000, "%F0%9F%92%A5", str(uuid.uuid4())):
        assert httpx.get(f"{server}/rsvp/{token}").status_code == 404
        response = httpx.post(f"{server}/rsvp/{token}", json={"response": "accepted"})
        problem(response, 404)


def test_round_page_with_a_real_token_and_malformed_forms(server: str, seeded, db) -> None:
    url = f"{server}/r/{seeded.round_token}"
    assert httpx.get(url).status_code == 200
    before = row_counts(db)
    for form in (
        {"body": "\x00"},
        {"body": "Fine", "section_key": "\x00"},
        {"body": "Fine", "parent_id": "not-a-uuid"},
        {"body": "Fine", "parent_id": str(uuid.uuid4())},
        {"body": "x" * 200_000},
        {},
    ):
        response = httpx.post(f"{url}/comments", data=form)
        assert 400 <= response.status_code < 500, (form, response.status_code, response.text[:300])
    response = httpx.post(f"{url}/comments", json={"body": "json to a form"})
    assert 400 <= response.status_code < 500, response.text[:300]
    response = httpx.post(
        f"{url}/comments",
        content=b"--xx\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert row_counts(db) == before
    for token in ("%00", "x" * 5000, "csr_" + "A" * 40):
        assert httpx.get(f"{server}/r/{token}").status_code == 404


def test_methods_and_auth_answer_with_problems(server: str, admin) -> None:
    problem(admin.put("/api/v1/organisations"), 405)
    problem(httpx.get(f"{server}/api/v1/organisations"), 401)
    for bearer in ("Bearer " + "x" * 5000, "Basic YTpi", "Bearer", "Bearer csr_unknown"):
        problem(httpx.get(f"{server}/api/v1/organisations", headers={"Authorization": bearer}), 401)
    problem(httpx.get(f"{server}/api/v1/nothing-here"), 404)

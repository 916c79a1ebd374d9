"""The `consult` command as an operator runs it: a separate process on the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from consult.auth.models import Role
from consult.demo import (
    ASSESSMENT_ANSWERS,
    COMMENTS,
    LABOUR,
    NGO,
    ORGANISATIONS,
    PEOPLE,
    QUESTIONNAIRE_DAYS,
    QUESTIONNAIRE_NAME,
    QUESTIONNAIRE_ORGANISATIONS,
    SMS,
)
from consult.directory.models import Organisation, Person, PersonGroup
from consult.drafts.models import Document, DocumentVersion
from consult.events.models import Event
from consult.mail.models import OutboundEmail
from consult.questionnaires.models import (
    Questionnaire,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireResponseChange,
    QuestionnaireStatus,
    QuestionnaireTally,
)
from consult.rounds.models import Comment, CommentRound, RoundInvitee
from tests.conftest import wait_for_http
from tests.servers import free_port

CONSULT = str(Path(sys.executable).with_name("consult"))
TOKEN = re.compile(r"^Token .*: (cst_\S+)$", re.MULTILINE)


@pytest.fixture
def consult(database: str, tmp_path: Path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CONSULT_DATA_DIR": str(tmp_path)}
        return subprocess.run([CONSULT, *args], env=env, capture_output=True, text=True, timeout=120)

    return run


def organisations(server: str, token: str) -> httpx.Response:
    return httpx.get(f"{server}/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})


def test_users_create_prints_a_working_token_once(consult, server):
    result = consult("users", "create", "Leyla.Mammadova@Example.org", "--role", "organiser")

    assert result.returncode == 0, result.stderr
    match = TOKEN.search(result.stdout)
    assert match, result.stdout
    token = match.group(1)
    assert result.stdout.count(token) == 1
    assert "leyla.mammadova@example.org (organiser)" in result.stdout
    assert re.search(r"^Expires: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", result.stdout, re.MULTILINE)
    assert organisations(server, token).status_code == 200


def test_users_revoke_makes_the_tokens_fail(consult, server):
    tokens = [
        TOKEN.search(consult("users", "create", "admin2@example.org", "--role", "admin").stdout).group(1)
        for _ in range(2)
    ]

    result = consult("users", "revoke", "ADMIN2@example.org")

    assert result.returncode == 0, result.stderr
    assert "Revoked 2 token(s)" in result.stdout
    for token in tokens:
        assert organisations(server, token).status_code == 401


def test_users_list_shows_users_and_their_tokens_by_prefix(consult, server):
    token = TOKEN.search(
        consult("users", "create", "lister@example.org", "--role", "facilitator").stdout
    ).group(1)
    assert organisations(server, token).status_code == 200
    consult("users", "create", "gone@example.org", "--role", "organiser")
    consult("users", "revoke", "gone@example.org")

    result = consult("users", "list")

    assert result.returncode == 0, result.stderr
    assert token not in result.stdout
    assert re.search(
        r"^lister@example.org \(facilitator, active, created \d{4}-", result.stdout, re.MULTILINE
    )
    line = next(line for line in result.stdout.splitlines() if token[:12] in line)
    assert "last used 20" in line and line.endswith("valid"), line
    gone = result.stdout.split("gone@example.org", 1)[1].splitlines()[1]
    assert "last used never" in gone and "revoked 20" in gone, gone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "someone@example.org", "--role", "superuser"], "Invalid value for '--role'"),
        (["users", "create", "someone@example.org"], "Missing option '--role'"),
        (["users", "create", "not-an-address", "--role", "admin"], "email"),
        (["users", "revoke", "nobody@example.org"], "no staff user nobody@example.org"),
    ],
)
def test_mistakes_are_reported_without_a_traceback(consult, args, message):
    result = consult(*args)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_loads_the_scenario_once(consult, db, client_for):
    first = consult("demo")
    tallied = db.scalar(select(func.count()).select_from(QuestionnaireTally))
    second = consult("demo")

    assert first.returncode == 0, first.stderr
    assert "Demo data loaded" in first.stdout
    assert "1 questionnaires" in first.stdout and "3 questionnaire responses" in first.stdout
    assert f"the questionnaire {QUESTIONNAIRE_NAME!r}" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "Demo data already present" in second.stdout
    assert "questionnaire responses" not in second.stdout.partition(":")[0]
    assert db.scalar(select(func.count()).select_from(QuestionnaireTally)) == tallied  # nothing counted twice
    counts = {
        model.__name__: db.scalar(select(func.count()).select_from(model))
        for model in (
            Organisation,
            Person,
            PersonGroup,
            Event,
            Document,
            DocumentVersion,
            CommentRound,
            Comment,
            Questionnaire,
            QuestionnaireInvitee,
            QuestionnaireResponse,
            QuestionnaireResponseChange,
        )
    }
    assert counts == {
        "Organisation": len(ORGANISATIONS),
        "Person": len(PEOPLE),
        "PersonGroup": 1,
        "Event": 1,
        "Document": 1,
        "DocumentVersion": 2,
        "CommentRound": 1,
        "Comment": sum(1 + len(c.replies) for c in COMMENTS),
        "Questionnaire": 1,
        "QuestionnaireInvitee": sum(p.organisation in QUESTIONNAIRE_ORGANISATIONS for p in PEOPLE),
        "QuestionnaireResponse": len(ASSESSMENT_ANSWERS),
        "QuestionnaireResponseChange": sum(len(saves) for saves in ASSESSMENT_ANSWERS.values()),
    }

    # The assessment: open now for three weeks, one response per institution.
    (questionnaire,) = db.scalars(select(Questionnaire)).all()
    assert (questionnaire.name, questionnaire.mode, questionnaire.status) == (
        QUESTIONNAIRE_NAME,
        "per_organisation",
        QuestionnaireStatus.OPEN,
    )
    assert questionnaire.opens_at < dt.datetime.now(dt.UTC) < questionnaire.closes_at
    assert (questionnaire.closes_at - questionnaire.opens_at).days == QUESTIONNAIRE_DAYS
    responses = {
        name: response
        for response, name in db.execute(
            select(QuestionnaireResponse, Organisation.name).join(
                Organisation, Organisation.id == QuestionnaireResponse.organisation_id
            )
        )
    }
    assert {name: (r.status, r.revision, r.attribution) for name, r in responses.items()} == {
        SMS: ("submitted", 2, "organisation"),
        LABOUR: ("submitted", 1, "named"),
        NGO: ("draft", 1, "anonymous"),
    }
    # The State Migration Service's answer: drafted by one focal point, completed and submitted by another.
    email_of = {person_id: email for person_id, email in db.execute(select(Person.id, Person.email))}
    changes = db.scalars(
        select(QuestionnaireResponseChange)
        .where(QuestionnaireResponseChange.response_id == responses[SMS].id)
        .order_by(QuestionnaireResponseChange.revision)
    ).all()
    assert [(email_of[c.person_id], c.action, c.revision) for c in changes] == [
        ("elvin.huseynov@migration.example.org", "save", 1),
        ("leyla.mammadova@migration.example.org", "submit", 2),
    ]
    assert {"cooperation", "obstacles", "staff-count"} <= set(changes[1].changed_keys)
    assert email_of[responses[SMS].submitted_by_id] == "leyla.mammadova@migration.example.org"

    # The results over the API count the two submitted answers, not the draft.
    results = client_for(Role.FACILITATOR).get(f"/api/v1/questionnaires/{questionnaire.id}/results")
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["responses"] == 2
    assert (body["response_rate"]["invited"], body["response_rate"]["responded"]) == (
        len(QUESTIONNAIRE_ORGANISATIONS),
        2,
    )
    assert {r["kind"]: r["responded"] for r in body["response_rate_by_kind"]} == {
        "government": 2,
        "ngo": 0,
        "public_agency": 0,
        "social_service": 0,
    }
    assert NGO in {o["name"] for o in body["not_answered"]}
    questions = {q["key"]: q for q in body["questions"]}
    assert {c["key"]: c["count"] for c in questions["staff-assigned"]["counts"]} == {
        "yes": 1,
        "partly": 1,
        "no": 0,
    }
    assert questions["served"]["stats"]["mean"] == (41_500 + 6_400) / 2
    assert {c["key"]: c["count"] for c in questions["languages"]["counts"] if c["count"]} == {"2": 1, "3": 1}
    assert questions["services"]["other_count"] == 1
    matrix = {row["key"]: row["stats"]["mean"] for row in questions["cooperation"]["rows"]}
    assert matrix["ministries"] == 3 and matrix["social"] == 2.5
    # Free texts as each institution chose to be attributed: officially, or by name.
    assert {(t["organisation"], t["person"]) for t in questions["obstacles"]["texts"]} == {
        (SMS, None),
        (LABOUR, "Aysel Quliyeva"),
    }
    # Invitations, round openings and answers, queued once (a running beat may add reply digests).
    emails = {
        kind: count
        for kind, count in db.execute(select(OutboundEmail.kind, func.count()).group_by(OutboundEmail.kind))
    }
    assert {kind: emails.get(kind) for kind in ("invitation", "round_opened", "comment_response")} == {
        "invitation": len(PEOPLE),
        "round_opened": db.scalar(select(func.count()).select_from(RoundInvitee)),
        "comment_response": sum(c.response is not None for c in COMMENTS),
    }


def get_health(conn: socket.socket) -> dict:
    """GET /health on a keep-alive connection, which stays open afterwards."""
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    response = b""
    while b"\r\n\r\n" not in response:
        response += conn.recv(65536)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), response
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length:
        body += conn.recv(65536)
    return json.loads(body)


def process_holding(conn: socket.socket, pids: list[int]) -> int:
    """Which of ``pids`` holds the server side of the open connection ``conn``: the socket's inode
    in /proc/net/tcp, then the process with that inode among its file descriptors."""
    client, server = (f"{address[1]:04X}" for address in (conn.getsockname(), conn.getpeername()))
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    (inode,) = {row[9] for row in rows if row[1].endswith(f":{server}") and row[2].endswith(f":{client}")}
    for pid in pids:
        if any(os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()):
            return pid
    raise AssertionError(f"no process among {pids} holds the connection from port {client}")


def test_serve_answers_from_several_processes(database, tmp_path):
    port = free_port()
    env = {**os.environ, "CONSULT_DATA_DIR": str(tmp_path)}
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [CONSULT, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60, process=server)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")

        served_by = set()
        deadline = time.monotonic() + 30
        while len(served_by) < 2 and time.monotonic() < deadline:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                assert get_health(conn) == {"status": "ok", "database": "ok", "broker": "ok", "redis": "ok"}
                served_by.add(process_holding(conn, [int(pid) for pid in children.read_text().split()]))

        assert len(served_by) == 2, (tmp_path / "serve.log").read_text()
        assert "died" not in (tmp_path / "serve.log").read_text()
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

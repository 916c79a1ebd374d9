"""Smoke test of `consult dev`, README command 1: one process on the embedded defaults, no servers."""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from consult.demo import (
    ASSESSMENT_ANSWERS,
    COMMENTS,
    NGO,
    PEOPLE,
    QUESTIONNAIRE_NAME,
    QUESTIONNAIRE_ORGANISATIONS,
    ROUND_ORGANISATIONS,
)
from tests.conftest import wait_for_http
from tests.servers import free_port
from tests.waiting import wait_until

CONSULT = str(Path(sys.executable).with_name("consult"))


def embedded_defaults(data_dir: Path) -> dict[str, str]:
    """The environment without the database, Redis and SMTP relay that conftest sets for the other tests."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONSULT_")}
    return env | {"CONSULT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def test_consult_dev_demo_runs_api_worker_and_mail_sink(tmp_path, monkeypatch):
    data_dir, port, smtp_port = tmp_path / "data", free_port(), free_port()
    # kombu's filesystem transport keeps its exchange tables in ./control unless told otherwise:
    # the server and this test (which sends a task) share tmp_path as their working directory.
    monkeypatch.chdir(tmp_path)
    # The sink is told to capture on a free port rather than the default 8025, which a developer's
    # own `consult dev` may hold.
    env = embedded_defaults(data_dir)
    log_path = tmp_path / "dev.log"
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [CONSULT, "dev", "--demo", "--port", str(port), "--mail-port", str(smtp_port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"{base_url}/health", timeout=90, process=process)
        log_text = log_path.read_text

        assert httpx.get(f"{base_url}/health").json() == {
            "status": "ok",
            "database": "ok",
            "broker": "embedded",
            "redis": "embedded",
        }
        assert (data_dir / "consult.sqlite3").is_file()

        token = re.search(r"admin token\s+(cst_\S+)", log_text()).group(1)
        api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        organisations = api.get("/api/v1/organisations", params={"limit": 100}).json()["items"]
        assert {"State Migration Service", "EU Delegation to Azerbaijan"} <= {
            o["name"] for o in organisations
        }
        people = api.get("/api/v1/people", params={"limit": 100}).json()["items"]
        assert {p["language"] for p in people} == {"az", "ru", "en", "fr"}
        assert {p["timezone"] for p in people} == {"Asia/Baku", "Europe/Vienna", "Europe/Brussels"}
        groups = api.get("/api/v1/groups").json()["items"]
        assert [g["name"] for g in groups] == ["Strategy working group"]
        (launch,) = api.get("/api/v1/events").json()["items"]
        assert (launch["format"], launch["timezone"]) == ("in_person", "Asia/Baku")
        assert launch["starts_at_local"].endswith("+04:00")
        assert len(launch["agenda"]) == 5

        # The demo invites everyone to the launch, opens a comment round and sends a questionnaire:
        # the in-process worker consumes the embedded broker and sends each invitation, with its
        # calendar request, each round opening email and each questionnaire invitation, with a
        # personal link, to the capturing sink.
        round_people = {
            p.email for p in PEOPLE if p.in_working_group or p.organisation in ROUND_ORGANISATIONS
        }
        questionnaire_people = {p.email for p in PEOPLE if p.organisation in QUESTIONNAIRE_ORGANISATIONS}
        questionnaire_links: dict[str, str] = {}

        def captured() -> tuple[list[email.message.EmailMessage], dict[str, str]] | None:
            messages = [
                email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in (data_dir / "mail").glob("*.eml")
            ]
            invitations = [
                m for m in messages if any(p.get_content_type() == "text/calendar" for p in m.walk())
            ]
            links = {}
            for message in messages:
                text = message.get_body(preferencelist=("plain",)).get_content()
                if found := re.search(r"\S+/r/csr_[A-Za-z0-9_-]+", text):
                    links[message["X-RcptTo"]] = found.group(0)
                if found := re.search(r"\S+/q/csq_[A-Za-z0-9_-]+", text):
                    questionnaire_links[message["X-RcptTo"]] = found.group(0)
            if (
                len(invitations) >= len(people)
                and set(links) >= round_people
                and set(questionnaire_links) >= questionnaire_people
            ):
                return invitations, links
            return None

        invitations, links = wait_until(
            captured, "an invitation per demo person, the round emails and the questionnaire's", 60
        )
        assert set(questionnaire_links) == questionnaire_people
        assert len(invitations) == len(people)
        recipients = set()
        for message in invitations:
            recipients.add(message["X-RcptTo"])
            (calendar,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
            assert calendar.get_param("method") == "REQUEST"
            assert "METHOD:REQUEST" in calendar.get_content()
        assert recipients == {p["email"] for p in people}
        invitations = api.get(f"/api/v1/events/{launch['id']}/invitations", params={"limit": 100}).json()
        assert invitations["counts"]["by_rsvp"]["needs_action"] == len(people)

        # The strategy draft and the open comment round on its version 1, with comments and replies.
        (document,) = api.get("/api/v1/documents").json()["items"]
        assert [v["format"] for v in api.get(f"/api/v1/documents/{document['id']}").json()["versions"]] == [
            "docx",
            "markdown",
        ]
        (round_,) = api.get("/api/v1/rounds").json()["items"]
        assert round_["is_open"] and round_["invitee_count"] == len(round_people)
        tree = api.get(f"/api/v1/rounds/{round_['id']}/comments").json()
        assert tree["total"] == len(COMMENTS)

        def flat(threads: list[dict]) -> list[dict]:
            return [c for t in threads for c in [t, *flat(t["replies"])]]

        comments = [c for section in tree["sections"] for c in flat(section["threads"])]
        assert len(comments) == sum(1 + len(c.replies) for c in COMMENTS)
        assert {"comment", "question", "amendment"} == {c["kind"] for c in comments}
        assert sum(c["response"] is not None for c in comments) == sum(
            c.response is not None for c in COMMENTS
        )
        # A stakeholder's personal link from the opening email: the round page, and the API as them.
        # The emails' links reach this server on its chosen port.
        link = links["claire.dubois@eudelegation.example.org"]
        assert link.startswith(f"{base_url}/r/")
        assert httpx.get(link).status_code == 200
        mine = httpx.get(
            f"{base_url}/api/v1/rounds/{round_['id']}/comments",
            headers={"Authorization": f"Bearer {link.rpartition('/')[2]}"},
        ).json()
        assert [c["mine"] for s in mine["sections"] for c in flat(s["threads"])].count(True) == 1

        # The capacity and needs assessment, open, with two official answers submitted and one draft;
        # its results count the submitted ones.
        (questionnaire,) = api.get(
            f"/api/v1/consultations/{launch['consultation_id']}/questionnaires"
        ).json()["items"]
        assert (questionnaire["name"], questionnaire["status"]) == (QUESTIONNAIRE_NAME, "open")
        answers = api.get(f"/api/v1/questionnaires/{questionnaire['id']}/responses").json()["items"]
        assert sorted(r["status"] for r in answers) == ["draft", "submitted", "submitted"]
        assert len(answers) == len(ASSESSMENT_ANSWERS)
        results = api.get(f"/api/v1/questionnaires/{questionnaire['id']}/results").json()
        assert results["responses"] == 2
        assert results["response_rate"]["invited"] == len(QUESTIONNAIRE_ORGANISATIONS)
        # The NGO's coordinator opens her emailed link: the page, and through the API her draft so far.
        link = questionnaire_links["kamala.nasirova@migrantsupport.example.org"]
        assert link.startswith(f"{base_url}/q/")
        assert httpx.get(link).status_code == 200
        draft = httpx.get(
            f"{base_url}/api/v1/questionnaires/{questionnaire['id']}/my-response",
            headers={"Authorization": f"Bearer {link.rpartition('/')[2]}"},
        ).json()["response"]
        assert draft["status"] == "draft" and draft["answers"] == ASSESSMENT_ANSWERS[NGO][-1].answers
        assert "celery worker ready" in log_text()
        assert "beat: Starting" in log_text()
        # kombu warns at each broker connection when the broker URL names no host.
        assert "No hostname was supplied" not in log_text()

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, log_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("taken", "option"), [("api", "--port"), ("mail", "--mail-port")], ids=["api port", "mail sink port"]
)
def test_consult_dev_stops_before_anything_when_a_port_is_taken(tmp_path, monkeypatch, taken, option):
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "data"
    with socket.create_server(("127.0.0.1", 0)) as occupant:
        ports = {"api": free_port(), "mail": free_port()} | {taken: occupant.getsockname()[1]}
        result = subprocess.run(
            [CONSULT, "dev", "--port", str(ports["api"]), "--mail-port", str(ports["mail"])],
            env=embedded_defaults(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"Error: 127.0.0.1:{ports[taken]} ({'the API' if taken == 'api' else 'the mail sink'}) "
        f"is already in use; choose another port with {option}"
    )
    # Neither the banner nor a new admin token, and no database: it stopped before the migrations.
    assert result.stdout == ""
    assert "cst_" not in result.stderr
    assert not (data_dir / "consult.sqlite3").exists()

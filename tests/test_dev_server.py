"""Smoke test of `consult dev`, README command 1: one process on the embedded defaults, no servers."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import free_port, wait_for_http

CONSULT = str(Path(sys.executable).with_name("consult"))


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_consult_dev_demo_runs_api_worker_and_mail_sink(tmp_path, monkeypatch):
    data_dir, port, smtp_port = tmp_path / "data", free_port(), free_port()
    # kombu's filesystem transport keeps its exchange tables in ./control unless told otherwise:
    # the server and this test (which sends a task) share tmp_path as their working directory.
    monkeypatch.chdir(tmp_path)
    # The embedded defaults: no database, Redis or SMTP relay configured (conftest sets them for
    # the other tests). The sink is told to capture on a free port rather than the default 8025,
    # which a developer's own `consult dev` may hold.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONSULT_")}
    env |= {
        "CONSULT_DATA_DIR": str(data_dir),
        "CONSULT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CONSULT_MAIL_SINK": "true",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "dev.log"
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [CONSULT, "dev", "--demo", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
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

        # The demo invites everyone to the launch: the in-process worker consumes the embedded
        # broker and sends each invitation, with its calendar request, to the capturing sink.
        captured = wait_until(
            lambda: (
                (found := list((data_dir / "mail").glob("*.eml"))) and len(found) >= len(people) and found
            ),
            "an invitation per demo person in the mail folder",
        )
        assert len(captured) == len(people)
        recipients = set()
        for path in captured:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            recipients.add(message["X-RcptTo"])
            (calendar,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
            assert calendar.get_param("method") == "REQUEST"
            assert "METHOD:REQUEST" in calendar.get_content()
        assert recipients == {p["email"] for p in people}
        invitations = api.get(f"/api/v1/events/{launch['id']}/invitations", params={"limit": 100}).json()
        assert invitations["counts"]["by_rsvp"]["needs_action"] == len(people)
        assert "celery worker ready" in log_text()
        assert "beat: Starting" in log_text()

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, log_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

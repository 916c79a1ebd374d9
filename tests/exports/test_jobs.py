"""Export jobs with the real Celery worker: queued, written in streaming mode by the worker,
progress reported, the file downloadable, the requester told by email; a lost task is picked up."""

from __future__ import annotations

import datetime as dt
import io
from uuid import UUID

from docx import Document
from sqlalchemy import update

from consult.db import sync_session_factory
from consult.exports.matrix import COLUMNS
from consult.exports.models import ExportJob
from consult.exports.service import requeue_lost
from consult.settings import get_settings
from tests.exports.conftest import FORMULAS, Scenario, xlsx_rows
from tests.helpers import problem
from tests.waiting import wait_until

COLUMN_KEYS = [c.key for c in COLUMNS]


def wait_done(client, job_id: str, timeout: float = 60) -> dict:
    def finished():
        job = client.get(f"/api/v1/exports/{job_id}").json()
        return job if job["state"] in ("done", "failed") else None

    return wait_until(finished, f"export {job_id} to finish", timeout, interval=0.2)


def mails_to(smtp, worker, address: str, timeout: float = 30) -> list:
    """The emails to ``address`` (the round's own emails arrive meanwhile), once there is one."""
    wait_until(lambda: smtp.to(address), f"an email to {address}", timeout)
    worker.settle()  # a duplicate would show up now
    return smtp.to(address)


def test_export_job_is_written_by_the_worker_and_mailed(worker, smtp, facilitator, organiser, scenario):
    rid = scenario.round["id"]
    queued = facilitator.post(f"/api/v1/rounds/{rid}/exports", json={"format": "xlsx"})
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["state"] in ("queued", "running", "done") and job["download_url"] is None
    done = wait_done(facilitator, job["id"])
    assert done["state"] == "done", done
    assert done["progress"] == 1.0 and done["row_count"] == 9
    assert done["download_url"].endswith(f"/api/v1/exports/{job['id']}/file")
    file = facilitator.get(f"/api/v1/exports/{job['id']}/file")
    assert file.status_code == 200
    _header, *rows = xlsx_rows(file.content)
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5", "6", "6.1", "6.1.1", "6.2"]
    assert rows[3][COLUMN_KEYS.index("text")] == "'" + FORMULAS[0]
    # Organisers read jobs and their files; nobody without a token does.
    assert organiser.get(f"/api/v1/exports/{job['id']}/file").status_code == 200
    problem(organiser.get("/api/v1/exports/0190f5e0-0000-7000-8000-000000000000"), 404)

    (mail,) = mails_to(smtp, worker, "facilitator@example.org")
    message = mail.message
    assert message["Subject"] == "Your export is ready: First comment round on the strategy"
    body = message.get_body(preferencelist=("plain",)).get_content()
    # The worker writes its own CONSULT_BASE_URL (the test server runs on another port).
    assert f"/api/v1/exports/{job['id']}/file" in body and "XLSX, 9 rows" in body


def test_filtered_docx_job(worker, smtp, facilitator, scenario: Scenario):
    rid = scenario.round["id"]
    queued = facilitator.post(
        f"/api/v1/rounds/{rid}/exports", json={"format": "docx", "decision": "not_accepted"}
    )
    job = wait_done(facilitator, queued.json()["id"])
    assert job["state"] == "done" and job["row_count"] == 1 and job["filters"] == {"decision": "not_accepted"}
    document = Document(io.BytesIO(facilitator.get(f"/api/v1/exports/{job['id']}/file").content))
    table = document.tables[-1]  # after the summary's tables
    assert table.rows[1].cells[2].text.endswith(FORMULAS[0])  # Word runs no formulas: kept as written


def test_a_lost_job_is_dispatched_again(worker, smtp, db, facilitator, scenario: Scenario, db_engine):
    """A job the broker never got (or whose worker died) is picked up by the scan."""
    job = ExportJob(
        round_id=UUID(scenario.round["id"]),
        format="csv",
        filters={},
        dispatched_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    db.add(job)
    db.commit()
    settings = get_settings()
    assert requeue_lost(sync_session_factory(db_engine), settings) == [job.id]
    done = wait_done(facilitator, str(job.id))
    assert done["state"] == "done" and done["row_count"] == 9
    content = facilitator.get(f"/api/v1/exports/{job.id}/file").content
    assert content.startswith(b"\xef\xbb\xbf")

    # A running job whose worker stopped reporting is taken over, and done again.
    db.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id)
        .values(state="running", claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), attempts=1)
    )
    db.commit()
    assert requeue_lost(sync_session_factory(db_engine), settings) == [job.id]
    again = wait_done(facilitator, str(job.id))
    assert again["state"] == "done"
    db.expire_all()
    assert db.get(ExportJob, job.id).attempts == 2


def test_not_done_yet_and_bad_requests(facilitator, scenario: Scenario, db):
    rid = scenario.round["id"]
    job = ExportJob(round_id=UUID(rid), format="json", filters={})
    db.add(job)
    db.commit()
    problem(facilitator.get(f"/api/v1/exports/{job.id}/file"), 409)
    problem(facilitator.post(f"/api/v1/rounds/{rid}/exports", json={"format": "pdf"}), 422)
    problem(facilitator.post(f"/api/v1/rounds/{rid}/exports", json={"format": "csv", "x": 1}), 422)

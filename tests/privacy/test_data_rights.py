"""A person's data rights end to end: their data as a ZIP, then its erasure, after which their name
and address are nowhere: not in a dump of the database, not in the exports, not on the round page."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile

from sqlalchemy import select

from consult.auth.models import Role
from consult.mail.models import OutboundEmail, OutboxState, ReplyToken
from consult.mail.replies import reply_token_in
from consult.privacy.service import ERASED_NAME
from tests.inbound.messages import build
from tests.inbound.test_intake import submit
from tests.rounds.test_pages import page_client
from tests.rounds.test_round_emails import wait_for_mail

ANNA = "a.gruber@expert.example.org"  # an expert without an organisation
NAME = "Anna Gruber"
IRINA = "i.petrova@ngo.example.org"  # of the Migrant Support NGO
LUC = "l.dubois@eeas.example.org"


def database_dump(database_url: str) -> str:
    return subprocess.run(
        ["pg_dump", "--data-only", database_url], check=True, capture_output=True, text=True
    ).stdout


def traces(text: str) -> list[str]:
    """The forms of the name and address found in ``text``, also as bytea and JSON escapes."""
    forms = []
    for value in (NAME, ANNA):
        forms += [value, value.lower(), value.encode().hex(), json.dumps(value)[1:-1]]
    return [form for form in forms if form.lower() in text.lower()]


def test_a_person_gets_their_data_and_is_then_erased_everywhere(
    database, make_round, make_event, directory, draft, smtp, worker, gateway, db, client_for, link_for
):
    admin, facilitator = client_for(Role.ADMIN), client_for(Role.FACILITATOR)
    anna_id = directory.person(ANNA)
    round_ = make_round(person_ids=[anna_id, directory.person(IRINA), directory.person(LUC)])
    [received] = wait_for_mail(smtp, ANNA)
    token = reply_token_in(str(received.message["Reply-To"]))
    emailed = submit(gateway, build("outlook_html.eml", TOKEN=token), db)  # a comment with a PDF
    anna = link_for(round_["id"], anna_id)
    comment = anna.post(
        f"/api/v1/rounds/{round_['id']}/comments", json={"body": f"Add French. Kind regards, {NAME}"}
    ).json()
    edited = anna.patch(f"/api/v1/comments/{comment['id']}", json={"body": f"Add French and Farsi. {NAME}"})
    assert edited.status_code == 200, edited.text
    event = make_event()
    assert admin.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [anna_id]}).is_success
    wait_for_mail(smtp, ANNA, count=2)
    attended = admin.post(f"/api/v1/events/{event['id']}/attendance", json={"person_ids": [anna_id]})
    assert attended.is_success, attended.text
    worker.settle()

    # The copy: admins only.
    assert client_for(Role.ORGANISER).get(f"/api/v1/people/{anna_id}/data").status_code == 403
    response = admin.get(f"/api/v1/people/{anna_id}/data")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert (data["person"]["full_name"], data["person"]["email"]) == (NAME, ANNA)
    assert [i["round_id"] for i in data["round_invitations"]] == [round_["id"]]
    assert [i["event_id"] for i in data["event_invitations"]] == [event["id"]]
    assert [a["event_id"] for a in data["attendance"]] == [event["id"]]
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id[comment["id"]]["body"] == f"Add French and Farsi. {NAME}"
    assert [r["body"] for r in by_id[comment["id"]]["revisions"]] == [f"Add French. Kind regards, {NAME}"]
    [attachment] = by_id[str(emailed.comment_id)]["attachments"]
    assert archive.read(attachment["file"]).startswith(b"%PDF-1.4")
    [message] = data["inbound_messages"]
    assert message["from_address"] == ANNA
    assert b"Anna Gruber" in archive.read(message["file"])
    assert {e["kind"] for e in data["emails_sent"]} == {"round_opened", "invitation"}
    assert all(e["state"] == "sent" for e in data["emails_sent"])
    assert data["links"]["round"] and data["links"]["reply_tokens"]
    assert "token_hash" not in response.text

    # Before the erasure the name and address are there to be found: the search below can fail.
    assert traces(database_dump(database))

    assert client_for(Role.ORGANISER).post(f"/api/v1/people/{anna_id}/erase").status_code == 403
    erased = admin.post(f"/api/v1/people/{anna_id}/erase")
    assert erased.status_code == 200, erased.text
    assert erased.json()["full_name"] == ERASED_NAME
    assert erased.json()["email"].endswith("@erased.invalid")
    assert admin.post(f"/api/v1/people/{anna_id}/erase").json() == erased.json()

    assert traces(database_dump(database)) == []
    for fmt in ("json", "csv"):
        export = facilitator.get(f"/api/v1/rounds/{round_['id']}/export", params={"format": fmt})
        assert export.status_code == 200, export.text
        assert traces(export.text) == [], fmt
        assert "Add French and Farsi." in export.text  # the comment stays
    irina = link_for(round_["id"], directory.person(IRINA))
    browser, irina_token = page_client(str(irina.base_url), irina)
    page = browser.get(f"/r/{irina_token}")
    assert page.status_code == 200 and "Add French and Farsi." in page.text
    assert traces(page.text) == []
    listed = irina.get(f"/api/v1/rounds/{round_['id']}/comments").json()
    shown = [t for s in listed["sections"] for t in s["threads"] if t["id"] == comment["id"]]
    assert shown[0]["author"]["full_name"] is None and shown[0]["attribution"] == "anonymous"

    # Her link and reply tokens no longer work; her history and files are gone; no mail reaches her.
    assert anna.get(f"/api/v1/rounds/{round_['id']}/draft").status_code == 401
    assert db.scalars(select(ReplyToken).where(ReplyToken.person_id == anna_id)).all() == []
    assert facilitator.get(f"/api/v1/comments/{comment['id']}/history").json()["revisions"] == []
    assert facilitator.get(f"/api/v1/comments/{emailed.comment_id}/attachments").json() == []
    again = admin.post(f"/api/v1/events/{make_event()['id']}/invitations", json={"person_ids": [anna_id]})
    assert again.is_success, again.text
    worker.settle()
    latest = db.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.person_id == anna_id)
        .order_by(OutboundEmail.created_at.desc())
    ).first()
    assert latest is not None and latest.state is OutboxState.SUPPRESSED
    assert len(smtp.to(ANNA)) == 2


def test_an_erased_persons_comments_stay_with_their_organisation(make_round, directory, client_for, link_for):
    round_ = make_round(person_ids=[directory.person(IRINA), directory.person(LUC)])
    irina = link_for(round_["id"], directory.person(IRINA))
    url = f"/api/v1/rounds/{round_['id']}/comments"
    named = irina.post(url, json={"body": "Translate the forms."}).json()
    anonymous = irina.post(url, json={"body": "Fund the desk.", "attribution": "anonymous"}).json()
    assert client_for(Role.ADMIN).post(f"/api/v1/people/{directory.person(IRINA)}/erase").status_code == 200

    luc = link_for(round_["id"], directory.person(LUC))
    shown = {t["id"]: t for s in luc.get(url).json()["sections"] for t in s["threads"]}
    assert shown[named["id"]]["attribution"] == "organisation"
    assert shown[named["id"]]["author"]["full_name"] is None
    assert shown[named["id"]]["author"]["organisation_name"] == "Migrant Support NGO"
    # What the author chose to hide stays hidden.
    assert shown[anonymous["id"]]["author"]["organisation_name"] is None
    browser, token = page_client(str(luc.base_url), luc)
    page = browser.get(f"/r/{token}").text
    assert "Migrant Support NGO" in page and "Ирина Петрова" not in page

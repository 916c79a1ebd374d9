"""Scheduling polls over real HTTP: creation, the tally, answers through the page's form, the
decision, and the refusals (slots in the past or overlapping, a second decision)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import httpx
from sqlalchemy import func, select

from consult.events.models import Event
from consult.invitations.models import Invitation
from consult.mail.models import EmailKind, OutboundEmail
from consult.polls.models import PollAnswer, SchedulingPoll
from tests.helpers import problem
from tests.polls.conftest import SLOTS, create_poll, poll_body
from tests.polls.helpers import answer, link_for


def _people(scenario) -> dict[str, str]:
    return {p["language"]: p["id"] for p in scenario.people.values()}


def test_a_poll_is_created_with_its_slots_and_one_email_per_invitee(api, poll_scenario, db):
    poll = create_poll(api, poll_scenario)
    assert poll["status"] == "open" and poll["accepting_answers"] is True
    assert poll["invitee_count"] == 4 and poll["answered_count"] == 0
    assert [s["starts_at_local"][:16] for s in sorted(poll["slots"], key=lambda s: s["starts_at"])] == [
        s[:16] for s in SLOTS
    ]
    # 10:00 in Vienna in April is 08:00 UTC.
    first = min(poll["slots"], key=lambda s: s["starts_at"])
    assert dt.datetime.fromisoformat(first["starts_at"]) == dt.datetime(2027, 4, 13, 8, tzinfo=dt.UTC)
    assert first["counts"] == {"yes": 0, "if_need_be": 0, "no": 0, "no_answer": 4}
    assert [o["name"] for o in poll["required_organisations"]] == ["Org government"]
    listed = api.get(f"/api/v1/consultations/{poll_scenario.consultation['id']}/scheduling-polls").json()
    assert [(p["id"], p["status"]) for p in listed["items"]] == [(poll["id"], "open")]
    assert listed["total"] == 1
    kinds = db.scalars(select(OutboundEmail.kind)).all()
    assert sorted(kinds) == [EmailKind.POLL_INVITATION] * 4


def test_the_tally_counts_answers_ranks_slots_and_names_required_organisations(
    api, client_for, poll_scenario, db, server
):
    poll = create_poll(api, poll_scenario)
    slots = sorted(poll["slots"], key=lambda s: s["starts_at"])
    ids = [s["id"] for s in slots]
    people = _people(poll_scenario)
    public = httpx.Client(base_url=server)
    # The government (required) cannot come to the first slot; everyone can on the third.
    given = {
        "az": ["no", "yes", "yes"],
        "ru": ["yes", "yes", "if_need_be"],
        "en": ["yes", "no", "yes"],
    }
    for language, values in given.items():
        token = link_for(db, poll["id"], people[language])
        response = answer(public, token, dict(zip(ids, values, strict=True)))
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/poll/{token}?saved=true"

    tally = api.get(f"/api/v1/scheduling-polls/{poll['id']}").json()
    assert tally["answered_count"] == 3
    by_id = {s["id"]: s for s in tally["slots"]}
    assert by_id[ids[0]]["counts"] == {"yes": 2, "if_need_be": 0, "no": 1, "no_answer": 1}
    assert [o["name"] for o in by_id[ids[0]]["required_cannot"]] == ["Org government"]

    def names(slot_id: str) -> dict[str, list[str]]:
        return {k: [o["name"] for o in v] for k, v in by_id[slot_id]["organisations_can_attend"].items()}

    assert names(ids[0]) == {"international": ["Org international"], "ngo": ["Org ngo"]}
    assert names(ids[2]) == {
        "government": ["Org government"],
        "international": ["Org international"],
        "ngo": ["Org ngo"],
    }
    assert by_id[ids[2]]["required_cannot"] == [] and by_id[ids[2]]["required_not_answered"] == []
    # Best first: the third (all three can), the second (two), then the first (loses the government).
    assert [s["id"] for s in tally["slots"]] == [ids[2], ids[1], ids[0]]
    assert [s["rank"] for s in tally["slots"]] == [1, 2, 3]

    # An answer changes: still one answer per slot.
    token = link_for(db, poll["id"], people["az"])
    assert answer(public, token, dict(zip(ids, ["yes", "yes", "no"], strict=True))).status_code == 303
    tally = api.get(f"/api/v1/scheduling-polls/{poll['id']}").json()
    assert {s["id"]: s for s in tally["slots"]}[ids[0]]["required_cannot"] == []
    assert db.scalar(select(func.count()).select_from(PollAnswer)) == 9


def test_two_answers_at_once_from_one_link_leave_one_answer_per_slot(api, poll_scenario, db, server):
    poll = create_poll(api, poll_scenario)
    ids = [s["id"] for s in poll["slots"]]
    token = link_for(db, poll["id"], _people(poll_scenario)["en"])
    barrier = threading.Barrier(2)
    results: list[int] = []

    def send(value: str) -> None:
        with httpx.Client(base_url=server) as client:
            barrier.wait()
            results.append(answer(client, token, dict.fromkeys(ids, value)).status_code)

    for _ in range(5):  # several rounds, so both orders of arrival are likely to happen
        threads = [threading.Thread(target=send, args=(v,)) for v in ("yes", "no")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [303] * 10
    db.rollback()
    rows = db.execute(select(PollAnswer.slot_id, PollAnswer.answer)).all()
    assert sorted(str(slot) for slot, _ in rows) == sorted(ids)
    assert len({value for _, value in rows}) == 1  # one post won for every slot, not a mix


def test_slots_in_the_past_or_overlapping_are_refused_and_nothing_is_written(api, poll_scenario, db):
    url = f"/api/v1/consultations/{poll_scenario.consultation['id']}/scheduling-polls"
    past = api.post(url, json=poll_body(poll_scenario, slots=[{"starts_at": "2020-04-13T10:00:00"}]))
    problem(past, 422, "slots[0].starts_at")
    # 120 minutes from 10:00 overlaps 11:00; the same time twice overlaps too.
    overlapping = poll_body(
        poll_scenario,
        slots=[
            {"starts_at": "2027-04-13T10:00:00"},
            {"starts_at": "2027-04-13T11:00:00"},
            {"starts_at": "2027-04-14T10:00:00"},
            {"starts_at": "2027-04-14T10:00:00"},
        ],
    )
    body = problem(api.post(url, json=overlapping), 422)
    assert {e["field"] for e in body["errors"]} == {"slots[1].starts_at", "slots[3].starts_at"}
    problem(api.post(url, json=poll_body(poll_scenario, closes_at="2027-04-20T10:00:00")), 422, "closes_at")
    problem(api.post(url, json=poll_body(poll_scenario, slots=[])), 422, "slots")
    stranger = api.post("/api/v1/organisations", json={"name": "Not asked", "kind": "academia"}).json()
    problem(
        api.post(url, json=poll_body(poll_scenario, required_organisation_ids=[stranger["id"]])),
        422,
        "required_organisation_ids",
    )
    problem(
        api.post(url, json=poll_body(poll_scenario, format="in_person", online_url=None)), 422, "location"
    )
    problem(api.post(url, json=poll_body(poll_scenario, person_ids=[str(uuid.uuid4())])), 422, "person_ids")
    problem(
        api.post(f"/api/v1/consultations/{uuid.uuid4()}/scheduling-polls", json=poll_body(poll_scenario)), 404
    )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SchedulingPoll)) == 0
    assert db.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_deciding_creates_the_event_invites_everyone_and_a_second_decision_is_refused(
    api, client_for, poll_scenario, db, server
):
    poll = create_poll(api, poll_scenario)
    ids = [s["id"] for s in sorted(poll["slots"], key=lambda s: s["starts_at"])]
    people = _people(poll_scenario)
    token = link_for(db, poll["id"], people["fr"])
    assert answer(httpx.Client(base_url=server), token, dict.fromkeys(ids, "yes")).status_code == 303

    problem(
        api.post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": str(uuid.uuid4())}),
        422,
        "slot_id",
    )
    problem(
        client_for(None).post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": ids[1]}), 401
    )
    from consult.auth.models import Role

    problem(
        client_for(Role.FACILITATOR).post(
            f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": ids[1]}
        ),
        403,
    )

    decided = api.post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": ids[1]})
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "decided" and body["decided_slot_id"] == ids[1] and not body["accepting_answers"]
    event = api.get(f"/api/v1/events/{body['event_id']}").json()
    assert event["title"] == "Round table on social services"
    assert (event["kind"], event["format"], event["timezone"]) == ("round_table", "online", "Europe/Vienna")
    assert event["starts_at_local"].startswith("2027-04-14T10:00") and event["ends_at_local"].startswith(
        "2027-04-14T12:00"
    )
    assert event["online_url"] == "https://meet.example.org/round-table"
    invited = api.get(f"/api/v1/events/{body['event_id']}/invitations").json()
    assert {i["person"]["id"] for i in invited["items"]} == set(people.values())
    db.rollback()
    kinds = db.execute(select(OutboundEmail.kind, OutboundEmail.person_id)).all()
    assert sorted(str(p) for k, p in kinds if k is EmailKind.INVITATION) == sorted(people.values())
    assert [str(p) for k, p in kinds if k is EmailKind.POLL_DECIDED] == [people["fr"]]

    again = api.post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": ids[0]})
    problem(again, 409)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Event)) == 1
    assert db.scalar(select(func.count()).select_from(Invitation)) == 4

    # After the decision the link shows the outcome and takes no answer.
    refused = answer(httpx.Client(base_url=server), token, dict.fromkeys(ids, "no"))
    assert refused.status_code == 303 and refused.headers["location"] == f"/poll/{token}"
    db.rollback()
    assert {a for (a,) in db.execute(select(PollAnswer.answer))} == {"yes"}


def test_a_form_that_leaves_a_slot_out_comes_back_with_what_was_chosen(api, poll_scenario, db, server):
    poll = create_poll(api, poll_scenario)
    ids = [s["id"] for s in sorted(poll["slots"], key=lambda s: s["starts_at"])]
    token = link_for(db, poll["id"], _people(poll_scenario)["en"])
    public = httpx.Client(base_url=server)
    response = answer(public, token, {ids[0]: "if_need_be", ids[2]: "maybe-later"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "There is a problem" in page
    assert 'href="#slot-1-yes"' in page and 'href="#slot-2-yes"' in page and 'href="#slot-0-yes"' not in page
    assert f'name="{ids[0]}" value="if_need_be" checked' in page
    db.rollback()
    assert db.scalar(select(func.count()).select_from(PollAnswer)) == 0
    unknown = public.get("/poll/cpl_not-a-real-token", headers={"Accept-Language": "fr"})
    assert unknown.status_code == 404 and "sondage" in unknown.text


def test_a_persons_data_holds_their_poll_answers_and_revoking_cuts_their_poll_links(
    api, client_for, poll_scenario, db, server
):
    import io
    import json
    import zipfile

    from consult.auth.models import Role

    poll = create_poll(api, poll_scenario)
    person = _people(poll_scenario)["ru"]
    token = link_for(db, poll["id"], person)
    public = httpx.Client(base_url=server)
    assert answer(public, token, {s["id"]: "if_need_be" for s in poll["slots"]}).status_code == 303

    archive = client_for(Role.ADMIN).get(f"/api/v1/people/{person}/data")
    assert archive.status_code == 200, archive.text
    data = json.loads(zipfile.ZipFile(io.BytesIO(archive.content)).read("data.json"))
    [entry] = data["scheduling_polls"]
    assert entry["poll_title"] == "Round table on social services"
    assert [a["answer"] for a in entry["answers"]] == ["if_need_be"] * 3
    # The link made here, and the invitation email's when a worker left running by an earlier test
    # has sent it: never the digests.
    links = data["links"]["poll"]
    assert 1 <= len(links) <= 2 and all("token_hash" not in link for link in links)

    revoked = api.post(f"/api/v1/people/{person}/revoke-links")
    assert revoked.status_code == 200 and revoked.json()["poll_links"] >= 1
    assert public.get(f"/poll/{token}").status_code == 404


def test_malformed_forms_and_tokens_get_the_page_never_a_server_error(api, poll_scenario, db, server):
    poll = create_poll(api, poll_scenario)
    token = link_for(db, poll["id"], _people(poll_scenario)["az"])
    url = f"{server}/poll/{token}"
    slot = poll["slots"][0]["id"]
    for form in ({}, {"not-a-uuid": "yes"}, {slot: "x" * 5000}, {str(uuid.uuid4()): "yes"}, {slot: ""}):
        response = httpx.post(url, data=form)
        assert response.status_code == 422, (form, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
    assert (
        httpx.post(url, content=b"\xff\xfe garbage", headers={"Content-Type": "text/plain"}).status_code < 500
    )
    for bad in ("%00", "x" * 5000, "cpl_" + "A" * 40, "csr_" + "A" * 40):
        assert httpx.get(f"{server}/poll/{bad}").status_code == 404
        assert httpx.post(f"{server}/poll/{bad}", data={slot: "yes"}).status_code == 404
    db.rollback()
    assert db.scalar(select(func.count()).select_from(PollAnswer)) == 0


def test_after_the_deadline_the_page_shows_the_answers_and_takes_no_more(api, poll_scenario, db, server):
    from sqlalchemy import text

    poll = create_poll(api, poll_scenario)
    token = link_for(db, poll["id"], _people(poll_scenario)["fr"])
    ids = [s["id"] for s in poll["slots"]]
    assert answer(httpx.Client(base_url=server), token, dict.fromkeys(ids, "yes")).status_code == 303
    db.execute(text("UPDATE scheduling_poll SET closes_at = now() - interval '1 minute'"))
    db.commit()
    page = httpx.get(f"{server}/poll/{token}")
    assert page.status_code == 200
    assert "Ce sondage est clos" in page.text and "<form" not in page.text
    assert page.text.count("<td>Oui</td>") == 3
    late = answer(httpx.Client(base_url=server), token, dict.fromkeys(ids, "no"))
    assert late.status_code == 303 and late.headers["location"] == f"/poll/{token}"
    db.rollback()
    assert {a for (a,) in db.execute(select(PollAnswer.answer))} == {"yes"}
    assert api.get(f"/api/v1/scheduling-polls/{poll['id']}").json()["accepting_answers"] is False

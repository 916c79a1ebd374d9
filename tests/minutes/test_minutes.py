"""What is said at a round table becomes comments of the round: recorded by staff, answered like any
comment, exported with their source, corrected with their history kept."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from babel.dates import format_date
from docx import Document

from consult.auth.models import Role
from consult.db import create_api_engine
from consult.events.agenda import discussed_sections
from consult.settings import get_settings
from tests.exports.conftest import xlsx_rows
from tests.helpers import problem
from tests.minutes.conftest import ANNA, GULNARA, IRINA, MIGRATION, NGO, RoundTable, baku_day, event_body


def _date_label(event: dict) -> str:
    day = dt.date.fromisoformat(event["starts_at_local"][:10])
    return f"round table, {day.day} {day:%B} {day.year}"


def _points(table: RoundTable) -> list[dict]:
    draft, people = table.draft, table.directory
    return [
        # The ministry's position, said by whoever represented it.
        {
            "organisation_id": table.organisation(MIGRATION),
            "section_key": draft.section("1.1")["key"],
            "text": "Recognition should take 30 days, not 60.",
        },
        # A person speaking for their NGO.
        {
            "organisation_id": table.organisation(NGO),
            "person_id": people.person(IRINA),
            "kind": "question",
            "section_key": draft.section("1")["key"],
            "text": "Who pays for the skills test?",
        },
        # An independent expert proposing a wording, about the whole draft.
        {
            "person_id": people.person(ANNA),
            "kind": "amendment",
            "text": "Name the target groups once.",
            "proposed_text": "The strategy addresses all migrants residing lawfully.",
        },
    ]


def test_points_become_comments_that_participants_read_and_facilitators_answer(
    round_table, facilitator, organiser, link_for, directory
):
    recorded = facilitator.post(
        round_table.minutes_url, json={"round_id": round_table.round["id"], "points": _points(round_table)}
    )
    assert recorded.status_code == 201, recorded.text
    minutes = recorded.json()
    assert minutes["source_label"] == _date_label(round_table.event)
    points = minutes["points"]
    assert [p["source"] for p in points] == ["round_table"] * 3
    assert {p["event_id"] for p in points} == {round_table.event["id"]}
    assert [p["kind"] for p in points] == ["comment", "question", "amendment"]
    assert [p["attribution"] for p in points] == ["organisation", "named", "named"]
    assert points[0]["author"]["organisation_name"] == MIGRATION
    # Filed under one of the ministry's people, since a comment has a person as its author.
    assert points[0]["author"]["person_id"] in {
        directory.person(GULNARA),
        directory.person("r.mammadov@migration.example.org"),
    }

    # A participant of the round reads them like the others' comments: the ministry's point under
    # the ministry alone.
    reader = link_for(round_table.round["id"], directory.person("l.dubois@eeas.example.org"))
    tree = reader.get(f"/api/v1/rounds/{round_table.round['id']}/comments").json()
    seen = {c["body"]: c for s in tree["sections"] for c in s["threads"]}
    assert set(seen) == {p["text"] for p in _points(round_table)}
    ministry = seen["Recognition should take 30 days, not 60."]
    assert ministry["source"] == "round_table"
    assert ministry["author"]["organisation_name"] == MIGRATION
    assert ministry["author"]["person_id"] is None and ministry["author"]["full_name"] is None
    assert (
        seen["Who pays for the skills test?"]["author"]["full_name"] == directory.people[IRINA]["full_name"]
    )

    # Facilitators answer them like any comment.
    answered = facilitator.put(
        f"/api/v1/comments/{points[0]['id']}/response",
        json={"decision": "partially_accepted", "rationale": "45 days, after the ministry's review."},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["response"]["decision"] == "partially_accepted"

    # The minutes list everything recorded at the event.
    again = organiser.get(round_table.minutes_url).json()
    assert [p["id"] for p in again["points"]] == [p["id"] for p in points]
    assert again["points"][0]["response"]["decision"] == "partially_accepted"

    # The exports name the source, with the day of the round table (in the export's language).
    day = dt.date.fromisoformat(round_table.event["starts_at_local"][:10])
    label = f"Round-table minutes, {format_date(day, 'long', locale='en')}"
    sheet = xlsx_rows(
        facilitator.get(f"/api/v1/rounds/{round_table.round['id']}/export", params={"format": "xlsx"}).content
    )
    header = list(sheet[0])
    column = header.index("Source")
    assert sorted(row[column] for row in sheet[1:] if row[0]) == [label] * 3
    word = Document(
        io.BytesIO(
            facilitator.get(
                f"/api/v1/rounds/{round_table.round['id']}/export", params={"format": "docx"}
            ).content
        )
    )
    text = "\n".join(cell.text for table in word.tables for row in table.rows for cell in row.cells)
    assert text.count(label) == 3


def test_a_closed_round_takes_the_minutes_of_its_round_table(round_table, facilitator):
    closed = facilitator.post(f"/api/v1/rounds/{round_table.round['id']}/close")
    assert closed.status_code == 200, closed.text
    recorded = facilitator.post(
        round_table.minutes_url,
        json={"round_id": round_table.round["id"], "points": _points(round_table)[:1]},
    )
    assert recorded.status_code == 201, recorded.text


def test_corrections_and_withdrawals_keep_the_history(round_table, facilitator, link_for, directory):
    [point] = facilitator.post(
        round_table.minutes_url,
        json={"round_id": round_table.round["id"], "points": _points(round_table)[1:2]},
    ).json()["points"]
    url = f"{round_table.minutes_url}/{point['id']}"
    corrected = facilitator.patch(url, json={"text": "Who pays for the practical skills test?"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["body"] == "Who pays for the practical skills test?"
    assert corrected.json()["edited_at"]
    history = facilitator.get(f"/api/v1/comments/{point['id']}/history").json()
    assert [r["body"] for r in history["revisions"]] == ["Who pays for the skills test?"]

    # The speaker does not rewrite the record through their own link; the organisers do.
    speaker = link_for(round_table.round["id"], directory.person(IRINA))
    problem(speaker.patch(f"/api/v1/comments/{point['id']}", json={"body": "Something else"}), 403)
    problem(speaker.post(f"/api/v1/comments/{point['id']}/withdraw"), 403)

    withdrawn = facilitator.post(f"{url}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    problem(facilitator.post(f"{url}/withdraw"), 409)
    problem(facilitator.patch(url, json={"text": "Too late"}), 409)
    assert facilitator.get(round_table.minutes_url).json()["points"][0]["status"] == "withdrawn"
    sheet = xlsx_rows(
        facilitator.get(f"/api/v1/rounds/{round_table.round['id']}/export", params={"format": "xlsx"}).content
    )
    assert not [row for row in sheet[1:] if row[0]]


def test_bad_minutes_are_refused_whole(round_table, facilitator, organiser, link_for, directory, api):
    body = {"round_id": round_table.round["id"], "points": _points(round_table)}
    body["points"][1]["section_key"] = "no-such"
    problem(facilitator.post(round_table.minutes_url, json=body), 422, "points[1].section_key")
    assert facilitator.get(round_table.minutes_url).json()["points"] == []

    amendment = {"person_id": directory.person(ANNA), "kind": "amendment", "text": "Shorter, please."}
    problem(
        facilitator.post(
            round_table.minutes_url, json={"round_id": round_table.round["id"], "points": [amendment]}
        ),
        422,
        "points[0].proposed_text",
    )
    nobody = {"text": "Someone said this."}
    problem(
        facilitator.post(
            round_table.minutes_url, json={"round_id": round_table.round["id"], "points": [nobody]}
        ),
        422,
        "points[0].organisation_id",
    )
    wrong_org = {
        "person_id": directory.person(ANNA),
        "organisation_id": round_table.organisation(NGO),
        "text": "x",
    }
    problem(
        facilitator.post(
            round_table.minutes_url, json={"round_id": round_table.round["id"], "points": [wrong_org]}
        ),
        422,
        "points[0].organisation_id",
    )

    # A round on another consultation's draft.
    other = api.post("/api/v1/consultations", json={"title": "Another policy"}).json()
    event = organiser.post("/api/v1/events", json=event_body(other["id"])).json()
    problem(
        facilitator.post(
            f"/api/v1/events/{event['id']}/minutes", json=body | {"points": _points(round_table)}
        ),
        422,
        "round_id",
    )
    # An event still to come has no minutes; an unknown one is not found.
    later = organiser.post(
        "/api/v1/events", json=event_body(round_table.draft.document["consultation_id"], days=5)
    ).json()
    problem(
        facilitator.post(
            f"/api/v1/events/{later['id']}/minutes", json=body | {"points": _points(round_table)}
        ),
        409,
    )
    problem(facilitator.get("/api/v1/events/00000000-0000-7000-8000-000000000000/minutes"), 404)

    # Stakeholders do not write minutes, even with their link.
    stakeholder = link_for(round_table.round["id"], directory.person(GULNARA))
    problem(stakeholder.post(round_table.minutes_url, json=body | {"points": _points(round_table)}), 403)
    problem(stakeholder.get(round_table.minutes_url), 403)
    assert facilitator.get(round_table.minutes_url).json()["points"] == []


def test_agenda_items_name_sections_of_the_draft(round_table, organiser, draft):
    item = round_table.event["agenda"][0]
    assert item["document_version_id"] == draft.version["id"]
    assert item["section_keys"] == [draft.section("1")["key"], draft.section("1.1")["key"]]

    starts, _ = baku_day(-2)
    consultation_id = draft.document["consultation_id"]
    unknown = event_body(
        consultation_id,
        agenda=[
            {
                "starts_at": starts,
                "title": "x",
                "document_version_id": draft.version["id"],
                "section_keys": ["nope"],
            }
        ],
    )
    problem(organiser.post("/api/v1/events", json=unknown), 422, "agenda[0].section_keys")
    unanchored = event_body(
        consultation_id, agenda=[{"starts_at": starts, "title": "x", "section_keys": ["1"]}]
    )
    problem(organiser.post("/api/v1/events", json=unanchored), 422, "agenda[0].document_version_id")
    problem(
        organiser.patch(f"/api/v1/events/{round_table.event['id']}", json={"agenda": unknown["agenda"]}),
        422,
        "agenda[0].section_keys",
    )
    events = organiser.get("/api/v1/events", params={"consultation_id": consultation_id}).json()
    assert events["total"] == 1

    async def discussed() -> dict:
        engine = create_api_engine(get_settings())
        try:
            from sqlalchemy.ext.asyncio import AsyncSession

            async with AsyncSession(engine) as session:
                return await discussed_sections(session, UUID(draft.version["id"]))
        finally:
            await engine.dispose()

    found = asyncio.run(discussed())
    day = dt.date.fromisoformat(round_table.event["starts_at_local"][:10])
    assert set(found) == {draft.section("1")["key"], draft.section("1.1")["key"]}
    assert [d.date for d in found[draft.section("1.1")["key"]]] == [day]

    # A cancelled round table discusses nothing.
    organiser.post(f"/api/v1/events/{round_table.event['id']}/cancel", json={"reason": "Postponed"})
    assert asyncio.run(discussed()) == {}


def test_minutes_sent_twice_with_a_key_are_recorded_once(round_table, facilitator, client_for):
    body = {"round_id": round_table.round["id"], "points": _points(round_table)}
    first = facilitator.post(round_table.minutes_url, json=body, headers={"Idempotency-Key": "rt-1"})
    assert first.status_code == 201, first.text
    again = facilitator.post(round_table.minutes_url, json=body, headers={"Idempotency-Key": "rt-1"})
    assert again.status_code == 200, again.text
    assert [p["id"] for p in again.json()["points"]] == [p["id"] for p in first.json()["points"]]

    # Two devices sending the same minutes at once.
    clients = [client_for(Role.FACILITATOR), client_for(Role.ORGANISER)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda c: c.post(round_table.minutes_url, json=body, headers={"Idempotency-Key": "rt-2"}),
                clients,
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert [p["id"] for p in answers[0].json()["points"]] == [p["id"] for p in answers[1].json()["points"]]
    assert len(facilitator.get(round_table.minutes_url).json()["points"]) == 6

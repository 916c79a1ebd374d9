"""Results of a questionnaire over real HTTP, checked against figures computed by hand below."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from consult.auth.models import Role
from consult.questionnaires import tally
from consult.questionnaires.definition import decode_definition
from consult.questionnaires.models import (
    QuestionnaireResponse,
    QuestionnaireVersion,
    ResponseAttribution,
    ResponseStatus,
)
from tests.helpers import problem
from tests.questionnaires.conftest import from_now, texts


def results_definition() -> dict[str, Any]:
    def options(*keys: str) -> list[dict]:
        return [{"key": k, "label": texts(k.title())} for k in keys]

    return {
        "original_language": "en",
        "title": texts("Needs", "Ehtiyaclar", "Потребности", "Besoins"),
        "sections": [
            {
                "key": "s1",
                "title": texts("All"),
                "questions": [
                    {
                        "key": "services",
                        "kind": "choice",
                        "text": texts("Services?", "Xidmətlər?"),
                        "options": options("yes", "no"),
                    },
                    {
                        "key": "gaps",
                        "kind": "multiple",
                        "other": True,
                        "text": texts("Gaps?"),
                        "options": options("staff", "funding", "language"),
                    },
                    {"key": "ready", "kind": "scale", "min": 1, "max": 5, "text": texts("Ready?")},
                    {"key": "people", "kind": "number", "min": 0, "max": 1000, "text": texts("Staff?")},
                    {
                        "key": "prio",
                        "kind": "matrix",
                        "min": 1,
                        "max": 3,
                        "text": texts("Priorities"),
                        "rows": options("housing", "jobs"),
                    },
                    {"key": "needs", "kind": "long_text", "text": texts("Needs?")},
                ],
            }
        ],
    }


# name, kind, country, status, attribution, answers
FIXTURE: list[tuple[str, str, str, str | None, str, dict[str, Any]]] = [
    (
        "Gov1",
        "government",
        "AZ",
        "submitted",
        "named",
        {
            "services": "yes",
            "gaps": {"options": ["staff", "funding"], "other": None},
            "ready": 4,
            "people": 10,
            "prio": {"housing": 3, "jobs": 1},
            "needs": "Need training",
        },
    ),
    (
        "Gov2",
        "government",
        "AZ",
        "submitted",
        "organisation",
        {
            "services": "yes",
            "gaps": {"options": ["funding"], "other": None},
            "ready": 5,
            "people": 20,
            "prio": {"housing": 2, "jobs": 2},
            "needs": "More staff",
        },
    ),
    (
        "Gov3",
        "government",
        "AZ",
        "submitted",
        "named",
        {"services": "no", "ready": 2, "people": 30, "prio": {"housing": 1, "jobs": 3}},
    ),
    (
        "Ngo1",
        "ngo",
        "AZ",
        "submitted",
        "anonymous",
        {
            "services": "yes",
            "gaps": {"options": ["staff"], "other": "Interpreters"},
            "ready": 3,
            "people": 40,
            "prio": {"housing": 3, "jobs": 3},
            "needs": "=HYPERLINK(x)",
        },
    ),
    (
        "Ngo2",
        "ngo",
        "GE",
        "submitted",
        "named",
        {
            "services": "yes",
            "gaps": {"options": ["funding", "language"], "other": None},
            "ready": 4,
            "prio": {"housing": 3, "jobs": 2},
        },
    ),
    (
        "Ngo3",
        "ngo",
        "GE",
        "submitted",
        "named",
        {"services": "no", "ready": 1, "people": 50, "prio": {"housing": 2, "jobs": 1}},
    ),
    (
        "Int1",
        "international",
        "FR",
        "submitted",
        "named",
        {
            "services": "yes",
            "gaps": {"options": ["staff", "funding", "language"], "other": None},
            "ready": 5,
            "people": 60,
            "prio": {"housing": 1, "jobs": 1},
        },
    ),
    ("Int2", "international", "FR", "submitted", "named", {"services": "no", "ready": 3, "people": 70}),
    (
        "Acad1",
        "academia",
        "AZ",
        "submitted",
        "named",
        {
            "services": "yes",
            "gaps": {"options": ["language"], "other": None},
            "ready": 4,
            "people": 80,
            "prio": {"housing": 2, "jobs": 3},
        },
    ),
    ("Acad2", "academia", "AZ", "draft", "named", {"services": "no", "ready": 1}),  # a draft: not counted
    ("Priv1", "private_sector", "AZ", None, "named", {}),  # invited, never answered
]


@pytest.fixture
def assessed(api, staff, consultation, db) -> dict[str, Any]:
    """A per_organisation questionnaire sent to eleven organisations, nine of which submitted."""
    organisations: dict[str, dict] = {}
    people: dict[str, str] = {}
    for name, kind, country, *_ in FIXTURE:
        org = api.post("/api/v1/organisations", json={"name": name, "kind": kind, "country": country})
        assert org.status_code == 201, org.text
        organisations[name] = org.json()
        person = api.post(
            "/api/v1/people",
            json={
                "full_name": f"Focal point of {name}",
                "email": f"focal@{name.lower()}.example.org",
                "organisation_id": org.json()["id"],
            },
        )
        assert person.status_code == 201, person.text
        people[name] = person.json()["id"]
    created = staff.post(
        f"/api/v1/consultations/{consultation['id']}/questionnaires",
        json={"name": "Assessment", "mode": "per_organisation", "definition": results_definition()},
    )
    assert created.status_code == 201, created.text
    questionnaire = created.json()
    sent = staff.post(
        f"/api/v1/questionnaires/{questionnaire['id']}/send",
        json={"closes_at": from_now(days=10), "organisation_ids": [o["id"] for o in organisations.values()]},
    )
    assert sent.status_code == 200, sent.text
    version = db.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == UUID(questionnaire["id"]))
    )
    for name, kind, country, status, attribution, answers in FIXTURE:
        if status is not None:
            add_response(
                db,
                questionnaire["id"],
                version.id,
                organisations[name],
                people[name],
                kind,
                country,
                status,
                attribution,
                answers,
            )
    db.commit()
    return {"questionnaire": questionnaire, "organisations": organisations, "people": people}


def add_response(
    db, questionnaire_id, version_id, organisation, person_id, kind, country, status, attribution, answers
) -> None:
    # Responses are arranged directly: answering through the page is tested in test_questionnaires.
    response = QuestionnaireResponse(
        questionnaire_id=UUID(questionnaire_id),
        version_id=version_id,
        organisation_id=UUID(organisation["id"]) if organisation else None,
        organisation_kind=kind,
        country=country,
        status=ResponseStatus(status),
        submitted_at=dt.datetime.now(dt.UTC) if status == "submitted" else None,
        submitted_by_id=UUID(person_id) if person_id else None,
        attribution=ResponseAttribution(attribution),
        answers=answers,
    )
    db.add(response)
    db.flush()
    if status == "submitted":  # counted in the results' rollup, as a submission through the service is
        definition = decode_definition(db.get(QuestionnaireVersion, version_id).definition)
        db.execute(tally.upsert("postgresql"), tally.count_rows(response, definition, 1))


def by_key(items: list[dict]) -> dict[str, dict]:
    return {item["key"]: item for item in items}


def test_results_match_the_hand_computed_figures(assessed, staff) -> None:
    qid = assessed["questionnaire"]["id"]
    response = staff.get(f"/api/v1/questionnaires/{qid}/results")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1 and body["responses"] == 9  # Acad2's draft does not count
    questions = by_key(body["questions"])

    services = by_key(questions["services"]["counts"])
    assert services["yes"]["count"] == 6  # Gov1, Gov2, Ngo1, Ngo2, Int1, Acad1
    assert services["yes"]["by_kind"] == {"academia": 1, "government": 2, "international": 1, "ngo": 2}
    assert services["no"]["count"] == 3  # Gov3, Ngo3, Int2
    assert services["no"]["by_kind"] == {"government": 1, "international": 1, "ngo": 1}
    assert questions["services"]["answered"] == 9

    gaps = questions["gaps"]
    assert {k: v["count"] for k, v in by_key(gaps["counts"]).items()} == {
        "staff": 3,
        "funding": 4,
        "language": 3,
    }
    assert gaps["answered"] == 6 and gaps["other_count"] == 1
    assert [o["text"] for o in gaps["others"]] == ["Interpreters"]
    assert gaps["others"][0]["organisation"] is None  # Ngo1 answered anonymously

    ready = questions["ready"]  # 4, 5, 2, 3, 4, 1, 5, 3, 4
    assert {k: v["count"] for k, v in by_key(ready["counts"]).items()} == {
        "1": 1,
        "2": 1,
        "3": 2,
        "4": 3,
        "5": 2,
    }
    assert ready["stats"]["count"] == 9
    assert ready["stats"]["mean"] == pytest.approx(31 / 9)
    assert ready["stats"]["median"] == 4  # 1 2 3 3 [4] 4 4 5 5

    people = questions["people"]["stats"]  # 10..80 without Ngo2's
    assert (
        people["count"] == 8 and people["mean"] == pytest.approx(45) and people["median"] == pytest.approx(45)
    )
    assert (people["min"], people["max"]) == (10, 80)

    rows = by_key(questions["prio"]["rows"])
    assert {c["key"]: c["count"] for c in rows["housing"]["counts"]} == {"1": 2, "2": 3, "3": 3}
    assert rows["housing"]["stats"]["mean"] == pytest.approx(17 / 8)
    assert rows["housing"]["stats"]["median"] == 2  # 1 1 2 [2 2] 3 3 3
    assert {c["key"]: c["count"] for c in rows["jobs"]["counts"]} == {"1": 3, "2": 2, "3": 3}
    assert rows["jobs"]["stats"]["mean"] == pytest.approx(2)
    assert rows["jobs"]["stats"]["median"] == 2

    needs = questions["needs"]
    assert needs["text_count"] == 3
    given = {t["text"]: (t["organisation"], t["person"]) for t in needs["texts"]}
    assert given == {
        "Need training": ("Gov1", "Focal point of Gov1"),  # named
        "More staff": ("Gov2", None),  # on behalf of the organisation
        "=HYPERLINK(x)": (None, None),  # anonymous
    }

    assert body["response_rate"] == {
        "kind": "all",
        "invited": 11,
        "responded": 9,
        "rate": pytest.approx(9 / 11),
    }
    rates = {r["kind"]: (r["invited"], r["responded"]) for r in body["response_rate_by_kind"]}
    assert rates == {
        "academia": (2, 1),
        "government": (3, 3),
        "international": (2, 2),
        "ngo": (3, 3),
        "private_sector": (1, 0),
    }
    assert [o["name"] for o in body["not_answered"]] == ["Acad2", "Priv1"]


def test_filters_by_organisation_kind_and_country(assessed, staff) -> None:
    qid = assessed["questionnaire"]["id"]
    ngo = staff.get(f"/api/v1/questionnaires/{qid}/results", params={"organisation_kind": "ngo"}).json()
    assert ngo["responses"] == 3
    services = by_key(by_key(ngo["questions"])["services"]["counts"])
    assert (services["yes"]["count"], services["no"]["count"]) == (2, 1)
    assert ngo["response_rate"]["invited"] == 3 and ngo["response_rate"]["responded"] == 3
    assert ngo["not_answered"] == []

    georgia = staff.get(f"/api/v1/questionnaires/{qid}/results", params={"country": "ge"}).json()
    assert georgia["responses"] == 2  # Ngo2 and Ngo3
    ready = by_key(georgia["questions"])["ready"]["stats"]
    assert ready["mean"] == pytest.approx(2.5) and ready["median"] == pytest.approx(2.5)  # 4 and 1

    academia = staff.get(
        f"/api/v1/questionnaires/{qid}/results", params={"organisation_kind": "academia"}
    ).json()
    assert academia["responses"] == 1 and [o["name"] for o in academia["not_answered"]] == ["Acad2"]

    problem(staff.get(f"/api/v1/questionnaires/{qid}/results", params={"organisation_kind": "pirates"}), 422)
    problem(staff.get(f"/api/v1/questionnaires/{qid}/results", params={"country": "AZE"}), 422)
    problem(staff.get(f"/api/v1/questionnaires/{qid}/results", params={"version": 7}), 404)


def test_versions_are_never_mixed(assessed, staff, db) -> None:
    qid = assessed["questionnaire"]["id"]
    changed = results_definition()
    # v2 turns "services" into a different question with other options.
    changed["sections"][0]["questions"][0]["options"] = [
        {"key": "yes", "label": texts("Yes, fully")},
        {"key": "partly", "label": texts("Partly")},
    ]
    revised = staff.post(f"/api/v1/questionnaires/{qid}/versions", json={"definition": changed})
    assert revised.status_code == 200, revised.text
    v2 = db.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == UUID(qid), QuestionnaireVersion.number == 2
        )
    )
    org = assessed["organisations"]["Priv1"]
    add_response(
        db,
        qid,
        v2.id,
        org,
        assessed["people"]["Priv1"],
        "private_sector",
        "AZ",
        "submitted",
        "named",
        {"services": "partly", "ready": 5},
    )
    db.commit()

    latest = staff.get(f"/api/v1/questionnaires/{qid}/results").json()
    assert latest["version"] == 2 and latest["responses"] == 1
    assert latest["versions"] == [{"number": 1, "responses": 9}, {"number": 2, "responses": 1}]
    services = by_key(by_key(latest["questions"])["services"]["counts"])
    assert (services["yes"]["count"], services["partly"]["count"]) == (0, 1)
    assert by_key(latest["questions"])["ready"]["stats"]["mean"] == 5
    # The rate counts an organisation that submitted against any version.
    assert latest["response_rate"]["responded"] == 10

    first = staff.get(f"/api/v1/questionnaires/{qid}/results", params={"version": 1}).json()
    assert first["version"] == 1 and first["responses"] == 9
    assert by_key(by_key(first["questions"])["services"]["counts"])["yes"]["count"] == 6


def test_only_staff_see_results(assessed, client_for) -> None:
    qid = assessed["questionnaire"]["id"]
    assert client_for(Role.ADMIN).get(f"/api/v1/questionnaires/{qid}/results").status_code == 200
    assert client_for(Role.ORGANISER).get(f"/api/v1/questionnaires/{qid}/results").status_code == 200
    assert client_for(Role.INTAKE).get(f"/api/v1/questionnaires/{qid}/results").status_code == 403

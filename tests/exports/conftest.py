"""A round with the comments a real consultation gets: threads, quotes, amendments, answers, every
attribution, a hidden and a withdrawn comment, and comments that look like spreadsheet formulas."""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
import pytest

from consult.auth.models import Role
from tests.rounds import conftest as rounds
from tests.rounds.conftest import Directory, Draft, upload_version

# The comment-round fixtures, shared.
directory = rounds.directory
draft = rounds.draft
facilitator = rounds.facilitator
link_for = rounds.link_for
make_round = rounds.make_round

GULNARA = "g.shukurova@migration.example.org"
RAUF = "r.mammadov@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
LUC = "l.dubois@eeas.example.org"
ANNA = "a.gruber@expert.example.org"

FORMULAS = ['=HYPERLINK("http://evil.example.org","click")', "+1", "@SUM(A1:A9)", "-2"]


@dataclass
class Scenario:
    round: dict
    draft: Draft
    directory: Directory
    comments: dict[str, dict]  # by a short name

    def id(self, name: str) -> str:
        return self.comments[name]["id"]


def post(client: httpx.Client, round_id: str, **body) -> dict:
    response = client.post(f"/api/v1/rounds/{round_id}/comments", json={"body": "A comment.", **body})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def organiser(client_for) -> httpx.Client:
    return client_for(Role.ORGANISER)


@pytest.fixture
def scenario(api, make_round, link_for, directory, draft, facilitator) -> Scenario:
    round_ = make_round()
    rid = round_["id"]
    person = directory.person
    gulnara, rauf, irina, luc, anna = (
        link_for(rid, person(email)) for email in (GULNARA, RAUF, IRINA, LUC, ANNA)
    )
    desk, recognition = draft.section("1.1.3"), draft.section("1.1")
    comments: dict[str, dict] = {}
    # Written first, but on a later section than Luc's: the export follows the draft, not the clock.
    comments["desk"] = post(
        gulnara,
        rid,
        section_key=desk["key"],
        quote="works in Azerbaijani, Russian and English",
        kind="amendment",
        body="Add Farsi and Arabic: many refugees speak them.",
        proposed_text="works in Azerbaijani, Russian, English, Farsi and Arabic",
        on_behalf_of_organisation=True,
    )
    comments["desk_reply"] = post(
        irina,
        rid,
        parent_id=comments["desk"]["id"],
        body="Мы поддерживаем это предложение.",
        attribution="organisation",
    )
    comments["desk_reply_reply"] = post(
        anna,
        rid,
        parent_id=comments["desk_reply"]["id"],
        body="Interpreters cost money.",
        attribution="anonymous",
    )
    comments["desk_second_reply"] = post(rauf, rid, parent_id=comments["desk"]["id"], body="Agreed.")
    comments["recognition"] = post(
        luc, rid, section_key=recognition["key"], body=FORMULAS[0], kind="question"
    )
    comments["anonymous"] = post(
        irina,
        rid,
        section_key=recognition["key"],
        body="Diplomas from Iran are never recognised.",
        attribution="anonymous",
    )
    for index, text in enumerate(FORMULAS[1:]):
        comments[f"formula{index}"] = post(rauf, rid, body=text)
    comments["hidden"] = post(anna, rid, section_key=desk["key"], body="Spam spam spam")
    comments["withdrawn"] = post(luc, rid, section_key=desk["key"], body="I take this back")
    comments["hidden_reply"] = post(rauf, rid, parent_id=comments["desk"]["id"], body="Rude words")
    for name, reason in (("hidden", "spam"), ("hidden_reply", "insult")):
        hidden = facilitator.post(f"/api/v1/comments/{comments[name]['id']}/hide", json={"reason": reason})
        assert hidden.status_code == 200
    assert luc.post(f"/api/v1/comments/{comments['withdrawn']['id']}/withdraw").status_code == 200
    version2 = upload_version(api, draft.document["id"], 2)
    answer = facilitator.put(
        f"/api/v1/comments/{comments['desk']['id']}/response",
        json={
            "decision": "accepted",
            "rationale": "Farsi and Arabic added.",
            "taken_up_version_id": version2["id"],
            "taken_up_section_key": desk["key"],
        },
    )
    assert answer.status_code == 200, answer.text
    answer = facilitator.put(
        f"/api/v1/comments/{comments['recognition']['id']}/response",
        json={"decision": "not_accepted", "rationale": "-Out of scope"},
    )
    assert answer.status_code == 200, answer.text
    return Scenario(round=round_, draft=draft, directory=directory, comments=comments)


def export(client: httpx.Client, round_id: str, fmt: str, **params) -> httpx.Response:
    response = client.get(f"/api/v1/rounds/{round_id}/export", params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response


def xlsx_rows(content: bytes, sheet: str = "Comments") -> list[tuple]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return list(workbook[sheet].iter_rows(values_only=True))

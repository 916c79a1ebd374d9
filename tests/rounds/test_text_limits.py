"""A stakeholder cannot store a text of megabytes that every invitee's page would then carry."""

from __future__ import annotations

from consult.types import COMMENT_MAX_LENGTH
from tests.helpers import problem
from tests.rounds.test_pages import page_client

IRINA = "i.petrova@ngo.example.org"
TOO_LONG = "x" * (COMMENT_MAX_LENGTH + 1)


def test_comment_texts_over_the_maximum_are_refused_naming_the_field(
    make_round, link_for, directory, draft, server
):
    round_ = make_round()
    irina = link_for(round_["id"], directory.person(IRINA))
    url = f"/api/v1/rounds/{round_['id']}/comments"
    section = draft.section("1.1.3")["key"]
    amendment = {"body": "Reword.", "kind": "amendment", "section_key": section}
    problem(irina.post(url, json={**amendment, "proposed_text": TOO_LONG}), 422, "proposed_text")
    problem(irina.post(url, json={**amendment, "proposed_text": "y", "quote": TOO_LONG}), 422, "quote")
    problem(irina.post(url, json={"body": TOO_LONG}), 422, "body")

    longest = irina.post(url, json={**amendment, "proposed_text": "y" * COMMENT_MAX_LENGTH})
    assert longest.status_code == 201, longest.text
    edit = f"/api/v1/comments/{longest.json()['id']}"
    problem(irina.patch(edit, json={"proposed_text": TOO_LONG}), 422, "proposed_text")

    browser, token = page_client(server, irina)
    refused = browser.post(f"/r/{token}/comments", data={**amendment, "proposed_text": TOO_LONG})
    assert refused.status_code == 422 and "proposed_text" in refused.text
    assert TOO_LONG not in browser.get(f"/r/{token}/sections/{section}").text

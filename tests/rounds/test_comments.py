from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import update

from consult.rounds.models import CommentRound
from tests.helpers import problem
from tests.rounds.conftest import from_now

GULNARA = "g.shukurova@migration.example.org"
RAUF = "r.mammadov@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
LUC = "l.dubois@eeas.example.org"
ANNA = "a.gruber@expert.example.org"


def post_comment(client, round_id: str, **body) -> dict:
    response = client.post(f"/api/v1/rounds/{round_id}/comments", json={"body": "A comment.", **body})
    assert response.status_code == 201, response.text
    return response.json()


def threads(tree: dict) -> list[dict]:
    return [thread for section in tree["sections"] for thread in section["threads"]]


def test_comment_on_a_section_with_a_verbatim_quote(make_round, link_for, directory, draft):
    round_ = make_round()
    gulnara = link_for(round_["id"], directory.person(GULNARA))
    desk = draft.section("1.1.3")
    passage = "works in Azerbaijani, Russian and English"
    comment = post_comment(
        gulnara, round_["id"], section_key=desk["key"], quote=passage, body="Add Farsi and Arabic."
    )
    assert comment["section_key"] == desk["key"]
    assert comment["quote"] == passage
    assert comment["source"] == "web"
    assert comment["author"]["full_name"] == "Gülnarə Şükürova"
    assert comment["mine"] is True

    paraphrase = {"body": "x", "section_key": desk["key"], "quote": "works in three languages"}
    problem(gulnara.post(f"/api/v1/rounds/{round_['id']}/comments", json=paraphrase), 422, "quote")
    elsewhere = {"body": "x", "section_key": draft.section("1.1").get("key"), "quote": passage}
    problem(gulnara.post(f"/api/v1/rounds/{round_['id']}/comments", json=elsewhere), 422, "quote")
    no_section = {"body": "x", "section_key": "s-doesnotexist"}
    problem(gulnara.post(f"/api/v1/rounds/{round_['id']}/comments", json=no_section), 422, "section_key")
    amendment = {"body": "x", "kind": "amendment", "section_key": desk["key"]}
    problem(gulnara.post(f"/api/v1/rounds/{round_['id']}/comments", json=amendment), 422, "proposed_text")
    heading_quote = post_comment(
        gulnara, round_["id"], section_key=desk["key"], quote="One-stop information desk"
    )
    assert heading_quote["quote"] == "One-stop information desk"
    whole_draft = post_comment(gulnara, round_["id"], kind="question", body="Who funds this?")
    assert whole_draft["section_key"] is None


def test_comments_only_while_the_round_is_open(make_round, link_for, directory, db, facilitator):
    later = make_round(opens_at=from_now(days=2), closes_at=from_now(days=9))
    early = link_for(later["id"], directory.person(ANNA)).post(
        f"/api/v1/rounds/{later['id']}/comments", json={"body": "Too early"}
    )
    body = problem(early, 409)
    assert "opens at" in body["detail"]
    assert later["opens_at"][:19] in body["detail"]  # in UTC

    round_ = make_round()
    anna = link_for(round_["id"], directory.person(ANNA))
    comment = post_comment(anna, round_["id"])
    closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    db.execute(update(CommentRound).where(CommentRound.id == UUID(round_["id"])).values(closes_at=closed_at))
    db.commit()
    late = problem(anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Late"}), 409)
    assert "closed at" in late["detail"]
    assert closed_at.isoformat()[:16] in late["detail"]
    problem(anna.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Edited late"}), 409)
    problem(anna.post(f"/api/v1/comments/{comment['id']}/withdraw"), 409)
    # Reading still works with the link after the round closed.
    assert anna.get(f"/api/v1/rounds/{round_['id']}/comments").status_code == 200


def test_threads_of_any_depth_inherit_the_section(
    make_round, link_for, links_for, directory, draft, facilitator
):
    round_ = make_round()
    gulnara, irina = links_for(round_["id"], GULNARA, IRINA)
    section = draft.section("1.1.1")["key"]
    top = post_comment(gulnara, round_["id"], section_key=section, body="60 days is too long.")
    reply = post_comment(irina, round_["id"], parent_id=top["id"], body="Agreed: 30 days.")
    deeper = post_comment(gulnara, round_["id"], parent_id=reply["id"], body="30 days needs more staff.")
    deepest = post_comment(irina, round_["id"], parent_id=deeper["id"], body="Then 45 days.")
    assert {c["section_key"] for c in (reply, deeper, deepest)} == {section}
    wrong_section = {"body": "x", "parent_id": top["id"], "section_key": draft.section("1.1")["key"]}
    problem(irina.post(f"/api/v1/rounds/{round_['id']}/comments", json=wrong_section), 422, "section_key")

    other_round = make_round(title="Another round")
    elsewhere = link_for(other_round["id"], directory.person(IRINA))
    foreign_parent = {"body": "x", "parent_id": top["id"]}
    problem(
        elsewhere.post(f"/api/v1/rounds/{other_round['id']}/comments", json=foreign_parent), 422, "parent_id"
    )

    tree = facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json()
    assert tree["total"] == 1
    [group] = tree["sections"]
    assert group["key"] == section and group["number"] == "1.1.1"
    [thread] = group["threads"]
    chain = []
    node = thread
    while node:
        chain.append(node["id"])
        node = node["replies"][0] if node["replies"] else None
    assert chain == [top["id"], reply["id"], deeper["id"], deepest["id"]]


def test_authors_edit_with_history_and_withdraw(make_round, links_for, draft, facilitator):
    round_ = make_round()
    anna, luc = links_for(round_["id"], ANNA, LUC)
    section = draft.section("1.1.3")["key"]
    comment = post_comment(anna, round_["id"], section_key=section, body="First thought.")

    problem(luc.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Not mine"}), 403)
    problem(luc.post(f"/api/v1/comments/{comment['id']}/withdraw"), 403)
    edited = anna.patch(
        f"/api/v1/comments/{comment['id']}",
        json={"body": "Second thought.", "kind": "amendment", "proposed_text": "Open desks in Lankaran too."},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["edited_at"] is not None
    anna.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Third thought."})
    problem(
        anna.patch(f"/api/v1/comments/{comment['id']}", json={"proposed_text": None}), 422, "proposed_text"
    )

    history = facilitator.get(f"/api/v1/comments/{comment['id']}/history").json()
    assert [(r["number"], r["body"], r["kind"]) for r in history["revisions"]] == [
        (1, "First thought.", "comment"),
        (2, "Second thought.", "amendment"),
    ]

    withdrawn = anna.post(f"/api/v1/comments/{comment['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    problem(anna.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Again"}), 409)
    [seen_by_luc] = threads(luc.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert seen_by_luc["status"] == "withdrawn" and seen_by_luc["body"] == ""
    [seen_by_staff] = threads(facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert seen_by_staff["body"] == "Third thought."


def test_hidden_comments_never_reach_stakeholders(make_round, links_for, facilitator, api):
    round_ = make_round()
    anna, irina = links_for(round_["id"], ANNA, IRINA)
    rude = post_comment(anna, round_["id"], body="Something offensive.")
    fine = post_comment(irina, round_["id"], body="A fair point.")
    reply_to_rude = post_comment(irina, round_["id"], parent_id=rude["id"], body="Please stay polite.")

    problem(facilitator.post(f"/api/v1/comments/{rude['id']}/hide", json={}), 422, "reason")
    problem(api.post(f"/api/v1/comments/{rude['id']}/hide", json={"reason": "x"}), 403)  # organiser
    hidden = facilitator.post(f"/api/v1/comments/{rude['id']}/hide", json={"reason": "Insulting language"})
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["status"] == "hidden"

    for client in (anna, irina):
        seen = [t["id"] for t in threads(client.get(f"/api/v1/rounds/{round_['id']}/comments").json())]
        assert seen == [fine["id"]]
    problem(anna.patch(f"/api/v1/comments/{rude['id']}", json={"body": "Sorry"}), 404)
    problem(
        irina.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "x", "parent_id": rude["id"]}),
        422,
    )
    staff_view = threads(facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert {t["id"]: t["hidden_reason"] for t in staff_view}[rude["id"]] == "Insulting language"

    restored = facilitator.post(f"/api/v1/comments/{rude['id']}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "active"
    problem(facilitator.post(f"/api/v1/comments/{rude['id']}/restore"), 409)
    seen = threads(irina.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert [t["id"] for t in seen] == [rude["id"], fine["id"]]
    assert seen[0]["replies"][0]["id"] == reply_to_rude["id"]
    log = facilitator.get(f"/api/v1/comments/{rude['id']}/history").json()["moderation"]
    assert [(m["action"], m["reason"]) for m in log] == [("hide", "Insulting language"), ("restore", None)]


def test_attribution_and_official_positions(make_round, links_for, directory, facilitator):
    round_ = make_round()
    gulnara, irina, anna = links_for(round_["id"], GULNARA, IRINA, ANNA)
    official = post_comment(
        gulnara,
        round_["id"],
        body="The Service supports this.",
        on_behalf_of_organisation=True,
        attribution="organisation",
    )
    anonymous = post_comment(irina, round_["id"], body="Quietly: not enough.", attribution="anonymous")
    named = post_comment(anna, round_["id"], body="Signed by me.")
    problem(
        anna.post(
            f"/api/v1/rounds/{round_['id']}/comments", json={"body": "x", "on_behalf_of_organisation": True}
        ),
        422,
        "on_behalf_of_organisation",
    )
    problem(
        anna.post(
            f"/api/v1/rounds/{round_['id']}/comments", json={"body": "x", "attribution": "organisation"}
        ),
        422,
        "attribution",
    )

    seen_by_anna = {t["id"]: t for t in threads(anna.get(f"/api/v1/rounds/{round_['id']}/comments").json())}
    assert seen_by_anna[official["id"]]["author"] == {
        "person_id": None,
        "full_name": None,
        "organisation_id": directory.organisations["State Migration Service"]["id"],
        "organisation_name": "State Migration Service",
        "organisation_kind": "government",
    }
    assert seen_by_anna[official["id"]]["on_behalf_of_organisation"] is True
    assert set(seen_by_anna[anonymous["id"]]["author"].values()) == {None}
    assert seen_by_anna[named["id"]]["author"]["full_name"] == "Anna Gruber"
    seen_by_irina = {t["id"]: t for t in threads(irina.get(f"/api/v1/rounds/{round_['id']}/comments").json())}
    assert seen_by_irina[anonymous["id"]]["author"]["full_name"] == "Ирина Петрова"  # her own
    seen_by_staff = {
        t["id"]: t for t in threads(facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    }
    assert seen_by_staff[anonymous["id"]]["author"]["full_name"] == "Ирина Петрова"
    assert seen_by_staff[official["id"]]["author"]["full_name"] == "Gülnarə Şükürova"

    # Filtering by organisation must not unmask an anonymous comment.
    ngo = directory.organisations["Migrant Support NGO"]["id"]
    assert (
        threads(anna.get(f"/api/v1/rounds/{round_['id']}/comments", params={"organisation_id": ngo}).json())
        == []
    )
    staff_ngo = facilitator.get(
        f"/api/v1/rounds/{round_['id']}/comments", params={"organisation_id": ngo}
    ).json()
    assert [t["id"] for t in threads(staff_ngo)] == [anonymous["id"]]


def test_facilitators_only_visibility(make_round, links_for, facilitator):
    round_ = make_round(visibility="facilitators")
    anna, irina = links_for(round_["id"], ANNA, IRINA)
    annas = post_comment(anna, round_["id"], body="Mine.")
    irinas = post_comment(irina, round_["id"], body="Hers.")
    assert [t["id"] for t in threads(anna.get(f"/api/v1/rounds/{round_['id']}/comments").json())] == [
        annas["id"]
    ]
    problem(
        anna.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "x", "parent_id": irinas["id"]}),
        422,
    )
    everything = threads(facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert {t["id"] for t in everything} == {annas["id"], irinas["id"]}


def test_filters_and_pagination_by_thread(make_round, links_for, directory, draft, facilitator):
    round_ = make_round()
    gulnara, irina, luc = links_for(round_["id"], GULNARA, IRINA, LUC)
    # Posted out of draft order: the tree follows the draft, whole-draft comments first.
    s113 = draft.section("1.1.3")["key"]
    s1 = draft.section("1")["key"]
    a = post_comment(irina, round_["id"], section_key=s113, kind="question", body="Which regions?")
    b = post_comment(gulnara, round_["id"], section_key=s1, body="Good pillar.")
    c = post_comment(luc, round_["id"], body="Overall fine.")
    d = post_comment(gulnara, round_["id"], section_key=s113, body="Add Sumgayit.")
    for n in range(3):
        post_comment(irina, round_["id"], parent_id=b["id"], body=f"Reply {n}")

    url = f"/api/v1/rounds/{round_['id']}/comments"
    tree = facilitator.get(url).json()
    assert [s["key"] for s in tree["sections"]] == [None, s1, s113]
    assert [t["id"] for t in threads(tree)] == [c["id"], b["id"], a["id"], d["id"]]
    assert tree["total"] == 4

    first = facilitator.get(url, params={"limit": 2}).json()
    assert [t["id"] for t in threads(first)] == [c["id"], b["id"]]
    assert len(threads(first)[1]["replies"]) == 3  # replies come with their thread, not counted
    second = facilitator.get(url, params={"limit": 2, "offset": 2}).json()
    assert [t["id"] for t in threads(second)] == [a["id"], d["id"]]
    assert second["total"] == 4

    def ids(**params) -> list[str]:
        return [t["id"] for t in threads(facilitator.get(url, params=params).json())]

    assert ids(section_key=s113) == [a["id"], d["id"]]
    assert ids(kind="question") == [a["id"]]
    assert ids(organisation_id=directory.organisations["State Migration Service"]["id"]) == [b["id"], d["id"]]
    assert ids(organisation_kind="ngo") == [b["id"], a["id"]]  # b has Irina's replies
    assert ids(organisation_kind="international") == [c["id"]]
    facilitator.put(
        f"/api/v1/comments/{d['id']}/response", json={"decision": "accepted", "rationale": "Added."}
    )
    assert ids(decision="accepted") == [d["id"]]
    problem(irina.get(url, params={"decision": "accepted"}), 403)


def test_facilitator_response_is_validated(make_round, links_for, draft, facilitator, api):
    round_ = make_round()
    anna, irina = links_for(round_["id"], ANNA, IRINA)
    section = draft.section("1.1.3")["key"]
    comment = post_comment(anna, round_["id"], section_key=section)
    v2 = upload_v2(api, draft)
    url = f"/api/v1/comments/{comment['id']}/response"
    answer = {"decision": "partially_accepted", "rationale": "Taken up in part."}
    problem(
        facilitator.put(url, json={**answer, "taken_up_version_id": v2["id"]}), 422, "taken_up_section_key"
    )
    problem(
        facilitator.put(
            url, json={**answer, "taken_up_version_id": draft.version["id"], "taken_up_section_key": section}
        ),
        422,
        "taken_up_version_id",
    )
    problem(
        facilitator.put(
            url, json={**answer, "taken_up_version_id": v2["id"], "taken_up_section_key": "s-nothere"}
        ),
        422,
        "taken_up_section_key",
    )
    problem(facilitator.put(url, json={**answer, "decision": "maybe"}), 422)
    problem(api.put(url, json=answer), 403)  # organisers do not answer
    ok = facilitator.put(
        url, json={**answer, "taken_up_version_id": v2["id"], "taken_up_section_key": section}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["response"]["decision"] == "partially_accepted"

    [mine] = threads(anna.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert mine["response"]["rationale"] == "Taken up in part."
    [theirs] = threads(irina.get(f"/api/v1/rounds/{round_['id']}/comments").json())
    assert theirs["response"] is None  # the answer goes to the author


def upload_v2(api, draft) -> dict:
    from tests.rounds.conftest import upload_version

    return upload_version(api, draft.document["id"], 2)

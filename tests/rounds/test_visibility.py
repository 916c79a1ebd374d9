"""Who may see which comment, as one table: every kind of reader, both round visibilities, every
state and attribution of a comment, and the thread filters, asked of every place that answers it —
the comment list, the round page, the export, the statistics and the attachments.

The expectations are written out as the rules say them (the tables below), not derived from the
code under test; a place that answers differently from the others fails here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

import httpx
from sqlalchemy import select, update

from consult.auth.models import Role
from consult.mail.models import EmailKind, OutboundEmail
from consult.rounds.mailing import queue_reply_digests
from consult.rounds.models import ReplyNotice
from consult.settings import get_settings
from tests.rounds.conftest import Directory

GULNARA = "g.shukurova@migration.example.org"  # the author
RAUF = "r.mammadov@migration.example.org"  # a colleague: same organisation, invited
IRINA = "i.petrova@ngo.example.org"  # another organisation, invited
LUC = "l.dubois@eeas.example.org"  # holds a link, to another round only
AUTHOR_ORGANISATION = "State Migration Service"  # a government body
OTHER_ORGANISATION = "Migrant Support NGO"

STATES = ("visible", "hidden", "withdrawn")
ATTRIBUTIONS = ("named", "organisation", "anonymous")
VISIBILITIES = ("participants", "facilitators")

# The states of a comment each reader finds, by the round's visibility (the outsider finds no round).
LISTED: dict[str, dict[str, set[str]]] = {
    "staff": {"participants": set(STATES), "facilitators": set(STATES)},
    "author": {"participants": {"visible", "withdrawn"}, "facilitators": {"visible", "withdrawn"}},
    "colleague": {"participants": {"visible", "withdrawn"}, "facilitators": set()},
    "other organisation": {"participants": {"visible", "withdrawn"}, "facilitators": set()},
}
# What is published (exports, statistics), whoever asks and whatever the round's visibility.
PUBLISHED = {"visible"}
# Readers who see a comment whole: its author whatever the attribution, a withdrawn text.
IN_FULL = {"staff", "author"}
# (name, organisation) as the others see the author.
SHOWN = {
    "named": ("Gülnarə Şükürova", AUTHOR_ORGANISATION),
    "organisation": (None, AUTHOR_ORGANISATION),
    "anonymous": (None, None),
}

READERS = {
    "admin": "staff",
    "organiser": "staff",
    "facilitator": "staff",
    "author": "author",
    "colleague": "colleague",
    "other organisation": "other organisation",
    "outsider": "outsider",
}


@dataclass(frozen=True)
class Written:
    id: str
    state: str
    attribution: str
    kind: str
    decision: str | None
    body: str


def _filters(directory: Directory) -> dict[str, dict[str, str]]:
    organisation = directory.organisations
    return {
        "none": {},
        "the author's organisation": {"organisation_id": organisation[AUTHOR_ORGANISATION]["id"]},
        "another organisation": {"organisation_id": organisation[OTHER_ORGANISATION]["id"]},
        "kind of organisation": {"organisation_kind": "government"},
        "kind of comment": {"kind": "question"},
        "decision": {"decision": "accepted"},
    }


def _matches(filters: dict[str, str], comment: Written, sees_authors: bool, organisation_id: str) -> bool:
    """Whether the comment matches, for a reader who sees (or not) who wrote every comment. Every
    comment here speaks for the author's organisation (``organisation_id``), a government body."""
    if "kind" in filters and comment.kind != filters["kind"]:
        return False
    if "decision" in filters and comment.decision != filters["decision"]:
        return False
    if filters.get("organisation_id", organisation_id) != organisation_id:
        return False
    if filters.get("organisation_kind", "government") != "government":
        return False
    by_organisation = "organisation_id" in filters or "organisation_kind" in filters
    # An anonymous comment is not found through its organisation by those who may not know it.
    return not (by_organisation and comment.attribution == "anonymous" and not sees_authors)


def _write(
    facilitator, author: httpx.Client, round_id: str, label: str, parent_id: str | None = None
) -> list[Written]:
    """A comment (or a reply to ``parent_id``) in each state and attribution, some of them answered."""
    written = []
    for index, (state, attribution) in enumerate((s, a) for s in STATES for a in ATTRIBUTIONS):
        kind = "question" if index % 2 == 0 else "comment"
        body = f"Comment-{label}-{state}-{attribution}"
        comment = {"body": body, "kind": kind, "attribution": attribution, "parent_id": parent_id}
        response = author.post(f"/api/v1/rounds/{round_id}/comments", json=comment)
        assert response.status_code == 201, response.text
        comment_id = response.json()["id"]
        decision = "accepted" if index % 3 != 1 else None
        if decision:
            answer = {"decision": decision, "rationale": "Taken up."}
            assert facilitator.put(f"/api/v1/comments/{comment_id}/response", json=answer).status_code == 200
        if state == "hidden":
            hide = {"reason": "Off topic"}
            assert facilitator.post(f"/api/v1/comments/{comment_id}/hide", json=hide).status_code == 200
        if state == "withdrawn":
            assert author.post(f"/api/v1/comments/{comment_id}/withdraw").status_code == 200
        written.append(Written(comment_id, state, attribution, kind, decision, body))
    return written


def _listed(tree: dict) -> dict[str, dict]:
    return {c["id"]: c for section in tree["sections"] for c in section["threads"]}


def test_who_sees_which_comment_everywhere(
    api, client_for, facilitator, make_round, link_for, directory: Directory, draft
):
    organisation_id = directory.organisations[AUTHOR_ORGANISATION]["id"]
    person = directory.person
    elsewhere = make_round(title="Another round", person_ids=[person(LUC)])
    staff = {
        "admin": client_for(Role.ADMIN),
        "organiser": client_for(Role.ORGANISER),
        "facilitator": facilitator,
    }
    filters = _filters(directory)
    checked = 0
    for visibility in VISIBILITIES:
        round_ = make_round(
            title=f"Round for {visibility}",
            visibility=visibility,
            person_ids=[person(GULNARA), person(RAUF), person(IRINA)],
        )
        rid = round_["id"]
        clients = {
            **staff,
            "author": link_for(rid, person(GULNARA)),
            "colleague": link_for(rid, person(RAUF)),
            "other organisation": link_for(rid, person(IRINA)),
            "outsider": link_for(elsewhere["id"], person(LUC)),
        }
        written = _write(facilitator, clients["author"], rid, visibility)

        for reader, client in clients.items():
            role = READERS[reader]
            for filter_name, params in filters.items():
                where = (visibility, reader, filter_name)
                listing = client.get(f"/api/v1/rounds/{rid}/comments", params=params)
                if "decision" in params and role != "staff":  # refused before the round is looked up
                    assert listing.status_code == 403, where
                    continue
                if role == "outsider":
                    assert listing.status_code == 404, where
                    continue
                assert listing.status_code == 200, (where, listing.text)
                found = _listed(listing.json())
                expected = [
                    c
                    for c in written
                    if c.state in LISTED[role][visibility]
                    and _matches(params, c, role == "staff", organisation_id)
                ]
                assert set(found) == {c.id for c in expected}, where
                for comment in expected:
                    shown = found[comment.id]
                    author = shown["author"]
                    full = role in IN_FULL
                    name, organisation = SHOWN["named"] if full else SHOWN[comment.attribution]
                    assert (author["full_name"], author["organisation_name"]) == (name, organisation), (
                        where,
                        comment,
                    )
                    text = comment.body if full or comment.state != "withdrawn" else ""
                    assert shown["body"] == text, (where, comment)
                    assert (shown["response"] is not None) == (full and comment.decision is not None)
                    # Why a comment was hidden is for staff.
                    assert (shown["hidden_reason"] is not None) == (comment.state == "hidden"), where
                    checked += 1

                export = client.get(f"/api/v1/rounds/{rid}/export", params={"format": "json", **params})
                if role != "staff":
                    assert export.status_code == 403, where
                    continue
                assert export.status_code == 200, (where, export.text)
                rows = {r["comment_id"]: r for r in json.loads(export.content)["comments"]}
                published = [
                    c for c in written if c.state in PUBLISHED and _matches(params, c, False, organisation_id)
                ]
                assert set(rows) == {c.id for c in published}, where
                for comment in published:
                    name, organisation = SHOWN[comment.attribution]
                    assert (rows[comment.id]["author"], rows[comment.id]["organisation"]) == (
                        name,
                        organisation,
                    ), (where, comment)

            for comment in written:
                files = client.get(f"/api/v1/comments/{comment.id}/attachments")
                readable = (
                    role != "outsider"
                    and comment.state in LISTED[role][visibility]
                    and (role in IN_FULL or (comment.attribution == "named" and comment.state != "withdrawn"))
                )
                assert files.status_code == (200 if readable else 404), (visibility, reader, comment)

            if role not in ("staff", "outsider"):
                token = client.headers["Authorization"].removeprefix("Bearer ")
                page = client.get(f"/r/{token}")
                assert page.status_code == 200
                for comment in written:
                    listed = comment.state in LISTED[role][visibility]
                    assert (f'id="c-{comment.id}"' in page.text) == listed, (visibility, reader, comment)
                    # The page says a comment was withdrawn instead of its text, to its author too.
                    shows_text = listed and comment.state != "withdrawn"
                    assert (comment.body in page.text) == shows_text, (visibility, reader, comment)

    stats = api.get(f"/api/v1/consultations/{draft.document['consultation_id']}/stats").json()
    comments = {r["title"]: r["comments"] for r in stats["rounds"]}
    published_count = len(PUBLISHED) * len(ATTRIBUTIONS)
    assert comments == {
        "Another round": 0,
        "Round for participants": published_count,
        "Round for facilitators": published_count,
    }
    assert checked > 100  # the table was walked, not skipped


def test_a_digest_quotes_the_replies_its_reader_may_read(db, facilitator, make_round, link_for, directory):
    """The digest goes to the author of the comment replied to: one of "the other organisation"
    readers for the replies, so it quotes what the list shows them with its text."""
    person = directory.person
    round_ = make_round(person_ids=[person(GULNARA), person(IRINA)])
    rid = round_["id"]
    author, replier = link_for(rid, person(GULNARA)), link_for(rid, person(IRINA))
    parent = author.post(f"/api/v1/rounds/{rid}/comments", json={"body": "Open on Saturdays."}).json()
    replies = _write(facilitator, replier, rid, "reply", parent_id=parent["id"])

    # A worker's beat (started by another test) may have queued a digest while the replies were
    # written: start afresh. The notices' row locks, held until commit, keep the beat out meanwhile.
    db.execute(update(ReplyNotice).where(ReplyNotice.person_id == UUID(person(GULNARA))).values(sent_at=None))
    digests = select(OutboundEmail).where(OutboundEmail.kind == EmailKind.REPLY_DIGEST)
    earlier = {row.id for row in db.scalars(digests).all()}
    queue_reply_digests(db, get_settings())
    db.commit()
    [digest] = db.scalars(digests.where(OutboundEmail.id.not_in(earlier))).all()
    assert digest.person_recipient == UUID(person(GULNARA))
    shows_text = LISTED["other organisation"]["participants"] - {"withdrawn"}
    assert set(digest.context["comment_ids"]) == {r.id for r in replies if r.state in shows_text}

"""The audit trail over real HTTP: every operation that changes something leaves an entry naming who
did it, and admins read the trail through ``GET /api/v1/audit``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from consult.audit.models import ActorKind
from consult.auth.models import Role, StaffUser
from consult.directory.links import new_person_link
from consult.drafts.fixtures import strategy_markdown
from consult.invitations.checkin import checkin_code
from consult.invitations.models import Invitation
from consult.mail.replies import unsubscribe_token
from consult.settings import get_settings
from tests.directory.test_import import HEADER, csv_bytes
from tests.helpers import problem
from tests.polls.helpers import link_for
from tests.questionnaires.helpers import (
    confirmation_token,
    open_answer_form,
    questionnaire_definition,
    questionnaire_token,
    unconfirmed_response,
)
from tests.test_fuzz import Seeded, admin, created, future, iso_from_now, poll_body, seeded
from tests.word.import_docs import On, WordFile

__all__ = ["admin", "seeded"]  # the fuzz test's builders: one record of every kind, and an admin's client

Send = Callable[[], httpx.Response]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def word_feedback(text: str) -> bytes:
    """The seeded draft returned as a Word file with one margin comment."""
    return (
        WordFile()
        .heading(1, "Pillar 1 — Access to employment")
        .para(On("Migrants who work legally", "c"), " settle faster.")
        .note("c", "Reviewer", text)
        .returned()
    )


Prepare = Callable[["World"], Send]

EVENT = {
    "consultation_id": "{consultation_id}",
    "kind": "round_table",
    "format": "online",
    "title": "Round table",
    "timezone": "Asia/Baku",
    "starts_at": future(20, 10),
    "ends_at": future(20, 12),
    "online_url": "https://meet.example.org/rt",
}
DOCUMENT = {"consultation_id": "{consultation_id}", "title": "Annex", "language": "en"}


@dataclass
class World:
    seeded: Seeded
    admin: httpx.Client
    stakeholder: httpx.Client
    intake: httpx.Client
    public: httpx.Client
    db: Any

    @property
    def ids(self) -> dict[str, str]:
        return self.seeded.ids

    def person(self) -> str:
        email = f"p-{uuid.uuid4().hex[:8]}@example.org"
        return created(self.admin.post("/api/v1/people", json={"full_name": "Anna Gruber", "email": email}))[
            "id"
        ]

    def event(self) -> str:
        return created(self.admin.post("/api/v1/events", json=_fill(EVENT, self.ids)))["id"]

    def document(self) -> str:
        return created(self.admin.post("/api/v1/documents", json=_fill(DOCUMENT, self.ids)))["id"]

    def staff_token(self) -> str:
        url = f"/api/v1/staff-users/{self.ids['staff_user_id']}/tokens"
        return created(self.admin.post(url, json={"label": "spare"}))["id"]

    def poll(self) -> dict[str, Any]:
        """A new scheduling poll asking the seeded invitee."""
        url = f"/api/v1/consultations/{self.ids['consultation_id']}/scheduling-polls"
        return created(self.admin.post(url, json=poll_body(self.ids["person_id"])))

    def comment(self) -> str:
        url = f"/api/v1/rounds/{self.ids['round_id']}/comments"
        return created(self.stakeholder.post(url, json={"body": "One more thought."}))["id"]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """``{name}`` placeholders in the URL and JSON body become the seeded records' ids."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def call(
    who: str, method: str, url: str, first: Callable[[World], str] | None = None, **kwargs: Any
) -> Prepare:
    """A request sent by ``who`` (a client of the World); ``first`` makes a record beforehand, whose id
    fills ``{new}`` in the URL and JSON body as the seeded ids fill their own names."""

    def prepare(w: World) -> Send:
        ids = {**w.ids, "new": first(w)} if first else w.ids
        filled = {key: _fill(value, ids) if key == "json" else value for key, value in kwargs.items()}
        return lambda: getattr(w, who).request(method, _fill(url, ids), **filled)

    return prepare


def _delete_new(path: str, body: dict[str, Any]) -> Prepare:
    return call(
        "admin", "DELETE", path + "/{new}", first=lambda w: created(w.admin.post(path, json=body))["id"]
    )


def _invite_then_uninvite(w: World) -> Send:
    url = f"/api/v1/events/{w.ids['event_id']}/invitations"
    invited = created(w.admin.post(url, json={"person_ids": [w.person()]}), 202)["created"][0]["id"]
    return lambda: w.admin.delete(f"{url}/{invited}")


def _hide_new_comment(w: World) -> Send:
    w.ids["hidden_comment_id"] = w.comment()
    return lambda: w.admin.post(
        f"/api/v1/comments/{w.ids['hidden_comment_id']}/hide", json={"reason": "Off topic"}
    )


def _clear_bounce(w: World) -> Send:
    w.db.execute(
        text("UPDATE person SET bounced_at = now(), bounce_reason = 'mailbox full' WHERE id = :id"),
        {"id": w.ids["person_id"]},
    )
    w.db.commit()
    return lambda: w.admin.post(f"/api/v1/people/{w.ids['person_id']}/clear-bounce")


def _unsubscribe(w: World) -> Send:
    token = unsubscribe_token(get_settings(), uuid.UUID(w.person()))
    return lambda: w.public.post(f"/unsubscribe/{token}")


def _from_personal_page(what: str) -> Prepare:
    """The seeded invitee's personal page hands out a fresh link to their invitation or round."""

    def prepare(w: World) -> Send:
        person = uuid.UUID(w.ids["person_id"])
        token = new_person_link(w.db, person, get_settings()).rsplit("/p/", 1)[1]
        w.db.commit()
        if what == "invitations":
            target = w.db.scalar(
                select(Invitation.id).where(
                    Invitation.person_id == person, Invitation.event_id == uuid.UUID(w.ids["event_id"])
                )
            )
        else:
            target = w.ids["round_id"]
        return lambda: w.public.post(f"/p/{token}/{what}/{target}")

    return prepare


def _check_in(w: World) -> Send:
    """The seeded invitee of the seeded (in-person) event, with their check-in code."""
    invitation = w.db.scalar(select(Invitation.id).where(Invitation.event_id == uuid.UUID(w.ids["event_id"])))
    code = checkin_code(get_settings().app.secret_key, invitation)
    return lambda: w.admin.post(f"/api/v1/events/{w.ids['event_id']}/check-in", json={"code": code})


def _zoom_report(w: World) -> bytes:
    """A Zoom participant report naming the seeded invitee."""
    email = w.db.scalar(
        text("SELECT p.email FROM person p JOIN invitation i ON i.person_id = p.id WHERE i.event_id = :e"),
        {"e": uuid.UUID(w.ids["event_id"])},
    )
    return (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        f"Someone,{email},04/08/2027 10:00:00 AM,04/08/2027 11:00:00 AM,60\n"
    ).encode()


def _round_invitee(w: World) -> str:
    """A new person, invited to the seeded round."""
    person = w.person()
    response = w.admin.post(f"/api/v1/rounds/{w.ids['round_id']}/invitees", json={"person_ids": [person]})
    assert response.is_success, response.text
    return person


def _new_round(w: World) -> str:
    body = {
        "document_version_id": w.ids["document_version_id"],
        "title": "A round closed early",
        "opens_at": iso_from_now(hours=1),
        "closes_at": iso_from_now(days=10),
        "visibility": "participants",
        "person_ids": [w.ids["person_id"]],
    }
    return created(w.admin.post("/api/v1/rounds", json=body))["id"]


def _held_event(w: World) -> str:
    """A round table held yesterday (made once, then reused): its minutes may be recorded."""
    if "held_event_id" not in w.ids:
        yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
        held = {**EVENT, "starts_at": f"{yesterday}T10:00:00", "ends_at": f"{yesterday}T12:00:00"}
        w.ids["held_event_id"] = created(w.admin.post("/api/v1/events", json=_fill(held, w.ids)))["id"]
    return w.ids["held_event_id"]


def _minutes(person_id: str, text: str) -> dict[str, Any]:
    return {"round_id": "{round_id}", "points": [{"person_id": person_id, "text": text}]}


def _on_a_new_point(action: str, **kwargs: Any) -> Prepare:
    """A correction or withdrawal of a point recorded just before."""

    def prepare(w: World) -> Send:
        url = f"/api/v1/events/{_held_event(w)}/minutes"
        point = created(w.admin.post(url, json=_fill(_minutes("{person_id}", "Said so."), w.ids)))["points"][
            0
        ]
        method = "PATCH" if action == "" else "POST"
        return lambda: w.admin.request(method, f"{url}/{point['id']}{action}", **kwargs)

    return prepare


def _on_the_page(w: World, action: str) -> Send:
    """An edit (or a withdrawal) of a new comment through the round page's form."""
    comment = w.comment()
    url = f"/r/{w.seeded.round_token}/comments/{comment}{action}"
    return lambda: w.public.post(url, data={"body": "Edited on the page."})


def _decide_new_poll(w: World) -> Send:
    poll = w.poll()
    url = f"/api/v1/scheduling-polls/{poll['id']}/decide"
    return lambda: w.admin.post(url, json={"slot_id": poll["slots"][0]["id"]})


def _answer_new_poll(w: World) -> Send:
    """The seeded invitee answers a poll through its page's form."""
    poll = w.poll()
    token = link_for(w.db, poll["id"], w.ids["person_id"])
    return lambda: w.public.post(f"/poll/{token}", data={s["id"]: "yes" for s in poll["slots"]})


def _questionnaire(w: World, mode: str = "per_person", send: bool = False, **settings: Any) -> str:
    url = f"/api/v1/consultations/{w.ids['consultation_id']}/questionnaires"
    body = {"name": "Needs assessment", "mode": mode, "definition": questionnaire_definition(), **settings}
    questionnaire = created(w.admin.post(url, json=body))["id"]
    if send:
        audience = {} if mode == "open" else {"person_ids": [w.ids["person_id"]]}
        sent = w.admin.post(
            f"/api/v1/questionnaires/{questionnaire}/send",
            json={"closes_at": iso_from_now(days=5), **audience},
        )
        assert sent.status_code == 200, sent.text
    return questionnaire


def _sent_questionnaire(w: World) -> str:
    return _questionnaire(w, send=True)


def _answer_questionnaire(w: World) -> Send:
    """The seeded person saves a draft answer on their questionnaire page."""
    questionnaire = _sent_questionnaire(w)
    token = questionnaire_token(w.db, questionnaire, w.ids["person_id"])
    return lambda: w.public.post(
        f"/q/{token}", data={"action": "save", "revision": "0", "q.q-services": "yes"}
    )


def _through_the_respondents_api(method: str, path: str, body: dict[str, Any]) -> Prepare:
    """The seeded person, with their questionnaire link's token, on the respondents' API (``path``
    after ``my-response``); a reopening needs a submitted answer first."""

    def prepare(w: World) -> Send:
        questionnaire = _sent_questionnaire(w)
        url = f"/api/v1/questionnaires/{questionnaire}/my-response"
        headers = {"Authorization": f"Bearer {questionnaire_token(w.db, questionnaire, w.ids['person_id'])}"}
        if path:
            answers = {"q-services": "yes"}
            submitted = w.public.put(url, headers=headers, json={"answers": answers, "submit": True})
            assert submitted.status_code == 200, submitted.text
        return lambda: w.public.request(method, url + path, headers=headers, json=body)

    return prepare


def _answer_open_questionnaire(w: World) -> Send:
    questionnaire = _questionnaire(w, mode="open", send=True)
    url = w.admin.get(f"/api/v1/questionnaires/{questionnaire}").json()["public_url"]
    path = url[url.index("/q/open/") :]
    return lambda: w.public.post(path, data=open_answer_form())


def _confirm_open_answer(w: World) -> Send:
    """Someone presses the button behind the link emailed to confirm their open answer."""
    questionnaire = _questionnaire(w, mode="open", send=True, email_confirmation=True)
    url = w.admin.get(f"/api/v1/questionnaires/{questionnaire}").json()["public_url"]
    path = url[url.index("/q/open/") :]
    answered = w.public.post(path, data={**open_answer_form(), "email": "someone@example.org"})
    assert answered.status_code in (200, 303), answered.text[:300]
    token = confirmation_token(w.db, unconfirmed_response(w.db, questionnaire))
    return lambda: w.public.post(f"{path}/confirm/{token}")


INBOUND = (
    b"From: Anna Gruber <a.gruber@example.org>\r\nTo: consult@example.org\r\nSubject: A question\r\n"
    b"Message-ID: <audit-walk@example.org>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
)

# Every operation of the OpenAPI document that may change something, in the order they run (deletes
# of the seeded records last). Each prepares what it needs and returns the request to audit.
CALLS: dict[str, Prepare] = {
    "POST /api/v1/organisations": call(
        "admin", "POST", "/api/v1/organisations", json={"name": "Bar", "kind": "ngo"}
    ),
    "PATCH /api/v1/organisations/{organisation_id}": call(
        "admin", "PATCH", "/api/v1/organisations/{organisation_id}", json={"country": "AZ"}
    ),
    "DELETE /api/v1/organisations/{organisation_id}": _delete_new(
        "/api/v1/organisations", {"name": "Gone", "kind": "ngo"}
    ),
    "POST /api/v1/people": call(
        "admin",
        "POST",
        "/api/v1/people",
        json={"full_name": "Leyla Aliyeva", "email": "l.aliyeva@example.org"},
    ),
    "PATCH /api/v1/people/{person_id}": call(
        "admin", "PATCH", "/api/v1/people/{person_id}", json={"position": "Director"}
    ),
    "DELETE /api/v1/people/{person_id}": _delete_new(
        "/api/v1/people", {"full_name": "Gone Person", "email": "gone@example.org"}
    ),
    "POST /api/v1/people/import": call(
        "admin",
        "POST",
        "/api/v1/people/import",
        files={
            "file": (
                "people.csv",
                csv_bytes([HEADER, ["Imported One", "imported@example.org", "", "", "", "", ""]]),
            )
        },
    ),
    "POST /api/v1/groups": call("admin", "POST", "/api/v1/groups", json={"name": "Experts"}),
    "PATCH /api/v1/groups/{group_id}": call(
        "admin", "PATCH", "/api/v1/groups/{group_id}", json={"description": "Civil society organisations"}
    ),
    "POST /api/v1/groups/{group_id}/members": call(
        "admin",
        "POST",
        "/api/v1/groups/{group_id}/members",
        first=World.person,
        json={"person_ids": ["{new}"]},
    ),
    "PUT /api/v1/groups/{group_id}/members": call(
        "admin", "PUT", "/api/v1/groups/{group_id}/members", json={"person_ids": ["{person_id}"]}
    ),
    "DELETE /api/v1/groups/{group_id}": _delete_new("/api/v1/groups", {"name": "Gone group"}),
    "POST /api/v1/consultations": call("admin", "POST", "/api/v1/consultations", json={"title": "Housing"}),
    "PATCH /api/v1/consultations/{consultation_id}": call(
        "admin", "PATCH", "/api/v1/consultations/{consultation_id}", json={"description": "Second reading"}
    ),
    "DELETE /api/v1/consultations/{consultation_id}": _delete_new("/api/v1/consultations", {"title": "Gone"}),
    "POST /api/v1/events": call("admin", "POST", "/api/v1/events", json=EVENT),
    "PATCH /api/v1/events/{event_id}": call(
        "admin", "PATCH", "/api/v1/events/{event_id}", json={"location": "Ganja"}
    ),
    "POST /api/v1/events/{event_id}/cancel": call(
        "admin", "POST", "/api/v1/events/{new}/cancel", first=World.event, json={"reason": "Moved online"}
    ),
    "DELETE /api/v1/events/{event_id}": call("admin", "DELETE", "/api/v1/events/{new}", first=World.event),
    "POST /api/v1/events/{event_id}/invitations": call(
        "admin",
        "POST",
        "/api/v1/events/{event_id}/invitations",
        first=World.person,
        json={"person_ids": ["{new}"]},
    ),
    "DELETE /api/v1/events/{event_id}/invitations/{invitation_id}": _invite_then_uninvite,
    "POST /api/v1/events/{event_id}/attendance": call(
        "admin", "POST", "/api/v1/events/{event_id}/attendance", json={"person_ids": ["{person_id}"]}
    ),
    "POST /api/v1/events/{event_id}/check-in": _check_in,
    "POST /api/v1/events/{event_id}/attendance/import": lambda w: (
        lambda: w.admin.post(
            f"/api/v1/events/{w.ids['event_id']}/attendance/import",
            files={"file": ("zoom.csv", _zoom_report(w), "text/csv")},
        )
    ),
    "POST /api/v1/consultations/{consultation_id}/scheduling-polls": call(
        "admin",
        "POST",
        "/api/v1/consultations/{consultation_id}/scheduling-polls",
        json=poll_body("{person_id}"),
    ),
    "POST /api/v1/scheduling-polls/{poll_id}/decide": _decide_new_poll,
    "POST /poll/{token}": _answer_new_poll,
    "POST /rsvp/{token}": lambda w: (
        lambda: w.public.post(f"/rsvp/{w.seeded.rsvp_token}", json={"response": "accepted"})
    ),
    "POST /api/v1/documents": call("admin", "POST", "/api/v1/documents", json=DOCUMENT),
    "PATCH /api/v1/documents/{document_id}": call(
        "admin", "PATCH", "/api/v1/documents/{document_id}", json={"title": "Strategy 2027"}
    ),
    "POST /api/v1/documents/{document_id}/versions": call(
        "admin",
        "POST",
        "/api/v1/documents/{document_id}/versions",
        files={"file": ("strategy.md", strategy_markdown(2), "text/markdown")},
    ),
    "DELETE /api/v1/documents/{document_id}": call(
        "admin", "DELETE", "/api/v1/documents/{new}", first=World.document
    ),
    "POST /api/v1/rounds": call(
        "admin",
        "POST",
        "/api/v1/rounds",
        json={
            "document_version_id": "{document_version_id}",
            "title": "Second round",
            "opens_at": iso_from_now(hours=1),
            "closes_at": iso_from_now(days=10),
            "visibility": "participants",
            "person_ids": ["{person_id}"],
        },
    ),
    "PATCH /api/v1/rounds/{round_id}": call(
        "admin", "PATCH", "/api/v1/rounds/{round_id}", json={"title": "First round (2)"}
    ),
    "POST /api/v1/rounds/{round_id}/invitees": call(
        "admin",
        "POST",
        "/api/v1/rounds/{round_id}/invitees",
        first=World.person,
        json={"person_ids": ["{new}"]},
    ),
    "POST /api/v1/rounds/{round_id}/comments": call(
        "stakeholder", "POST", "/api/v1/rounds/{round_id}/comments", json={"body": "Section 1 needs a date."}
    ),
    "PATCH /api/v1/comments/{comment_id}": call(
        "stakeholder", "PATCH", "/api/v1/comments/{comment_id}", json={"body": "Agreed, with a date."}
    ),
    "POST /api/v1/comments/{comment_id}/withdraw": call(
        "stakeholder", "POST", "/api/v1/comments/{new}/withdraw", first=World.comment
    ),
    "POST /api/v1/comments/{comment_id}/hide": _hide_new_comment,
    "POST /api/v1/comments/{comment_id}/restore": call(
        "admin", "POST", "/api/v1/comments/{hidden_comment_id}/restore"
    ),
    "PUT /api/v1/comments/{comment_id}/response": call(
        "admin",
        "PUT",
        "/api/v1/comments/{comment_id}/response",
        json={"decision": "noted", "rationale": "Thanks."},
    ),
    "POST /api/v1/events/{event_id}/minutes": call(
        "admin",
        "POST",
        "/api/v1/events/{new}/minutes",
        first=_held_event,
        json=_minutes("{person_id}", "Agreed."),
    ),
    "PATCH /api/v1/events/{event_id}/minutes/{comment_id}": _on_a_new_point(
        "", json={"text": "Said, with a date."}
    ),
    "POST /api/v1/events/{event_id}/minutes/{comment_id}/withdraw": _on_a_new_point("/withdraw"),
    "POST /r/{token}/comments": lambda w: (
        lambda: w.public.post(f"/r/{w.seeded.round_token}/comments", data={"body": "Written on the page."})
    ),
    "POST /r/{token}/comments/{comment_id}": lambda w: _on_the_page(w, ""),
    "POST /api/v1/rounds/{round_id}/word-feedback": call(
        "stakeholder",
        "POST",
        "/api/v1/rounds/{round_id}/word-feedback",
        files={"file": ("returned.docx", word_feedback("Sent through the API."), DOCX)},
    ),
    "POST /r/{token}/word-feedback": lambda w: (
        lambda: w.public.post(
            f"/r/{w.seeded.round_token}/word-feedback",
            files={"file": ("returned.docx", word_feedback("Sent from the page."), DOCX)},
        )
    ),
    "POST /r/{token}/comments/{comment_id}/withdraw": lambda w: _on_the_page(w, "/withdraw"),
    "POST /api/v1/rounds/{round_id}/exports": call(
        "admin", "POST", "/api/v1/rounds/{round_id}/exports", json={"format": "csv"}
    ),
    "POST /api/v1/people/{person_id}/clear-bounce": _clear_bounce,
    "POST /unsubscribe/{token}": _unsubscribe,
    "POST /p/{token}/invitations/{target_id}": _from_personal_page("invitations"),
    "POST /p/{token}/rounds/{target_id}": _from_personal_page("rounds"),
    "POST /api/v1/inbound/email": call(
        "intake", "POST", "/api/v1/inbound/email", content=INBOUND, headers={"Content-Type": "message/rfc822"}
    ),
    "POST /api/v1/staff-users/{user_id}/tokens": call(
        "admin", "POST", "/api/v1/staff-users/{staff_user_id}/tokens", json={"label": "laptop"}
    ),
    "POST /api/v1/staff-users/{user_id}/tokens/{token_id}/revoke": call(
        "admin", "POST", "/api/v1/staff-users/{staff_user_id}/tokens/{new}/revoke", first=World.staff_token
    ),
    "POST /api/v1/staff-users/{user_id}/deactivate": call(
        "admin", "POST", "/api/v1/staff-users/{staff_user_id}/deactivate"
    ),
    "DELETE /api/v1/groups/{group_id}/members/{person_id}": call(
        "admin", "DELETE", "/api/v1/groups/{group_id}/members/{person_id}"
    ),
    "DELETE /api/v1/rounds/{round_id}/invitees/{person_id}": call(
        "admin", "DELETE", "/api/v1/rounds/{round_id}/invitees/{new}", first=_round_invitee
    ),
    "POST /api/v1/people/{person_id}/revoke-links": call(
        "admin", "POST", "/api/v1/people/{new}/revoke-links", first=_round_invitee
    ),
    "POST /api/v1/rounds/{round_id}/close": call(
        "admin", "POST", "/api/v1/rounds/{new}/close", first=_new_round
    ),
    "POST /api/v1/consultations/{consultation_id}/questionnaires": lambda w: (
        lambda: w.admin.post(
            f"/api/v1/consultations/{w.ids['consultation_id']}/questionnaires",
            json={"name": "Needs", "mode": "per_organisation", "definition": questionnaire_definition()},
        )
    ),
    "PATCH /api/v1/questionnaires/{questionnaire_id}": call(
        "admin", "PATCH", "/api/v1/questionnaires/{new}", first=_questionnaire, json={"name": "Renamed"}
    ),
    "POST /api/v1/questionnaires/{questionnaire_id}/versions": call(
        "admin",
        "POST",
        "/api/v1/questionnaires/{new}/versions",
        first=_sent_questionnaire,
        json={"definition": questionnaire_definition()},
    ),
    "POST /api/v1/questionnaires/{questionnaire_id}/send": call(
        "admin",
        "POST",
        "/api/v1/questionnaires/{new}/send",
        first=_questionnaire,
        json={"closes_at": iso_from_now(days=5), "person_ids": ["{person_id}"]},
    ),
    "POST /q/{token}": _answer_questionnaire,
    "PUT /api/v1/questionnaires/{questionnaire_id}/my-response": _through_the_respondents_api(
        "PUT", "", {"answers": {"q-services": "yes"}}
    ),
    "POST /api/v1/questionnaires/{questionnaire_id}/my-response/reopen": _through_the_respondents_api(
        "POST", "/reopen", {"revision": 1}
    ),
    "POST /q/open/{public_key}": _answer_open_questionnaire,
    "POST /q/open/{public_key}/confirm/{token}": _confirm_open_answer,
    "POST /api/v1/questionnaires/{questionnaire_id}/close": call(
        "admin", "POST", "/api/v1/questionnaires/{new}/close", first=_sent_questionnaire
    ),
    "DELETE /api/v1/questionnaires/{questionnaire_id}": call(
        "admin", "DELETE", "/api/v1/questionnaires/{new}", first=_questionnaire
    ),
    "POST /api/v1/people/{person_id}/erase": call(
        "admin", "POST", "/api/v1/people/{new}/erase", first=_round_invitee
    ),
}

# Operations that change nothing by design, with the reason (none so far: a dry-run import is a
# query parameter of POST /api/v1/people/import, which is walked without it).
WRITES_NOTHING: dict[str, str] = {}

# Operations a stakeholder makes (entries name the person); the intake's; the rest are the admin's.
BY_STAKEHOLDER = {
    "POST /rsvp/{token}",
    "POST /poll/{token}",
    "POST /r/{token}/comments",
    "POST /r/{token}/comments/{comment_id}",
    "POST /r/{token}/comments/{comment_id}/withdraw",
    "POST /api/v1/rounds/{round_id}/word-feedback",
    "POST /r/{token}/word-feedback",
    "POST /unsubscribe/{token}",
    "POST /p/{token}/invitations/{target_id}",
    "POST /p/{token}/rounds/{target_id}",
    "POST /api/v1/rounds/{round_id}/comments",
    "PATCH /api/v1/comments/{comment_id}",
    "POST /api/v1/comments/{comment_id}/withdraw",
    "POST /q/{token}",
    "PUT /api/v1/questionnaires/{questionnaire_id}/my-response",
    "POST /api/v1/questionnaires/{questionnaire_id}/my-response/reopen",
}
BY_INTAKE = {"POST /api/v1/inbound/email"}
# Anyone through a public page: the entries say so (and carry the address).
BY_ANYONE = {"POST /q/open/{public_key}", "POST /q/open/{public_key}/confirm/{token}"}


def mutating_operations(server: str) -> set[str]:
    document = httpx.get(f"{server}/schema/openapi.json").json()
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in {"post", "put", "patch", "delete"}
    }


def audit_rows(db) -> dict[str, tuple[str, str | None]]:
    db.rollback()
    rows = db.execute(text("SELECT id, actor_kind, actor_id FROM audit_entry WHERE actor_kind <> 'system'"))
    return {str(id_): (kind, str(actor) if actor else None) for id_, kind, actor in rows}


@pytest.fixture
def world(seeded, admin, client_for, tokens, server, db) -> World:
    # The staff user the walk issues tokens to and deactivates (the facilitator takes no other part).
    facilitator = db.scalar(select(StaffUser.id).where(StaffUser.email == "facilitator@example.org"))
    seeded.ids["staff_user_id"] = str(facilitator)
    return World(
        seeded=seeded,
        admin=admin,
        stakeholder=client_for(None, token=seeded.round_token),
        intake=client_for(None, token=tokens[Role.INTAKE]),
        public=httpx.Client(base_url=server, timeout=30.0),
        db=db,
    )


def test_every_mutating_operation_leaves_an_audit_entry(server, world: World, db) -> None:
    documented = mutating_operations(server)
    assert documented == set(CALLS) | set(WRITES_NOTHING), (
        "operations without a call here (add one, or list it in WRITES_NOTHING with the reason): "
        f"{sorted(documented - set(CALLS) - set(WRITES_NOTHING))}; gone: {sorted(set(CALLS) - documented)}"
    )
    admin_id = str(db.scalar(select(StaffUser.id).where(StaffUser.email == "admin@example.org")))
    person_id = world.ids["person_id"]
    silent = []
    for label, prepare in CALLS.items():
        send = prepare(world)
        before = audit_rows(db)
        response = send()
        assert response.status_code < 400, (label, response.status_code, response.text[:300])
        new = [row for id_, row in audit_rows(db).items() if id_ not in before]
        if not new:
            silent.append(label)
            continue
        if label in BY_STAKEHOLDER:
            # The unsubscribing person is a new one; the others are the seeded invitee.
            assert {kind for kind, _ in new} == {ActorKind.STAKEHOLDER.value}, (label, new)
            assert label == "POST /unsubscribe/{token}" or {actor for _, actor in new} == {person_id}, (
                label,
                new,
            )
        elif label in BY_INTAKE:
            assert {kind for kind, _ in new} == {ActorKind.INTAKE.value}, (label, new)
        elif label in BY_ANYONE:
            assert set(new) == {(ActorKind.ANONYMOUS.value, None)}, (label, new)
        else:
            assert set(new) == {(ActorKind.STAFF.value, admin_id)}, (label, new)
    assert not silent, f"succeeded without an audit entry: {silent}"


def test_admins_read_the_trail_with_filters(client_for, admin, db) -> None:
    organisation = created(
        admin.post("/api/v1/organisations", json={"name": "Legal Aid Centre", "kind": "ngo"})
    )
    admin.patch(f"/api/v1/organisations/{organisation['id']}", json={"name": "Legal Aid Centre Baku"})
    client_for(Role.ORGANISER).post("/api/v1/consultations", json={"title": "Housing"})
    admin_id = str(db.scalar(select(StaffUser.id).where(StaffUser.email == "admin@example.org")))

    for role in (Role.ORGANISER, Role.FACILITATOR, Role.INTAKE):
        problem(client_for(role).get("/api/v1/audit"), 403)
    trail = admin.get("/api/v1/audit", params={"entity_id": organisation["id"]}).json()
    assert [e["action"] for e in trail["items"]] == ["update", "create"]  # newest first
    update = trail["items"][0]
    assert update["actor_kind"] == "staff"
    assert (update["actor_id"], update["actor_label"]) == (admin_id, "admin@example.org")
    assert update["address"] == "127.0.0.1"
    assert update["entity_type"] == "organisation"
    assert update["fields"] == ["name"]
    assert update["changes"] == {"name": {"old": "Legal Aid Centre", "new": "Legal Aid Centre Baku"}}

    mine = admin.get("/api/v1/audit", params={"actor_id": admin_id, "entity_type": "consultation"}).json()
    assert mine["total"] == 0
    theirs = admin.get("/api/v1/audit", params={"entity_type": "consultation", "action": "create"}).json()
    assert theirs["total"] == 1
    assert theirs["items"][0]["actor_label"] == "organiser@example.org"

    created_at = dt.datetime.fromisoformat(update["created_at"])
    window = {"entity_id": organisation["id"], "from": update["created_at"]}
    assert [e["action"] for e in admin.get("/api/v1/audit", params=window).json()["items"]] == ["update"]
    window = {"entity_id": organisation["id"], "to": update["created_at"]}
    assert [e["action"] for e in admin.get("/api/v1/audit", params=window).json()["items"]] == ["create"]
    later = (created_at + dt.timedelta(seconds=1)).isoformat()
    assert admin.get("/api/v1/audit", params={"from": later}).json()["total"] == 0

    page = admin.get("/api/v1/audit", params={"limit": 1, "offset": 1}).json()
    assert (len(page["items"]), page["limit"], page["offset"]) == (1, 1, 1)
    assert page["total"] >= 3
    problem(admin.get("/api/v1/audit", params={"actor_kind": "robot"}), 422, "actor_kind")
    problem(admin.get("/api/v1/audit", params={"from": "2026-01-01T00:00:00"}), 422, "from")  # no offset

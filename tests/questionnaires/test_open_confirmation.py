# ruff: noqa: RUF001 - texts in Azerbaijani and Russian
"""The optional email confirmation of an open questionnaire, through real HTTP, the outbox, a
Celery worker and the SMTP server: the form asks for an address (refusals in the reader's language,
nothing typed lost), the answer counts nowhere until the button behind the emailed link is pressed
(a GET never confirms), twice counts once, one answer per address (case does not matter), expired
and unknown links are the invalid-link page, and nothing is counted once the questionnaire closed."""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

import httpx
from sqlalchemy import func, select, update

from consult.auth.tokens import token_digest
from consult.mail.models import OutboundEmail
from consult.questionnaires.models import QuestionnaireConfirmation, QuestionnaireResponse
from tests.helpers import problem
from tests.questionnaires.conftest import COMPLETE, definition, form_of, from_now
from tests.questionnaires.helpers import confirmation_token
from tests.rounds.test_round_emails import subject_of, text_of, wait_for_mail
from tests.waiting import wait_until

MARIE = "marie.curie@example.org"


def open_questionnaire(staff: httpx.Client, consultation: dict, *, send: bool = True) -> dict:
    created = staff.post(
        f"/api/v1/consultations/{consultation['id']}/questionnaires",
        json={"name": "Open call", "mode": "open", "definition": definition(), "email_confirmation": True},
    )
    assert created.status_code == 201, created.text
    questionnaire = created.json()
    assert questionnaire["email_confirmation"] is True
    if send:
        sent = staff.post(
            f"/api/v1/questionnaires/{questionnaire['id']}/send", json={"closes_at": from_now(days=10)}
        )
        assert sent.status_code == 200, sent.text
        questionnaire = staff.get(f"/api/v1/questionnaires/{questionnaire['id']}").json()
    return questionnaire


def path_of(questionnaire: dict) -> str:
    url = questionnaire["public_url"]
    return url[url.index("/q/open/") :]


def responses(db, questionnaire_id: str) -> list[QuestionnaireResponse]:
    db.expire_all()
    return list(
        db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.questionnaire_id == UUID(questionnaire_id))
            .order_by(QuestionnaireResponse.created_at)
        )
    )


def counted(staff: httpx.Client, questionnaire_id: str) -> dict:
    results = staff.get(f"/api/v1/questionnaires/{questionnaire_id}/results")
    assert results.status_code == 200, results.text
    body = results.json()
    services = next(q for q in body["questions"] if q["key"] == "q-services")
    return {
        "responses": body["responses"],
        **{c["key"]: c["count"] for c in services["counts"] if c["count"]},
    }


def link_in(received) -> str:
    match = re.search(
        r"https?://\S+(/q/open/\S+/confirm/csc_[A-Za-z0-9_-]+\?lang=[a-z]{2})", text_of(received)
    )
    assert match, text_of(received)
    return match.group(1)


def confirmation_link(db, questionnaire: dict, response: QuestionnaireResponse) -> str:
    """A link as the email carries it, for tests that need no worker."""
    return f"{path_of(questionnaire)}/confirm/{confirmation_token(db, response.id)}"


def test_the_setting_is_for_open_drafts_only(staff, consultation):
    base = {"name": "Assessment", "definition": definition()}
    url = f"/api/v1/consultations/{consultation['id']}/questionnaires"
    problem(
        staff.post(url, json={**base, "mode": "per_person", "email_confirmation": True}),
        422,
        "email_confirmation",
    )
    plain = staff.post(url, json={**base, "mode": "per_organisation"}).json()
    assert plain["email_confirmation"] is False
    problem(
        staff.patch(f"/api/v1/questionnaires/{plain['id']}", json={"email_confirmation": True}),
        422,
        "email_confirmation",
    )
    draft = staff.post(url, json={**base, "mode": "open"}).json()
    assert draft["email_confirmation"] is False
    turned_on = staff.patch(f"/api/v1/questionnaires/{draft['id']}", json={"email_confirmation": True})
    assert turned_on.status_code == 200 and turned_on.json()["email_confirmation"] is True
    sent = staff.post(f"/api/v1/questionnaires/{draft['id']}/send", json={"closes_at": from_now(days=3)})
    assert sent.status_code == 200, sent.text
    problem(staff.patch(f"/api/v1/questionnaires/{draft['id']}", json={"email_confirmation": False}), 409)
    assert staff.get(f"/api/v1/questionnaires/{draft['id']}").json()["email_confirmation"] is True
    schema = staff.get("/schema/openapi.json").json()["components"]["schemas"]
    assert "email_confirmation" in schema["QuestionnaireOut"]["properties"]
    assert "email_confirmation" in schema["QuestionnairePatch"]["properties"]


def test_the_form_asks_for_an_address_and_keeps_everything_typed(staff, consultation, web, db):
    questionnaire = open_questionnaire(staff, consultation)
    path = path_of(questionnaire)
    page = web.get(path, headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    field = re.search(r"<input type=\"email\"[^>]*>", page.text)
    assert field, page.text
    for attribute in (
        'name="email"',
        'autocomplete="email"',
        'spellcheck="false"',
        'aria-describedby="email-hint"',
    ):
        assert attribute in field.group(0)
    assert "Мы отправим вам ссылку для подтверждения ответа" in page.text
    missing = web.post(path, data=form_of(COMPLETE, "submit", 0), headers={"Accept-Language": "ru"})
    assert missing.status_code == 422
    assert "Введите адрес электронной почты." in missing.text and 'href="#email"' in missing.text
    assert 'value="Integration department"' in missing.text  # the answers as typed
    wrong = web.post(f"{path}?lang=az", data=form_of(COMPLETE, "submit", 0, email="marie at example"))
    assert wrong.status_code == 422
    assert "E-poçt ünvanını düzgün formatda daxil edin" in wrong.text
    assert 'value="marie at example"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert 'value="Integration department"' in wrong.text
    # A refused answer and a missing address are told together.
    both = web.post(path, data=form_of({"q-services": "yes"}, "submit", 0))
    assert both.status_code == 422 and 'href="#q-q-readiness"' in both.text and 'href="#email"' in both.text
    assert responses(db, questionnaire["id"]) == []


def test_an_answer_counts_once_confirmed_and_one_per_address(staff, consultation, web, db, smtp, worker):
    questionnaire = open_questionnaire(staff, consultation)
    path = path_of(questionnaire)
    sent = web.post(f"{path}?lang=fr", data=form_of(COMPLETE, "submit", 0, email="Marie.Curie@Example.org"))
    assert sent.status_code == 303, sent.text
    thanks = web.get(sent.headers["location"])
    assert "confirm=1" in sent.headers["location"] and "Consultez votre boîte de réception" in thanks.text
    [response] = responses(db, questionnaire["id"])
    assert response.status == "unconfirmed" and response.submitted_at is None
    assert counted(staff, questionnaire["id"]) == {"responses": 0}
    [email] = wait_for_mail(smtp, MARIE)
    assert subject_of(email) == "Confirmez votre réponse : Évaluation des capacités et des besoins"
    assert email.message["List-Unsubscribe"] is None and email.message["Reply-To"] is None
    link = link_in(email)
    assert link.endswith("?lang=fr")
    token = link.rsplit("/", 1)[1].split("?")[0]
    assert db.scalar(select(QuestionnaireConfirmation.token_hash)) == token_digest(token)
    # Opening the link (as a mail scanner does) confirms nothing; the page is in the answer's language.
    shown = web.get(link, headers={"Accept-Language": "ru"})
    assert shown.status_code == 200 and "Confirmer ma réponse" in shown.text and 'method="post"' in shown.text
    assert counted(staff, questionnaire["id"]) == {"responses": 0}
    assert f'action="{link}"' in shown.text
    confirmed = web.post(link)
    assert confirmed.status_code == 200 and "Votre réponse est confirmée" in confirmed.text
    assert 'id="replaced"' not in confirmed.text
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "yes": 1}
    again = web.post(link)
    assert again.status_code == 200 and 'id="already"' in again.text
    assert web.get(link).status_code == 200 and 'id="already"' in web.get(link).text
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "yes": 1}
    [response] = responses(db, questionnaire["id"])
    assert response.status == "submitted" and response.submitted_at is not None
    # The same address in other letters answers again: once confirmed, it replaces the first.
    changed = {**COMPLETE, "q-services": "no"}
    second = web.post(path, data=form_of(changed, "submit", 0, email="MARIE.CURIE@example.ORG"))
    assert second.status_code == 303
    [_, email2] = wait_for_mail(smtp, MARIE, 2)
    assert subject_of(email2).startswith("Confirm your answer:")  # the browser's language: none, English
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "yes": 1}
    replaced = web.post(link_in(email2))
    assert replaced.status_code == 200 and 'id="replaced"' in replaced.text
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "no": 1}
    first, latest = responses(db, questionnaire["id"])
    assert (first.status, latest.status) == ("replaced", "submitted")
    listed = staff.get(
        f"/api/v1/questionnaires/{questionnaire['id']}/responses", params={"status": "submitted"}
    )
    assert [r["id"] for r in listed.json()["items"]] == [str(latest.id)]
    pending = web.post(path, data=form_of(COMPLETE, "submit", 0, email="someone.else@example.org"))
    assert pending.status_code == 303  # waits for its confirmation: counted nowhere
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "no": 1}
    exported = staff.get(f"/api/v1/questionnaires/{questionnaire['id']}/export", params={"format": "json"})
    assert exported.status_code == 200, exported.text
    assert [row[0] for row in exported.json()["rows"]] == [str(latest.id)]  # neither replaced nor unconfirmed
    # The first link, pressed again, changes nothing.
    assert 'id="already"' in web.post(link).text
    assert counted(staff, questionnaire["id"]) == {"responses": 1, "no": 1}


def test_unknown_expired_and_closed_links(staff, consultation, web, db):
    questionnaire = open_questionnaire(staff, consultation)
    path = path_of(questionnaire)
    assert web.get(f"{path}/confirm/csc_unknown").status_code == 404
    assert web.post(f"{path}/confirm/csc_unknown").status_code == 404
    assert web.post(f"{path}/confirm/nothing").status_code == 404
    for address in ("one@example.org", "two@example.org"):
        assert web.post(path, data=form_of(COMPLETE, "submit", 0, email=address)).status_code == 303
    one, two = responses(db, questionnaire["id"])
    expired = confirmation_link(db, questionnaire, one)
    db.execute(
        update(QuestionnaireConfirmation)
        .where(QuestionnaireConfirmation.response_id == one.id)
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    db.commit()
    assert web.get(expired).status_code == 404
    assert web.post(expired).status_code == 404
    # Another questionnaire's key with a valid token: unknown too.
    other = open_questionnaire(staff, consultation)
    link = confirmation_link(db, questionnaire, two)
    assert web.post(link.replace(path, path_of(other))).status_code == 404
    assert staff.post(f"/api/v1/questionnaires/{questionnaire['id']}/close").status_code == 200
    shown = web.get(link, headers={"Accept-Language": "ru"})
    assert shown.status_code == 200 and 'id="closed"' in shown.text and "Подтвердить" not in shown.text
    late = web.post(link)
    assert late.status_code == 409 and 'id="closed"' in late.text
    assert counted(staff, questionnaire["id"]) == {"responses": 0}
    assert {r.status for r in responses(db, questionnaire["id"])} == {"unconfirmed"}


def test_a_refused_address_is_recorded_and_header_injection_is_refused(
    staff, consultation, web, db, smtp, worker
):
    questionnaire = open_questionnaire(staff, consultation)
    path = path_of(questionnaire)
    refused = "nobody@example.org"
    smtp.refuse(refused, "550 5.1.1 <nobody@example.org>: mailbox unavailable")
    assert web.post(path, data=form_of(COMPLETE, "submit", 0, email=refused)).status_code == 303

    def failed() -> OutboundEmail | None:
        db.expire_all()
        row = db.scalar(select(OutboundEmail).where(OutboundEmail.to_address == refused))
        return row if row is not None and row.state == "failed" else None

    row = wait_until(failed, "the refused confirmation email marked failed")
    assert (
        row.kind == "questionnaire_confirmation" and row.person_id is None and "550" in (row.last_error or "")
    )
    # An address that would carry a header of its own is no address: refused on the page.
    injected = web.post(
        path, data=form_of(COMPLETE, "submit", 0, email="x@example.org\r\nBcc: victim@example.org")
    )
    assert injected.status_code == 422 and 'href="#email"' in injected.text
    assert (
        db.scalar(
            select(func.count()).select_from(OutboundEmail).where(OutboundEmail.to_address.is_not(None))
        )
        == 1
    )

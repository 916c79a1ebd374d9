"""Outgoing mail that can be answered and traced: Reply-To tokens, VERP envelope senders,
List-Unsubscribe on reminders and digests, the unsubscribe page, and mail held back after a bounce."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

import httpx
from sqlalchemy import select, update

from consult.auth.tokens import token_digest
from consult.directory.models import Person
from consult.mail.models import OutboundEmail, OutboxState, ReplyToken
from consult.mail.replies import bounce_id_in, reply_token_in
from tests.rounds.conftest import a_day_after_opening, from_now
from tests.rounds.test_round_emails import IRINA, subject_of, wait_for_mail
from tests.waiting import wait_until

ANNA = "a.gruber@expert.example.org"
LUC = "l.dubois@eeas.example.org"


def _unsubscribe_url(received) -> str:
    header = str(received.message["List-Unsubscribe"])
    return next(part.strip("<> ") for part in header.split(",") if "https://" in part or "http://" in part)


def test_round_email_has_a_personal_reply_to_and_a_verp_sender(make_round, directory, smtp, worker, db):
    round_ = make_round(person_ids=[directory.person(ANNA)])
    [opening] = wait_for_mail(smtp, ANNA)
    reply_to = str(opening.message["Reply-To"])
    token = reply_token_in(reply_to)
    assert token and reply_to == f"reply+{token}@example.org"
    stored = db.scalar(select(ReplyToken).where(ReplyToken.token_hash == token_digest(token)))
    assert stored is not None
    assert stored.person_id == UUID(directory.person(ANNA))
    assert stored.round_id == UUID(round_["id"]) and stored.comment_id is None
    row = db.get(OutboundEmail, bounce_id_in(opening.mail_from))
    assert row is not None and row.message_id == opening.message["Message-ID"]
    assert opening.mail_from == f"bounce+{row.id.hex}@example.org"
    assert opening.message["List-Unsubscribe"] is None  # the opening email is not a reminder


def test_invitation_reply_to_names_the_invitation(scenario, api, smtp, worker, db):
    person = scenario.people["a.gruber@icmpd.example.org"]
    api.post(f"/api/v1/events/{scenario.event['id']}/invitations", json={"person_ids": [person["id"]]})
    [invitation] = wait_for_mail(smtp, person["email"])
    token = reply_token_in(str(invitation.message["Reply-To"]))
    stored = db.scalar(select(ReplyToken).where(ReplyToken.token_hash == token_digest(token or "")))
    assert stored is not None and stored.invitation_id is not None and stored.round_id is None
    assert bounce_id_in(invitation.mail_from) is not None


def test_reminder_carries_list_unsubscribe_and_the_link_stops_reminders(
    make_round, directory, smtp, worker, db, server
):
    ngo = directory.organisations["Migrant Support NGO"]["id"]
    round_ = make_round(closes_at=from_now(days=1), person_ids=[], organisation_ids=[ngo])
    wait_for_mail(smtp, IRINA)
    a_day_after_opening(db, round_["id"])
    reminder = next(m for m in wait_for_mail(smtp, IRINA, 2) if subject_of(m).startswith("Напоминание"))
    assert reminder.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(reminder.message["List-Unsubscribe"])
    assert "<mailto:unsub+" in header and "@example.org>" in header
    # The worker writes its own base URL; the same path on the test server.
    url = server + urlsplit(_unsubscribe_url(reminder)).path
    assert "/unsubscribe/" in url

    page = httpx.get(url)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert "Отписаться" in page.text  # Irina reads Russian
    assert db.get(Person, UUID(directory.person(IRINA))).unsubscribed_at is None
    one_click = httpx.post(url, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    db.expire_all()
    assert db.get(Person, UUID(directory.person(IRINA))).unsubscribed_at is not None
    assert httpx.get(url.replace("/unsubscribe/", "/unsubscribe/0")).status_code == 404  # forged

    # A second round: the opening email still comes, the closing reminder does not.
    second = make_round(
        title="Second round", closes_at=from_now(days=1), person_ids=[], organisation_ids=[ngo]
    )
    wait_for_mail(smtp, IRINA, 3)
    a_day_after_opening(db, second["id"])

    def suppressed_rows() -> list[OutboundEmail]:
        db.expire_all()
        return list(db.scalars(select(OutboundEmail).where(OutboundEmail.state == OutboxState.SUPPRESSED)))

    suppressed = wait_until(suppressed_rows, "the closing reminder to be held back", 15, interval=0.2)
    assert [row.kind.value for row in suppressed] == ["round_closing"]
    assert len(smtp.to(IRINA)) == 3


def test_a_bounced_address_gets_no_mail_until_an_organiser_clears_it(
    make_round, directory, smtp, worker, db, api, tokens
):
    luc = directory.person(LUC)
    db.execute(
        update(Person)
        .where(Person.id == UUID(luc))
        .values(bounced_at=Person.created_at, bounce_reason="5.1.1")
    )
    db.commit()
    assert api.get(f"/api/v1/people/{luc}/mail-status").json()["bounce_reason"] == "5.1.1"
    make_round(person_ids=[luc])

    def suppressed() -> OutboundEmail | None:
        db.expire_all()
        row = db.scalar(select(OutboundEmail).where(OutboundEmail.person_id == UUID(luc)))
        return row if row is not None and row.state is OutboxState.SUPPRESSED else None

    wait_until(suppressed, "the opening email to the bounced address to be held back", 15, interval=0.2)
    assert smtp.to(LUC) == []
    cleared = api.post(f"/api/v1/people/{luc}/clear-bounce")
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["bounced_at"] is None
    make_round(title="Another round", person_ids=[luc])
    wait_for_mail(smtp, LUC)

"""Email intake end to end: raw messages over HTTP, processed by the real worker, checked in the
database and through the API; answers to what could not be recorded go out through the SMTP server."""

from __future__ import annotations

import datetime as dt
import time
from email.message import EmailMessage
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from consult.auth.models import Role
from consult.auth.tokens import token_digest
from consult.directory.models import Person
from consult.events.models import Event
from consult.inbound.models import InboundMessage, InboundState
from consult.inbound.parsing import read_message
from consult.invitations.models import DeliveryState, Invitation
from consult.mail.models import OutboundEmail, OutboxState, ReplyToken
from consult.mail.replies import new_reply_token, reply_token_in
from consult.rounds.models import Comment, CommentAttachment, CommentRound
from tests.inbound.messages import REPLY_TEXTS, build
from tests.rounds.test_round_emails import wait_for_mail
from tests.waiting import wait_until

ANNA = "a.gruber@expert.example.org"
IRINA = "i.petrova@ngo.example.org"
LUC = "l.dubois@eeas.example.org"


@pytest.fixture
def gateway(client_for, tokens) -> httpx.Client:
    return client_for(None, token=tokens[Role.INTAKE])


def submit(gateway: httpx.Client, raw: bytes, db, expect_new: bool = True) -> InboundMessage:
    response = gateway.post("/api/v1/inbound/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert response.status_code == 202, response.text
    assert response.json()["duplicate"] is (not expect_new)
    inbound_id = UUID(response.json()["id"])

    def processed() -> InboundMessage | None:
        db.expire_all()
        row = db.get(InboundMessage, inbound_id)
        return row if row is not None and row.state is InboundState.DONE else None

    return wait_until(processed, "the worker to process the message")


def round_email(make_round, directory, smtp, email: str, **round_fields):
    round_ = make_round(person_ids=[directory.person(email)], **round_fields)
    [received] = wait_for_mail(smtp, email)
    return round_, received


def reply_to(received, sender: str, text: str) -> bytes:
    """A plain reply as a mail client writes it: to the Reply-To, threaded under the original."""
    original = received.message
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = original["Reply-To"]
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Message-ID"] = f"<reply-{time.monotonic_ns()}@example.org>"
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    quoted = "\n".join("> " + line for line in original.get_body(("plain",)).get_content().splitlines())
    reply.set_content(
        f"{text}\n\nOn Wed, 3 Mar 2027 at 10:00, Consult <{original['Reply-To']}> wrote:\n{quoted}\n"
    )
    return reply.as_bytes()


def test_a_reply_to_the_round_email_becomes_a_comment(
    make_round, directory, smtp, worker, gateway, db, facilitator, api
):
    round_, received = round_email(make_round, directory, smtp, ANNA)
    raw = reply_to(received, ANNA, "Please add evening language courses to Action 1.1.3.")
    row = submit(gateway, raw, db)
    assert row.outcome is not None and row.outcome.value == "comment", row.reason
    tree = facilitator.get(f"/api/v1/rounds/{round_['id']}/comments").json()
    [section] = tree["sections"]
    [thread] = section["threads"]
    assert thread["body"] == "Please add evening language courses to Action 1.1.3."
    assert thread["author"]["full_name"] == "Anna Gruber"
    assert thread["source"] == "email"
    # The same message again (a retry of the gateway): stored once, one comment.
    again = gateway.post("/api/v1/inbound/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert again.status_code == 202 and again.json()["duplicate"] is True
    assert len(db.scalars(select(Comment)).all()) == 1
    log = api.get("/api/v1/inbound/log").json()
    assert [e["outcome"] for e in log["items"]] == ["comment"]


@pytest.mark.parametrize("name", sorted(REPLY_TEXTS))
def test_each_client_and_language_lands_as_the_senders_words(
    name, make_round, directory, smtp, worker, gateway, db
):
    sender, expected = REPLY_TEXTS[name]
    round_, received = round_email(make_round, directory, smtp, sender)
    token = reply_token_in(str(received.message["Reply-To"]))
    row = submit(gateway, build(name, TOKEN=token, IN_REPLY_TO=received.message["Message-ID"]), db)
    assert row.outcome is not None and row.outcome.value == "comment", row.reason
    comment = db.get(Comment, row.comment_id)
    assert comment.body == expected
    assert comment.author_id == UUID(directory.person(sender))
    assert comment.round_id == UUID(round_["id"]) and comment.parent_id is None


@pytest.mark.parametrize("visibility", ["participants", "facilitators"])
def test_attachments_are_listed_with_the_comment_for_whoever_may_read_it(
    visibility, make_round, directory, smtp, worker, gateway, db, facilitator, link_for
):
    round_ = make_round(person_ids=[directory.person(ANNA), directory.person(IRINA)], visibility=visibility)
    [received] = wait_for_mail(smtp, ANNA)
    token = reply_token_in(str(received.message["Reply-To"]))
    row = submit(gateway, build("outlook_html.eml", TOKEN=token), db)
    listed = facilitator.get(f"/api/v1/comments/{row.comment_id}/attachments")
    assert listed.status_code == 200, listed.text
    [attachment] = listed.json()
    assert (attachment["filename"], attachment["content_type"]) == ("ICMPD position.pdf", "application/pdf")
    assert facilitator.get(attachment["url"]).content.startswith(b"%PDF-1.4")
    assert len(db.scalars(select(CommentAttachment)).all()) == 1

    anna = link_for(round_["id"], directory.person(ANNA))
    assert anna.get(f"/api/v1/comments/{row.comment_id}/attachments").json() == [attachment]
    assert anna.get(attachment["url"]).content.startswith(b"%PDF-1.4")
    # Another invitee reads it as the round's visibility says.
    irina = link_for(round_["id"], directory.person(IRINA))
    expected = 200 if visibility == "participants" else 404
    assert irina.get(f"/api/v1/comments/{row.comment_id}/attachments").status_code == expected
    assert irina.get(attachment["url"]).status_code == expected
    # Anonymous, the comment's files stay with its author and the staff (a letterhead would tell).
    anonymous = anna.patch(f"/api/v1/comments/{row.comment_id}", json={"attribution": "anonymous"})
    assert anonymous.status_code == 200, anonymous.text
    assert irina.get(attachment["url"]).status_code == 404
    assert anna.get(attachment["url"]).status_code == 200
    assert anna.patch(f"/api/v1/comments/{row.comment_id}", json={"attribution": "named"}).status_code == 200
    assert irina.get(attachment["url"]).status_code == expected
    # Withdrawn, likewise.
    assert anna.post(f"/api/v1/comments/{row.comment_id}/withdraw").status_code == 200
    assert irina.get(attachment["url"]).status_code == 404
    assert anna.get(attachment["url"]).status_code == 200
    # The mail gateway's token hands over mail and reads nothing.
    assert gateway.get(f"/api/v1/comments/{row.comment_id}/attachments").status_code == 403
    assert gateway.get(attachment["url"]).status_code == 403
    assert gateway.get(f"/api/v1/rounds/{round_['id']}/comments").status_code == 403


def test_comments_carry_their_files_for_readers_who_may_see_them(
    make_round, directory, smtp, worker, gateway, db, facilitator, link_for
):
    round_ = make_round(person_ids=[directory.person(ANNA), directory.person(IRINA)])
    [received] = wait_for_mail(smtp, ANNA)
    reply = read_message(reply_to(received, ANNA, "Two files attached."))
    reply.add_attachment(b"%PDF-1.4 position", maintype="application", subtype="pdf", filename="Position.pdf")
    reply.add_attachment(
        b"<script>alert(document.cookie)</script>", maintype="text", subtype="html", filename=".."
    )
    row = submit(gateway, reply.as_bytes(), db)
    assert row.outcome.value == "comment", row.reason

    def files_seen_by(client) -> list[dict]:
        tree = client.get(f"/api/v1/rounds/{round_['id']}/comments").json()
        [thread] = tree["sections"][0]["threads"]
        return thread["attachments"]

    listed = files_seen_by(facilitator)
    assert [(f["filename"], f["content_type"], f["size"]) for f in listed] == [
        ("Position.pdf", "application/pdf", len(b"%PDF-1.4 position")),
        ("attachment-2.bin", "text/html", len(b"<script>alert(document.cookie)</script>")),
    ]
    assert listed == facilitator.get(f"/api/v1/comments/{row.comment_id}/attachments").json()
    anna = link_for(round_["id"], directory.person(ANNA))
    irina = link_for(round_["id"], directory.person(IRINA))
    assert files_seen_by(anna) == files_seen_by(irina) == listed

    pdf = irina.get(listed[0]["url"])
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content == b"%PDF-1.4 position"
    html = irina.get(listed[1]["url"])
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.headers["content-disposition"].startswith('attachment; filename="attachment-2.bin"')
    # Anonymous, the files stay with the author and the staff.
    assert (
        anna.patch(f"/api/v1/comments/{row.comment_id}", json={"attribution": "anonymous"}).status_code == 200
    )
    assert files_seen_by(irina) == []
    assert files_seen_by(anna) == files_seen_by(facilitator) == listed


def test_a_file_with_a_name_in_cyrillic_downloads_under_that_name(
    make_round, directory, smtp, worker, gateway, db, facilitator
):
    _, received = round_email(make_round, directory, smtp, ANNA)
    reply = read_message(reply_to(received, ANNA, "See the attached proposal."))
    reply.add_attachment(
        b"%PDF-1.4 proposal", maintype="application", subtype="pdf", filename="Предложение ДМС.pdf"
    )
    row = submit(gateway, reply.as_bytes(), db)
    [attachment] = facilitator.get(f"/api/v1/comments/{row.comment_id}/attachments").json()
    assert attachment["filename"] == "Предложение ДМС.pdf"
    download = facilitator.get(attachment["url"])
    assert download.status_code == 200 and download.content == b"%PDF-1.4 proposal"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert (
        "filename*=UTF-8''%D0%9F%D1%80%D0%B5%D0%B4%D0%BB%D0%BE%D0%B6%D0%B5%D0%BD%D0%B8%D0%B5%20"
        in disposition
    )


def test_wrong_sender_gets_one_answer_and_no_comment(make_round, directory, smtp, worker, gateway, db, api):
    _, received = round_email(make_round, directory, smtp, ANNA)
    row = submit(gateway, reply_to(received, LUC, "Forwarded: I agree."), db)
    assert (row.outcome.value, row.answer_reason) == ("rejected", "sender_mismatch")
    assert db.scalars(select(Comment)).all() == []
    [answer] = wait_for_mail(smtp, LUC)
    assert answer.message["Auto-Submitted"] == "auto-replied"
    assert "Nous n'avons pas pu enregistrer" in str(answer.message["Subject"])  # Luc reads French
    # A second one within the hour: logged, not answered again.
    second = submit(gateway, reply_to(received, LUC, "Again."), db)
    assert second.answered_at is None
    worker.settle()
    assert len(smtp.to(LUC)) == 1
    log = api.get("/api/v1/inbound/log", params={"outcome": "rejected"}).json()
    assert log["total"] == 2 and all("l.dubois" in e["reason"] for e in log["items"])


def test_closed_round_and_unknown_token_are_answered(make_round, directory, smtp, worker, gateway, db):
    round_, received = round_email(make_round, directory, smtp, IRINA)
    db.execute(
        update(CommentRound)
        .where(CommentRound.id == UUID(round_["id"]))
        .values(closes_at=CommentRound.opens_at)
    )
    db.commit()
    row = submit(gateway, reply_to(received, IRINA, "Поздно, но всё же."), db)
    assert row.answer_reason == "round_closed"
    [answer] = wait_for_mail(smtp, IRINA, 2)[1:]
    assert "Раунд комментариев" in answer.message.get_body(("plain",)).get_content()
    unknown = build("gmail_en.eml", TOKEN="zzzzzzzzzzzzzzzzzzzzzzzz")
    row = submit(gateway, unknown, db)
    assert (row.outcome.value, row.answer_reason) == ("rejected", "unknown_token")
    wait_for_mail(smtp, ANNA)


def test_a_reply_from_someone_removed_from_the_round_is_not_a_comment(
    make_round, directory, smtp, worker, gateway, db, facilitator
):
    round_, received = round_email(make_round, directory, smtp, ANNA)
    removed = facilitator.delete(f"/api/v1/rounds/{round_['id']}/invitees/{directory.person(ANNA)}")
    assert removed.status_code == 204, removed.text
    row = submit(gateway, reply_to(received, ANNA, "One more thought."), db)
    assert (row.outcome.value, row.answer_reason) == ("rejected", "unknown_token")
    assert db.scalars(select(Comment)).all() == []
    # A reply address minted after the removal (an answer to an older comment, say) does not
    # make the person an invitee again.
    token = new_reply_token()
    db.add(
        ReplyToken(
            token_hash=token_digest(token),
            person_id=UUID(directory.person(ANNA)),
            round_id=UUID(round_["id"]),
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        )
    )
    db.commit()
    raw = reply_to(received, ANNA, "Another thought.").replace(
        reply_token_in(received.message["Reply-To"]).encode(), token.encode()
    )
    row = submit(gateway, raw, db)
    assert row.outcome.value == "rejected" and "no longer invited" in row.reason, row.reason
    assert db.scalars(select(Comment)).all() == []


def test_out_of_office_is_ignored_and_logged(make_round, directory, smtp, worker, gateway, db):
    _, received = round_email(make_round, directory, smtp, LUC)
    token = reply_token_in(str(received.message["Reply-To"]))
    row = submit(gateway, build("ooo_fr.eml", TOKEN=token), db)
    assert row.outcome.value == "auto_reply" and "Auto-Submitted" in row.reason
    worker.settle()
    assert len(smtp.to(LUC)) == 1 and db.scalars(select(Comment)).all() == []


def _invite(api, scenario, smtp, email: str) -> tuple[dict, object]:
    person = scenario.people[email]
    api.post(f"/api/v1/events/{scenario.event['id']}/invitations", json={"person_ids": [person["id"]]})
    [received] = wait_for_mail(smtp, email)
    return person, received


@pytest.mark.parametrize(
    ("fixture", "email", "answer"),
    [
        ("itip_outlook_accept", "a.gruber@icmpd.example.org", "accepted"),
        ("itip_google_decline", "l.dubois@eeas.example.org", "declined"),
    ],
)
def test_calendar_answers_change_the_rsvp(fixture, email, answer, scenario, api, smtp, worker, gateway, db):
    person, received = _invite(api, scenario, smtp, email)
    event = db.get(Event, UUID(scenario.event["id"]))
    values = {"UID": event.ical_uid, "IN_REPLY_TO": received.message["Message-ID"]}
    row = submit(
        gateway,
        build(f"{fixture}.eml", ics=f"{fixture}.ics", SEQUENCE=str(event.ical_sequence), **values),
        db,
    )
    assert row.outcome.value == "rsvp", row.reason
    invitation = db.scalar(select(Invitation).where(Invitation.person_id == UUID(person["id"])))
    assert invitation.rsvp.value == answer and row.invitation_id == invitation.id
    # An answer to a SEQUENCE we never sent is suspicious: logged, nothing changes.
    newer = build(f"{fixture}.eml", ics=f"{fixture}.ics", SEQUENCE=str(event.ical_sequence + 5), **values)
    row = submit(gateway, newer.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"), db)
    assert row.outcome.value == "rejected" and "suspicious" in row.reason
    db.expire_all()
    assert db.get(Invitation, invitation.id).rsvp.value == answer


def test_a_calendar_answer_to_an_outdated_time_is_logged_and_not_applied(
    scenario, api, smtp, worker, gateway, db
):
    anna = "a.gruber@icmpd.example.org"
    person, received = _invite(api, scenario, smtp, anna)
    event = db.get(Event, UUID(scenario.event["id"]))
    values = {"UID": event.ical_uid, "IN_REPLY_TO": received.message["Message-ID"]}
    old_accept = build("itip_outlook_accept.eml", ics="itip_outlook_accept.ics", SEQUENCE="0", **values)
    moved = api.patch(
        f"/api/v1/events/{scenario.event['id']}",
        json={"starts_at": scenario.event["starts_at_local"][:19].replace("T10", "T09")},
    )
    assert moved.status_code == 200 and moved.json()["sequence"] == 1, moved.text
    wait_for_mail(smtp, anna, 2)

    row = submit(gateway, old_accept, db)

    assert row.outcome.value == "rejected" and "outdated" in row.reason, row.reason
    assert row.invitation_id is not None
    invitation = db.scalar(select(Invitation).where(Invitation.person_id == UUID(person["id"])))
    assert invitation.rsvp.value == "needs_action"
    log = api.get("/api/v1/inbound/log", params={"outcome": "rejected"}).json()
    assert "outdated" in log["items"][0]["reason"]
    # The answer to the update counts.
    current = build("itip_outlook_accept.eml", ics="itip_outlook_accept.ics", SEQUENCE="1", **values)
    row = submit(gateway, current, db)
    assert row.outcome.value == "rsvp", row.reason
    db.expire_all()
    assert db.get(Invitation, invitation.id).rsvp.value == "accepted"


def test_calendar_answer_from_another_sender_is_refused(scenario, api, smtp, worker, gateway, db):
    _invite(api, scenario, smtp, "a.gruber@icmpd.example.org")
    event = db.get(Event, UUID(scenario.event["id"]))
    raw = build("itip_outlook_accept.eml", ics="itip_outlook_accept.ics", UID=event.ical_uid, SEQUENCE="0")
    raw = raw.replace(
        b"From: Anna Gruber <a.gruber@icmpd.example.org>", b"From: Someone <someone@example.org>"
    )
    row = submit(gateway, raw, db)
    assert (row.outcome.value, row.answer_reason) == ("rejected", "calendar")
    assert db.scalar(select(Invitation.rsvp)).value == "needs_action"


def test_a_hard_bounce_marks_the_delivery_and_stops_mail(
    scenario, make_event, api, smtp, worker, gateway, db
):
    email = "l.dubois@eeas.example.org"
    person, received = _invite(api, scenario, smtp, email)
    row = submit(
        gateway,
        build(
            "postfix_dsn.eml",
            VERP=received.mail_from.split("+")[1].split("@")[0],
            RECIPIENT=email,
            ORIGINAL_MESSAGE_ID=received.message["Message-ID"],
        ),
        db,
    )
    assert row.outcome.value == "bounce" and row.reason.startswith("hard bounce"), row.reason
    outbound = db.get(OutboundEmail, row.outbound_email_id)
    assert outbound.state is OutboxState.BOUNCED and "5.1.1" in outbound.last_error
    invitation = db.scalar(select(Invitation).where(Invitation.person_id == UUID(person["id"])))
    assert invitation.delivery_state is DeliveryState.BOUNCED
    assert db.get(Person, UUID(person["id"])).bounced_at is not None
    listed = api.get(f"/api/v1/events/{scenario.event['id']}/invitations").json()
    assert listed["items"][0]["delivery_state"] == "bounced"

    # Invited to another event, the bounced address gets nothing, and the invitation says why.
    training = make_event(title="Training for social workers")
    api.post(f"/api/v1/events/{training['id']}/invitations", json={"person_ids": [person["id"]]})

    def held_back() -> list[dict]:
        items = api.get(f"/api/v1/events/{training['id']}/invitations").json()["items"]
        return [i for i in items if i["delivery_state"] != "queued"]

    held = wait_until(held_back, "the invitation to the bounced address to be held", 15, interval=0.2)
    assert [(i["delivery_state"], i["delivery_error"]) for i in held] == [
        ("bounced", "not sent: the address bounced; an organiser can clear that")
    ]
    assert len(smtp.to(email)) == 1


def test_only_the_gateway_or_an_admin_may_hand_over_mail(client_for, worker, db):
    raw = build("gmail_en.eml", TOKEN="zzzzzzzzzzzzzzzzzzzzzzzz")
    headers = {"Content-Type": "message/rfc822"}
    assert (
        client_for(Role.ORGANISER).post("/api/v1/inbound/email", content=raw, headers=headers).status_code
        == 403
    )
    assert (
        client_for(Role.ADMIN).post("/api/v1/inbound/email", content=raw, headers=headers).status_code == 202
    )
    refused = client_for(Role.ADMIN).post(
        "/api/v1/inbound/email", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 415


@pytest.mark.parametrize(
    ("raw", "subject"),
    [
        (b'From: "\r\nSubject: unreadable sender\r\n\r\nText.\r\n', "unreadable sender"),
        (b"From: a@example.org\r\nSubject: =?utf-8?q?a=00b?=\r\n\r\nText.\r\n", "ab"),
    ],
    ids=["unreadable-from", "nul-in-subject"],
)
def test_malformed_headers_are_kept_not_refused(raw, subject, gateway, worker, db):
    """A header the parser cannot read counts as absent; a NUL (which PostgreSQL keeps in no text) is
    dropped. The message is kept and logged like any other."""
    row = submit(gateway, raw, db)
    assert row.subject == subject and row.raw == raw
    assert row.outcome is not None and row.outcome.value == "ignored"

# The expected page texts are Azerbaijani, Russian and French: not look-alike typos.
# ruff: noqa: RUF001
from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import select, update

from consult.invitations.models import Invitation
from consult.mail.models import OutboundEmail
from tests.helpers import problem
from tests.invitations.conftest import calendar_of, parts, rsvp_token, vevent
from tests.waiting import wait_until
from workers.tasks import relay_outbox, send_due_reminders

ORGANIZER = "consult@example.org"


def invite_all(api, scenario, **extra):
    response = api.post(
        f"/api/v1/events/{scenario.event['id']}/invitations",
        json={"person_ids": [p["id"] for p in scenario.people.values()], **extra},
    )
    assert response.status_code == 202, response.text
    return response.json()


def test_each_invitee_gets_one_email_with_a_calendar_request(api, scenario, worker, smtp, db):
    result = invite_all(api, scenario, role="speaker")
    assert result["created_count"] == 4
    assert result["existing_count"] == 0
    received = smtp.wait_for(4)

    event_row = db.execute(select(OutboundEmail.message_id, OutboundEmail.person_id)).all()
    message_ids = {str(pid): mid for mid, pid in event_row}
    from consult.events.models import Event

    uid = db.scalar(select(Event.ical_uid))
    for mail in received:
        assert len(mail.rcpt_tos) == 1
        recipient = mail.rcpt_tos[0]
        message = mail.message
        assert message["To"].addresses[0].addr_spec == recipient
        assert "Cc" not in message and "Bcc" not in message
        person = scenario.people[recipient]
        assert message["Message-ID"] == message_ids[person["id"]]

        assert message.get_content_type() == "multipart/mixed"
        alternative = message.get_payload()[0]
        assert alternative.get_content_type() == "multipart/alternative"
        # An in-person event: the HTML comes with its check-in QR code (tests/attendance).
        assert [p.get_content_type() for p in alternative.get_payload()] == [
            "text/plain",
            "multipart/related",
            "text/calendar",
        ]
        related = alternative.get_payload()[1]
        assert [p.get_content_type() for p in related.get_payload()] == ["text/html", "image/png"]
        attachment = message.get_payload()[1]
        assert attachment.get_filename() == "invite.ics"

        method, calendar, raw = calendar_of(mail)
        assert method == "REQUEST" == str(calendar["METHOD"])
        assert icalendar.Calendar.from_ical(attachment.get_payload(decode=True))["METHOD"] == "REQUEST"
        assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
        assert b"\n" not in raw.replace(b"\r\n", b"")
        item = vevent(calendar)
        assert str(item["UID"]) == uid
        assert int(item["SEQUENCE"]) == 0
        assert item["DTSTAMP"].dt.tzinfo is not None and item["DTSTAMP"].dt.utcoffset() == dt.timedelta(0)
        assert item["DTSTART"].dt == dt.datetime.fromisoformat(scenario.event["starts_at"])
        assert str(item["ORGANIZER"]) == f"mailto:{ORGANIZER}"
        assert item["ORGANIZER"].params["CN"]
        attendee = item["ATTENDEE"]
        assert not isinstance(attendee, list), "one attendee per file: the recipient"
        assert str(attendee) == f"mailto:{recipient}"
        assert attendee.params["CN"] == person["full_name"]
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert "Capacities and needs of the institutions" in str(item["DESCRIPTION"])
        assert "Hilton Baku" in str(item["LOCATION"])

    by_language = {mail.rcpt_tos[0]: mail.message["Subject"] for mail in received}
    assert len(set(by_language.values())) == 4, "each language has its own subject"
    assert any("\u0400" <= ch <= "\u04ff" for ch in by_language["i.petrova@ngo.example.org"])

    listing = api.get(f"/api/v1/events/{scenario.event['id']}/invitations").json()
    assert listing["total"] == 4
    assert {i["delivery_state"] for i in listing["items"]} == {"sent"}
    assert listing["counts"]["by_rsvp"]["needs_action"] == 4
    assert listing["counts"]["by_organisation_kind"]["international"]["invited"] == 2


import icalendar  # noqa: E402


def test_inviting_twice_never_sends_twice(api, scenario, worker, smtp):
    invite_all(api, scenario)
    smtp.wait_for(4)
    again = invite_all(api, scenario)
    assert again["created_count"] == 0
    assert again["existing_count"] == 4
    groups = api.post(
        "/api/v1/groups", json={"name": "WG", "person_ids": [p["id"] for p in scenario.people.values()]}
    )
    by_group = api.post(
        f"/api/v1/events/{scenario.event['id']}/invitations", json={"group_ids": [groups.json()["id"]]}
    )
    assert by_group.json()["created_count"] == 0
    worker.settle()
    assert len(smtp.received) == 4


def two_hours_later(api, scenario) -> httpx.Response:
    moved = api.patch(
        f"/api/v1/events/{scenario.event['id']}",
        json={
            "starts_at": scenario.event["starts_at_local"][:19].replace("T10", "T12"),
            "ends_at": scenario.event["ends_at_local"][:19].replace("T16", "T18"),
        },
    )
    assert moved.status_code == 200, moved.text
    return moved


def test_reschedule_cancel_and_uninvite_keep_the_uid_and_raise_the_sequence(api, scenario, worker, smtp, db):
    invite_all(api, scenario)
    first = {m.rcpt_tos[0]: m for m in smtp.wait_for(4)}
    uid = str(vevent(calendar_of(next(iter(first.values())))[1])["UID"])

    ru, az = "i.petrova@ngo.example.org", "g.shukurova@migration.example.org"
    token = rsvp_token(first[ru])
    declined = httpx.post(f"{api.base_url}/rsvp/{token}", json={"response": "declined"})
    assert declined.status_code == 200, declined.text

    moved = two_hours_later(api, scenario)
    assert moved.json()["sequence"] == 1
    smtp.wait_for(7)
    updates = smtp.received[4:]
    assert ru not in {m.rcpt_tos[0] for m in updates}, "who declined gets no update"
    for mail in updates:
        method, calendar, _ = calendar_of(mail)
        item = vevent(calendar)
        assert method == "REQUEST"
        assert str(item["UID"]) == uid
        assert int(item["SEQUENCE"]) == 1
        assert item["DTSTART"].dt == dt.datetime.fromisoformat(moved.json()["starts_at"])
        original = first[mail.rcpt_tos[0]].message["Message-ID"]
        assert mail.message["In-Reply-To"] == original
        assert original in mail.message["References"]

    invitation_id = db.scalar(select(Invitation.id).where(Invitation.person_id == scenario.people[az]["id"]))
    assert api.delete(f"/api/v1/events/{scenario.event['id']}/invitations/{invitation_id}").status_code == 204
    withdrawn = smtp.wait_for(8)[7]
    assert withdrawn.rcpt_tos == [az]
    method, calendar, _ = calendar_of(withdrawn)
    assert method == "CANCEL" == str(calendar["METHOD"])
    assert int(vevent(calendar)["SEQUENCE"]) == 2

    cancelled = api.post(
        f"/api/v1/events/{scenario.event['id']}/cancel", json={"reason": "The venue is closed"}
    )
    assert cancelled.json()["sequence"] == 3
    cancellations = smtp.wait_for(11)[8:]
    assert {m.rcpt_tos[0] for m in cancellations} == set(scenario.people) - {az}
    for mail in cancellations:
        method, calendar, _ = calendar_of(mail)
        item = vevent(calendar)
        assert method == "CANCEL" == str(calendar["METHOD"])
        assert str(item["STATUS"]) == "CANCELLED"
        assert str(item["UID"]) == uid
        assert int(item["SEQUENCE"]) == 3
        assert "The venue is closed" in parts(mail)["text/plain"].get_content()


def test_calendar_download_is_a_publish_without_attendees(api, scenario):
    response = api.get(f"/api/v1/events/{scenario.event['id']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    item = vevent(calendar)
    assert "ATTENDEE" not in item and "ORGANIZER" not in item
    assert item["DTSTART"].dt == dt.datetime.fromisoformat(scenario.event["starts_at"])


def test_rsvp_page_and_answers(api, scenario, worker, smtp):
    invite_all(api, scenario)
    mail = {m.rcpt_tos[0]: m for m in smtp.wait_for(4)}["a.gruber@icmpd.example.org"]
    token = rsvp_token(mail)
    page = httpx.get(f"{api.base_url}/rsvp/{token}?answer=accepted")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Launch of the migrant integration strategy" in page.text
    assert 'name="response"' in page.text

    form = httpx.post(f"{api.base_url}/rsvp/{token}", data={"response": "tentative"})
    assert form.status_code == 303 and form.headers["location"] == f"/rsvp/{token}?recorded=true"
    answer = httpx.post(f"{api.base_url}/rsvp/{token}", json={"response": "accepted"})
    assert answer.json()["response"] == "accepted"
    problem(httpx.post(f"{api.base_url}/rsvp/{token}", json={"response": "maybe-later"}), 422, "response")
    assert httpx.get(f"{api.base_url}/rsvp/rsvp_unknown-token").status_code == 404
    problem(httpx.post(f"{api.base_url}/rsvp/rsvp_unknown-token", json={"response": "accepted"}), 404)

    listing = api.get(f"/api/v1/events/{scenario.event['id']}/invitations").json()
    assert listing["counts"]["by_rsvp"]["accepted"] == 1
    assert listing["counts"]["by_organisation_kind"]["international"]["accepted"] == 1
    accepted = api.get(
        f"/api/v1/events/{scenario.event['id']}/invitations", params={"rsvp": "accepted"}
    ).json()
    assert [i["person"]["email"] for i in accepted["items"]] == ["a.gruber@icmpd.example.org"]
    assert accepted["items"][0]["responded_at"]


def test_the_calendar_description_speaks_the_readers_language_on_the_events_clock(
    api, scenario, worker, smtp
):
    """A Baku event's 10:00 opening reads 10:00 with the zone named, not 06:00 UTC under English labels."""
    invite_all(api, scenario)
    mails = {m.rcpt_tos[0]: m for m in smtp.wait_for(4)}
    expected = {
        "g.shukurova@migration.example.org": "Proqram (Bakı vaxtı):\n10:00 Opening (State Migration Service)",
        "i.petrova@ngo.example.org": "Программа (Баку):\n10:00 Opening (State Migration Service)",
        "a.gruber@icmpd.example.org": "Agenda (Baku time):\n10:00 Opening (State Migration Service)",
    }
    for email, agenda in expected.items():
        description = str(vevent(calendar_of(mails[email])[1])["DESCRIPTION"])
        assert agenda in description, description
        assert "\n11:00 Capacities and needs of the institutions" in description
        assert "UTC" not in description


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "ru-RU,ru;q=0.9"}


def buttons(page: httpx.Response) -> list[str]:
    return re.findall(r'name="response" value="(\w+)"', page.text)


def test_the_rsvp_form_redirects_and_the_page_then_shows_the_answer(api, scenario, worker, smtp):
    """post/redirect/get: a refresh after answering asks again for nothing; the page marks the answer."""
    invite_all(api, scenario)
    token = rsvp_token({m.rcpt_tos[0]: m for m in smtp.wait_for(4)}["g.shukurova@migration.example.org"])
    with httpx.Client(base_url=api.base_url, headers=BROWSER, follow_redirects=True) as browser:
        first = browser.get(f"/rsvp/{token}")
        assert "Zəhmət olmasa" in first.text or "iştirak" in first.text
        assert "Cavabınızı dəyişin" not in first.text and 'aria-pressed="true"' not in first.text
        answered = browser.post(f"/rsvp/{token}", data={"response": "declined"})
        assert [r.status_code for r in answered.history] == [303]
        assert answered.status_code == 200 and answered.headers["content-type"].startswith("text/html")
        assert "«İştirak etməyəcəyəm»" in answered.text  # "We have recorded your answer: ..."
        again = browser.get(f"/rsvp/{token}")
        assert "Cavabınızı dəyişin" in again.text  # "Change your answer"
        assert re.findall(r'value="(\w+)" class="[\w ]+"\s*aria-pressed="true"', again.text) == ["declined"]
        assert buttons(again) == ["accepted", "tentative", "declined"]
    assert answers_by_email(api, scenario.event["id"])["g.shukurova@migration.example.org"] == "declined"


def test_a_cancelled_or_past_event_shows_a_notice_and_never_json(api, scenario, make_event, worker, smtp, db):
    from consult.events.models import Event

    over = make_event(title="Last week's workshop", kind="workshop")
    api.post(
        f"/api/v1/events/{over['id']}/invitations",
        json={"person_ids": [scenario.people["l.dubois@eeas.example.org"]["id"]]},
    )
    luc = rsvp_token(smtp.wait_for(1)[0])
    invite_all(api, scenario)
    mails = {m.rcpt_tos[0]: m for m in smtp.wait_for(5)[1:]}
    irina = rsvp_token(mails["i.petrova@ngo.example.org"])
    api.post(f"/api/v1/events/{scenario.event['id']}/cancel", json={"reason": "Зал закрыт на ремонт."})
    with httpx.Client(base_url=api.base_url, headers=BROWSER, follow_redirects=True) as browser:
        page = browser.get(f"/rsvp/{irina}")
        assert "Мероприятие отменено" in page.text and "Зал закрыт на ремонт." in page.text
        assert buttons(page) == [] and "Вы примете участие?" not in page.text
        pressed = browser.post(f"/rsvp/{irina}", data={"response": "accepted"})
        assert pressed.history[0].status_code == 303
        assert pressed.headers["content-type"].startswith("text/html")
        assert "Мероприятие отменено" in pressed.text and "Conflict" not in pressed.text
    # The API keeps its problem details.
    problem(httpx.post(f"{api.base_url}/rsvp/{irina}", json={"response": "accepted"}), 409)

    now = dt.datetime.now(dt.UTC)
    db.execute(
        update(Event)
        .where(Event.id == over["id"])
        .values(starts_at=now - dt.timedelta(days=7, hours=2), ends_at=now - dt.timedelta(days=7))
    )
    db.commit()
    with httpx.Client(base_url=api.base_url, headers=BROWSER, follow_redirects=True) as browser:
        page = browser.get(f"/rsvp/{luc}")
        assert "Cet événement a déjà eu lieu" in page.text and buttons(page) == []
        pressed = browser.post(f"/rsvp/{luc}", data={"response": "tentative"})
        assert pressed.status_code == 200 and "Cet événement a déjà eu lieu" in pressed.text


def test_browsers_get_pages_not_json_on_link_routes(api, scenario, worker, smtp):
    invite_all(api, scenario)
    token = rsvp_token(smtp.wait_for(4)[0])
    unknown = httpx.get(f"{api.base_url}/rsvp/rsvp_unknown-token", headers=BROWSER)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert '<html lang="ru"' in unknown.text and "о мероприятии" in unknown.text
    unsubscribe = httpx.get(f"{api.base_url}/unsubscribe/unknown", headers=BROWSER)
    assert unsubscribe.status_code == 404 and "отказа от рассылки" in unsubscribe.text
    assert "о мероприятии" not in unsubscribe.text
    # A failure the handler does not turn into a page itself (here: a method the route lacks).
    refused = httpx.put(f"{api.base_url}/rsvp/{token}", headers=BROWSER)
    assert refused.status_code == 405 and refused.headers["content-type"].startswith("text/html")
    assert '<html lang="ru"' in refused.text and "Не удалось выполнить запрос" in refused.text
    assert refused.headers["cache-control"] == "no-store"
    odd_answer = httpx.post(f"{api.base_url}/rsvp/{token}", data={"response": "maybe"}, headers=BROWSER)
    assert odd_answer.status_code == 422 and odd_answer.headers["content-type"].startswith("text/html")
    assert 'name="response"' in odd_answer.text  # the page again, its buttons ready
    unknown_api = httpx.post(
        f"{api.base_url}/rsvp/rsvp_unknown-token", json={"response": "accepted"}, headers=BROWSER
    )
    assert unknown_api.status_code == 404 and unknown_api.headers["content-type"].startswith("text/html")
    # API clients keep problem details on the same routes.
    problem(httpx.put(f"{api.base_url}/rsvp/{token}", headers={"Accept": "application/json"}), 405)
    problem(api.get("/api/v1/events/00000000-0000-0000-0000-000000000000", headers=BROWSER), 404)


def test_a_full_event_keeps_a_waiting_list(api, scenario, make_event, worker, smtp):
    event = make_event(capacity=1, title="Small workshop", kind="workshop")
    api.post(
        f"/api/v1/events/{event['id']}/invitations",
        json={"person_ids": [p["id"] for p in scenario.people.values()]},
    )
    mails = {m.rcpt_tos[0]: m for m in smtp.wait_for(4)}
    first, second = "a.gruber@icmpd.example.org", "l.dubois@eeas.example.org"
    assert (
        httpx.post(f"{api.base_url}/rsvp/{rsvp_token(mails[first])}", json={"response": "accepted"}).json()[
            "waitlisted"
        ]
        is False
    )
    # The page tells the next one, before they answer, that accepting now means waiting.
    page = httpx.get(f"{api.base_url}/rsvp/{rsvp_token(mails[second])}")
    assert "Toutes les places sont prises" in page.text
    queued = httpx.post(
        f"{api.base_url}/rsvp/{rsvp_token(mails[second])}", json={"response": "accepted"}
    ).json()
    assert queued["waitlisted"] is True
    assert smtp.wait_for(5)[4].rcpt_tos == [second]

    counts = api.get(f"/api/v1/events/{event['id']}/invitations").json()["counts"]
    assert counts["confirmed"] == 1 and counts["waitlisted"] == 1

    httpx.post(f"{api.base_url}/rsvp/{rsvp_token(mails[first])}", json={"response": "declined"})
    promoted = smtp.wait_for(6)[5]
    assert promoted.rcpt_tos == [second]
    counts = api.get(f"/api/v1/events/{event['id']}/invitations").json()["counts"]
    assert counts["confirmed"] == 1 and counts["waitlisted"] == 0


def test_invitations_refuse_bad_input(api, scenario):
    url = f"/api/v1/events/{scenario.event['id']}/invitations"
    problem(api.post(url, json={}), 422, "person_ids")
    problem(api.post(url, json={"group_ids": ["018f4a7e-0000-7000-8000-000000000000"]}), 422, "group_ids")
    problem(api.post(url, json={"person_ids": [], "role": "boss"}), 422, "role")
    problem(
        api.post(
            "/api/v1/events/018f4a7e-0000-7000-8000-000000000000/invitations",
            json={"person_ids": [next(iter(scenario.people.values()))["id"]]},
        ),
        404,
    )
    api.post(f"/api/v1/events/{scenario.event['id']}/cancel", json={"reason": "x"})
    problem(api.post(url, json={"person_ids": [next(iter(scenario.people.values()))["id"]]}), 409)


def test_a_permanent_smtp_refusal_is_recorded_without_retry(api, scenario, worker, smtp, db):
    refused = "l.dubois@eeas.example.org"
    smtp.refuse(refused, "550 5.1.1 <l.dubois@eeas.example.org>: mailbox unavailable")
    invite_all(api, scenario)
    smtp.wait_for(3)
    listing = _wait_for_delivery(
        api, scenario, lambda items: any(i["delivery_state"] == "failed" for i in items)
    )
    failed = [i for i in listing if i["delivery_state"] == "failed"]
    assert [i["person"]["email"] for i in failed] == [refused]
    assert "550" in failed[0]["delivery_error"]
    worker.settle(relay_outbox)  # the relay would pick up a row meant for another attempt
    row = db.scalar(select(OutboundEmail).where(OutboundEmail.person_id == scenario.people[refused]["id"]))
    assert row.attempts == 1
    assert row.state == "failed"


def _wait_for_delivery(api, scenario, predicate, timeout=30.0):
    def items():
        listed = api.get(f"/api/v1/events/{scenario.event['id']}/invitations").json()["items"]
        return listed if predicate(listed) else None

    return wait_until(items, "the invitations' delivery states", timeout, interval=0.2)


def test_mail_queued_while_smtp_is_down_arrives_once_it_is_back(api, scenario, worker, smtp, db):
    smtp.stop()
    invite_all(api, scenario)

    def recorded_errors():
        errors = db.scalars(select(OutboundEmail.last_error)).all()
        db.rollback()
        return errors if errors and all(errors) else None

    wait_until(recorded_errors, "the first attempts to fail and be recorded", 20, interval=0.2)
    smtp.start()
    received = smtp.wait_for(4, timeout=30)
    worker.settle()
    assert sorted(m.rcpt_tos[0] for m in smtp.received) == sorted(scenario.people)
    assert {
        i["delivery_state"]
        for i in _wait_for_delivery(
            api, scenario, lambda items: all(i["delivery_state"] == "sent" for i in items)
        )
    } == {"sent"}
    assert len(received) == 4


def test_reminders_go_out_once_per_offset_and_again_when_the_event_moves(
    api, scenario, make_event, worker, smtp, db
):
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    event = make_event(
        starts_at=soon.isoformat(), ends_at=(soon + dt.timedelta(hours=2)).isoformat(), agenda=[]
    )
    person = scenario.people["a.gruber@icmpd.example.org"]
    api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [person["id"]]})
    smtp.wait_for(1)
    worker.settle(send_due_reminders)
    assert len(smtp.received) == 1, "just invited: the invitation is the reminder"

    def age_the_invitation():
        # Mail counts from when it was queued as well as when it was sent: age both.
        hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
        db.execute(update(Invitation).values(last_sent_at=hours_ago))
        db.execute(update(OutboundEmail).values(created_at=hours_ago))
        db.commit()

    age_the_invitation()
    reminder = smtp.wait_for(2)[1]
    assert "multipart/alternative" in reminder.message.get_content_type() or reminder.message.is_multipart()
    assert reminder.message["In-Reply-To"] == smtp.received[0].message["Message-ID"]
    age_the_invitation()
    worker.settle(send_due_reminders)
    assert len(smtp.received) == 2, "each reminder at most once"

    later = soon + dt.timedelta(minutes=20)
    api.patch(
        f"/api/v1/events/{event['id']}",
        json={"starts_at": later.isoformat(), "ends_at": (later + dt.timedelta(hours=2)).isoformat()},
    )
    smtp.wait_for(3)  # the update
    worker.settle()  # recorded as sent: recording it later would undo the ageing below
    age_the_invitation()
    smtp.wait_for(4)
    worker.settle(send_due_reminders)
    assert len(smtp.received) == 4


def test_a_temporary_smtp_refusal_is_retried_until_it_goes_through(api, scenario, worker, smtp, db):
    greylisted = "a.gruber@icmpd.example.org"
    smtp.refuse(greylisted, "451 4.7.1 Greylisted, please try again later")
    invite_all(api, scenario)
    smtp.wait_for(3)

    def retried():
        row = db.scalar(
            select(OutboundEmail).where(OutboundEmail.person_id == scenario.people[greylisted]["id"])
        )
        db.rollback()
        return row if row is not None and row.attempts >= 2 else None

    row = wait_until(retried, "a second attempt after the 451", 20, interval=0.2)
    assert row.state in ("pending", "sending")
    assert "451" in row.last_error
    smtp.handler.replies.clear()
    received = smtp.wait_for(4, timeout=30)
    assert [m.rcpt_tos[0] for m in received].count(greylisted) == 1


def answers_by_email(api, event_id: str) -> dict[str, str]:
    listing = api.get(f"/api/v1/events/{event_id}/invitations").json()
    return {i["person"]["email"]: i["rsvp"] for i in listing["items"]}


def partstat_in(mail) -> str:
    return str(vevent(calendar_of(mail)[1])["ATTENDEE"].params["PARTSTAT"])


def test_a_new_time_asks_again_and_the_api_page_and_calendar_agree(api, scenario, worker, smtp):
    """A new time or place turns accepted and tentative answers back into needs_action (as Google
    Calendar and Outlook ask again); declined stays declined. The update's ATTENDEE PARTSTAT, the
    RSVP page and the API then say the same."""
    invite_all(api, scenario)
    first = {m.rcpt_tos[0]: m for m in smtp.wait_for(4)}
    anna, luc, irina = "a.gruber@icmpd.example.org", "l.dubois@eeas.example.org", "i.petrova@ngo.example.org"
    for email, answer in ((anna, "accepted"), (luc, "tentative"), (irina, "declined")):
        answered = httpx.post(f"{api.base_url}/rsvp/{rsvp_token(first[email])}", json={"response": answer})
        assert answered.status_code == 200, answered.text

    two_hours_later(api, scenario)

    answers = answers_by_email(api, scenario.event["id"])
    assert answers[anna] == answers[luc] == "needs_action"
    assert answers[irina] == "declined"
    updates = {m.rcpt_tos[0]: m for m in smtp.wait_for(7)[4:]}
    assert set(updates) == set(scenario.people) - {irina}
    assert partstat_in(updates[anna]) == partstat_in(updates[luc]) == "NEEDS-ACTION"
    text = parts(updates[anna])["text/plain"].get_content()
    assert "Please let us know whether you will attend." in text
    assert "Your answer so far" not in text
    page = httpx.get(f"{api.base_url}/rsvp/{rsvp_token(updates[anna])}")
    assert "Your current answer: No answer yet" in page.text
    # The link of the first email still answers, for the new time.
    again = httpx.post(f"{api.base_url}/rsvp/{rsvp_token(first[anna])}", json={"response": "accepted"})
    assert again.json()["response"] == "accepted"
    assert answers_by_email(api, scenario.event["id"])[anna] == "accepted"


def test_a_new_meeting_link_keeps_the_answers_and_the_calendar_says_so(
    api, scenario, make_event, worker, smtp
):
    event = make_event(format="online", location=None, online_url="https://meet.example.org/launch")
    anna = "a.gruber@icmpd.example.org"
    api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [scenario.people[anna]["id"]]})
    [invitation] = smtp.wait_for(1)
    assert partstat_in(invitation) == "NEEDS-ACTION"
    httpx.post(f"{api.base_url}/rsvp/{rsvp_token(invitation)}", json={"response": "accepted"})

    moved = api.patch(f"/api/v1/events/{event['id']}", json={"online_url": "https://meet.example.org/new"})
    assert moved.status_code == 200, moved.text

    update = smtp.wait_for(2)[1]
    assert answers_by_email(api, event["id"])[anna] == "accepted"
    assert partstat_in(update) == "ACCEPTED"
    assert "Your answer so far: I will attend." in parts(update)["text/plain"].get_content()

"""Poll emails through the real worker and SMTP server: the invitation in each reader's language
with every slot in the event's zone and theirs, the link that answers, the reminder (once, only to
those who have not answered) and the decision to those who answered."""

# The expected texts are Azerbaijani, Russian and French: not look-alike typos.
# ruff: noqa: RUF001
from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import text

from tests.polls.conftest import create_poll, poll_link
from tests.polls.helpers import answer
from workers.tasks import scan_polls

# A 10:00 Vienna slot in April, and 12:00 for a Baku reader, in each reader's words.
BOTH_TIMES = {
    "g.shukurova@migration.example.org": (
        "13 aprel 2027, 10:00–12:00 (Vyana vaxtı)",
        "12:00–14:00 (Bakı vaxtı)",
    ),
    "i.petrova@ngo.example.org": ("10:00–12:00 (Вена)", "12:00–14:00 (Баку)"),
    "l.dubois@eeas.example.org": ("13 avril 2027, 10:00–12:00 (heure de Vienne)", None),
    "a.gruber@icmpd.example.org": ("13 April 2027, 10:00–12:00 (Vienna time)", None),
}
SUBJECTS = {
    "g.shukurova@migration.example.org": "tədbirində nə vaxt iştirak edə bilərsiniz?",
    "i.petrova@ngo.example.org": "Когда вы сможете принять участие",
    "l.dubois@eeas.example.org": "Quand pouvez-vous participer",
    "a.gruber@icmpd.example.org": "When can you attend",
}


def _text(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def test_invitees_get_the_poll_in_their_language_with_both_times_and_answer_by_the_link(
    api, poll_scenario, worker, smtp, server
):
    poll = create_poll(api, poll_scenario)
    received = smtp.wait_for(4)
    worker.settle()
    assert len(smtp.received) == 4
    for mail in received:
        [recipient] = mail.rcpt_tos
        body, html = _text(mail), mail.message.get_body(("html",)).get_content()
        assert SUBJECTS[recipient] in mail.message["Subject"]
        event_time, reader_time = BOTH_TIMES[recipient]
        assert event_time in body and event_time.split(", ")[-1] in html
        if reader_time:
            assert reader_time in body and reader_time in html
        assert "Reply-To" not in mail.message  # nothing reads replies to a poll
    # Brussels shares Vienna's clock: one time only, not the same time twice.
    dubois = _text(smtp.to("l.dubois@eeas.example.org")[0])
    assert "Dans votre fuseau horaire" not in dubois

    token = poll_link(smtp.to("a.gruber@icmpd.example.org")[0])
    ids = [s["id"] for s in poll["slots"]]
    with httpx.Client(base_url=server) as public:
        assert answer(public, token, dict.fromkeys(ids, "yes")).status_code == 303
    tally = api.get(f"/api/v1/scheduling-polls/{poll['id']}").json()
    assert tally["answered_count"] == 1


def test_a_reminder_goes_once_to_those_who_have_not_answered(api, poll_scenario, worker, smtp, server, db):
    closes = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=24)).isoformat()
    poll = create_poll(api, poll_scenario, closes_at=closes)
    smtp.wait_for(4)
    worker.settle(scan_polls)
    # Invited within the reminder window: the invitation itself said when the poll closes.
    assert len(smtp.received) == 4

    token = poll_link(smtp.to("a.gruber@icmpd.example.org")[0])
    with httpx.Client(base_url=server) as public:
        assert answer(public, token, {s["id"]: "no" for s in poll["slots"]}).status_code == 303
    db.execute(text("UPDATE poll_invitee SET created_at = created_at - interval '3 days'"))
    db.commit()
    smtp.reset()
    worker.settle(scan_polls)
    worker.settle(scan_polls)
    reminded = sorted(r.rcpt_tos[0] for r in smtp.received)
    assert reminded == sorted(
        ["g.shukurova@migration.example.org", "i.petrova@ngo.example.org", "l.dubois@eeas.example.org"]
    )
    petrova = smtp.to("i.petrova@ngo.example.org")[0]
    assert petrova.message["Subject"].startswith("Напоминание")
    assert "List-Unsubscribe" in petrova.message
    assert "/poll/cpl_" in _text(petrova)


def test_deciding_tells_those_who_answered_and_sends_the_invitations(
    api, poll_scenario, worker, smtp, server
):
    poll = create_poll(api, poll_scenario)
    smtp.wait_for(4)
    worker.settle()
    token = poll_link(smtp.to("g.shukurova@migration.example.org")[0])
    ids = [s["id"] for s in sorted(poll["slots"], key=lambda s: s["starts_at"])]
    with httpx.Client(base_url=server) as public:
        assert answer(public, token, dict.fromkeys(ids, "if_need_be")).status_code == 303
    smtp.reset()
    decided = api.post(f"/api/v1/scheduling-polls/{poll['id']}/decide", json={"slot_id": ids[1]})
    assert decided.status_code == 200, decided.text
    smtp.wait_for(5)
    worker.settle()
    subjects = {(r.rcpt_tos[0], r.message["Subject"]) for r in smtp.received}
    assert len(smtp.received) == 5  # four invitations, one decision
    decision = [r for r in smtp.received if r.message["Subject"].startswith("Vaxt seçildi")]
    assert len(decision) == 1, subjects
    body = _text(decision[0])
    assert "14 aprel 2027, 10:00–12:00 (Vyana vaxtı)" in body and "12:00–14:00 (Bakı vaxtı)" in body
    invitations = [r for r in smtp.received if r.message.get_content_type() == "multipart/mixed"]
    assert len(invitations) == 4  # each with its calendar part, as any invitation

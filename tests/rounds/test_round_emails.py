"""Round emails through the real outbox, worker, beat and SMTP server."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import httpx
from sqlalchemy import select, update

from consult.rounds.models import ReplyNotice
from tests.rounds.conftest import a_day_after_opening, from_now, token_of
from tests.waiting import wait_until
from workers.tasks import scan_rounds

GULNARA = "g.shukurova@migration.example.org"
RAUF = "r.mammadov@migration.example.org"
IRINA = "i.petrova@ngo.example.org"
LUC = "l.dubois@eeas.example.org"
ANNA = "a.gruber@expert.example.org"


def text_of(received) -> str:
    message = received.message
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def wait_for_mail(smtp, address: str, count: int = 1, timeout: float = 30.0) -> list:
    return wait_until(
        lambda: found if len(found := smtp.to(address)) >= count else None,
        f"{count} emails to {address}",
        timeout,
    )


def subject_of(received) -> str:
    """The decoded subject; folding whitespace around encoded words is not part of it."""
    return " ".join(str(received.message["Subject"]).split())


def stakeholder(server: str, received) -> httpx.Client:
    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token_of(text_of(received))}"})


def test_opening_email_with_a_working_link(make_round, directory, smtp, worker, server):
    round_ = make_round(person_ids=[directory.person(IRINA), directory.person(ANNA)])
    [to_irina] = wait_for_mail(smtp, IRINA)
    [to_anna] = wait_for_mail(smtp, ANNA)
    assert subject_of(to_irina) == f"Приглашение к комментариям: {round_['title']}"
    assert "Integration strategy" in text_of(to_anna)
    with stakeholder(server, to_irina) as irina:
        listed = irina.get("/api/v1/rounds").json()
        assert [r["id"] for r in listed["items"]] == [round_["id"]]
        posted = irina.post(f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Спасибо за проект."})
        assert posted.status_code == 201, posted.text
        assert posted.json()["author"]["full_name"] == "Ирина Петрова"
    page = httpx.get(f"{server}/r/{token_of(text_of(to_anna))}")
    assert page.status_code == 200 and "Integration strategy" in page.text
    worker.settle(scan_rounds)  # beat keeps scanning: nobody gets the opening email twice
    assert len(smtp.to(IRINA)) == 1


def test_a_round_opens_by_itself_when_its_time_comes(make_round, directory, smtp, worker, db):
    from consult.rounds.models import CommentRound

    round_ = make_round(
        opens_at=from_now(days=1), closes_at=from_now(days=10), person_ids=[directory.person(ANNA)]
    )
    worker.settle(scan_rounds)
    assert smtp.to(ANNA) == []
    opens = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.execute(update(CommentRound).where(CommentRound.id == UUID(round_["id"])).values(opens_at=opens))
    db.commit()
    [opening] = wait_for_mail(smtp, ANNA)
    assert "/r/csr_" in text_of(opening)


def test_reminder_only_to_organisations_that_have_not_commented(
    make_round, directory, smtp, worker, facilitator, server, db
):
    orgs = directory.organisations
    round_ = make_round(
        closes_at=from_now(days=1),  # inside the two-day reminder window from the start
        person_ids=[directory.person(ANNA)],
        organisation_ids=[orgs["State Migration Service"]["id"], orgs["Migrant Support NGO"]["id"]],
    )
    [opening_gulnara] = wait_for_mail(smtp, GULNARA)
    with stakeholder(server, opening_gulnara) as gulnara:
        posted = gulnara.post(
            f"/api/v1/rounds/{round_['id']}/comments", json={"body": "Our position follows."}
        )
        assert posted.status_code == 201
    # The rounds are scanned every second, but no reminder follows right behind the opening email.
    worker.settle(scan_rounds)
    assert len(smtp.to(IRINA)) == 1
    # A day later, only the NGO has not commented: Irina is reminded; the migration service (Gülnarə,
    # Rauf) and the individually invited expert are not.
    a_day_after_opening(db, round_["id"])
    reminders = [m for m in wait_for_mail(smtp, IRINA, 2) if subject_of(m).startswith("Напоминание")]
    assert len(reminders) == 1
    worker.settle(scan_rounds)
    assert len(smtp.to(IRINA)) == 2  # at most one reminder
    assert len(smtp.to(RAUF)) == 1 and len(smtp.to(GULNARA)) == 1 and len(smtp.to(ANNA)) == 1


def test_extending_the_deadline_tells_the_invitees(make_round, directory, smtp, worker, facilitator):
    round_ = make_round(person_ids=[directory.person(LUC)])
    wait_for_mail(smtp, LUC)
    extended = facilitator.patch(f"/api/v1/rounds/{round_['id']}", json={"closes_at": from_now(days=20)})
    assert extended.status_code == 200, extended.text
    _, extension = wait_for_mail(smtp, LUC, 2)
    assert subject_of(extension).startswith("Délai prolongé")
    assert "/r/csr_" in text_of(extension)


def test_response_and_reply_digest(make_round, directory, smtp, worker, facilitator, server, db):
    round_ = make_round(person_ids=[directory.person(ANNA), directory.person(IRINA), directory.person(LUC)])
    to_anna, to_irina, to_luc = (wait_for_mail(smtp, who)[0] for who in (ANNA, IRINA, LUC))
    url = f"/api/v1/rounds/{round_['id']}/comments"
    with stakeholder(server, to_anna) as anna, stakeholder(server, to_irina) as irina:
        comment = anna.post(url, json={"body": "The desk should open on Saturdays."}).json()
        irina.post(url, json={"body": "Yes, many migrants work on weekdays.", "parent_id": comment["id"]})
        anna.post(url, json={"body": "Answering myself does not notify me.", "parent_id": comment["id"]})
    _, digest = wait_for_mail(smtp, ANNA, 2)
    assert subject_of(digest) == "New replies to your comments"
    body = text_of(digest)
    assert "Ирина Петрова replied:" in body and "Yes, many migrants work on weekdays." in body

    # Replies within the hour after a digest wait, then go out together in one email.
    with stakeholder(server, to_irina) as irina, stakeholder(server, to_luc) as luc:
        luc.post(url, json={"body": "Agreed.", "parent_id": comment["id"], "attribution": "anonymous"})
        irina.post(url, json={"body": "One more thought.", "parent_id": comment["id"]})
    worker.settle(scan_rounds)
    assert len(smtp.to(ANNA)) == 2
    pending = db.scalars(select(ReplyNotice).where(ReplyNotice.sent_at.is_(None))).all()
    assert len(pending) == 2
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    db.execute(update(ReplyNotice).where(ReplyNotice.sent_at.is_not(None)).values(sent_at=an_hour_ago))
    db.commit()
    _, _, second_digest = wait_for_mail(smtp, ANNA, 3)
    body = text_of(second_digest)
    assert "Someone replied:" in body and "Agreed." in body and "Luc Dubois" not in body
    assert "One more thought." in body
    worker.settle(scan_rounds)
    assert len(smtp.to(ANNA)) == 3

    answered = facilitator.put(
        f"/api/v1/comments/{comment['id']}/response",
        json={"decision": "partially_accepted", "rationale": "Saturday mornings in Baku only."},
    )
    assert answered.status_code == 200, answered.text
    *_, response_mail = wait_for_mail(smtp, ANNA, 4)
    assert subject_of(response_mail) == "Your comment has been answered"
    text = text_of(response_mail)
    assert "Partially accepted" in text and "Saturday mornings in Baku only." in text
    assert "The desk should open on Saturdays." in text

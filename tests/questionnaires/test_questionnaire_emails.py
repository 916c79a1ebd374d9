"""Questionnaire emails through the real outbox, worker, beat and SMTP server: the invitation with a
working personal link in the reader's language, and one reminder to those who have not submitted."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import update

from consult.questionnaires.models import Questionnaire
from tests.questionnaires.conftest import ANNA, COMPLETE, GULNARA, IRINA, RAUF, form_of, token_of
from tests.rounds.test_round_emails import subject_of, text_of, wait_for_mail
from workers.tasks import scan_questionnaires


def test_invitations_carry_a_working_personal_link(make_questionnaire, smtp, worker, web):
    questionnaire = make_questionnaire()
    [to_irina] = wait_for_mail(smtp, IRINA)
    [to_gulnara] = wait_for_mail(smtp, GULNARA)
    [to_anna] = wait_for_mail(smtp, ANNA)
    assert subject_of(to_irina) == "Анкета: Оценка потенциала и потребностей"
    assert "один официальный ответ" in text_of(to_irina)  # per organisation
    assert "official answer" not in text_of(to_anna)  # Anna answers for herself
    assert subject_of(to_gulnara).startswith("Sorğu:")
    page = web.get(f"/q/{token_of(text_of(to_irina))}")
    assert page.status_code == 200 and "Оценка потенциала и потребностей" in page.text
    worker.settle(scan_questionnaires)  # beat keeps scanning: nobody is invited twice
    assert len(smtp.to(IRINA)) == 1
    assert questionnaire["status"] == "open"


def test_one_reminder_before_closing_only_to_those_who_have_not_submitted(
    make_questionnaire, smtp, worker, web, db
):
    questionnaire = make_questionnaire()
    [to_gulnara] = wait_for_mail(smtp, GULNARA)
    wait_for_mail(smtp, IRINA)
    wait_for_mail(smtp, RAUF)
    submitted = web.post(f"/q/{token_of(text_of(to_gulnara))}", data=form_of(COMPLETE, "submit", 0))
    assert submitted.status_code == 303
    worker.settle(scan_questionnaires)
    assert len(smtp.to(IRINA)) == 1  # ten days before closing: no reminder yet
    # Two days before closing (the reminder comes three days before): the NGO (Irina) and Anna are
    # reminded; the migration service submitted (by Gülnarə), so neither she nor Rauf is.
    closes = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    db.execute(
        update(Questionnaire).where(Questionnaire.id == UUID(questionnaire["id"])).values(closes_at=closes)
    )
    db.commit()
    [_, reminder] = wait_for_mail(smtp, IRINA, 2)
    assert subject_of(reminder).startswith("Напоминание: анкета")
    assert "ответ вашей организации ещё не отправлен" in text_of(reminder)
    assert web.get(f"/q/{token_of(text_of(reminder))}").status_code == 200
    wait_for_mail(smtp, ANNA, 2)
    worker.settle(scan_questionnaires)
    assert len(smtp.to(IRINA)) == 2  # once only
    assert len(smtp.to(GULNARA)) == 1 and len(smtp.to(RAUF)) == 1

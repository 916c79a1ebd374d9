"""Every kind of email the workers send, with the domain code that composes it: registered in one
place, by the workers when they start (``workers/tasks.py``), not as a side effect of an import."""

from __future__ import annotations

from consult.exports import mailing as export_mailing
from consult.invitations import mailing as invitation_mailing
from consult.mail.delivery import register
from consult.polls import mailing as poll_mailing
from consult.questionnaires import mailing as questionnaire_mailing
from consult.rounds import mailing as round_mailing


def register_email_kinds() -> None:
    for kinds in (
        invitation_mailing.EMAIL_KINDS,
        round_mailing.EMAIL_KINDS,
        export_mailing.EMAIL_KINDS,
        poll_mailing.EMAIL_KINDS,
        questionnaire_mailing.EMAIL_KINDS,
    ):
        register(kinds)

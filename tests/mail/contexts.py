"""Fixed contexts for rendering emails, shaped like those the mailing modules pass
(consult.invitations.mailing, consult.rounds.mailing, consult.exports.mailing, consult.inbound.service).

Every value is fixed, dates included, so that a rendering is the same on every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from consult.events.calendar import AgendaLine, CalendarEvent
from consult.mail.i18n import format_in, format_time, format_when, gettext

UTC = dt.UTC
# The launch event: Baku, 10 March 2027, 10:00-16:00 local (UTC+4).
LAUNCH_START = dt.datetime(2027, 3, 10, 6, 0, tzinfo=UTC)
LAUNCH_END = dt.datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
LAUNCH_AGENDA = (
    AgendaLine(LAUNCH_START, "Overview of the MIEUX+ and MOBILAZE 2 projects", "ICMPD"),
    AgendaLine(
        dt.datetime(2027, 3, 10, 7, 30, tzinfo=UTC),
        "Capacities and needs of the institutions involved",
        "State Migration Service",
    ),
    AgendaLine(
        dt.datetime(2027, 3, 10, 10, 0, tzinfo=UTC), "Goals and pillars of the integration strategy", None
    ),
)
LAUNCH = CalendarEvent(
    uid="0190f5e0-launch@consult.example.org",
    sequence=0,
    title="Launch of the migrant integration strategy",
    description="First meeting of the working group.\nPlease bring your institution's priorities.",
    starts_at=LAUNCH_START,
    ends_at=LAUNCH_END,
    location="State Migration Service, 2 Ziya Bunyadov Avenue, Baku",
    online_url=None,
    cancelled=False,
    agenda=LAUNCH_AGENDA,
    timezone="Asia/Baku",
)
# The online round table, run from Baku: 14 April 2027, 13:00-15:00 Baku time.
ROUND_TABLE = CalendarEvent(
    uid="0190f5e0-rt1@consult.example.org",
    sequence=0,
    title="Round table: key concepts of integration",
    description="",
    starts_at=dt.datetime(2027, 4, 14, 9, 0, tzinfo=UTC),
    ends_at=dt.datetime(2027, 4, 14, 11, 0, tzinfo=UTC),
    location=None,
    online_url="https://meet.example.org/mobilaze-rt1?pwd=a1&lang=en",
    cancelled=False,
    timezone="Asia/Baku",
)
ORGANISER_EMAIL = "consult@migration.gov.az"
PERSONAL_URL = "https://consult.migration.gov.az/p/cpp_personal-page-token"


def rsvp_links(token: str) -> dict[str, str]:
    return {
        a: f"https://consult.example.org/rsvp/{token}?answer={a}"
        for a in ("accepted", "tentative", "declined")
    }


def launch_context(language: str, **overrides: Any) -> dict[str, Any]:
    """What consult.invitations.mailing passes for the in-person launch event in Baku."""
    context: dict[str, Any] = {
        "person_name": "Leyla Məmmədova",
        "event": {
            "title": LAUNCH.title,
            "description": LAUNCH.description,
            "location": LAUNCH.location,
            "online_url": None,
            "format": "in_person",
        },
        "when_event": format_when(LAUNCH_START, LAUNCH_END, "Asia/Baku", language),
        "when_recipient": None,
        "agenda": [
            {
                "time": format_time(line.starts_at, "Asia/Baku", language),
                "title": line.title,
                "speaker": line.speaker,
            }
            for line in LAUNCH_AGENDA
        ],
        "rsvp_links": rsvp_links("rsvp_launch"),
        "rsvp": "needs_action",
        "changes": [gettext(language, "time"), gettext(language, "place")],
        "reason": None,
        "starts_in": format_in(dt.timedelta(hours=23, minutes=55), language),
        "organiser_email": ORGANISER_EMAIL,
        "personal_url": PERSONAL_URL,
        # an in-person event: the invitee's check-in code (consult.invitations.checkin)
        "checkin": {"code": "7K3QD-M9XWA", "qr": "cid:checkin.sample@example.org"},
        # pages
        "form_action": "/rsvp/rsvp_launch",
        "response": "accepted",
        "waitlisted": False,
        "preselected": None,
        "state": "open",
        "full": False,
        "cancellation_reason": None,
        "status": 409,
    }
    context.update(overrides)
    return context


def round_table_context(language: str, **overrides: Any) -> dict[str, Any]:
    """The online round table, run from Baku, for a participant in Vienna."""
    starts, ends = ROUND_TABLE.starts_at, ROUND_TABLE.ends_at
    context = launch_context(language)
    context.update(
        {
            "person_name": "Anna Gruber",
            "event": {
                "title": ROUND_TABLE.title,
                "description": None,
                "location": None,
                "online_url": ROUND_TABLE.online_url,
                "format": "online",
            },
            "when_event": format_when(starts, ends, "Asia/Baku", language),
            "when_recipient": format_when(starts, ends, "Europe/Vienna", language),
            "agenda": [],
            "rsvp_links": rsvp_links("rsvp_rt1"),
            "starts_in": format_in(dt.timedelta(minutes=58), language),
            "checkin": None,  # online: nobody to check in at a door
        }
    )
    context.update(overrides)
    return context


# --- comment rounds --------------------------------------------------------------------------------

ROUND_OPENS = dt.datetime(2027, 5, 3, 5, 0, tzinfo=UTC)
ROUND_CLOSES = dt.datetime(2027, 5, 31, 20, 0, tzinfo=UTC)
ROUND_LINK = "https://consult.example.org/r/csr_fixed-link-for-snapshots"


def round_context(language: str, **overrides: Any) -> dict[str, Any]:
    """What consult.rounds.mailing passes about a round to a person in Baku (``_round_context``)."""
    context: dict[str, Any] = {
        "person_name": "Gülnarə Şükürova",
        "organiser_email": ORGANISER_EMAIL,
        "personal_url": PERSONAL_URL,
        "round_title": "First comment round on the strategy",
        "document_title": "Migrant integration strategy 2026-2030",
        "when_open": format_when(ROUND_OPENS, ROUND_CLOSES, "Asia/Baku", language),
        "closes_in": format_in(dt.timedelta(days=2), language),
        "link": ROUND_LINK,
    }
    context.update(overrides)
    return context


def questionnaire_context(language: str) -> dict[str, Any]:
    """What consult.questionnaires.mailing passes to an invitee answering for her organisation."""
    titles = {
        "az": "Potensial və ehtiyacların qiymətləndirilməsi",  # noqa: RUF001 - Azerbaijani
        "ru": "Оценка потенциала и потребностей",
        "en": "Capacity and needs assessment",
        "fr": "Évaluation des capacités et des besoins",
    }
    return {
        "person_name": "Gülnarə Şükürova",
        "organiser_email": ORGANISER_EMAIL,
        "personal_url": PERSONAL_URL,
        "questionnaire_title": titles[language],
        "per_organisation": True,
        "when_open": format_when(ROUND_OPENS, ROUND_CLOSES, "Asia/Baku", language),
        "closes_in": format_in(dt.timedelta(days=3), language),
        "link": "https://consult.example.org/q/csq_EXAMPLE",
    }


def questionnaire_confirmation_context(language: str) -> dict[str, Any]:
    """What consult.questionnaires.mailing passes to an open questionnaire's respondent (no name,
    no personal page: the address is all that is known)."""
    return {
        "person_name": None,
        "organiser_email": ORGANISER_EMAIL,
        "personal_url": None,
        "questionnaire_title": questionnaire_context(language)["questionnaire_title"],
        "link": "https://consult.example.org/q/open/EXAMPLE/confirm/csc_EXAMPLE",
        "valid_for": format_in(dt.timedelta(days=7), language),
    }


def comment_response_context(language: str) -> dict[str, Any]:
    return round_context(
        language,
        section="2.1 Access to language courses",
        comment_body="The desk should open on Saturdays.",
        decision="partially_accepted",
        rationale="Saturday mornings in Baku only.",
    )


def reply_digest_context(language: str) -> dict[str, Any]:
    """Two replies on one round: one signed, one anonymous (``public_author`` gives no name)."""
    context = round_context(language)
    replies = [
        {
            "author": "Ирина Петрова",
            "section": "2.1 Access to language courses",
            "body": "Yes, many work on weekdays.",
        },
        {"author": None, "section": None, "body": "Agreed."},
    ]
    rounds = [{key: context[key] for key in ("document_title", "when_open", "closes_in", "link")}]
    rounds[0]["replies"] = replies
    return {
        "person_name": context["person_name"],
        "organiser_email": ORGANISER_EMAIL,
        "personal_url": PERSONAL_URL,
        "rounds": rounds,
    }


def export_ready_context(language: str) -> dict[str, Any]:
    """Staff emails are written in English; the other languages are rendered all the same."""
    return {
        "person_name": "facilitator@example.org",
        "round_title": "First comment round on the strategy",
        "format": "XLSX",
        "row_count": 9,
        "download_url": "https://consult.example.org/api/v1/exports/0190f5e0-export/file",
    }


def intake_answer_context(language: str) -> dict[str, Any]:
    """The answer to an email that came after the round closed, with the sender's subject."""
    return {
        "person_name": "Luc Dubois",
        "reason": "round_closed",
        "link": ROUND_LINK,
        "original_subject": "Re: Invitation to comment: Migrant integration strategy",
        "organiser_email": ORGANISER_EMAIL,
    }

"""Questionnaires, their versions, who is asked, their personal links, and the responses.

A version's definition (sections, questions, options, texts in four languages) is one validated
JSON document (see ``schemas.Definition``): it is read and written whole, and frozen once the
questionnaire opens. A response is one row whose ``answers`` hold every answer keyed by question
key, so that a submission is one insert and results are computed in the database (``jsonb``
operators) over one table; the respondent's organisation kind and country are copied onto the row
when it is written so that filtered results need no join.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, str_enum
from consult.directory.models import OrganisationKind

JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")
PUBLIC_KEY_LENGTH = 43


class Mode(enum.StrEnum):
    PER_ORGANISATION = "per_organisation"  # one official response per invited organisation
    PER_PERSON = "per_person"  # one response per invited person
    OPEN = "open"  # anyone with the public link; each submission is a response


class QuestionnaireStatus(enum.StrEnum):
    DRAFT = "draft"  # being built; its version can be edited
    OPEN = "open"  # sent (answers taken between opens_at and closes_at); versions are frozen
    CLOSED = "closed"  # closed early by staff


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    # Mode open with email confirmation: answered, waiting for the respondent to confirm by email;
    # not counted anywhere until it is (then it becomes submitted).
    UNCONFIRMED = "unconfirmed"
    # Mode open with email confirmation: was submitted, then the same address confirmed a newer
    # answer, which replaced it; no longer counted.
    REPLACED = "replaced"


class ResponseAttribution(enum.StrEnum):
    """How free-text answers are attributed in results (staff always see who answered)."""

    NAMED = "named"
    ORGANISATION = "organisation"
    ANONYMOUS = "anonymous"


class ChangeAction(enum.StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    REOPEN = "reopen"


class Questionnaire(Base):
    __tablename__ = "questionnaire"

    consultation_id: Mapped[UUID] = mapped_column(
        ForeignKey("consultation.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))  # the staff's name for it; respondents see the title
    mode: Mapped[Mode] = mapped_column(str_enum(Mode))
    status: Mapped[QuestionnaireStatus] = mapped_column(
        str_enum(QuestionnaireStatus), default=QuestionnaireStatus.DRAFT
    )
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Mode open: the key of the public page /q/open/{public_key} (not a secret: it is published).
    public_key: Mapped[str | None] = mapped_column(String(PUBLIC_KEY_LENGTH), unique=True, default=None)
    # Mode open: an answer counts only once the respondent confirms it through a link emailed to
    # them (one answer per address: a later confirmed answer replaces the earlier one).
    email_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)


class QuestionnaireVersion(Base):
    """One version of the questions; editable while the questionnaire is a draft, frozen after."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    questionnaire_id: Mapped[UUID] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    # New answers are given against the latest (highest) number; earlier answers keep theirs.
    number: Mapped[int] = mapped_column(Integer)
    # schemas.Definition as JSON: {"original_language", "title", "intro", "sections": [{"key",
    # "title", "questions": [{"key", "kind", "text", "help", "required", "options", "rows", "min",
    # "max", "other", "show_if"}]}]}; texts are {"az", "ru", "en", "fr"}.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class QuestionnaireInvitee(Base):
    """A person asked to answer (modes per_organisation and per_person)."""

    __tablename__ = "questionnaire_invitee"
    __table_args__ = (UniqueConstraint("questionnaire_id", "person_id"),)

    questionnaire_id: Mapped[UUID] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    # The organisation the person answers for (their organisation when invited): in mode
    # per_organisation every invitee of it edits the same response.
    organisation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True, default=None
    )
    invitation_queued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminder_queued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class QuestionnaireLink(Base):
    """A personal link ``/q/<token>``; only the digest is stored."""

    __tablename__ = "questionnaire_link"

    invitee_id: Mapped[UUID] = mapped_column(
        ForeignKey("questionnaire_invitee.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class QuestionnaireResponse(Base):
    """One response: an organisation's official one, a person's, or an anonymous open one.

    ``answers`` maps question key to the answer: choice → option key (str); multiple →
    {"options": [keys], "other": str | null}; scale and number → number; date → "YYYY-MM-DD";
    text → str; matrix → {row key: scale value}. Unanswered questions are absent.
    """

    __tablename__ = "questionnaire_response"
    __table_args__ = (
        # Results read a questionnaire's submitted responses of one version.
        Index("ix_questionnaire_response_results", "questionnaire_id", "status", "version_id"),
        # Results list free texts oldest first a page at a time: read in this order, not sorted.
        Index(
            "ix_questionnaire_response_submitted",
            "questionnaire_id",
            "version_id",
            "submitted_at",
            postgresql_where=text("status = 'submitted'"),
            sqlite_where=text("status = 'submitted'"),
        ),
        # One official response per organisation (per_organisation: person_id is null) ...
        Index(
            "uq_questionnaire_response_organisation",
            "questionnaire_id",
            "organisation_id",
            unique=True,
            postgresql_where=text("person_id IS NULL AND organisation_id IS NOT NULL"),
            sqlite_where=text("person_id IS NULL AND organisation_id IS NOT NULL"),
        ),
        # ... and one per person (per_person).
        Index(
            "uq_questionnaire_response_person",
            "questionnaire_id",
            "person_id",
            unique=True,
            postgresql_where=text("person_id IS NOT NULL"),
            sqlite_where=text("person_id IS NOT NULL"),
        ),
    )

    questionnaire_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"))
    version_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="RESTRICT"))
    # per_organisation: the organisation, person_id null; per_person: the person (and their
    # organisation, if any); open: both null.
    organisation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), default=None
    )
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), default=None)
    # Copied from the organisation when the response is written: filters need no join.
    organisation_kind: Mapped[OrganisationKind | None] = mapped_column(
        str_enum(OrganisationKind), default=None
    )
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    status: Mapped[ResponseStatus] = mapped_column(str_enum(ResponseStatus, 16), default=ResponseStatus.DRAFT)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    submitted_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    # Optimistic concurrency: every save carries the revision it was based on; a save based on an
    # older one is refused (409) rather than overwriting a colleague's change.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    attribution: Mapped[ResponseAttribution] = mapped_column(
        str_enum(ResponseAttribution, 16), default=ResponseAttribution.NAMED
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT, default=dict)


class QuestionnaireResponseChange(Base):
    """Who changed a response, when, and which answers (per_organisation keeps its history)."""

    __tablename__ = "questionnaire_response_change"

    response_id: Mapped[UUID] = mapped_column(
        ForeignKey("questionnaire_response.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), default=None)
    action: Mapped[ChangeAction] = mapped_column(str_enum(ChangeAction, 16))
    revision: Mapped[int] = mapped_column(Integer)  # the response's revision after the change
    changed_keys: Mapped[list[str]] = mapped_column(JSON_DOCUMENT, default=list)


# What identifies a rollup cell: a submission's upsert adds to the row of its cell.
TALLY_CELL = (
    "questionnaire_id",
    "version_id",
    "question_key",
    "row_key",
    "value_key",
    "organisation_kind",
    "country",
)


class QuestionnaireTally(Base):
    """How many submitted responses gave each value, kept up to date as responses are submitted
    (+1) and reopened (-1) in the same transaction, so that results read this small table rather
    than every response's answers (see ``consult.questionnaires.tally``).

    ``question_key`` "" with ``row_key`` "*" counts the responses themselves; ``row_key`` "#" counts
    the responses answering the question; otherwise ``row_key`` is the matrix row ("" elsewhere) and
    ``value_key`` the option key, scale or number value, or date ("" for a multiple choice's "other"
    text). Numbers are counted per distinct value too: their mean and median follow exactly from
    the counts, and answers to a bounded question take few distinct values.
    """

    __tablename__ = "questionnaire_tally"
    __table_args__ = (UniqueConstraint(*TALLY_CELL, name="uq_questionnaire_tally_cell"),)

    questionnaire_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"))
    version_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(40))
    value_key: Mapped[str] = mapped_column(String(64))
    # "" rather than null for none, so that the unique constraint (and ON CONFLICT) applies.
    organisation_kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    count: Mapped[int] = mapped_column(Integer)


class QuestionnaireConfirmation(Base):
    """The pending or done email confirmation of one open response: the respondent's address as a
    digest (one answer per address), and the digest of the token of the link emailed to them
    (``/q/open/{public_key}/confirm/{token}``), set when the email is composed."""

    __tablename__ = "questionnaire_confirmation"
    __table_args__ = (
        # At most one counted answer per address and questionnaire.
        Index(
            "uq_questionnaire_confirmation_counted",
            "questionnaire_id",
            "address_hash",
            unique=True,
            postgresql_where=text("confirmed_at IS NOT NULL AND replaced_at IS NULL"),
            sqlite_where=text("confirmed_at IS NOT NULL AND replaced_at IS NULL"),
        ),
        Index("ix_questionnaire_confirmation_address", "questionnaire_id", "address_hash"),
    )

    questionnaire_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"))
    response_id: Mapped[UUID] = mapped_column(
        ForeignKey("questionnaire_response.id", ondelete="CASCADE"), unique=True
    )
    # SHA-256 of the normalised (lower-case) address.
    address_hash: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

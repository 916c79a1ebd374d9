"""Comment rounds on a draft version, the people invited to them, and their comments (with the files
that came attached to the email a comment was written in).

A comment keeps its history: every edit stores the previous text as a revision, and every hide or
restore by a facilitator is written to the moderation log.
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, str_enum
from consult.directory.models import Person
from consult.drafts.models import SECTION_KEY_LENGTH

IDEMPOTENCY_KEY_LENGTH = 200


class RoundVisibility(enum.StrEnum):
    PARTICIPANTS = "participants"  # invitees read each other's comments
    FACILITATORS = "facilitators"  # invitees read only their own; facilitators read all


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    AMENDMENT = "amendment"


class Attribution(enum.StrEnum):
    """How the author is shown to other participants (and in exports); facilitators always see it."""

    NAMED = "named"
    ORGANISATION = "organisation"
    ANONYMOUS = "anonymous"


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"


class CommentSource(enum.StrEnum):
    """How a comment reached consult, shown beside it and in exports."""

    WEB = "web"  # the round page or the API
    EMAIL = "email"  # a reply to a round email
    WORD = "word"  # a Word file returned with comments and tracked changes
    ROUND_TABLE = "round_table"  # a point in the minutes of a round table


class ModerationAction(enum.StrEnum):
    HIDE = "hide"
    RESTORE = "restore"


class CommentRound(Base):
    __tablename__ = "comment_round"

    document_version_id: Mapped[UUID] = mapped_column(
        ForeignKey("document_version.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    closes_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    visibility: Mapped[RoundVisibility] = mapped_column(str_enum(RoundVisibility))


class RoundInvitee(Base):
    __tablename__ = "round_invitee"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("comment_round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    # Set when the person was invited as staff of an invited organisation: the closing reminder goes
    # to the people of organisations that have not commented yet.
    invited_organisation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), default=None
    )
    opening_queued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminder_queued_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Message-ID of the opening email: later emails about the round thread under it.
    thread_message_id: Mapped[str | None] = mapped_column(String(300), default=None)

    person: Mapped[Person] = relationship(lazy="raise")


class RoundLink(Base):
    """A personal link to a round (``/r/<token>``), also a bearer token for the stakeholder API.

    Only the digest is stored. It lets its person read the round's draft and comment, nothing else.
    """

    __tablename__ = "round_link"

    invitee_id: Mapped[UUID] = mapped_column(ForeignKey("round_invitee.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class Comment(Base):
    __tablename__ = "comment"
    # Top-level comments of a round, by section, oldest first: a page of a section's threads (and
    # its count) reads only that section's entries, however many comments the round has.
    __table_args__ = (
        Index("ix_comment_round_root", "round_id", "parent_id", "section_key", "created_at"),
        # A form or request sent twice with the same key makes one comment, even when both arrive
        # at once: the second insert fails here and is answered with the first comment.
        UniqueConstraint("author_id", "idempotency_key"),
    )

    round_id: Mapped[UUID] = mapped_column(ForeignKey("comment_round.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    # The top-level comment of the thread (its own id for a top-level one): a page of threads is
    # then read with one query, whatever the depth.
    thread_id: Mapped[UUID] = mapped_column(index=True)
    parent_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True, default=None
    )
    section_key: Mapped[str | None] = mapped_column(String(SECTION_KEY_LENGTH), default=None)
    kind: Mapped[CommentKind] = mapped_column(str_enum(CommentKind))
    body: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text, default=None)
    proposed_text: Mapped[str | None] = mapped_column(Text, default=None)
    # The organisation the comment speaks for (an official position), as it was when written.
    on_behalf_of_organisation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), default=None
    )
    attribution: Mapped[Attribution] = mapped_column(str_enum(Attribution))
    source: Mapped[CommentSource] = mapped_column(
        str_enum(CommentSource, 16), default=CommentSource.WEB, server_default=CommentSource.WEB.value
    )
    # The event (a round table) whose minutes recorded the comment, for ``round_table`` comments.
    event_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("event.id", ondelete="RESTRICT"), index=True, default=None
    )
    # The ``Idempotency-Key`` the author sent it with (the round page sends one per form shown).
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), default=None)
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Hidden by a facilitator: never shown to stakeholders (nor exported), kept for the record.
    hidden_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    hidden_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The facilitators' answer.
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision), index=True, default=None)
    rationale: Mapped[str | None] = mapped_column(Text, default=None)
    taken_up_version_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("document_version.id", ondelete="RESTRICT"), default=None
    )
    taken_up_section_key: Mapped[str | None] = mapped_column(String(SECTION_KEY_LENGTH), default=None)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    responded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), default=None
    )


class CommentAttachment(Base):
    """A file attached to an email that became a comment."""

    __tablename__ = "comment_attachment"

    comment_id: Mapped[UUID] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    inbound_message_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="SET NULL"), default=None
    )
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CommentRevision(Base):
    """The text of a comment as it was before an edit."""

    __tablename__ = "comment_revision"
    __table_args__ = (UniqueConstraint("comment_id", "number"),)

    comment_id: Mapped[UUID] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CommentKind] = mapped_column(str_enum(CommentKind))
    body: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text, default=None)
    proposed_text: Mapped[str | None] = mapped_column(Text, default=None)
    attribution: Mapped[Attribution] = mapped_column(str_enum(Attribution))


class ModerationEntry(Base):
    __tablename__ = "comment_moderation"

    comment_id: Mapped[UUID] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    action: Mapped[ModerationAction] = mapped_column(str_enum(ModerationAction, 16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    staff_user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), default=None
    )


class ReplyNotice(Base):
    """A reply someone should hear about; the digest scan sends them together, at most once an hour."""

    __tablename__ = "reply_notice"
    __table_args__ = (Index("ix_reply_notice_person_sent", "person_id", "sent_at"),)

    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    comment_id: Mapped[UUID] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Self
from uuid import UUID

import msgspec
from msgspec import UNSET, Struct, UnsetType

from consult.crud import ModelOut
from consult.directory.models import OrganisationKind
from consult.directory.schemas import Audience
from consult.drafts.schemas import SectionKey, SectionOut
from consult.rounds.models import Attribution, CommentKind, CommentSource, Decision, RoundVisibility
from consult.types import AwareTime, CommentText, LongText, Reason, Title


class CommentStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    HIDDEN = "hidden"  # shown to staff only


class RoundCreate(Audience, forbid_unknown_fields=True, kw_only=True):
    document_version_id: UUID
    title: Title
    opens_at: AwareTime
    closes_at: AwareTime
    visibility: RoundVisibility = RoundVisibility.PARTICIPANTS


class RoundPatch(Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    closes_at: AwareTime | UnsetType = UNSET


class RoundOut(ModelOut):
    id: UUID
    document_version_id: UUID
    title: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    visibility: RoundVisibility
    is_open: bool
    invitee_count: int
    created_at: dt.datetime


class InviteesAdded(Struct):
    added: list[UUID]
    already_invited: list[UUID]


class RoundDraft(Struct):
    round_id: UUID
    document_version_id: UUID
    preamble: str
    sections: list[SectionOut]  # nested, in draft order


class CommentCreate(Struct, forbid_unknown_fields=True):
    body: CommentText
    kind: CommentKind = CommentKind.COMMENT
    section_key: SectionKey | None = None
    quote: LongText | None = None
    proposed_text: LongText | None = None
    parent_id: UUID | None = None
    on_behalf_of_organisation: bool = False
    attribution: Attribution = Attribution.NAMED


class CommentPatch(Struct, forbid_unknown_fields=True):
    body: CommentText | UnsetType = UNSET
    quote: LongText | None | UnsetType = UNSET
    proposed_text: LongText | None | UnsetType = UNSET
    kind: CommentKind | UnsetType = UNSET
    attribution: Attribution | UnsetType = UNSET


class HideRequest(Struct, forbid_unknown_fields=True):
    reason: Reason


class ResponseIn(Struct, forbid_unknown_fields=True):
    decision: Decision
    rationale: CommentText
    taken_up_version_id: UUID | None = None
    taken_up_section_key: SectionKey | None = None


class AuthorOut(Struct):
    """Who wrote a comment, as far as the reader may know: fields the attribution hides are null."""

    person_id: UUID | None
    full_name: str | None
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: OrganisationKind | None


class ResponseOut(Struct):
    decision: Decision
    rationale: str
    taken_up_version_id: UUID | None
    taken_up_section_key: str | None
    responded_at: dt.datetime


class AttachmentOut(ModelOut):
    """A file that came with a comment: what it is, and where to download it (with the same token).
    Read off a ``CommentAttachment`` row, or a select of its columns without the file's bytes."""

    id: UUID
    comment_id: UUID
    filename: str
    content_type: str
    size: int
    url: str

    @classmethod
    def from_model(cls, row: Any, **computed: Any) -> Self:
        return super().from_model(row, url=attachment_url(row.id), **computed)


def attachment_url(attachment_id: UUID) -> str:
    return f"/api/v1/attachments/{attachment_id}"


class CommentOut(Struct):
    id: UUID
    round_id: UUID
    section_key: str | None
    parent_id: UUID | None
    kind: CommentKind
    status: CommentStatus
    body: str
    quote: str | None
    proposed_text: str | None
    attribution: Attribution
    source: CommentSource
    on_behalf_of_organisation: bool
    author: AuthorOut
    mine: bool
    created_at: dt.datetime
    edited_at: dt.datetime | None
    response: ResponseOut | None
    hidden_reason: str | None = None
    # The round table whose minutes recorded it (source ``round_table``).
    event_id: UUID | None = None
    replies: list[CommentOut] = msgspec.field(default_factory=list)
    # Files that came with the comment, for readers who may see them (see visibility.may_see_files).
    attachments: list[AttachmentOut] = msgspec.field(default_factory=list)


class SectionThreads(Struct):
    key: str | None  # None: comments on the whole draft
    number: str | None
    heading: str | None
    threads: list[CommentOut]


class CommentTree(Struct):
    round_id: UUID
    sections: list[SectionThreads]
    total: int  # top-level threads matching the filters
    limit: int
    offset: int


class RevisionOut(Struct):
    number: int
    kind: CommentKind
    body: str
    quote: str | None
    proposed_text: str | None
    attribution: Attribution
    replaced_at: dt.datetime


class ModerationOut(Struct):
    action: str
    reason: str | None
    staff_user_id: UUID | None
    at: dt.datetime


class CommentHistory(Struct):
    comment_id: UUID
    revisions: list[RevisionOut]
    moderation: list[ModerationOut]

"""Comment rounds: creating them on a draft version, inviting and removing people, moving the
deadline or ending the round early, and who may see which round.

Staff see every round; a stakeholder (a personal link) sees only the round of their link, and a
round they may not see answers 404 as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.principals import Principal, StaffPrincipal, StakeholderPrincipal
from consult.crud import page_of, patch_fields, rows_by_person
from consult.directory.audience import expand_audience
from consult.directory.models import Person
from consult.directory.schemas import Audience
from consult.drafts.models import DocumentVersion
from consult.drafts.schemas import section_tree
from consult.drafts.service import VersionService
from consult.errors import Conflict, Invalid, NotFound
from consult.mail.models import EmailKind
from consult.mail.replies import revoke_reply_tokens
from consult.pagination import PageParams
from consult.rounds import schemas
from consult.rounds.links import link_expiry
from consult.rounds.mailing import queue_openings, queue_to_invitees
from consult.rounds.models import CommentRound, RoundInvitee, RoundLink
from consult.settings import Settings


def is_open(round_: CommentRound, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.UTC)
    return round_.opens_at <= now < round_.closes_at


class ActingService:
    """A service acting for one principal: whoever sent the request, or the person a worker or the
    demo acts for. The round and comment services all take these three."""

    def __init__(self, session: AsyncSession, settings: Settings, principal: Principal) -> None:
        self.session = session
        self.settings = settings
        self.principal = principal

    @property
    def staff_user_id(self) -> UUID | None:
        """The staff user acting, recorded with what they do (None for a stakeholder)."""
        return self.principal.user_id if isinstance(self.principal, StaffPrincipal) else None


class RoundService(ActingService):
    async def get(self, round_id: UUID) -> CommentRound:
        """The round, if the principal may see it."""
        if isinstance(self.principal, StakeholderPrincipal) and self.principal.round_id != round_id:
            raise NotFound(f"comment round {round_id} does not exist")
        round_ = await self.session.get(CommentRound, round_id)
        if round_ is None:
            raise NotFound(f"comment round {round_id} does not exist")
        return round_

    async def out(self, rounds: list[CommentRound]) -> list[schemas.RoundOut]:
        counts = dict(
            (
                await self.session.execute(
                    select(RoundInvitee.round_id, func.count())
                    .where(RoundInvitee.round_id.in_([r.id for r in rounds]))
                    .group_by(RoundInvitee.round_id)
                )
            ).all()
        )
        now = dt.datetime.now(dt.UTC)
        return [
            schemas.RoundOut.from_model(r, is_open=is_open(r, now), invitee_count=counts.get(r.id, 0))
            for r in rounds
        ]

    async def visible_rounds(self, page: PageParams) -> tuple[list[CommentRound], int]:
        stmt = select(CommentRound).order_by(CommentRound.opens_at.desc(), CommentRound.id)
        if isinstance(self.principal, StakeholderPrincipal):
            stmt = stmt.where(CommentRound.id == self.principal.round_id)
        return await page_of(self.session, stmt, page)

    async def create(self, data: schemas.RoundCreate) -> CommentRound:
        if await self.session.get(DocumentVersion, data.document_version_id) is None:
            raise Invalid.field("document_version_id", f"unknown draft version {data.document_version_id}")
        if data.closes_at <= data.opens_at:
            raise Invalid.field("closes_at", "must be after opens_at")
        if data.closes_at <= dt.datetime.now(dt.UTC):
            raise Invalid.field("closes_at", "must be in the future")
        round_ = CommentRound(
            document_version_id=data.document_version_id,
            title=data.title.strip(),
            opens_at=data.opens_at.astimezone(dt.UTC),
            closes_at=data.closes_at.astimezone(dt.UTC),
            visibility=data.visibility,
        )
        self.session.add(round_)
        await self.session.flush()
        await self._invite(round_, data)
        return round_

    async def add_invitees(self, round_id: UUID, audience: Audience) -> schemas.InviteesAdded:
        round_ = await self.get(round_id)
        if round_.closes_at <= dt.datetime.now(dt.UTC):
            raise Invalid.field("person_ids", "the round has closed; extend its deadline first")
        added, already = await self._invite(round_, audience)
        return schemas.InviteesAdded(added=added, already_invited=already)

    async def _invite(self, round_: CommentRound, audience: Audience) -> tuple[list[UUID], list[UUID]]:
        """Invite the people named; those of a round already open get the opening email right away."""
        person_ids = await expand_audience(self.session, audience)
        # People reached through an invited organisation are the ones the closing reminder is for.
        invited_org: dict[UUID, UUID | None] = {}
        if audience.organisation_ids:
            invited_org = dict(
                (
                    await self.session.execute(
                        select(Person.id, Person.organisation_id).where(
                            Person.organisation_id.in_(audience.organisation_ids)
                        )
                    )
                ).all()
            )
        existing = await rows_by_person(
            self.session, RoundInvitee, RoundInvitee.round_id == round_.id, person_ids
        )
        added: list[UUID] = []
        for person_id in person_ids:
            invitee = existing.get(person_id)
            if invitee is None:
                self.session.add(
                    RoundInvitee(
                        round_id=round_.id,
                        person_id=person_id,
                        invited_organisation_id=invited_org.get(person_id),
                    )
                )
                added.append(person_id)
            elif invitee.invited_organisation_id is None:
                invitee.invited_organisation_id = invited_org.get(person_id)
        await self.session.flush()
        if is_open(round_):
            await self.session.run_sync(queue_openings, self.settings, round_id=round_.id)
        return added, [p for p in person_ids if p in existing]

    async def remove_invitee(self, round_id: UUID, person_id: UUID) -> None:
        """The person leaves the round: their links and reply addresses for it stop at once, mail
        about it not yet sent is not sent; their comments stay, under their name as before."""
        round_ = await self.get(round_id)
        removed = await self.session.execute(
            delete(RoundInvitee).where(
                RoundInvitee.round_id == round_.id, RoundInvitee.person_id == person_id
            )
        )  # its links go with it (ON DELETE CASCADE)
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"person {person_id} is not invited to comment round {round_id}")
        await revoke_reply_tokens(self.session, person_id, round_id=round_.id)

    async def close(self, round_id: UUID) -> CommentRound:
        """End the round now: it takes no more comments, and links read on as after any closing. A
        round that has not opened yet closes without ever opening."""
        round_ = await self.get(round_id)
        now = dt.datetime.now(dt.UTC)
        if round_.closes_at <= now:
            raise Conflict(f"the comment round has closed already, at {round_.closes_at.isoformat()}")
        round_.closes_at = now
        round_.opens_at = min(round_.opens_at, now)
        await self._retime_links(round_)
        await self.session.flush()
        return round_

    async def _retime_links(self, round_: CommentRound) -> None:
        """The round's links last until some days after its (new) closing time."""
        await self.session.execute(
            update(RoundLink)
            .where(
                RoundLink.invitee_id.in_(select(RoundInvitee.id).where(RoundInvitee.round_id == round_.id))
            )
            .values(expires_at=link_expiry(round_, self.settings))
        )

    async def update(self, round_id: UUID, patch: schemas.RoundPatch) -> CommentRound:
        round_ = await self.get(round_id)
        fields = patch_fields(patch)
        if "title" in fields:
            round_.title = fields["title"].strip()
        new_close: dt.datetime | None = fields.get("closes_at")
        if new_close is not None and new_close != round_.closes_at:
            await self._extend(round_, new_close)
        await self.session.flush()
        return round_

    async def _extend(self, round_: CommentRound, closes_at: dt.datetime) -> None:
        """A later deadline: links live longer and everyone already told about the round hears of it."""
        if closes_at < round_.closes_at:
            raise Invalid.field("closes_at", "the deadline can only be extended (moved later)")
        if closes_at <= dt.datetime.now(dt.UTC):
            raise Invalid.field("closes_at", "must be in the future")
        previous = round_.closes_at
        round_.closes_at = closes_at.astimezone(dt.UTC)
        await self._retime_links(round_)
        await self.session.run_sync(
            queue_to_invitees,
            self.settings,
            round_id=round_.id,
            kind=EmailKind.ROUND_EXTENDED,
            context={"previous_closes_at": previous.isoformat()},
        )

    async def draft(self, round_id: UUID) -> schemas.RoundDraft:
        """The round's version of the draft as a tree of sections, in draft order."""
        round_ = await self.get(round_id)
        version = await self.session.get(DocumentVersion, round_.document_version_id)
        assert version is not None  # the foreign key keeps the version
        found = await VersionService(self.session).get(version.document_id, version.number)
        return schemas.RoundDraft(
            round_id=round_.id,
            document_version_id=version.id,
            preamble=version.preamble,
            sections=section_tree(found.sections),
        )

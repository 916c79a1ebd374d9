"""Building questionnaires (versions editable while draft, frozen once opened), sending them to an
audience, and writing responses: drafts, submission, reopening, with optimistic concurrency and a
history of who changed what (one official response per organisation may have several authors)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consult.auth.service import normalise_email
from consult.auth.tokens import token_digest
from consult.crud import get_or_404, page_of, patch_fields, rows_by_person
from consult.directory.audience import expand_audience
from consult.directory.models import Organisation, Person
from consult.errors import Conflict, FieldError, Invalid, NotFound
from consult.events.models import Consultation
from consult.mail.models import EmailKind
from consult.mail.outbox import enqueue, mail_domain
from consult.pagination import PageParams
from consult.questionnaires import schemas, tally
from consult.questionnaires.definition import Checked, check_answers, check_definition, decode_definition
from consult.questionnaires.links import CONFIRMATION_LINK_PREFIX, link_expiry
from consult.questionnaires.mailing import queue_invitations
from consult.questionnaires.models import (
    ChangeAction,
    Mode,
    Questionnaire,
    QuestionnaireConfirmation,
    QuestionnaireInvitee,
    QuestionnaireLink,
    QuestionnaireResponse,
    QuestionnaireResponseChange,
    QuestionnaireStatus,
    QuestionnaireVersion,
    ResponseAttribution,
    ResponseStatus,
)
from consult.settings import Settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# A questionnaire runs for weeks; a closing time decades ahead is a typing mistake (and would
# overflow the links' expiry).
MAX_RUNNING = dt.timedelta(days=5 * 366)


def _check_closing(closes_at: dt.datetime, opens_at: dt.datetime | None) -> dt.datetime:
    closes_at = closes_at.astimezone(dt.UTC)
    now = _now()
    if closes_at <= max(now, opens_at or now):
        raise Invalid.field("closes_at", "must be in the future and after the opening")
    if closes_at > now + MAX_RUNNING:
        raise Invalid.field("closes_at", "must be within five years")
    return closes_at


def _check_email_confirmation(mode: Mode, on: bool) -> None:
    if on and mode is not Mode.OPEN:
        raise Invalid.field(
            "email_confirmation", "only an open questionnaire (mode open) confirms answers by email"
        )


def definition_document(definition: schemas.Definition) -> dict[str, Any]:
    """The definition checked beyond its shape, as stored."""
    errors = check_definition(definition)
    if errors:
        raise Invalid("the questionnaire's definition is not consistent", errors=errors)
    document: dict[str, Any] = msgspec.to_builtins(definition)
    return document


def takes_answers(questionnaire: Questionnaire, now: dt.datetime | None = None) -> bool:
    now = now or _now()
    return (
        questionnaire.status is QuestionnaireStatus.OPEN
        and questionnaire.opens_at is not None
        and questionnaire.closes_at is not None
        and questionnaire.opens_at <= now < questionnaire.closes_at
    )


@dataclass(frozen=True)
class CurrentDefinition:
    version_id: UUID
    definition: schemas.Definition


_FROZEN_DEFINITIONS: dict[UUID, schemas.Definition] = {}
_FROZEN_KEPT = 256  # versions per process; a few questionnaires run at a time


async def version_definition(session: AsyncSession, version_id: UUID) -> schemas.Definition:
    """A version's definition; a frozen one is read and decoded once per process."""
    cached = _FROZEN_DEFINITIONS.get(version_id)
    if cached is not None:
        return cached
    version = await get_or_404(session, QuestionnaireVersion, version_id, "version")
    definition = decode_definition(version.definition)
    if version.frozen_at is not None:
        if len(_FROZEN_DEFINITIONS) >= _FROZEN_KEPT:
            _FROZEN_DEFINITIONS.pop(next(iter(_FROZEN_DEFINITIONS)))
        _FROZEN_DEFINITIONS[version_id] = definition
    return definition


class QuestionnaireService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def get(self, questionnaire_id: UUID) -> Questionnaire:
        return await get_or_404(self.session, Questionnaire, questionnaire_id, "questionnaire")

    async def in_consultation(
        self, consultation_id: UUID, page: PageParams
    ) -> tuple[list[Questionnaire], int]:
        await get_or_404(self.session, Consultation, consultation_id, "consultation")
        stmt = (
            select(Questionnaire)
            .where(Questionnaire.consultation_id == consultation_id)
            .order_by(Questionnaire.created_at)
        )
        return await page_of(self.session, stmt, page)

    async def create(self, consultation_id: UUID, data: schemas.QuestionnaireCreate) -> Questionnaire:
        await get_or_404(self.session, Consultation, consultation_id, "consultation")
        document = definition_document(data.definition)
        _check_email_confirmation(data.mode, data.email_confirmation)
        questionnaire = Questionnaire(
            consultation_id=consultation_id,
            name=data.name.strip(),
            mode=data.mode,
            email_confirmation=data.email_confirmation,
        )
        if data.mode is Mode.OPEN:
            questionnaire.public_key = secrets.token_urlsafe(32)
        self.session.add(questionnaire)
        await self.session.flush()
        self.session.add(
            QuestionnaireVersion(questionnaire_id=questionnaire.id, number=1, definition=document)
        )
        await self.session.flush()
        return questionnaire

    async def versions(self, questionnaire_id: UUID) -> list[QuestionnaireVersion]:
        await self.get(questionnaire_id)
        rows = await self.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireVersion.number)
        )
        return list(rows.all())

    async def current_version(self, questionnaire_id: UUID) -> QuestionnaireVersion:
        version = await self.session.scalar(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireVersion.number.desc())
            .limit(1)
        )
        if version is None:
            raise NotFound(f"questionnaire {questionnaire_id} has no version")
        return version

    async def current_definition(self, questionnaire_id: UUID) -> CurrentDefinition:
        """The version new answers are given against, its definition decoded once per process when
        frozen (a frozen version never changes): submissions need it on every request."""
        version_id = await self.session.scalar(
            select(QuestionnaireVersion.id)
            .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireVersion.number.desc())
            .limit(1)
        )
        if version_id is None:
            raise NotFound(f"questionnaire {questionnaire_id} has no version")
        return CurrentDefinition(version_id, await version_definition(self.session, version_id))

    async def definition_for(
        self, questionnaire_id: UUID, response: QuestionnaireResponse | None
    ) -> schemas.Definition:
        """What a response is answered against: its own version, or the current one for a new one."""
        if response is not None:
            return await version_definition(self.session, response.version_id)
        return (await self.current_definition(questionnaire_id)).definition

    async def version_numbers(self, questionnaire_ids: list[UUID]) -> dict[UUID, int]:
        rows = await self.session.execute(
            select(QuestionnaireVersion.questionnaire_id, func.max(QuestionnaireVersion.number))
            .where(QuestionnaireVersion.questionnaire_id.in_(questionnaire_ids))
            .group_by(QuestionnaireVersion.questionnaire_id)
        )
        return dict(rows.tuples().all())

    async def revise(self, questionnaire_id: UUID, definition: schemas.Definition) -> QuestionnaireVersion:
        """A draft's definition is replaced in place; once opened, a change is a new version (frozen
        at once: it is what new answers are given against), and earlier answers keep theirs."""
        questionnaire = await self.get(questionnaire_id)
        document = definition_document(definition)
        current = await self.current_version(questionnaire_id)
        if questionnaire.status is QuestionnaireStatus.DRAFT:
            current.definition = document
            await self.session.flush()
            return current
        if questionnaire.status is QuestionnaireStatus.CLOSED:
            raise Conflict("the questionnaire is closed; a closed questionnaire takes no new version")
        version = QuestionnaireVersion(
            questionnaire_id=questionnaire.id,
            number=current.number + 1,
            definition=document,
            frozen_at=_now(),
        )
        self.session.add(version)
        await self.session.flush()
        return version

    async def update(self, questionnaire_id: UUID, patch: schemas.QuestionnairePatch) -> Questionnaire:
        questionnaire = await self.get(questionnaire_id)
        fields = patch_fields(patch)
        if "name" in fields:
            questionnaire.name = fields["name"].strip()
        if "email_confirmation" in fields:
            if questionnaire.status is not QuestionnaireStatus.DRAFT:
                raise Conflict(
                    f"the questionnaire is {questionnaire.status.value}: email confirmation is set while it is a draft"
                )
            _check_email_confirmation(questionnaire.mode, fields["email_confirmation"])
            questionnaire.email_confirmation = fields["email_confirmation"]
        if "closes_at" in fields:
            if questionnaire.status is not QuestionnaireStatus.OPEN:
                raise Conflict("only an open questionnaire has a closing time to move; send it first")
            questionnaire.closes_at = _check_closing(fields["closes_at"], questionnaire.opens_at)
            await self._retime_links(questionnaire)
        await self.session.flush()
        return questionnaire

    async def delete(self, questionnaire_id: UUID) -> None:
        questionnaire = await self.get(questionnaire_id)
        if questionnaire.status is not QuestionnaireStatus.DRAFT:
            raise Conflict("only a draft questionnaire can be deleted; close an open one instead")
        await self.session.delete(questionnaire)
        await self.session.flush()

    async def send(self, questionnaire_id: UUID, data: schemas.QuestionnaireSend) -> schemas.SendResult:
        """Open the questionnaire (its version freezes) and invite the audience; more people can be
        invited later the same way while it is open. Invitations go out once it opens."""
        questionnaire = await self.get(questionnaire_id)
        now = _now()
        if questionnaire.status is QuestionnaireStatus.CLOSED:
            raise Conflict("the questionnaire is closed")
        opens_at = (data.opens_at or now).astimezone(dt.UTC)
        if questionnaire.status is QuestionnaireStatus.OPEN and questionnaire.opens_at is not None:
            opens_at = questionnaire.opens_at  # already open: it keeps its opening time
        if opens_at > now + MAX_RUNNING:
            raise Invalid.field("opens_at", "must be within five years")
        closes_at = _check_closing(data.closes_at, opens_at)
        audience_named = bool(data.person_ids or data.group_ids or data.organisation_ids)
        if questionnaire.mode is Mode.OPEN and audience_named:
            raise Invalid.field("person_ids", "an open questionnaire is answered through its public link")
        if questionnaire.status is QuestionnaireStatus.DRAFT:
            questionnaire.status = QuestionnaireStatus.OPEN
            questionnaire.opens_at = opens_at
            version = await self.current_version(questionnaire.id)
            version.frozen_at = now
        if questionnaire.closes_at != closes_at:
            questionnaire.closes_at = closes_at
            await self._retime_links(questionnaire)
        added: list[UUID] = []
        already: list[UUID] = []
        if questionnaire.mode is not Mode.OPEN:
            added, already = await self._invite(questionnaire, data)
        await self.session.flush()
        if takes_answers(questionnaire, now):
            await self.session.run_sync(queue_invitations, self.settings, questionnaire_id=questionnaire.id)
        return schemas.SendResult(invited=added, already_invited=already)

    async def _invite(
        self, questionnaire: Questionnaire, audience: schemas.QuestionnaireSend
    ) -> tuple[list[UUID], list[UUID]]:
        person_ids = await expand_audience(self.session, audience)
        organisation_of = dict(
            (
                await self.session.execute(
                    select(Person.id, Person.organisation_id).where(Person.id.in_(person_ids))
                )
            )
            .tuples()
            .all()
        )
        existing = await rows_by_person(
            self.session,
            QuestionnaireInvitee,
            QuestionnaireInvitee.questionnaire_id == questionnaire.id,
            person_ids,
        )
        added = [p for p in person_ids if p not in existing]
        self.session.add_all(
            QuestionnaireInvitee(
                questionnaire_id=questionnaire.id, person_id=p, organisation_id=organisation_of.get(p)
            )
            for p in added
        )
        return added, [p for p in person_ids if p in existing]

    async def close(self, questionnaire_id: UUID) -> Questionnaire:
        questionnaire = await self.get(questionnaire_id)
        if questionnaire.status is not QuestionnaireStatus.OPEN:
            raise Conflict(f"the questionnaire is {questionnaire.status.value}, not open")
        now = _now()
        questionnaire.status = QuestionnaireStatus.CLOSED
        questionnaire.closes_at = min(questionnaire.closes_at or now, now)
        await self._retime_links(questionnaire)
        await self.session.flush()
        return questionnaire

    async def _retime_links(self, questionnaire: Questionnaire) -> None:
        await self.session.execute(
            update(QuestionnaireLink)
            .where(
                QuestionnaireLink.invitee_id.in_(
                    select(QuestionnaireInvitee.id).where(
                        QuestionnaireInvitee.questionnaire_id == questionnaire.id
                    )
                )
            )
            .values(expires_at=link_expiry(questionnaire, self.settings))
        )

    async def responses(
        self, questionnaire_id: UUID, page: PageParams, status: ResponseStatus | None = None
    ) -> tuple[list[QuestionnaireResponse], int]:
        await self.get(questionnaire_id)
        stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.questionnaire_id == questionnaire_id)
        if status is not None:
            stmt = stmt.where(QuestionnaireResponse.status == status)
        return await page_of(self.session, stmt.order_by(QuestionnaireResponse.id), page)

    async def changes(self, questionnaire_id: UUID, response_id: UUID) -> list[QuestionnaireResponseChange]:
        response = await get_or_404(self.session, QuestionnaireResponse, response_id, "response")
        if response.questionnaire_id != questionnaire_id:
            raise NotFound(f"response {response_id} does not exist")
        rows = await self.session.scalars(
            select(QuestionnaireResponseChange)
            .where(QuestionnaireResponseChange.response_id == response_id)
            .order_by(QuestionnaireResponseChange.created_at, QuestionnaireResponseChange.revision)
        )
        return list(rows.all())


@dataclass(frozen=True)
class Respondent:
    """Who answers through a personal link, and whose response they write: their organisation's in
    mode per_organisation (when they have one), else their own."""

    invitee: QuestionnaireInvitee
    organisation_id: UUID | None

    @property
    def shared(self) -> bool:
        return self.organisation_id is not None


class StaleRevision(Conflict):
    """A save based on an older revision than the stored one: someone else saved in between."""

    def __init__(self, response: QuestionnaireResponse) -> None:
        super().__init__(
            f"the response was changed by someone else (now at revision {response.revision}); "
            "reload it, merge your changes and save again",
        )
        self.response = response


class EmailProblem(enum.StrEnum):
    """What is wrong with the address an open questionnaire's respondent gives (the page words it)."""

    REQUIRED = "required"
    INVALID = "invalid"


class AnswersRefused(Invalid):
    """Answers that do not fit their questions, each problem by question key (the page words them),
    and what is wrong with the respondent's address, if one is asked for."""

    def __init__(self, checked: Checked, email_problem: EmailProblem | None = None) -> None:
        errors = checked.field_errors()
        if email_problem is not None:
            errors.append(FieldError("email", f"email {email_problem.value}"))
        super().__init__("some answers do not fit their questions", errors=errors)
        self.checked = checked
        self.email_problem = email_problem


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # counted now
    REPLACED = "replaced"  # counted now, and the address's earlier answer no longer is
    ALREADY = "already"  # confirmed before: nothing changes
    CLOSED = "closed"  # the questionnaire no longer takes answers: nothing counted


def address_digest(address: str, secret_key: str) -> str:
    """One digest per address whatever its case, keyed with the secret key: the stored digests do
    not give the addresses back by hashing a list of known ones."""
    message = b"questionnaire-address:" + address.lower().encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def confirmation_expiry(questionnaire: Questionnaire, settings: Settings, now: dt.datetime) -> dt.datetime:
    """A confirmation link works some days, and never past the questionnaire's closing."""
    expiry = now + dt.timedelta(days=settings.questionnaires.confirmation_days)
    return min(expiry, questionnaire.closes_at) if questionnaire.closes_at else expiry


def _checked_address(raw: str | None) -> tuple[str | None, EmailProblem | None]:
    if raw is None or not raw.strip():
        return None, EmailProblem.REQUIRED
    try:
        return normalise_email(raw), None
    except Invalid:
        return None, EmailProblem.INVALID


class ResponseService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def respondent(self, invitee: QuestionnaireInvitee, questionnaire: Questionnaire) -> Respondent:
        shared = questionnaire.mode is Mode.PER_ORGANISATION and invitee.organisation_id is not None
        return Respondent(invitee, invitee.organisation_id if shared else None)

    def _owned(self, questionnaire_id: UUID, respondent: Respondent) -> Any:
        stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.questionnaire_id == questionnaire_id)
        if respondent.shared:
            return stmt.where(
                QuestionnaireResponse.organisation_id == respondent.organisation_id,
                QuestionnaireResponse.person_id.is_(None),
            )
        return stmt.where(QuestionnaireResponse.person_id == respondent.invitee.person_id)

    async def find(
        self, questionnaire_id: UUID, respondent: Respondent, *, lock: bool = False
    ) -> QuestionnaireResponse | None:
        stmt = self._owned(questionnaire_id, respondent)
        if lock:
            # The row as it is once locked, not as this session read it earlier in the request.
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        result: QuestionnaireResponse | None = await self.session.scalar(stmt)
        return result

    async def save(
        self, questionnaire: Questionnaire, respondent: Respondent, data: schemas.ResponseSave
    ) -> QuestionnaireResponse:
        """Save the answers (a draft), or submit them (``data.submit``): everything checked first,
        nothing written when anything is refused."""
        if not takes_answers(questionnaire):
            raise Conflict("the questionnaire is not open for answers")
        response = await self.find(questionnaire.id, respondent, lock=True)
        person_id = respondent.invitee.person_id
        if response is None:
            if data.revision != 0:
                raise Conflict("the response this save was based on does not exist any more")
            current = await QuestionnaireService(self.session, self.settings).current_definition(
                questionnaire.id
            )
            definition = current.definition
            checked = check_answers(definition, data.answers, complete=data.submit)
            if checked.problems:
                raise AnswersRefused(checked)
            response = QuestionnaireResponse(
                questionnaire_id=questionnaire.id,
                version_id=current.version_id,
                organisation_id=respondent.organisation_id or respondent.invitee.organisation_id,
                person_id=None if respondent.shared else person_id,
                revision=0,
                answers={},
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(response)
                    await self.session.flush()
            except IntegrityError:
                # A colleague's first save landed at the same moment: theirs stands, this one is told.
                theirs = await self.find(questionnaire.id, respondent)
                if theirs is None:
                    raise
                raise StaleRevision(theirs) from None
        else:
            if response.revision != data.revision:
                raise StaleRevision(response)
            if response.status is ResponseStatus.SUBMITTED:
                raise Conflict("the response has been submitted already; reopen it to change it")
            definition = await version_definition(self.session, response.version_id)
            checked = check_answers(definition, data.answers, complete=data.submit)
            if checked.problems:
                raise AnswersRefused(checked)
        await self._write(response, definition, checked, data.attribution, person_id, data.submit)
        return response

    async def _write(
        self,
        response: QuestionnaireResponse,
        definition: schemas.Definition,
        checked: Checked,
        attribution: ResponseAttribution,
        person_id: UUID | None,
        submit: bool,
    ) -> None:
        before = response.answers or {}
        changed = sorted(
            k for k in set(before) | set(checked.answers) if before.get(k) != checked.answers.get(k)
        )
        response.answers = checked.answers
        response.attribution = attribution
        response.revision += 1
        if response.organisation_id is not None:
            organisation = await self.session.get(Organisation, response.organisation_id)
            if organisation is not None:
                response.organisation_kind = organisation.kind
                response.country = organisation.country
        if submit:
            response.status = ResponseStatus.SUBMITTED
            response.submitted_at = _now()
            response.submitted_by_id = person_id
        self.session.add(
            QuestionnaireResponseChange(
                response_id=response.id,
                person_id=person_id,
                action=ChangeAction.SUBMIT if submit else ChangeAction.SAVE,
                revision=response.revision,
                changed_keys=changed,
            )
        )
        await self.session.flush()
        if submit:
            await tally.count(self.session, response, definition, 1)

    async def reopen(
        self, questionnaire: Questionnaire, respondent: Respondent, revision: int
    ) -> QuestionnaireResponse:
        """A submitted response becomes a draft again, until the questionnaire closes."""
        if not takes_answers(questionnaire):
            raise Conflict("the questionnaire has closed; a submitted answer can no longer be reopened")
        response = await self.find(questionnaire.id, respondent, lock=True)
        if response is None or response.status is not ResponseStatus.SUBMITTED:
            raise Conflict("there is no submitted response to reopen")
        if response.revision != revision:
            raise StaleRevision(response)
        await tally.count(
            self.session, response, await version_definition(self.session, response.version_id), -1
        )
        response.status = ResponseStatus.DRAFT
        response.submitted_at = None
        response.submitted_by_id = None
        response.revision += 1
        self.session.add(
            QuestionnaireResponseChange(
                response_id=response.id,
                person_id=respondent.invitee.person_id,
                action=ChangeAction.REOPEN,
                revision=response.revision,
                changed_keys=[],
            )
        )
        await self.session.flush()
        return response

    async def submit_open(
        self,
        questionnaire: Questionnaire,
        current: CurrentDefinition,
        answers: dict[str, Any],
        attribution: ResponseAttribution,
        *,
        email: str | None = None,
        language: str = "en",
    ) -> QuestionnaireResponse:
        """An answer through the public link of an open questionnaire: complete, against ``current``
        (the version the form was read with). Submitted at once; or, when the questionnaire asks for
        email confirmation, kept unconfirmed (counted nowhere) and a confirmation link is emailed to
        ``email`` in ``language``."""
        if questionnaire.mode is not Mode.OPEN or not takes_answers(questionnaire):
            raise Conflict("the questionnaire is not open for answers")
        checked = check_answers(current.definition, answers, complete=True)
        address, email_problem = _checked_address(email) if questionnaire.email_confirmation else (None, None)
        if checked.problems or email_problem is not None:
            raise AnswersRefused(checked, email_problem)
        now = _now()
        confirming = address is not None
        response = QuestionnaireResponse(
            questionnaire_id=questionnaire.id,
            version_id=current.version_id,
            status=ResponseStatus.UNCONFIRMED if confirming else ResponseStatus.SUBMITTED,
            submitted_at=None if confirming else now,
            revision=1,
            attribution=attribution,
            answers=checked.answers,
        )
        self.session.add(response)
        await self.session.flush()
        if address is None:
            await tally.count(self.session, response, current.definition, 1)
            return response
        confirmation = QuestionnaireConfirmation(
            questionnaire_id=questionnaire.id,
            response_id=response.id,
            address_hash=address_digest(address, self.settings.app.secret_key),
            expires_at=confirmation_expiry(questionnaire, self.settings, now),
        )
        self.session.add(confirmation)
        await self.session.flush()
        enqueue(
            self.session,
            kind=EmailKind.QUESTIONNAIRE_CONFIRMATION,
            to_address=address,
            domain=mail_domain(self.settings.mail.from_address),
            context={
                "questionnaire_id": str(questionnaire.id),
                "confirmation_id": str(confirmation.id),
                "language": language,
            },
        )
        return response

    async def confirmation(
        self, questionnaire: Questionnaire, token: str
    ) -> QuestionnaireConfirmation | None:
        """The confirmation a link's token names; None when unknown, or expired while the
        questionnaire still takes answers (after closing, the page says it has closed)."""
        if not token.startswith(CONFIRMATION_LINK_PREFIX):
            return None
        row: QuestionnaireConfirmation | None = await self.session.scalar(
            select(QuestionnaireConfirmation).where(
                QuestionnaireConfirmation.token_hash == token_digest(token),
                QuestionnaireConfirmation.questionnaire_id == questionnaire.id,
            )
        )
        if row is None:
            return None
        if row.expires_at <= _now() and takes_answers(questionnaire):
            return None
        return row

    def outcome_shown(
        self, questionnaire: Questionnaire, row: QuestionnaireConfirmation
    ) -> ConfirmOutcome | None:
        """What the link's page says before anything is posted; None: it offers to confirm."""
        if row.confirmed_at is not None:
            return ConfirmOutcome.ALREADY
        if not takes_answers(questionnaire):
            return ConfirmOutcome.CLOSED
        return None

    async def confirm(self, questionnaire: Questionnaire, token: str) -> ConfirmOutcome | None:
        """Count the answer the link names (None: no such link), in one transaction: it becomes
        submitted and enters the results; an answer confirmed earlier from the same address is
        replaced (it stops counting). Confirming twice changes nothing."""
        found = await self.confirmation(questionnaire, token)
        if found is None:
            return None
        # Every confirmation of this address, locked in one order: two confirmations of one address
        # at the same moment queue here, and the second sees the first.
        rows = list(
            (
                await self.session.scalars(
                    select(QuestionnaireConfirmation)
                    .where(
                        QuestionnaireConfirmation.questionnaire_id == questionnaire.id,
                        QuestionnaireConfirmation.address_hash == found.address_hash,
                    )
                    .order_by(QuestionnaireConfirmation.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
            ).all()
        )
        shown = self.outcome_shown(questionnaire, found)
        if shown is not None:
            return shown
        now = _now()
        outcome = ConfirmOutcome.CONFIRMED
        for earlier in rows:
            if earlier.id == found.id or earlier.confirmed_at is None or earlier.replaced_at is not None:
                continue
            earlier.replaced_at = now
            replaced = await self._locked_response(earlier.response_id)
            if replaced is not None and replaced.status is ResponseStatus.SUBMITTED:
                definition = await version_definition(self.session, replaced.version_id)
                await tally.count(self.session, replaced, definition, -1)
                replaced.status = ResponseStatus.REPLACED
                replaced.revision += 1
                outcome = ConfirmOutcome.REPLACED
        await self.session.flush()  # the earlier one leaves the unique "counted" index first
        response = await self._locked_response(found.response_id)
        if response is None or response.status is not ResponseStatus.UNCONFIRMED:
            raise Conflict("the answer to confirm is gone")
        found.confirmed_at = now
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        response.revision += 1
        await self.session.flush()
        await tally.count(
            self.session, response, await version_definition(self.session, response.version_id), 1
        )
        return outcome

    async def _locked_response(self, response_id: UUID) -> QuestionnaireResponse | None:
        response: QuestionnaireResponse | None = await self.session.scalar(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.id == response_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return response

    async def open_questionnaire(self, public_key: str) -> Questionnaire:
        questionnaire = await self.session.scalar(
            select(Questionnaire).where(
                Questionnaire.public_key == public_key, Questionnaire.mode == Mode.OPEN
            )
        )
        if questionnaire is None or questionnaire.status is QuestionnaireStatus.DRAFT:
            raise NotFound("no such questionnaire")
        return questionnaire

    async def last_change(
        self, response: QuestionnaireResponse
    ) -> tuple[QuestionnaireResponseChange, str] | None:
        row = (
            await self.session.execute(
                select(QuestionnaireResponseChange, Person.full_name)
                .join(Person, Person.id == QuestionnaireResponseChange.person_id)
                .where(QuestionnaireResponseChange.response_id == response.id)
                .order_by(QuestionnaireResponseChange.revision.desc())
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

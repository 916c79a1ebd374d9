"""Request and response bodies of the questionnaire API, and the definition of a version.

A definition is checked in two steps: msgspec checks shapes, lengths and keys as it decodes, and
``definition.check_definition`` checks what msgspec cannot (unique keys, each kind's fields, a
``show_if`` that names an earlier choice question and its options).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.params import KwargDefinition
from msgspec import UNSET, Meta, Struct, UnsetType

from consult.crud import ModelOut
from consult.directory.models import Language, OrganisationKind
from consult.directory.schemas import Audience
from consult.questionnaires.models import (
    ChangeAction,
    Mode,
    QuestionnaireStatus,
    ResponseAttribution,
    ResponseStatus,
)
from consult.types import NOT_BLANK, AwareTime, Title

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
Key = Annotated[str, Meta(pattern=KEY_PATTERN, max_length=40, description="a stable key: a-z, 0-9, _ and -")]
# The same in a list: Litestar's OpenAPI reads a list item's limits from a KwargDefinition only.
ListedKey = Annotated[
    str,
    Meta(pattern=KEY_PATTERN, max_length=40),
    KwargDefinition(pattern=KEY_PATTERN, max_length=40),
]
Label = Annotated[str, Meta(min_length=1, max_length=2_000, pattern=NOT_BLANK)]
ANSWER_TEXT_MAX = 20_000
SHORT_ANSWER_MAX = 500
MAX_QUESTIONS = 300


class QuestionKind(enum.StrEnum):
    CHOICE = "choice"  # one option
    MULTIPLE = "multiple"  # any options, and "other, please specify" if allowed
    SCALE = "scale"  # a whole number from min to max, with labelled ends
    NUMBER = "number"  # any number, within bounds if given
    DATE = "date"
    TEXT = "text"  # one line
    LONG_TEXT = "long_text"
    MATRIX = "matrix"  # rows, each answered on one scale


class Texts(Struct, forbid_unknown_fields=True):
    """A text in every language of the site."""

    az: Label
    ru: Label
    en: Label
    fr: Label

    def get(self, language: str) -> str:
        return str(getattr(self, language, self.en))


class Option(Struct, forbid_unknown_fields=True):
    key: Key
    label: Texts


class ShowIf(Struct, forbid_unknown_fields=True):
    """Show the question only when the earlier question ``question`` was answered with one of ``options``."""

    question: Key
    options: Annotated[list[ListedKey], Meta(min_length=1, max_length=100)]


class Question(Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: Key
    kind: QuestionKind
    text: Texts
    help: Texts | None = None
    required: bool = False
    options: Annotated[list[Option], Meta(max_length=100)] = msgspec.field(default_factory=list)
    other: bool = False
    min: float | None = None
    max: float | None = None
    min_label: Texts | None = None
    max_label: Texts | None = None
    rows: Annotated[list[Option], Meta(max_length=100)] = msgspec.field(default_factory=list)
    show_if: ShowIf | None = None


class Section(Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: Key
    title: Texts
    questions: Annotated[list[Question], Meta(min_length=1, max_length=MAX_QUESTIONS)]
    intro: Texts | None = None


class Definition(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What a version asks: sections of questions, every text in az, ru, en and fr."""

    original_language: Language
    title: Texts
    sections: Annotated[list[Section], Meta(min_length=1, max_length=50)]
    intro: Texts | None = None


EMAIL_CONFIRMATION = (
    "mode open only: an answer counts once the respondent confirms it through a link emailed to "
    "them; one answer per address (a later confirmed answer replaces the earlier). Set while draft."
)


class QuestionnaireCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    name: Title
    mode: Mode
    definition: Definition
    email_confirmation: Annotated[bool, Meta(description=EMAIL_CONFIRMATION)] = False


class QuestionnairePatch(Struct, forbid_unknown_fields=True, kw_only=True):
    name: Title | UnsetType = UNSET
    closes_at: AwareTime | UnsetType = UNSET
    email_confirmation: Annotated[bool, Meta(description=EMAIL_CONFIRMATION)] | UnsetType = UNSET


class VersionCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """A new version (after opening) or the draft's definition replaced (before)."""

    definition: Definition


class QuestionnaireSend(Audience, forbid_unknown_fields=True, kw_only=True):
    """Open the questionnaire: from ``opens_at`` (now if absent) until ``closes_at``; the audience is
    emailed (modes per_organisation and per_person; mode open needs no audience)."""

    closes_at: AwareTime
    opens_at: AwareTime | None = None


class QuestionnaireOut(ModelOut):
    id: UUID
    consultation_id: UUID
    name: str
    mode: Mode
    status: QuestionnaireStatus
    current_version: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    public_url: str | None
    email_confirmation: Annotated[bool, Meta(description=EMAIL_CONFIRMATION)]
    created_at: dt.datetime
    updated_at: dt.datetime


class VersionOut(ModelOut):
    id: UUID
    questionnaire_id: UUID
    number: int
    frozen_at: dt.datetime | None
    definition: Definition
    created_at: dt.datetime


class SendResult(Struct):
    invited: list[UUID]
    already_invited: list[UUID]


AnswerMap = Annotated[dict[Key, Any], Meta(max_length=MAX_QUESTIONS)]


class ResponseSave(Struct, forbid_unknown_fields=True, kw_only=True):
    """Answers keyed by question key: choice → option key; multiple → {"options": [keys],
    "other": text}; scale and number → a number; date → "YYYY-MM-DD"; text → a string; matrix →
    {row key: value}. ``revision`` is the one the answers were based on (0 for a new response); a
    save based on an older one is refused with 409. ``submit`` submits after saving."""

    answers: AnswerMap
    revision: Annotated[int, Meta(ge=0)] = 0
    attribution: ResponseAttribution = ResponseAttribution.NAMED
    submit: bool = False


class ResponseOut(ModelOut):
    id: UUID
    questionnaire_id: UUID
    version_id: UUID
    organisation_id: UUID | None
    person_id: UUID | None
    organisation_kind: OrganisationKind | None
    country: str | None
    status: ResponseStatus
    submitted_at: dt.datetime | None
    submitted_by_id: UUID | None
    revision: int
    attribution: ResponseAttribution
    answers: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class ChangeOut(ModelOut):
    id: UUID
    person_id: UUID | None
    action: ChangeAction
    revision: int
    changed_keys: list[str]
    created_at: dt.datetime


class ReopenIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """The revision the reopening is based on (409 when someone changed the response since)."""

    revision: Annotated[int, Meta(ge=0)]


class RespondentView(Struct, kw_only=True):
    """What a personal questionnaire link shows its bearer: the questionnaire, the definition their
    response is answered against, and the response so far (None before the first save).
    ``organisation_id`` is set when the response is their organisation's official one."""

    questionnaire_id: UUID
    name: str
    mode: Mode
    status: QuestionnaireStatus
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    takes_answers: bool
    organisation_id: UUID | None
    definition: Definition
    response: ResponseOut | None

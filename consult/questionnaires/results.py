"""A questionnaire's results, computed in the database.

Only submitted responses count, and only those of one version: a questionnaire changed after answers
came in has results per version (``version``: by default the latest version that has submitted
responses), so an option's count never adds answers to two different questions.

Every count (choices, multiple choices, scales, matrix rows, dates, who answered what, per
organisation kind) comes from the rollup ``questionnaire_tally``, kept up to date in the transaction
of each submission and reopening (``consult.questionnaires.tally``), so it costs the same at a
million responses as at ten. Scale and matrix means and medians follow exactly from the counts per
value (a weighted median), and so do number questions' (counted per distinct value: a scan with
``percentile_cont`` over the answers took 4.7 s at a million responses). The free texts are read a
page at a time per question, in submission order (an index).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from msgspec import Struct
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from consult.crud import get_or_404
from consult.directory.models import Organisation, OrganisationKind, Person
from consult.errors import NotFound
from consult.questionnaires.definition import decode_definition, questions
from consult.questionnaires.models import (
    Mode,
    Questionnaire,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireTally,
    QuestionnaireVersion,
    ResponseAttribution,
    ResponseStatus,
)
from consult.questionnaires.schemas import Question, QuestionKind

TEXT_KINDS = (QuestionKind.TEXT, QuestionKind.LONG_TEXT)
TEXTS_PER_QUESTION = 100  # free-text answers listed per question; ``text_count`` says how many there are
NO_KIND = "none"  # the organisation kind of responses without an organisation (mode open, no org)


@dataclass(frozen=True)
class Filters:
    organisation_kind: OrganisationKind | None = None
    country: str | None = None

    def conditions(self, kind: Any, country: Any) -> list[ColumnElement[bool]]:
        """The filters on a table's organisation kind and country columns."""
        out: list[ColumnElement[bool]] = []
        if self.organisation_kind is not None:
            out.append(kind == self.organisation_kind.value)
        if self.country is not None:
            out.append(country == self.country.upper())
        return out


def submitted_responses(version: QuestionnaireVersion, filters: Filters) -> Select[Any]:
    """The submitted responses of one version after the filters, with the organisation's name and
    the person's (who wrote it, or who submitted the organisation's): for the texts and exports."""
    r = QuestionnaireResponse
    return (
        select(r)
        .outerjoin(Organisation, Organisation.id == r.organisation_id)
        .outerjoin(Person, Person.id == func.coalesce(r.person_id, r.submitted_by_id))
        .where(
            r.questionnaire_id == version.questionnaire_id,
            r.status == ResponseStatus.SUBMITTED,
            r.version_id == version.id,
            *filters.conditions(r.organisation_kind, r.country),
        )
        .order_by(r.submitted_at, r.id)
    )


class Count(Struct):
    key: str  # the option key, scale value, or date
    count: int
    by_kind: dict[str, int]  # organisation kind ("none": no organisation) -> count


class Stats(Struct):
    count: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None


class TextAnswer(Struct):
    text: str
    organisation: str | None  # per the respondent's attribution choice
    person: str | None
    submitted_at: dt.datetime | None


class MatrixRow(Struct):
    key: str
    stats: Stats
    counts: list[Count]


class QuestionResult(Struct):
    key: str
    kind: QuestionKind
    answered: int  # submitted responses that answer it
    counts: list[Count] | None = None  # choice, multiple (options), scale, date: per value
    stats: Stats | None = None  # scale, number
    rows: list[MatrixRow] | None = None  # matrix
    other_count: int | None = None  # multiple with "other": how many specified something else
    others: list[TextAnswer] | None = None
    text_count: int | None = None  # text, long_text
    texts: list[TextAnswer] | None = None


class Rate(Struct):
    kind: str
    invited: int
    responded: int
    rate: float | None


class Silent(Struct):
    id: UUID
    name: str
    kind: OrganisationKind
    country: str | None


class VersionCount(Struct):
    number: int
    responses: int  # submitted


class Results(Struct):
    questionnaire_id: UUID
    mode: Mode
    version: int
    versions: list[VersionCount]
    responses: int  # submitted responses of this version, after the filters
    questions: list[QuestionResult]
    # Invited organisations (per_organisation) or people (per_person) with a submitted response of
    # any version; none for mode open.
    response_rate: Rate | None
    response_rate_by_kind: list[Rate]
    not_answered: list[Silent]


def _stats_from_counts(counts: dict[float, int]) -> Stats:
    """Mean, median (the middle answer, or the mean of the two middle ones, as ``percentile_cont``
    gives it) and bounds of numeric answers from their counts per value."""
    total = sum(counts.values())
    if total == 0:
        return Stats(count=0, mean=None, median=None, min=None, max=None)
    values = sorted(counts)
    mean = sum(v * n for v, n in counts.items()) / total

    def at(position: int) -> float:  # the value at 0-based position in the sorted answers
        seen = 0
        for v in values:
            seen += counts[v]
            if position < seen:
                return v
        return values[-1]

    middle = (total - 1) / 2
    median = (at(int(middle)) + at(int(middle + 0.5))) / 2
    return Stats(count=total, mean=mean, median=median, min=values[0], max=values[-1])


def _number(value: str) -> float:
    return float(value)


def _value_key(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


class ResultsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version_of(
        self, questionnaire: Questionnaire, number: int | None
    ) -> tuple[QuestionnaireVersion, list[VersionCount]]:
        """The version asked for, else the latest with submitted responses, else the latest."""
        # Counted on the index (questionnaire_id, status, version_id) alone, then matched to versions.
        submitted = (
            select(QuestionnaireResponse.version_id, func.count().label("n"))
            .where(
                QuestionnaireResponse.questionnaire_id == questionnaire.id,
                QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
            )
            .group_by(QuestionnaireResponse.version_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(QuestionnaireVersion, func.coalesce(submitted.c.n, 0))
                .outerjoin(submitted, submitted.c.version_id == QuestionnaireVersion.id)
                .where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
                .order_by(QuestionnaireVersion.number)
            )
        ).all()
        counts = [VersionCount(number=v.number, responses=n) for v, n in rows]
        if number is not None:
            for version, _ in rows:
                if version.number == number:
                    return version, counts
            raise NotFound(f"questionnaire {questionnaire.id} has no version {number}")
        answered = [version for version, n in rows if n]
        return (answered or [version for version, _ in rows])[-1], counts

    async def results(
        self, questionnaire_id: UUID, version_number: int | None = None, filters: Filters | None = None
    ) -> Results:
        filters = filters or Filters()
        questionnaire = await get_or_404(self.session, Questionnaire, questionnaire_id, "questionnaire")
        version, versions = await self.version_of(questionnaire, version_number)
        definition = decode_definition(version.definition)
        all_questions = list(questions(definition))

        tally = await self._tally(version, filters)
        total = sum(tally.get(("", "*"), {}).get("", {}).values())
        answered = {
            key: sum(tally.get((key, "#"), {}).get("", {}).values()) for key in (q.key for q in all_questions)
        }
        texts = await self._texts(all_questions, version, filters)

        out = [self._question(q, answered.get(q.key, 0), tally, texts) for q in all_questions]
        rate, by_kind, silent = await self._rates(questionnaire, filters)
        return Results(
            questionnaire_id=questionnaire.id,
            mode=questionnaire.mode,
            version=version.number,
            versions=versions,
            responses=total,
            questions=out,
            response_rate=rate,
            response_rate_by_kind=by_kind,
            not_answered=silent,
        )

    async def _tally(
        self, version: QuestionnaireVersion, filters: Filters
    ) -> dict[tuple[str, str], dict[str, dict[str, int]]]:
        """(question, sub) -> value -> organisation kind -> count, where sub is a matrix row, "" for
        options, scale values and dates (value "" counts the "other" texts), or "#" for "answered";
        ("", "*") counts the responses. Read from the rollup kept at submission (``tally``), whose
        rows are already these cells per kind and country: a few thousand rows, whatever the
        number of responses."""
        t = QuestionnaireTally
        kind = func.coalesce(func.nullif(t.organisation_kind, ""), NO_KIND)
        cell = (t.question_key, t.row_key, t.value_key, kind)
        rows = await self.session.execute(
            select(*cell, func.sum(t.count))
            .where(
                t.questionnaire_id == version.questionnaire_id,
                t.version_id == version.id,
                *filters.conditions(t.organisation_kind, t.country),
            )
            .group_by(*cell)
        )
        tally: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for key, sub, value, kind_name, n in rows:
            if n:
                tally[(key, sub)][value][kind_name] = int(n)
        return tally

    async def _texts(
        self, all_questions: list[Question], version: QuestionnaireVersion, filters: Filters
    ) -> dict[str, list[TextAnswer]]:
        """The first free texts per question (oldest first), with who gave them per their
        attribution choice: the texts, and the "other" texts of multiple choices."""
        r = QuestionnaireResponse
        listed: dict[str, list[TextAnswer]] = {}
        for q in all_questions:
            if q.kind in TEXT_KINDS:
                given = r.answers[q.key].as_string()
            elif q.kind == QuestionKind.MULTIPLE and q.other:
                given = r.answers[(q.key, "other")].as_string()
            else:
                continue
            rows = await self.session.execute(
                submitted_responses(version, filters)
                .with_only_columns(
                    given,
                    case((r.attribution != ResponseAttribution.ANONYMOUS, Organisation.name)),
                    case((r.attribution == ResponseAttribution.NAMED, Person.full_name)),
                    r.submitted_at,
                )
                .where(func.coalesce(given, "") != "")
                .limit(TEXTS_PER_QUESTION)
            )
            listed[q.key] = [
                TextAnswer(text=text, organisation=organisation, person=person, submitted_at=submitted_at)
                for text, organisation, person, submitted_at in rows
            ]
        return listed

    def _question(
        self,
        q: Question,
        answered: int,
        tally: dict[tuple[str, str], dict[str, dict[str, int]]],
        texts: dict[str, list[TextAnswer]],
    ) -> QuestionResult:
        def counts_of(sub: str, order: list[str] | None) -> list[Count]:
            found = tally.get((q.key, sub), {})
            keys = order if order is not None else sorted(k for k in found if k != "")
            return [
                Count(
                    key=k,
                    count=sum(found.get(k, {}).values()),
                    by_kind=dict(sorted(found.get(k, {}).items())),
                )
                for k in keys
            ]

        result = QuestionResult(key=q.key, kind=q.kind, answered=answered)
        if q.kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE):
            result.counts = counts_of("", [o.key for o in q.options or []])
            if q.kind == QuestionKind.MULTIPLE and q.other:
                result.other_count = sum(tally.get((q.key, ""), {}).get("", {}).values())
                result.others = texts.get(q.key, [])
        elif q.kind == QuestionKind.SCALE:
            scale = self._scale_keys(q)
            result.counts = counts_of("", scale)
            result.stats = _stats_from_counts({_number(c.key): c.count for c in result.counts if c.count})
        elif q.kind == QuestionKind.MATRIX:
            scale = self._scale_keys(q)
            result.rows = []
            for row in q.rows or []:
                row_counts = counts_of(row.key, scale)
                stats = _stats_from_counts({_number(c.key): c.count for c in row_counts if c.count})
                result.rows.append(MatrixRow(key=row.key, stats=stats, counts=row_counts))
        elif q.kind == QuestionKind.NUMBER:
            found = tally.get((q.key, ""), {})
            result.stats = _stats_from_counts({_number(v): sum(by.values()) for v, by in found.items() if v})
        elif q.kind == QuestionKind.DATE:
            result.counts = counts_of("", None)
        else:
            result.texts = texts.get(q.key, [])
            result.text_count = answered
        return result

    @staticmethod
    def _scale_keys(q: Question) -> list[str]:
        low, high = int(q.min or 0), int(q.max or 0)
        return [_value_key(v) for v in range(low, high + 1)]

    async def _rates(
        self, questionnaire: Questionnaire, filters: Filters
    ) -> tuple[Rate | None, list[Rate], list[Silent]]:
        if questionnaire.mode == Mode.OPEN:
            return None, [], []
        per_organisation = questionnaire.mode == Mode.PER_ORGANISATION
        invitee = QuestionnaireInvitee
        # per_organisation: the organisation answers; per_person: each person does.
        unit = invitee.organisation_id if per_organisation else invitee.person_id
        response = QuestionnaireResponse
        answered_by = response.organisation_id if per_organisation else response.person_id
        submitted = (
            select(response.id)
            .where(
                response.questionnaire_id == questionnaire.id,
                response.status == ResponseStatus.SUBMITTED,
                answered_by == unit,
            )
            .exists()
        )
        kind = func.coalesce(Organisation.kind, NO_KIND)
        query = (
            select(
                kind,
                func.count(func.distinct(unit)),
                func.count(func.distinct(unit)).filter(submitted),
            )
            .select_from(invitee)
            .outerjoin(Organisation, Organisation.id == invitee.organisation_id)
            .where(invitee.questionnaire_id == questionnaire.id, unit.is_not(None))
            .group_by(kind)
            .order_by(kind)
        )
        if filters.organisation_kind is not None:
            query = query.where(Organisation.kind == filters.organisation_kind)
        if filters.country is not None:
            query = query.where(Organisation.country == filters.country.upper())
        by_kind = [
            Rate(kind=str(kind), invited=invited, responded=done, rate=done / invited if invited else None)
            for kind, invited, done in (await self.session.execute(query)).all()
        ]
        invited = sum(r.invited for r in by_kind)
        done = sum(r.responded for r in by_kind)
        overall = Rate(kind="all", invited=invited, responded=done, rate=done / invited if invited else None)

        org_submitted = (
            select(response.id)
            .where(
                response.questionnaire_id == questionnaire.id,
                response.status == ResponseStatus.SUBMITTED,
                response.organisation_id == Organisation.id,
            )
            .exists()
        )
        silent_query = (
            select(Organisation)
            .where(
                Organisation.id.in_(
                    select(invitee.organisation_id).where(invitee.questionnaire_id == questionnaire.id)
                ),
                ~org_submitted,
            )
            .order_by(Organisation.name)
        )
        if filters.organisation_kind is not None:
            silent_query = silent_query.where(Organisation.kind == filters.organisation_kind)
        if filters.country is not None:
            silent_query = silent_query.where(Organisation.country == filters.country.upper())
        silent = [
            Silent(id=o.id, name=o.name, kind=o.kind, country=o.country)
            for o in (await self.session.scalars(silent_query)).all()
        ]
        return overall, by_kind, silent

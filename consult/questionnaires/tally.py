"""The results' rollup: submitted responses counted per question, value, organisation kind and
country (``QuestionnaireTally``), so that results at a million responses read a few thousand rows.

A submission adds one to every cell its answers fall in, a reopening takes one away, in the same
transaction as the response's own change: the counts are never ahead of or behind the responses.
``rebuild`` recounts a questionnaire from its responses in one statement (bulk loads, repairs).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from consult.questionnaires.definition import decode_definition, questions
from consult.questionnaires.models import (
    TALLY_CELL,
    QuestionnaireResponse,
    QuestionnaireTally,
    QuestionnaireVersion,
)
from consult.questionnaires.schemas import Definition, QuestionKind

RESPONSES = ("", "*", "")  # the cell counting the responses themselves
ANSWERED = "#"  # row_key of the cells counting the responses answering a question
SINGLE_VALUED = (QuestionKind.CHOICE, QuestionKind.SCALE, QuestionKind.NUMBER, QuestionKind.DATE)

Cell = tuple[str, str, str]  # question key, row key, value key


def value_key(value: Any) -> str:
    """An answer's value as the rollup keys it: whole numbers as such ("3", not "3.0")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(int(value)) if value == int(value) else str(value)


def cells(definition: Definition, answers: dict[str, Any]) -> list[Cell]:
    """The cells one response's answers count in."""
    out: list[Cell] = [RESPONSES]
    for q in questions(definition):
        if q.key not in answers:
            continue
        answer = answers[q.key]
        out.append((q.key, ANSWERED, ""))
        if q.kind in SINGLE_VALUED:
            out.append((q.key, "", value_key(answer)))
        elif q.kind == QuestionKind.MULTIPLE and isinstance(answer, dict):
            out.extend((q.key, "", str(option)) for option in answer.get("options") or [])
            if answer.get("other"):
                out.append((q.key, "", ""))
        elif q.kind == QuestionKind.MATRIX and isinstance(answer, dict):
            out.extend((q.key, str(row), value_key(v)) for row, v in answer.items())
    return out


@functools.cache
def upsert(dialect: str) -> Insert:
    """The statement adding a row's ``count`` to its cell, for PostgreSQL or SQLite (``consult dev``);
    run with the rows of ``count_rows``, it is compiled and prepared once and reused."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(QuestionnaireTally)
    return statement.on_conflict_do_update(
        index_elements=list(TALLY_CELL),
        set_={
            "count": QuestionnaireTally.count + statement.excluded.count,
            "updated_at": statement.excluded.updated_at,
        },
    )


def count_rows(response: QuestionnaireResponse, definition: Definition, sign: int) -> list[dict[str, Any]]:
    """The cells of the response's answers with ``sign`` (1: submitted, -1: reopened) each.
    Sorted, so that two submissions touching the same cells lock them in the same order (no
    deadlock)."""
    kind = str(response.organisation_kind) if response.organisation_kind is not None else ""
    return [
        {
            "questionnaire_id": response.questionnaire_id,
            "version_id": response.version_id,
            "question_key": question,
            "row_key": row,
            "value_key": value,
            "organisation_kind": kind,
            "country": response.country or "",
            "count": sign * n,
        }
        for (question, row, value), n in sorted(Counter(cells(definition, response.answers or {})).items())
    ]


# On PostgreSQL the same upsert takes the cells as arrays: one statement with a dozen parameters
# instead of an executemany whose every row is bound column by column (a third of a submission's CPU).
_UNNEST_UPSERT = text(
    """
INSERT INTO questionnaire_tally (id, created_at, updated_at, questionnaire_id, version_id,
    question_key, row_key, value_key, organisation_kind, country, count)
SELECT gen_random_uuid(), now(), now(), :qid, :vid, c.q, c.r, c.v, :kind, :country, c.n
FROM unnest(CAST(:questions AS text[]), CAST(:rows AS text[]), CAST(:values AS text[]),
            CAST(:counts AS integer[])) WITH ORDINALITY AS c(q, r, v, n, i)
ORDER BY c.i
ON CONFLICT ON CONSTRAINT uq_questionnaire_tally_cell
DO UPDATE SET count = questionnaire_tally.count + excluded.count, updated_at = excluded.updated_at
"""
)


async def count(
    session: AsyncSession, response: QuestionnaireResponse, definition: Definition, sign: int
) -> None:
    """Add (``sign`` 1: submitted) or take away (-1: reopened) one response's answers."""
    connection = await session.connection()
    rows = count_rows(response, definition, sign)
    if connection.dialect.name != "postgresql":
        await connection.execute(upsert(connection.dialect.name), rows)
        return
    await connection.execute(
        _UNNEST_UPSERT,
        {
            "qid": response.questionnaire_id,
            "vid": response.version_id,
            "kind": rows[0]["organisation_kind"],
            "country": rows[0]["country"],
            **{name: [row[key] for row in rows] for name, key in _ARRAYS.items()},
        },
    )


_ARRAYS = {"questions": "question_key", "rows": "row_key", "values": "value_key", "counts": "count"}


# Every cell of every submitted response of one version, as ``cells`` gives them, counted at once.
_REBUILD = """
INSERT INTO questionnaire_tally (id, created_at, updated_at, questionnaire_id, version_id,
    question_key, row_key, value_key, organisation_kind, country, count)
SELECT gen_random_uuid(), now(), now(), :qid, :vid, c.q, c.r, c.v,
       coalesce(r.organisation_kind, ''), coalesce(r.country, ''), count(*)
FROM questionnaire_response r
CROSS JOIN LATERAL (
    SELECT '' AS q, '*' AS r, '' AS v
    UNION ALL SELECT a.key, '#', '' FROM jsonb_each(r.answers) a WHERE a.key = ANY(:all)
    UNION ALL SELECT a.key, '', a.value #>> '{}' FROM jsonb_each(r.answers) a WHERE a.key = ANY(:single)
    UNION ALL SELECT a.key, '', o FROM jsonb_each(r.answers) a
        CROSS JOIN LATERAL jsonb_array_elements_text(a.value -> 'options') o
        WHERE a.key = ANY(:multiple) AND jsonb_typeof(a.value -> 'options') = 'array'
    UNION ALL SELECT a.key, '', '' FROM jsonb_each(r.answers) a
        WHERE a.key = ANY(:multiple) AND coalesce(a.value ->> 'other', '') <> ''
    UNION ALL SELECT a.key, m.key, m.value #>> '{}' FROM jsonb_each(r.answers) a
        CROSS JOIN LATERAL jsonb_each(a.value) m
        WHERE a.key = ANY(:matrix) AND jsonb_typeof(a.value) = 'object'
) c
WHERE r.questionnaire_id = :qid AND r.status = 'submitted' AND r.version_id = :vid
GROUP BY c.q, c.r, c.v, 9, 10
"""


async def rebuild(session: AsyncSession, questionnaire_id: UUID) -> None:
    """Recount a questionnaire's rollup from its submitted responses (after a bulk load)."""
    await session.execute(
        delete(QuestionnaireTally).where(QuestionnaireTally.questionnaire_id == questionnaire_id)
    )
    versions = await session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
    )
    for version in versions.all():
        qs = list(questions(decode_definition(version.definition)))

        def keys(*kinds: QuestionKind) -> list[str]:
            return [q.key for q in qs if q.kind in kinds]  # noqa: B023 - used within this iteration

        await session.execute(
            text(_REBUILD),
            {
                "qid": questionnaire_id,
                "vid": version.id,
                "all": [q.key for q in qs],
                "single": keys(*SINGLE_VALUED),
                "multiple": keys(QuestionKind.MULTIPLE),
                "matrix": keys(QuestionKind.MATRIX),
            },
        )

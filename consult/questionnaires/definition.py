"""What msgspec cannot check in a definition, and every check of the answers given against one.

Pure functions over ``schemas.Definition``: the service, the API and the pages share them, so a
forged option key, a number out of bounds or a required question left empty is refused the same
way whether it came from a form or from JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from consult.errors import FieldError
from consult.questionnaires.schemas import (
    ANSWER_TEXT_MAX,
    SHORT_ANSWER_MAX,
    Definition,
    Question,
    QuestionKind,
)

CHOICES = (QuestionKind.CHOICE, QuestionKind.MULTIPLE)
SCALED = (QuestionKind.SCALE, QuestionKind.MATRIX)
MAX_SCALE_POINTS = 11  # 0-10 at most: a scale is read as points, not as a number line


def questions(definition: Definition) -> Iterator[Question]:
    for section in definition.sections:
        yield from section.questions


def decode_definition(document: dict[str, Any]) -> Definition:
    """A stored definition (already checked when it was written)."""
    return msgspec.convert(document, Definition)


def check_definition(definition: Definition) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[str, Question] = {}
    section_keys: set[str] = set()
    for s, section in enumerate(definition.sections):
        if section.key in section_keys:
            errors.append(FieldError(f"sections[{s}].key", f"section key {section.key!r} is used twice"))
        section_keys.add(section.key)
        for q, question in enumerate(section.questions):
            where = f"sections[{s}].questions[{q}]"
            if question.key in seen:
                errors.append(FieldError(f"{where}.key", f"question key {question.key!r} is used twice"))
            errors += [FieldError(f"{where}.{f}", reason) for f, reason in _question_errors(question, seen)]
            seen[question.key] = question
    return errors


def _question_errors(question: Question, earlier: dict[str, Question]) -> Iterator[tuple[str, str]]:
    kind = question.kind
    if kind in CHOICES:
        if len(question.options) < 2:
            yield "options", "a choice question needs at least two options"
    elif question.options:
        yield "options", f"a {kind} question has no options"
    if question.other and kind is not QuestionKind.MULTIPLE:
        yield "other", "only a multiple choice question takes an 'other, please specify' answer"
    for name, items in (("options", question.options), ("rows", question.rows)):
        keys = [item.key for item in items]
        if len(set(keys)) != len(keys):
            yield name, "keys must differ from each other"
    if kind is QuestionKind.MATRIX:
        if not question.rows:
            yield "rows", "a matrix question needs at least one row"
    elif question.rows:
        yield "rows", f"a {kind} question has no rows"
    if kind in SCALED:
        if question.min is None or question.max is None:
            yield "min", f"a {kind} question needs min and max"
        elif not (question.min.is_integer() and question.max.is_integer()):
            yield "min", "a scale runs between whole numbers"
        elif not 1 <= question.max - question.min < MAX_SCALE_POINTS:
            yield "max", f"a scale has from 2 to {MAX_SCALE_POINTS} points"
    elif kind is QuestionKind.NUMBER:
        if question.min is not None and question.max is not None and question.min > question.max:
            yield "max", "max is below min"
    elif question.min is not None or question.max is not None:
        yield "min", f"a {kind} question has no bounds"
    if (question.min_label or question.max_label) and kind not in SCALED:
        yield "min_label", "only scales have labelled ends"
    if question.show_if is not None:
        target = earlier.get(question.show_if.question)
        if target is None:
            yield "show_if.question", "names no earlier question"
        elif target.kind not in CHOICES:
            yield "show_if.question", "must name a single or multiple choice question"
        else:
            known = {option.key for option in target.options}
            for key in question.show_if.options:
                if key not in known:
                    yield "show_if.options", f"{key!r} is not an option of {target.key!r}"


class Problem(enum.StrEnum):
    """Why an answer is refused; the pages say it in the reader's language."""

    REQUIRED = "required"
    UNKNOWN_QUESTION = "unknown_question"
    UNKNOWN_OPTION = "unknown_option"
    NOT_A_NUMBER = "not_a_number"
    NOT_WHOLE = "not_whole"
    BELOW_MIN = "below_min"
    ABOVE_MAX = "above_max"
    NOT_A_DATE = "not_a_date"
    TOO_LONG = "too_long"
    NO_OTHER = "no_other"
    SHAPE = "shape"


REASONS = {
    Problem.REQUIRED: "an answer is required",
    Problem.UNKNOWN_QUESTION: "there is no such question",
    Problem.UNKNOWN_OPTION: "not one of the question's options",
    Problem.NOT_A_NUMBER: "not a number",
    Problem.NOT_WHOLE: "must be a whole number",
    Problem.BELOW_MIN: "below the minimum",
    Problem.ABOVE_MAX: "above the maximum",
    Problem.NOT_A_DATE: "not a date (YYYY-MM-DD)",
    Problem.TOO_LONG: "too long",
    Problem.NO_OTHER: "this question takes no 'other' answer",
    Problem.SHAPE: "not the shape this kind of question is answered with",
}


@dataclass
class Checked:
    """The answers kept (hidden questions' answers dropped) and what is wrong, by question key."""

    answers: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)

    def field_errors(self) -> list[FieldError]:
        return [FieldError(f"answers.{key}", REASONS[p]) for key, p in self.problems.items()]


def is_shown(question: Question, answers: dict[str, Any]) -> bool:
    """Whether the question applies, given the answers kept so far (earlier questions only)."""
    condition = question.show_if
    if condition is None:
        return True
    given = answers.get(condition.question)
    if isinstance(given, str):
        return given in condition.options
    if isinstance(given, dict):
        return any(key in condition.options for key in given.get("options", []))
    return False


def check_answers(definition: Definition, answers: dict[str, Any], *, complete: bool) -> Checked:
    """Check every answer against its question; ``complete`` (a submission) also requires the
    required questions that are shown. Answers to hidden questions are dropped, not refused."""
    checked = Checked()
    known = {q.key: q for q in questions(definition)}
    for key in answers:
        if key not in known:
            checked.problems[key] = Problem.UNKNOWN_QUESTION
    for question in known.values():
        if not is_shown(question, checked.answers):
            continue
        value = answers.get(question.key)
        if is_empty(value):
            if complete and question.required:
                checked.problems[question.key] = Problem.REQUIRED
            continue
        clean, problem = _check(question, value)
        if problem is not None:
            checked.problems[question.key] = problem
        elif complete and question.required and (is_empty(clean) or incomplete_matrix(question, clean)):
            checked.problems[question.key] = Problem.REQUIRED
        elif not is_empty(clean):
            checked.answers[question.key] = clean
    return checked


def is_empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict) and set(value) <= {"options", "other"}:
        return not value.get("options") and not (value.get("other") or "").strip()
    return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _bounded(question: Question, value: Any, *, whole: bool) -> tuple[Any, Problem | None]:
    number = _number(value)
    if number is None:
        return None, Problem.NOT_A_NUMBER
    if whole and not number.is_integer():
        return None, Problem.NOT_WHOLE
    if question.min is not None and number < question.min:
        return None, Problem.BELOW_MIN
    if question.max is not None and number > question.max:
        return None, Problem.ABOVE_MAX
    return (int(number) if number.is_integer() else number), None


def _text(value: Any, limit: int) -> tuple[Any, Problem | None]:
    if not isinstance(value, str) or "\x00" in value:  # PostgreSQL's JSON holds no NUL
        return None, Problem.SHAPE
    if len(value) > limit:
        return None, Problem.TOO_LONG
    return value.strip(), None


def _check(question: Question, value: Any) -> tuple[Any, Problem | None]:
    kind = question.kind
    options = {option.key for option in question.options}
    if kind is QuestionKind.CHOICE:
        if not isinstance(value, str):
            return None, Problem.SHAPE
        return (value, None) if value in options else (None, Problem.UNKNOWN_OPTION)
    if kind is QuestionKind.MULTIPLE:
        if not isinstance(value, dict) or not set(value) <= {"options", "other"}:
            return None, Problem.SHAPE
        chosen, other = value.get("options") or [], value.get("other")
        if not isinstance(chosen, list) or not all(isinstance(k, str) for k in chosen):
            return None, Problem.SHAPE
        if any(k not in options for k in chosen):
            return None, Problem.UNKNOWN_OPTION
        if other is not None and (not isinstance(other, str) or "\x00" in other):
            return None, Problem.SHAPE
        other = (other or "").strip() or None
        if other is not None and not question.other:
            return None, Problem.NO_OTHER
        if other is not None and len(other) > SHORT_ANSWER_MAX:
            return None, Problem.TOO_LONG
        ordered = [o.key for o in question.options if o.key in chosen]  # the question's order, once each
        return {"options": ordered, "other": other}, None
    if kind is QuestionKind.SCALE:
        return _bounded(question, value, whole=True)
    if kind is QuestionKind.NUMBER:
        return _bounded(question, value, whole=False)
    if kind is QuestionKind.DATE:
        if not isinstance(value, str):
            return None, Problem.NOT_A_DATE
        try:
            return dt.date.fromisoformat(value.strip()).isoformat(), None
        except ValueError:
            return None, Problem.NOT_A_DATE
    if kind is QuestionKind.TEXT:
        return _text(value, SHORT_ANSWER_MAX)
    if kind is QuestionKind.LONG_TEXT:
        return _text(value, ANSWER_TEXT_MAX)
    # matrix: each row on the scale; a submission needs every row of a required matrix
    if not isinstance(value, dict):
        return None, Problem.SHAPE
    rows = [row.key for row in question.rows]
    if any(k not in rows for k in value):
        return None, Problem.UNKNOWN_OPTION
    clean: dict[str, Any] = {}
    for row in rows:
        if value.get(row) in (None, ""):
            continue
        number, problem = _bounded(question, value[row], whole=True)
        if problem is not None:
            return None, problem
        clean[row] = number
    return clean, None


def incomplete_matrix(question: Question, value: Any) -> bool:
    return (
        question.kind is QuestionKind.MATRIX and isinstance(value, dict) and len(value) < len(question.rows)
    )

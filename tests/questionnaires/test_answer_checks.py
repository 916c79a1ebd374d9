"""Answer checks against a definition, as pure functions: each kind's shape, keys and bounds."""

from __future__ import annotations

import msgspec
import pytest

from consult.questionnaires.definition import Problem, check_answers
from consult.questionnaires.schemas import Definition
from tests.questionnaires.conftest import COMPLETE, definition

DEFINITION = msgspec.convert(definition(), Definition)


def problems(answers: dict, complete: bool = True) -> dict[str, Problem]:
    return check_answers(DEFINITION, answers, complete=complete).problems


def test_a_complete_answer_passes_and_is_kept_as_given():
    checked = check_answers(DEFINITION, COMPLETE, complete=True)
    assert checked.problems == {} and checked.answers == COMPLETE


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("q-services", "maybe", Problem.UNKNOWN_OPTION),
        ("q-services", ["yes"], Problem.SHAPE),
        ("q-gaps", {"options": ["staff", "forged"]}, Problem.UNKNOWN_OPTION),
        ("q-gaps", {"options": ["staff"], "other": "x" * 501}, Problem.TOO_LONG),
        ("q-gaps", {"options": ["staff"], "extra": 1}, Problem.SHAPE),
        ("q-readiness", 6, Problem.ABOVE_MAX),
        ("q-readiness", 0, Problem.BELOW_MIN),
        ("q-readiness", 2.5, Problem.NOT_WHOLE),
        ("q-readiness", True, Problem.NOT_A_NUMBER),
        ("q-staff", -1, Problem.BELOW_MIN),
        ("q-staff", "twelve", Problem.NOT_A_NUMBER),
        ("q-since", "2024-02-30", Problem.NOT_A_DATE),
        ("q-contact", "x" * 501, Problem.TOO_LONG),
        ("q-contact", "nul\x00", Problem.SHAPE),
        ("q-needs", "x" * 20_001, Problem.TOO_LONG),
        ("q-priorities", {"housing": 4, "jobs": 1}, Problem.ABOVE_MAX),
        ("q-priorities", {"housing": 1, "forged": 1}, Problem.UNKNOWN_OPTION),
        ("q-priorities", {"housing": 1}, Problem.REQUIRED),  # every row of a required matrix
        ("q-unknown", "x", Problem.UNKNOWN_QUESTION),
    ],
)
def test_each_wrong_answer_is_named(key, value, problem):
    assert problems({**COMPLETE, key: value}) == {key: problem}


def test_required_questions_only_on_submission_and_only_when_shown():
    assert problems({}, complete=False) == {}
    missing = problems({"q-services": "yes"})
    assert set(missing) == {"q-gaps", "q-readiness", "q-priorities"}
    # Answered "no": the follow-up is not asked, and an answer to it is dropped.
    checked = check_answers(DEFINITION, {**COMPLETE, "q-services": "no"}, complete=True)
    assert checked.problems == {} and "q-gaps" not in checked.answers

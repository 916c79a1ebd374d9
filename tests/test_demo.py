"""The demo data's questionnaire as the services would take it (loading it: tests/test_cli.py and
tests/test_dev_server.py)."""

# ruff: noqa: RUF001 - Cyrillic letters in the patterns

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec

from consult.demo import ASSESSMENT, ASSESSMENT_ANSWERS, QUESTIONNAIRE_ORGANISATIONS
from consult.questionnaires.definition import check_answers, check_definition, is_shown, questions
from consult.questionnaires.schemas import Definition, QuestionKind, Texts


def all_texts(node: Any) -> Iterator[Texts]:
    if isinstance(node, Texts):
        yield node
    elif isinstance(node, msgspec.Struct):
        for name in node.__struct_fields__:
            yield from all_texts(getattr(node, name))
    elif isinstance(node, list):
        for item in node:
            yield from all_texts(item)


def test_the_assessment_is_a_consistent_definition_with_every_kind_the_scenario_asks_for():
    # What the API does with a request body: decode (keys, lengths, bounds), then the checks beyond.
    assert msgspec.convert(msgspec.to_builtins(ASSESSMENT), Definition) == ASSESSMENT
    assert check_definition(ASSESSMENT) == []
    kinds = [question.kind for question in questions(ASSESSMENT)]
    assert set(kinds) == {
        QuestionKind.CHOICE,
        QuestionKind.MULTIPLE,
        QuestionKind.SCALE,
        QuestionKind.NUMBER,
        QuestionKind.LONG_TEXT,
        QuestionKind.MATRIX,
    }
    assert any(question.show_if is not None for question in questions(ASSESSMENT))
    assert any(question.other for question in questions(ASSESSMENT))


def test_every_text_is_translated_not_copied():
    texts = list(all_texts(ASSESSMENT))
    assert len(texts) >= 50  # every title, question, help, option, row and scale end
    for text in texts:
        assert len({text.az, text.ru, text.en, text.fr}) == 4, text
        assert re.search("[а-яё]", text.ru, re.IGNORECASE), text  # Russian in Cyrillic
        assert not re.search("[а-яё]", text.az, re.IGNORECASE), text  # Azerbaijani in Latin script


def test_the_demo_answers_fit_their_questions():
    assert set(ASSESSMENT_ANSWERS) <= set(QUESTIONNAIRE_ORGANISATIONS)
    for saves in ASSESSMENT_ANSWERS.values():
        for save in saves:
            checked = check_answers(ASSESSMENT, save.answers, complete=save.submit)
            assert checked.problems == {}
            assert checked.answers.keys() == save.answers.keys()  # nothing hidden dropped
    # The follow-up on staff is shown only when staff are assigned (fully or partly).
    staff_count = next(q for q in questions(ASSESSMENT) if q.key == "staff-count")
    assert [is_shown(staff_count, {"staff-assigned": a}) for a in ("yes", "partly", "no")] == [
        True,
        True,
        False,
    ]

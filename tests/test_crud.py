"""The one way a row becomes a response schema (crud.ModelOut) and a list becomes a page."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from consult.crud import ModelOut
from consult.pagination import Page, PageParams


class Labelled(ModelOut):
    id: int
    label: str
    shown_at: str


def test_a_schema_reads_its_fields_off_the_row_and_takes_the_computed_ones_by_keyword():
    row = SimpleNamespace(id=7, label="draft", shown_at="raw", unrelated=object())

    assert Labelled.from_model(row, shown_at="12:00") == Labelled(id=7, label="draft", shown_at="12:00")


def test_a_field_the_row_lacks_and_nobody_computes_is_an_error():
    with pytest.raises(AttributeError, match="shown_at"):
        Labelled.from_model(SimpleNamespace(id=7, label="draft"))


def test_a_keyword_the_schema_does_not_have_is_an_error():
    with pytest.raises(TypeError):
        Labelled.from_model(SimpleNamespace(id=7, label="draft"), shown_at="12:00", colour="red")


def test_a_page_carries_the_paging_it_was_asked_for():
    page = Page.of(["a", "b"], 12, PageParams(limit=2, offset=4))

    assert (page.items, page.total, page.limit, page.offset) == (["a", "b"], 12, 2, 4)

"""Every text a request body may carry has a maximum, written in the OpenAPI document and enforced
with a 422 that names the field: a body of megabytes is refused, never stored and sent to every reader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from consult.app import create_app
from consult.settings import get_settings
from consult.types import COMMENT_MAX_LENGTH
from tests.helpers import problem

# Strings whose length their format (or a fixed set of values) already bounds; an uploaded file is
# bounded by the request size limit of its route.
BOUNDED_FORMATS = {"uuid", "date-time", "date", "time", "binary"}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components[ref.rsplit("/", 1)[1]] if ref else schema


def unbounded_strings(
    schema: dict[str, Any],
    components: dict[str, Any],
    path: str,
    seen: frozenset[str] = frozenset(),
    bounded: bool = False,
) -> Iterator[str]:
    """The paths of the strings in ``schema`` that have no maxLength (nor enum nor bounded format).
    A maxLength beside a oneOf (as Litestar writes ``str | None``) bounds the strings among its options."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    schema = _resolve(schema, components)
    bounded = bounded or "maxLength" in schema
    for key in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(key, []):
            yield from unbounded_strings(option, components, path, seen, bounded)
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if (
        "string" in types
        and not bounded
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in BOUNDED_FORMATS
    ):
        yield path
    for name, field in schema.get("properties", {}).items():
        yield from unbounded_strings(field, components, f"{path}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from unbounded_strings(schema["items"], components, f"{path}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from unbounded_strings(schema["additionalProperties"], components, f"{path}{{}}", seen)


def request_body_strings_without_limit(document: dict[str, Any]) -> list[str]:
    components = document.get("components", {}).get("schemas", {})
    found = []
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for media_type, content in operation["requestBody"].get("content", {}).items():
                where = f"{method.upper()} {route} ({media_type})"
                found += unbounded_strings(content.get("schema", {}), components, where)
    return found


def test_every_text_of_every_request_body_has_a_maximum() -> None:
    document = create_app(get_settings()).openapi_schema.to_schema()
    assert request_body_strings_without_limit(document) == []


def test_the_check_finds_an_unbounded_string() -> None:
    """The check above can fail: a string without maxLength, however deep, is reported."""
    document = {
        "paths": {"/things": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Thing"}}}}}}},
        "components": {"schemas": {
            "Thing": {"type": "object", "properties": {
                "title": {"type": "string", "maxLength": 300},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "notes": {"oneOf": [{"type": "null"}, {"type": "string"}]},
                "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
            }},
        }},
    }  # fmt: skip
    assert request_body_strings_without_limit(document) == ["POST /things (application/json).notes"]


TOO_LONG = "x" * (COMMENT_MAX_LENGTH + 1)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/consultations", {"title": "Strategy", "description": TOO_LONG}),
        ("/api/v1/groups", {"name": "Working group", "description": TOO_LONG}),
    ],
)
def test_staff_descriptions_over_the_maximum_are_refused(api, path: str, body: dict[str, Any]) -> None:
    problem(api.post(path, json=body), 422, "description")
    ok = api.post(path, json={**body, "description": "x" * COMMENT_MAX_LENGTH})
    assert ok.status_code == 201, ok.text
    assert len(ok.json()["description"]) == COMMENT_MAX_LENGTH

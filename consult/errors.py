"""Domain errors and their RFC 9457 problem-details responses.

Every error body has the same shape: ``type``, ``title``, ``status``, ``detail``, ``instance`` and,
where fields are at fault, ``errors: [{"field": ..., "reason": ...}]``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from advanced_alchemy.exceptions import DuplicateKeyError, NotFoundError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from litestar.utils.scope.state import ScopeState
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class ConsultError(Exception):
    """A request the domain refuses; services raise these, the app turns them into problem details."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(ConsultError):
    status_code = 422
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, reason: str) -> Invalid:
        return cls(f"{field}: {reason}", errors=[FieldError(field, reason)])


class NotFound(ConsultError):
    status_code = 404
    title = "Not found"


class Conflict(ConsultError):
    status_code = 409
    title = "Conflict"


class Forbidden(ConsultError):
    status_code = 403
    title = "Forbidden"


class PayloadTooLarge(ConsultError):
    status_code = 413
    title = "Payload too large"


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in errors]
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _consult_error_handler(request: Request[Any, Any, Any], exc: ConsultError) -> Response[dict[str, Any]]:
    return problem_response(
        request, status=exc.status_code, title=exc.title, detail=exc.detail, errors=exc.errors
    )


_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")


def _validation_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar reports {message, key, source}, the key being the path to the object at fault
    ("data" for the body itself); msgspec names a missing or unknown field only in the message."""
    found: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", "invalid value"))
        key = item.get("key")
        parts = [str(key)] if key and key != "data" else []
        named = _NAMED_FIELD.search(message)
        if named:
            parts.append(named.group(1))
        found.append(FieldError(".".join(parts) or str(item.get("source") or "body"), message))
    return found


def _http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors) or exc.detail
        return problem_response(request, status=422, title="Invalid input", detail=detail, errors=errors)
    title = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}.get(
        exc.status_code, "Request error"
    )
    return problem_response(
        request, status=exc.status_code, title=title, detail=exc.detail, headers=exc.headers
    )


def _not_found_handler(request: Request[Any, Any, Any], exc: NotFoundError) -> Response[dict[str, Any]]:
    return problem_response(request, status=404, title="Not found", detail=str(exc.detail or exc))


def _duplicate_handler(request: Request[Any, Any, Any], exc: DuplicateKeyError) -> Response[dict[str, Any]]:
    return problem_response(request, status=409, title="Conflict", detail=str(exc.detail or exc))


# PostgreSQL's "data exception" class: a value sent with a statement that the database cannot take.
_DATA_EXCEPTION_CLASS = "22"
_CHARACTER_NOT_IN_REPERTOIRE = "22021"  # e.g. NUL (U+0000), which PostgreSQL text cannot hold
_NUL = "\x00"


def _sqlstate(exc: DBAPIError) -> str:
    orig = exc.orig
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def _fields_with_nul(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path or "body"] if _NUL in value else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _fields_with_nul(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list | tuple):
        return [f for i, v in enumerate(value) for f in _fields_with_nul(v, f"{path}[{i}]")]
    return []


def _nul_fields(request: Request[Any, Any, Any]) -> list[str]:
    """The query parameters and body fields (as already parsed for the handler) that carry a NUL."""
    found = [name for name, value in request.query_params.multi_items() if _NUL in value]
    state = ScopeState.from_scope(request.scope)
    for parsed in (state.json, state.form):
        if isinstance(parsed, dict | list):
            found += _fields_with_nul(dict(parsed) if isinstance(parsed, dict) else parsed, "")
    return found


def _data_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """A value the database refuses (text with NUL, a number out of range of its column, ...) is the
    client's input at fault, not a server error; the request's transaction has been rolled back."""
    sqlstate = _sqlstate(exc)
    if not sqlstate.startswith(_DATA_EXCEPTION_CLASS):
        return _unexpected_handler(request, exc)
    logger.warning("refused data on %s %s: %s", request.method, request.url.path, exc.orig)
    if sqlstate == _CHARACTER_NOT_IN_REPERTOIRE:
        reason = "text must not contain NUL (U+0000) characters"
        fields = _nul_fields(request)
        errors = [FieldError(f, reason) for f in fields]
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors) or reason
        return problem_response(request, status=422, title="Invalid input", detail=detail, errors=errors)
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        detail="a value is out of the range or format the database can store",
    )


def _unexpected_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        title="Internal server error",
        detail="The server could not complete the request; it has been logged.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ConsultError: _consult_error_handler,
    HTTPException: _http_error_handler,
    NotFoundError: _not_found_handler,
    DuplicateKeyError: _duplicate_handler,
    DBAPIError: _data_error_handler,
    Exception: _unexpected_handler,
}

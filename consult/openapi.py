"""The API contract: what the generated OpenAPI document cannot know from the handlers' signatures.

Litestar derives paths, parameters, bodies and success schemas. This module adds, in one place for
every route (the controllers stay as they are): the statuses each operation can answer with the one
problem-details schema (``consult.errors``), who may call it (from its guards) and with which
credential, the real media types of files, and a human summary and description per operation.
It also serves the documentation UI from the package's own files, so it works without internet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import swagger_ui
from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from consult.attendance.schemas import CheckInOut
from consult.auth.guards import StaffGuard
from consult.errors import PROBLEM_JSON
from consult.exports.models import ExportFormat
from consult.exports.schemas import ConsultationStats
from consult.exports.service import FORMATS
from consult.invitations.schemas import RsvpRecorded

SCHEMA_PATH = "/schema"
STATIC_PATH = f"{SCHEMA_PATH}/static"
_SWAGGER_FILES = Path(swagger_ui.__file__).parent / "static"

STAFF = "bearer"  # the name it had before the link token was documented: clients may use it
ROUND_LINK = "roundLink"
QUESTIONNAIRE_LINK = "questionnaireLink"
# Answered by the bearer of a personal questionnaire link only (consult.questionnaires.respondent_controller).
_RESPONDENT_PATH = "/api/v1/questionnaires/{questionnaire_id}/my-response"
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    STAFF: SecurityScheme(
        type="http",
        scheme="bearer",
        description="A staff token (`cst_…`, created with `consult token`); its role decides what it may do.",
    ),
    ROUND_LINK: SecurityScheme(
        type="http",
        scheme="bearer",
        description="The token of a stakeholder's personal round link (`csr_…`, the last part of the "
        "`/r/…` link in their invitation): their round, and their own comments, only.",
    ),
    QUESTIONNAIRE_LINK: SecurityScheme(
        type="http",
        scheme="bearer",
        description="The token of a personal questionnaire link (`csq_…`, the last part of the `/q/…` "
        "link in the email): that questionnaire, and the response the link answers, only.",
    ),
}

PROBLEM = "Problem"
_PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details: every error of this API has this shape.",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="The fields at fault, when there are any.",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "reason"],
                properties={
                    "field": Schema(type=OpenAPIType.STRING),
                    "reason": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
)

_PROBLEM_BODY = OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{PROBLEM}"))

_WHY = {
    400: "The body cannot be read (malformed JSON or form).",
    401: "No bearer token, or one that is unknown, expired or revoked.",
    403: "The token's role may not do this (or the token is a stakeholder's link).",
    404: "No such record, or one the caller may not see.",
    409: "The request conflicts with the record's state (a duplicate, a record in use, a round closed, "
    "an export not done).",
    413: "The body or the uploaded file is larger than the configured limit.",
    415: "The uploaded file is not of a type this operation reads.",
    422: "A field or query parameter is invalid; `errors` names each one.",
    429: "Too many requests from this address, link or token; try again after `Retry-After` seconds.",
}

_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
_TEXT = Schema(type=OpenAPIType.STRING)
_HTML = "text/html; charset=utf-8"

_PUBLIC_PAGES = ("/r/", "/rsvp/", "/unsubscribe/", "/p/", "/poll/", "/q/")
_RETRY_AFTER: dict[str, OpenAPIHeader | Reference] = {
    "Retry-After": OpenAPIHeader(description="Seconds to wait.", schema=Schema(type=OpenAPIType.INTEGER))
}
# Statuses the rules in _describe cannot see from the signature: a read refused in the record's state,
# a body that is not multipart yet has a required media type.
_ALSO_ANSWERS = {
    "ApiV1ExportsExportIdFileExportFile": [409],  # the job is not done yet
    "ApiV1InboundEmailReceive": [415],  # anything but message/rfc822
}


def _problem(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=_WHY[status],
        content={PROBLEM_JSON: _PROBLEM_BODY},
        headers=_RETRY_AFTER if status == 429 else None,
    )


def _files(description: str, *media_types: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={t: OpenAPIMediaType(schema=_file_schema(t)) for t in media_types},
    )


def _file_schema(media_type: str) -> Schema:
    if media_type == "application/json":  # the JSON export: the round, the comments, the summary
        return Schema(type=OpenAPIType.OBJECT)
    return _TEXT if media_type.startswith("text/") else _BINARY


def _export_media_types() -> list[str]:
    return [FORMATS[f].media_type for f in ExportFormat]


# Exports are downloaded under a name people recognise (the round's title and the day), not an id.
_NAMED_FILE: dict[str, OpenAPIHeader | Reference] = {
    "Content-Disposition": OpenAPIHeader(
        description="`attachment` with the file's name twice (RFC 6266): `filename*=UTF-8''...` and an ASCII "
        "`filename`, e.g. `First comment round comments 2027-03-15.xlsx` (in the language of `lang`).",
        schema=Schema(type=OpenAPIType.STRING),
    )
}


def _named_files(description: str, *media_types: str) -> OpenAPIResponse:
    response = _files(description, *media_types)
    response.headers = _NAMED_FILE
    return response


def _json_of(struct: type[msgspec.Struct]) -> OpenAPIMediaType:
    """A body Litestar cannot see (behind ``Response[bytes]``); its schema is added by describe_api."""
    return OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{struct.__name__}"))


def _staff_roles(guards: list[Callable[..., Any]]) -> list[str]:
    return [role.value for guard in guards if isinstance(guard, StaffGuard) for role in guard.roles]


def _either(words: list[str]) -> str:
    return " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]


def _who(route_path: str, roles: list[str]) -> str:
    if not route_path.startswith((*_PUBLIC_PAGES, "/api/")):
        return "Who may call: anyone; no token."
    if not route_path.startswith("/api/"):
        return "Who may call: anyone holding the link (the token in the path is the credential); no bearer token."
    if roles:
        return f"Who may call: staff with the role {_either(roles)}."
    if route_path.startswith(_RESPONDENT_PATH):
        return (
            "Who may call: an invitee, with the token of their personal questionnaire link (for that "
            "questionnaire and the response the link answers only); staff are refused."
        )
    return (
        "Who may call: staff with the role admin, organiser or facilitator, and a stakeholder with the "
        "token of their round link (for their own round and comments only)."
    )


def _describe(operation: Operation, method: str, path: str, guards: list[Callable[..., Any]]) -> None:
    # A route not in the table yet keeps Litestar's summary and its docstring; tests/test_openapi.py
    # names it, so the app still starts while the row is being written.
    roles = _staff_roles(guards)
    summary, description = OPERATIONS.get(operation.operation_id or "", (operation.summary, ""))
    operation.summary = summary
    docstring = operation.description
    operation.description = "\n\n".join(p for p in (description, docstring, _who(path, roles)) if p)

    on_api = path.startswith("/api/")
    if not on_api:
        operation.security = []
    elif roles:
        operation.security = [{STAFF: []}]
    elif path.startswith(_RESPONDENT_PATH):
        operation.security = [{QUESTIONNAIRE_LINK: []}]
    else:
        operation.security = [{STAFF: []}, {ROUND_LINK: []}]

    responses = operation.responses if operation.responses is not None else {}
    operation.responses = responses
    responses.pop("400", None)  # Litestar's own {status_code, detail, extra}: ours are problems
    body = operation.request_body
    body_types = list(body.content) if body is not None and not isinstance(body, Reference) else []
    has_query = any(
        getattr(p, "param_in", None) == "query"
        for p in operation.parameters or []
        if not isinstance(p, Reference)
    )
    has_path_ids = "{" in path
    statuses: list[int] = []
    if body_types or method in ("post", "put", "patch"):
        statuses += [400, 413]
    if on_api:
        statuses += [401, 403]
    if has_path_ids:
        statuses.append(404)
    if on_api and method in ("post", "put", "patch", "delete"):
        statuses.append(409)
    if "multipart/form-data" in body_types:
        statuses.append(415)
    if body_types or has_query or method in ("post", "put", "patch"):
        statuses.append(422)
    if on_api or path.startswith(_PUBLIC_PAGES):  # the rate limits (consult/web/ratelimit.py)
        statuses.append(429)
    for status in statuses + _ALSO_ANSWERS.get(operation.operation_id or "", []):
        responses.setdefault(str(status), _problem(status))
    if any(path.startswith(p) for p in _PUBLIC_PAGES):
        # A browser gets the page; a program (or a path that matches no route) the problem.
        responses["404"] = OpenAPIResponse(
            description="The link is unknown or has expired: a page saying so, or a problem.",
            content={_HTML: OpenAPIMediaType(schema=_TEXT), PROBLEM_JSON: _PROBLEM_BODY},
        )
    _fix_media_types(operation.operation_id or "", responses)


def _fix_media_types(operation_id: str, responses: dict[str, OpenAPIResponse | Reference]) -> None:
    """Files and pages, which Litestar cannot see behind ``Response[bytes]`` or ``File``."""
    xlsx = FORMATS[ExportFormat.XLSX].media_type
    if operation_id == "ApiV1ConsultationsConsultationIdStatsConsultationStats":
        responses["200"] = OpenAPIResponse(
            description="The statistics as JSON, or with `?format=xlsx` as a workbook.",
            content={"application/json": _json_of(ConsultationStats), xlsx: OpenAPIMediaType(schema=_BINARY)},
            headers=_NAMED_FILE,
        )
    elif operation_id == "ApiV1ConsultationsConsultationIdStatsXlsxConsultationStatsXlsx":
        responses["200"] = _named_files("The statistics as a workbook.", xlsx)
    elif operation_id in ("ApiV1RoundsRoundIdExportExportRound", "ApiV1ExportsExportIdFileExportFile"):
        responses["200"] = _named_files("The file in the format asked for.", *_export_media_types())
    elif operation_id == "ApiV1QuestionnairesQuestionnaireIdExportExportQuestionnaire":
        responses["200"] = _named_files(
            "The responses in the format asked for.", xlsx, "text/csv; charset=utf-8", "application/json"
        )
    elif operation_id == "RTokenDraftDocxDraft":
        responses["200"] = _named_files(
            "The draft as a Word document, without comments.", FORMATS[ExportFormat.ANNOTATED_DOCX].media_type
        )
    elif operation_id == "PTokenCalendarIcsCalendar":
        responses["200"] = _files("The person's events as a calendar feed.", "text/calendar; charset=utf-8")
    elif operation_id == "ApiV1EventsEventIdCalendarIcsCalendarFile":
        responses["200"] = _files("The event as an iCalendar file.", "text/calendar; charset=utf-8")
    elif operation_id == "ApiV1AttachmentsAttachmentIdDownload":
        responses["200"] = _files("The attached file, as a download.", "application/octet-stream")
    elif operation_id == "PollTokenAnswer":
        responses["303"] = OpenAPIResponse(description="Recorded (or the poll has closed): back to the page.")
        responses["422"] = _files("A slot was left unanswered: the page again, saying which.", _HTML)
    elif operation_id == "RTokenWordFeedbackUpload":
        responses["303"] = OpenAPIResponse(description="Imported: to the page of what the file became.")
        for status in ("409", "413", "422"):
            responses[status] = _files("The file was refused: a page saying why.", _HTML)
    elif operation_id == "RTokenCommentsComment":
        responses["303"] = OpenAPIResponse(description="Written: back to the round page.")
        responses["422"] = _files("The form is invalid: the page again, saying why.", _HTML)
        responses["409"] = _files("The round is not open: the page again, saying so.", _HTML)
    elif operation_id in ("QTokenAnswer", "QOpenPublicKeyAnswerOpen"):
        responses["303"] = OpenAPIResponse(description="Saved or submitted: to the page or the thanks page.")
        responses["422"] = _files("Answers (or the address) refused: the page again, saying which.", _HTML)
        responses["409"] = _files(
            "Not taking answers, or changed meanwhile: the page again, saying so.", _HTML
        )
    elif operation_id == "QOpenPublicKeyConfirmTokenConfirmOpen":
        responses["200"] = _files("Confirmed (now, or before): a page saying so.", _HTML)
        responses["409"] = _files("The questionnaire has closed: a page saying nothing was counted.", _HTML)
    elif operation_id == "RsvpTokenAnswer":
        responses["200"] = OpenAPIResponse(
            description="The answer, recorded: JSON for a JSON request, the page for a form.",
            content={"application/json": _json_of(RsvpRecorded), _HTML: OpenAPIMediaType(schema=_TEXT)},
        )
        responses["404"] = OpenAPIResponse(
            description="The link is unknown or has expired: a problem for JSON, a page for a form.",
            content={PROBLEM_JSON: _PROBLEM_BODY, _HTML: OpenAPIMediaType(schema=_TEXT)},
        )
    elif operation_id == "ApiV1EventsEventIdCheckInCheckIn":
        responses["200"] = OpenAPIResponse(
            description="Already checked in: the first check-in's time, nothing recorded again.",
            content={"application/json": _json_of(CheckInOut)},
        )
    elif operation_id == "HealthHealth":
        responses["503"] = OpenAPIResponse(
            description="The database or the broker does not answer; the same report says which.",
            content={"application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT))},
        )


def describe_api(app: Litestar) -> None:
    """Completes the app's OpenAPI document (built once, here; the schema routes serve this one)."""
    document = app.openapi_schema
    components = document.components if isinstance(document.components, Components) else Components()
    document.components = components
    components.security_schemes = dict(SECURITY_SCHEMES)
    components.schemas[PROBLEM] = _PROBLEM_SCHEMA
    _, unseen = msgspec.json.schema_components(
        [ConsultationStats, RsvpRecorded], ref_template="#/components/schemas/{name}"
    )
    for name, schema in unseen.items():
        components.schemas.setdefault(name, schema)  # JSON Schema as a dict, which to_schema() keeps
    document.security = None
    paths = document.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        item = paths[route.path_format]
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            guards = list(handler.resolve_guards())
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    _describe(operation, method.lower(), route.path_format, guards)


def docs_router() -> Router:
    """swagger-ui's files from the swagger-ui-py package (swagger-ui 5, which reads OpenAPI 3.1)."""
    return create_static_files_router(
        path=STATIC_PATH, directories=[_SWAGGER_FILES], include_in_schema=False, send_as_attachment=False
    )


def openapi_config() -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
        css_url=f"{STATIC_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui-standalone-preset.js",
        path="/swagger",
    )
    return OpenAPIConfig(
        title="consult",
        version="1",
        description="Stakeholder directory, events, invitations and comment rounds of a consultation. "
        "Errors are RFC 9457 problem details (`application/problem+json`).",
        path=SCHEMA_PATH,
        render_plugins=[swagger],
    )


# Summary and description of every operation, by the operation id Litestar gives it (who may call it
# is added from the guards). tests/test_openapi.py fails for a route missing here.
OPERATIONS: dict[str, tuple[str, str]] = {
    "HealthHealth": (
        "Health check",
        "Whether the database and the broker answer; for probes and load balancers.",
    ),
    # directory
    "ApiV1OrganisationsListOrganisations": (
        "List organisations",
        "A page of organisations by name; `q` searches the name, `kind` filters by kind.",
    ),
    "ApiV1OrganisationsCreateOrganisation": (
        "Create an organisation",
        "Adds an organisation to the directory.",
    ),
    "ApiV1OrganisationsOrganisationIdGetOrganisation": ("Get an organisation", "One organisation by id."),
    "ApiV1OrganisationsOrganisationIdUpdateOrganisation": (
        "Update an organisation",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1OrganisationsOrganisationIdDeleteOrganisation": (
        "Delete an organisation",
        "Removes an organisation; its people stay in the directory without one.",
    ),
    "ApiV1PeopleListPeople": (
        "List people",
        "A page of the directory; `q` searches names and addresses, filters by organisation, group and "
        "language narrow it.",
    ),
    "ApiV1PeopleCreatePerson": ("Add a person", "Adds a person to the directory; the address must be new."),
    "ApiV1PeopleImportImportPeople": (
        "Import people from a file",
        "Creates or updates people from a CSV or XLSX upload; with `dry_run` it only reports what it would do.",
    ),
    "ApiV1PeoplePersonIdGetPerson": ("Get a person", "One directory entry by id."),
    "ApiV1PeoplePersonIdUpdatePerson": (
        "Update a person",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1PeoplePersonIdDeletePerson": (
        "Delete a person",
        "Removes a directory entry; refused (409) while the person is part of an event or a round.",
    ),
    "ApiV1PeoplePersonIdMailStatusMailStatus": (
        "A person's mail status",
        "Whether the person unsubscribed and whether mail to them bounced.",
    ),
    "ApiV1PeoplePersonIdClearBounceClearBounce": (
        "Clear a bounce",
        "Lets mail go to the person again after their address bounced.",
    ),
    "ApiV1GroupsListGroups": ("List groups", "A page of stakeholder groups by name; `q` searches the name."),
    "ApiV1GroupsCreateGroup": (
        "Create a group",
        "Adds a stakeholder group, used to invite many people at once.",
    ),
    "ApiV1GroupsGroupIdGetGroup": ("Get a group", "One group by id."),
    "ApiV1GroupsGroupIdUpdateGroup": (
        "Update a group",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1GroupsGroupIdDeleteGroup": (
        "Delete a group",
        "Removes a group; its members stay in the directory.",
    ),
    "ApiV1GroupsGroupIdMembersListMembers": ("List a group's members", "A page of the people in the group."),
    "ApiV1GroupsGroupIdMembersAddMembers": ("Add members", "Adds the people listed to the group."),
    "ApiV1GroupsGroupIdMembersReplaceMembers": (
        "Replace the members",
        "The group's members become exactly the people listed.",
    ),
    "ApiV1GroupsGroupIdMembersPersonIdRemoveMember": (
        "Remove a member",
        "Takes one person out of the group.",
    ),
    # events
    "ApiV1ConsultationsListConsultations": ("List consultations", "A page of consultations."),
    "ApiV1ConsultationsCreateConsultation": (
        "Create a consultation",
        "A consultation groups the events, drafts and comment rounds of one policy.",
    ),
    "ApiV1ConsultationsConsultationIdGetConsultation": ("Get a consultation", "One consultation by id."),
    "ApiV1ConsultationsConsultationIdUpdateConsultation": (
        "Update a consultation",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1ConsultationsConsultationIdDeleteConsultation": (
        "Delete a consultation",
        "Removes a consultation; refused (409) while it still has events or drafts.",
    ),
    "ApiV1EventsListEvents": (
        "List events",
        "A page of events, soonest first; filter by consultation, kind, status and a time window.",
    ),
    "ApiV1EventsCreateEvent": (
        "Create an event",
        "Schedules a meeting, in person or online, in its own time zone.",
    ),
    "ApiV1EventsEventIdGetEvent": ("Get an event", "One event by id."),
    "ApiV1EventsEventIdUpdateEvent": (
        "Update an event",
        "Changes the fields sent; a new time or place sends every invitee an updated invitation.",
    ),
    "ApiV1EventsEventIdDeleteEvent": ("Delete an event", "Removes an event that has no invitations yet."),
    "ApiV1EventsEventIdCancelCancelEvent": (
        "Cancel an event",
        "Marks the event cancelled and sends every invitee a cancellation with the reason given.",
    ),
    # minutes
    "ApiV1EventsEventIdMinutesRecordMinutes": (
        "Record the minutes of an event",
        "Each point said at the event (by an organisation, a person, or a person for their organisation; "
        "a comment, question or amendment; on a section or the whole draft) joins the comment round "
        "chosen as a comment with source `round_table` and the event, answered like any comment. The "
        "round may have closed. All the points are recorded, or none.",
    ),
    "ApiV1EventsEventIdMinutesGetMinutes": (
        "Get the minutes of an event",
        "The points recorded for the event, as comments (withdrawn ones marked), with the source label "
        'the matrix and exports show ("round table, 8 April 2027").',
    ),
    "ApiV1EventsEventIdMinutesCommentIdCorrectPoint": (
        "Correct a point of the minutes",
        "Changes its text, kind or proposed text; the earlier text is kept in the comment's history.",
    ),
    "ApiV1EventsEventIdMinutesCommentIdWithdrawWithdrawPoint": (
        "Withdraw a point of the minutes",
        "Takes a point recorded by mistake out of the round's comments and exports; kept for the record.",
    ),
    # invitations
    "ApiV1EventsEventIdInvitationsInvite": (
        "Invite people",
        "Invites the people and groups listed; the invitations (with a calendar entry) are sent by the worker.",
    ),
    "ApiV1EventsEventIdInvitationsListInvitations": (
        "List invitations",
        "A page of the event's invitations with each answer; filter by answer.",
    ),
    "ApiV1EventsEventIdInvitationsInvitationIdUninvite": (
        "Withdraw an invitation",
        "Removes the invitation and sends the person a cancellation.",
    ),
    "ApiV1EventsEventIdCalendarIcsCalendarFile": (
        "Download the event's calendar file",
        "An iCalendar (.ics) file.",
    ),
    # scheduling polls
    "ApiV1ConsultationsConsultationIdSchedulingPollsCreatePoll": (
        "Create a scheduling poll",
        "Candidate times for a future event, the event's settings and an audience (people, groups, "
        "organisations, as invitations take them); each invitee gets an email with a personal link to "
        "answer yes, if need be or no per time. Slots in the past or overlapping are refused.",
    ),
    "ApiV1ConsultationsConsultationIdSchedulingPollsListPolls": (
        "List scheduling polls",
        "A page of the consultation's scheduling polls, the newest first, with their state and event.",
    ),
    "ApiV1SchedulingPollsPollIdGetPoll": (
        "Scheduling poll and its tally",
        "Per slot: the counts per answer, the organisations that can attend by kind, and the required "
        "organisations that cannot (or have not answered); the best slots first.",
    ),
    "ApiV1SchedulingPollsPollIdDecideDecide": (
        "Decide a scheduling poll",
        "Creates the event at the chosen slot with the poll's settings, invites everyone the poll asked "
        "(invitations with calendar entries, as usual), closes the poll and tells those who answered. "
        "Once only: a decided poll answers 409.",
    ),
    "PollTokenShow": (
        "Scheduling poll page",
        "The page behind a poll link: every proposed time in the event's and the reader's time zone, "
        "with a form to answer each.",
    ),
    "PollTokenAnswer": (
        "Answer a scheduling poll",
        "The poll page's form: one answer (yes, if_need_be, no) per slot, named by the slot's id; "
        "answers 303 back to the page.",
    ),
    "RsvpTokenShow": (
        "RSVP page",
        "The page behind the RSVP link of an invitation email; `answer` preselects one.",
    ),
    "RsvpTokenAnswer": (
        "Answer an invitation",
        "Records accepted, declined or tentative, sent as JSON or as the page's form.",
    ),
    # drafts
    "ApiV1DocumentsListDocuments": ("List draft documents", "A page of drafts; filter by consultation."),
    "ApiV1DocumentsCreateDocument": (
        "Create a draft document",
        "A document whose versions are uploaded next.",
    ),
    "ApiV1DocumentsDocumentIdGetDocument": ("Get a draft document", "One document with its versions."),
    "ApiV1DocumentsDocumentIdUpdateDocument": (
        "Update a draft document",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1DocumentsDocumentIdDeleteDocument": (
        "Delete a draft document",
        "Removes a document; refused (409) while a comment round uses one of its versions.",
    ),
    "ApiV1DocumentsDocumentIdVersionsUploadVersion": (
        "Upload a version",
        "The next version of the draft, from a Word (.docx) or Markdown file, split into sections.",
    ),
    "ApiV1DocumentsDocumentIdVersionsNumberGetVersion": ("Get a version", "One version with its sections."),
    "ApiV1DocumentsDocumentIdVersionsNumberDiffDiffVersions": (
        "Compare two versions",
        "What changed between this version and the one named by `against`.",
    ),
    # rounds
    "ApiV1RoundsListRounds": (
        "List comment rounds",
        "A page of comment rounds; filter by consultation and state.",
    ),
    "ApiV1RoundsCreateRound": (
        "Open a comment round",
        "A round on one draft version for the people and groups listed, who each get a personal link.",
    ),
    "ApiV1RoundsRoundIdGetRound": ("Get a comment round", "One round by id."),
    "ApiV1RoundsRoundIdUpdateRound": (
        "Update a comment round",
        "Changes the fields sent; the others stay as they are.",
    ),
    "ApiV1RoundsRoundIdInviteesAddInvitees": (
        "Add invitees",
        "Invites more people and groups to the round; each gets a personal link.",
    ),
    "ApiV1RoundsRoundIdDraftDraft": (
        "The round's draft",
        "The draft version under comment, section by section.",
    ),
    "ApiV1RoundsRoundIdCommentsListComments": (
        "List comments",
        "Comment threads the caller may see; filter by section, organisation, kind and decision.",
    ),
    "ApiV1RoundsRoundIdCommentsCreateComment": (
        "Comment on the draft",
        "A stakeholder comments on a section or replies to a comment, while the round is open.",
    ),
    "ApiV1CommentsCommentIdUpdateComment": (
        "Edit a comment",
        "The author changes their comment while the round is open; the earlier text is kept in its history.",
    ),
    "ApiV1CommentsCommentIdWithdrawWithdraw": ("Withdraw a comment", "The author takes their comment back."),
    "ApiV1CommentsCommentIdHideHide": (
        "Hide a comment",
        "Moderation: hides a comment from stakeholders, with a reason.",
    ),
    "ApiV1CommentsCommentIdRestoreRestore": (
        "Restore a comment",
        "Moderation: shows a hidden comment again.",
    ),
    "ApiV1CommentsCommentIdResponseRespond": (
        "Respond to a comment",
        "The facilitators' decision on a comment (accepted, partly, rejected, noted) and their reply.",
    ),
    "ApiV1CommentsCommentIdHistoryHistory": (
        "A comment's history",
        "Earlier texts and moderation of a comment.",
    ),
    "RTokenShow": (
        "Round page",
        "The page behind a stakeholder's personal round link: the draft's title and introduction, its "
        "contents with each section's count of comments, and the comments on the whole draft "
        "(`?page=`, a page of threads at a time).",
    ),
    "RTokenCommentsCommentIdReplyReply": (
        "Reply from the round page",
        "The form to reply to one comment, under that comment; it posts to `/r/{token}/comments`. A "
        "comment the reader does not see is a 404 page.",
    ),
    "RTokenSectionsSectionKeySection": (
        "A section's page of the round",
        "One section of the round's draft: its text, its comments (`?page=`, a page of threads at a "
        "time) and the forms to comment, reply, edit and withdraw; an unknown section is a 404 page.",
    ),
    "RTokenCommentsComment": (
        "Comment from the round page",
        "The round page's form; answers with a redirect.",
    ),
    "ApiV1RoundsRoundIdWordFeedbackImportWordFeedback": (
        "Import a Word file of comments",
        "A .docx of the draft with Word comments and tracked changes becomes comments, replies and "
        "amendments, placed by section; answers with a report of what was created.",
    ),
    "RTokenWordFeedbackUpload": (
        "Send a Word file from the round page",
        "The round page's Word upload; answers with a redirect to the page of what the file became.",
    ),
    "RTokenDraftDocxDraft": (
        "Download the draft as a Word file",
        "The round's draft version as a Word document without comments (title, preamble, headings in "
        "Heading styles, text), named after the document and its version: the file to annotate with "
        "comments and tracked changes and send back through the round page's Word upload.",
    ),
    "RTokenWordFeedbackDigestResult": (
        "What a Word file became",
        "The page after a Word upload: counts and one line per comment made from the file.",
    ),
    # exports and statistics
    "ApiV1RoundsRoundIdExportExportRound": (
        "Export the comments",
        "The comment-response matrix as XLSX, DOCX, CSV or JSON, or the draft annotated in Word "
        "(`annotated_docx`: comments in the margin, amendments as tracked changes), for rounds within the "
        "sync limit; labels in `lang` (default: the draft's language), CSV with `delimiter=semicolon` "
        "for `;` locales.",
    ),
    "ApiV1RoundsRoundIdExportsQueueExport": (
        "Queue an export",
        "A worker writes the export file, of any size, and emails when it is ready (`lang` and `delimiter` as "
        "for a direct export).",
    ),
    "ApiV1ExportsExportIdGetExport": (
        "Follow an export job",
        "The job's state, and its download link once done.",
    ),
    "ApiV1ExportsExportIdFileExportFile": (
        "Download an export",
        "The file an export job wrote, named after the round and the day it was written.",
    ),
    # attendance
    "ApiV1EventsEventIdCheckInCheckIn": (
        "Check someone in",
        "At the door of an in-person or hybrid event, with the check-in code of their invitation.",
    ),
    "ApiV1EventsEventIdAttendanceRecordAttendance": (
        "Record attendance by hand",
        "Walk-ins and invitees without their code; or take people off the list.",
    ),
    "ApiV1EventsEventIdAttendanceListAttendance": (
        "List attendance",
        "Who was at the event: how each was recorded, when checked in, minutes online.",
    ),
    "ApiV1EventsEventIdAttendanceImportImportReport": (
        "Import a meeting's attendance report",
        "Zoom or Teams participant report (or a plain CSV) matched to the invitees, with minutes.",
    ),
    "ApiV1EventsEventIdStatsEventStats": (
        "Event statistics",
        "Invited, accepted, declined and attended for one event.",
    ),
    "ApiV1ConsultationsConsultationIdStatsConsultationStats": (
        "Consultation statistics",
        "Participation per event and comments per round, as JSON or (`format=xlsx`) as a workbook.",
    ),
    "ApiV1ConsultationsConsultationIdStatsXlsxConsultationStatsXlsx": (
        "Consultation statistics as a workbook",
        "The same statistics as an XLSX file, labels in `lang` (default: the consultation's draft's language).",
    ),
    # mail intake
    "ApiV1InboundEmailReceive": (
        "Hand over an email",
        "The mail gateway posts each received message; replies become comments or RSVPs.",
    ),
    "ApiV1InboundLogLog": (
        "Inbound mail log",
        "Every message received, newest first, with what became of it.",
    ),
    "ApiV1CommentsCommentIdAttachmentsListAttachments": (
        "List a comment's attachments",
        "Files that came with the email a comment was written in.",
    ),
    "ApiV1AttachmentsAttachmentIdDownload": ("Download an attachment", "One attached file, as a download."),
    "UnsubscribeTokenConfirm": ("Unsubscribe page", "Asks whether to stop reminders and digests."),
    "UnsubscribeTokenUnsubscribe": (
        "Unsubscribe from reminders and digests",
        "Stops reminders and digests to the person (RFC 8058 one-click, or the page's button).",
    ),
    "RTokenCommentsCommentIdChange": (
        "Edit one's comment from the round page",
        "The form of the round page: the earlier text is kept as a revision; answers 303 to the comment.",
    ),
    "RTokenCommentsCommentIdWithdrawChange": (
        "Withdraw one's comment from the round page",
        "The form of the round page; answers 303 to the comment.",
    ),
    "PTokenShow": (
        "A stakeholder's personal page",
        "Their invitations with their answers, their comment rounds, their comments and the answers "
        "received, in their language.",
    ),
    "PTokenCalendarIcsCalendar": (
        "A stakeholder's calendar feed",
        "Every event they are invited to, once each with its stable UID (METHOD:PUBLISH); cancelled "
        "events as STATUS:CANCELLED. Offered on the page as a webcal:// link.",
    ),
    "PTokenInvitationsTargetIdFreshLink": (
        "Open an invitation from the personal page",
        "Issues a fresh RSVP link for one of the person's invitations and answers 303 to its page.",
    ),
    "PTokenRoundsTargetIdFreshLink": (
        "Open a comment round from the personal page",
        "Issues a fresh round link for one of the person's rounds and answers 303 to its page.",
    ),
    # cutting links
    "ApiV1RoundsRoundIdCloseCloseRound": (
        "End a round early",
        "Closes the round now: no more comments; links stay readable for the usual days after closing.",
    ),
    "ApiV1RoundsRoundIdInviteesPersonIdRemoveInvitee": (
        "Remove an invitee from a round",
        "Their link and reply addresses for the round stop at once and unsent round mail is dropped; "
        "their comments stay.",
    ),
    "ApiV1PeoplePersonIdRevokeLinksRevokeLinks": (
        "Revoke a person's links",
        "Deletes every round link, RSVP link and reply address the person was sent; answers how many of "
        "each. Mail sent later carries new links.",
    ),
    # personal data
    "ApiV1PeoplePersonIdDataPersonalData": (
        "A person's data",
        "Everything held about the person as a ZIP: data.json and their files (GDPR art. 15).",
    ),
    "ApiV1PeoplePersonIdEraseErase": (
        "Erase a person",
        "Anonymises the entry, keeps their comments attributed to their organisation, deletes raw mail, "
        "attachments, history and links, and suppresses future mail (GDPR art. 17).",
    ),
    # administration
    "ApiV1AuditListAuditEntries": (
        "Audit log",
        "Every recorded change, newest first; filter by actor, entity, action and time.",
    ),
    "ApiV1StaffUsersListStaffUsers": ("List staff users", "Every staff user with role and state."),
    "ApiV1StaffUsersUserIdTokensListTokens": (
        "List a staff user's tokens",
        "Prefix, label, created, last used, expiry and revocation of each token; never the token itself.",
    ),
    "ApiV1StaffUsersUserIdTokensCreateToken": (
        "Issue a staff token",
        "A new token for the user, shown in this answer only.",
    ),
    "ApiV1StaffUsersUserIdTokensTokenIdRevokeRevokeToken": (
        "Revoke a staff token",
        "The token stops working at once.",
    ),
    "ApiV1StaffUsersUserIdDeactivateDeactivate": (
        "Deactivate a staff user",
        "All the user's tokens stop at once; the last active admin cannot be deactivated.",
    ),
    # questionnaires
    "ApiV1ConsultationsConsultationIdQuestionnairesListQuestionnaires": (
        "List a consultation's questionnaires",
        "A page of the consultation's questionnaires, oldest first.",
    ),
    "ApiV1ConsultationsConsultationIdQuestionnairesCreateQuestionnaire": (
        "Create a questionnaire",
        "A draft questionnaire with its first version: sections of questions (choice, multiple, scale, "
        "number, date, text, long_text, matrix), every text in az, ru, en and fr, stable option keys, "
        "`show_if` on an earlier choice. Mode `per_organisation`, `per_person` or `open`; with mode "
        "`open`, `email_confirmation` makes every answer count only once confirmed through a link "
        "emailed to the respondent (422 with another mode).",
    ),
    "ApiV1QuestionnairesQuestionnaireIdGetQuestionnaire": ("Get a questionnaire", "One questionnaire by id."),
    "ApiV1QuestionnairesQuestionnaireIdUpdateQuestionnaire": (
        "Update a questionnaire",
        "Renames it, moves the closing time of an open questionnaire (links follow), or turns "
        "`email_confirmation` on or off while it is a draft (409 once sent; 422 unless mode `open`).",
    ),
    "ApiV1QuestionnairesQuestionnaireIdDeleteQuestionnaire": (
        "Delete a draft questionnaire",
        "Only a draft (never sent) can be deleted; 409 otherwise.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdVersionsListVersions": (
        "List a questionnaire's versions",
        "Every version with its definition, oldest first; responses name the version they answered.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdVersionsReviseQuestionnaire": (
        "Change the questions",
        "While a draft, replaces the definition; once opened, adds a new version (frozen) that new "
        "answers are given against, while earlier answers keep theirs.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdSendSendQuestionnaire": (
        "Send a questionnaire",
        "Opens it (its version freezes) from `opens_at` (now if absent) until `closes_at` and invites "
        "the audience (`person_ids`, `group_ids`, `organisation_ids`); each invitee gets an email "
        "with a personal link `/q/{token}` when it opens. Again later to invite more people.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdCloseCloseQuestionnaire": (
        "Close a questionnaire",
        "No more answers from now; 409 when it is not open.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdResponsesListResponses": (
        "List responses",
        "A page of responses (drafts and submitted; `status` filters) with their answers.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdResponsesResponseIdChangesListResponseChanges": (
        "A response's history",
        "Who saved, submitted or reopened the response, when, and which answers changed.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdResultsQuestionnaireResults": (
        "A questionnaire's results",
        "Submitted responses of one version (`version`, by default the latest with submitted responses; "
        "versions are never mixed), computed in the database: counts per option overall and per "
        "organisation kind, mean, median and distribution of scales, numbers and matrix rows, multiple "
        'choices with their "other" texts, free-text answers (the first 100 per question) attributed per '
        "the respondent's choice, the response rate overall and by organisation kind (invited "
        "organisations or people with a submitted response of any version) and the invited "
        "organisations that have not answered. Filters: `organisation_kind`, `country`.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdExportExportQuestionnaire": (
        "Export a questionnaire's responses",
        "The submitted responses of one version (`version`, as in the results) as XLSX (a summary sheet "
        "with a chart per choice question, then one row per response), CSV or JSON (`format`), with "
        "the questions' labels in `lang`: one column per question, per option of a multiple choice and "
        "per row of a matrix. Streamed; the filters `organisation_kind` and `country` apply.",
    ),
    "QTokenShow": (
        "Questionnaire page",
        "The questionnaire behind a personal link, in the reader's language, with the answer so far "
        "(the organisation's, in mode per_organisation).",
    ),
    "QTokenAnswer": (
        "Answer a questionnaire (page form)",
        "Saves a draft (`action=save`), submits (`submit`) or reopens (`reopen`); answers 303 back "
        "to the page, or the page with each refused answer marked (422), or told that a colleague "
        "saved in between (409, nothing typed lost).",
    ),
    "ApiV1QuestionnairesQuestionnaireIdMyResponseReadMyResponse": (
        "Read my questionnaire response",
        "The questionnaire as the link's bearer answers it: its state, the definition (every text in "
        "az, ru, en and fr) of the version their response is given against, and the response so far "
        "(`null` before the first save; in mode per_organisation, the organisation's official one).",
    ),
    "ApiV1QuestionnairesQuestionnaireIdMyResponseSaveMyResponse": (
        "Save or submit my questionnaire response",
        "Saves the answers as a draft, or submits them with `submit: true`, based on `revision` (0 "
        "for a new response). The whole save is refused when anything is: 422 names each answer that "
        "does not fit (`answers.<question key>`: an option that does not exist, a number out of "
        "bounds, a required question left empty on submitting); 409 when someone else saved since "
        "`revision` (read the response again, merge, and save), when it was submitted already, or "
        "when the questionnaire is not open.",
    ),
    "ApiV1QuestionnairesQuestionnaireIdMyResponseReopenReopenMyResponse": (
        "Reopen my submitted questionnaire response",
        "The submitted response becomes a draft again (it stops counting in the results until it is "
        "submitted again); possible until the questionnaire closes. 409 when the revision is not the "
        "latest or there is nothing submitted.",
    ),
    "QOpenPublicKeyShowOpen": ("Open questionnaire page", "The public page of an open questionnaire."),
    "QOpenPublicKeyAnswerOpen": (
        "Answer an open questionnaire",
        "One complete response; 303 to the thanks page, or the page with refused answers marked (422). "
        "With email confirmation the form asks for an address, the response waits unconfirmed "
        "(counted nowhere) and the confirmation link is emailed.",
    ),
    "QOpenPublicKeyThanksThanksOpen": (
        "Thanks page",
        "Shown after an answer to an open questionnaire (`confirm=1`: check your inbox).",
    ),
    "QOpenPublicKeyConfirmTokenShowConfirm": (
        "Confirmation page",
        "Behind the link emailed to an open questionnaire's respondent: a button that confirms the "
        "answer (a GET never confirms: mail scanners open links), or says it was confirmed already, "
        "or that the questionnaire has closed. 404 for an unknown or expired link.",
    ),
    "QOpenPublicKeyConfirmTokenConfirmOpen": (
        "Confirm an open questionnaire's answer",
        "The answer is submitted and counted, replacing an answer confirmed earlier from the same "
        "address; a second confirmation changes nothing (200); after closing nothing is counted (409); "
        "404 for an unknown or expired link.",
    ),
}

"""Assembles the Litestar application: routes, auth, sessions, errors, OpenAPI, and the hooks through
which lower layers reach higher ones (link-token resolvers, event listeners). Nothing else."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Controller, Litestar, Request, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import SerializationException, TooManyRequestsException
from litestar.middleware import DefineMiddleware

from consult.accesslog import mask_tokens_in_access_log
from consult.attendance.controller import AttendanceController
from consult.attendance.service import attendance_by_invitation
from consult.audit.controller import AuditController
from consult.audit.recording import record_changes
from consult.auth.controller import StaffUserController
from consult.auth.guards import intake_stays_in_its_lane
from consult.auth.middleware import BearerTokenMiddleware
from consult.auth.tokens import STAFF_PREFIX
from consult.directory.controller import GroupController, OrganisationController, PersonController
from consult.directory.links import PERSON_LINK_PREFIX
from consult.drafts.controller import DocumentController
from consult.errors import EXCEPTION_HANDLERS
from consult.events.controller import ConsultationController, EventController
from consult.events.hooks import EventHooks
from consult.exports.controller import ExportController, StatsController
from consult.exports.questionnaire_controller import QuestionnaireExportController
from consult.health import health
from consult.inbound.controller import (
    AttachmentController,
    InboundController,
    PersonMailController,
    UnsubscribeController,
)
from consult.invitations.controller import InvitationController, RsvpController
from consult.invitations.mailing import RSVP_PREFIX
from consult.invitations.service import listen_to_events
from consult.minutes.controller import MinutesController
from consult.minutes.service import listen_to_agendas
from consult.openapi import describe_api, docs_router, openapi_config
from consult.pagination import provide_page_params
from consult.people.page import PersonalPageController
from consult.polls.controller import SchedulingPollController
from consult.polls.links import POLL_LINK_PREFIX
from consult.polls.pages import PollPageController
from consult.privacy.controller import PersonDataController
from consult.questionnaires.controller import ConsultationQuestionnaireController, QuestionnaireController
from consult.questionnaires.links import (
    CONFIRMATION_LINK_PREFIX,
    QUESTIONNAIRE_LINK_PREFIX,
    resolve_respondent_token,
)
from consult.questionnaires.pages import QuestionnairePageController
from consult.questionnaires.respondent_controller import RespondentController
from consult.questionnaires.results_controller import QuestionnaireResultsController
from consult.rounds.controller import CommentController, RoundController
from consult.rounds.links import ROUND_LINK_PREFIX, resolve_round_token
from consult.rounds.pages import RoundPageController
from consult.sessions import RequestSessions, provide_db_session
from consult.settings import Settings, production_settings
from consult.web.pages import for_browsers
from consult.web.ratelimit import (
    LINK_ROUTE,
    STORE_NAME,
    rate_limit_middleware,
    rate_limit_store,
    too_many_requests,
)
from consult.web.security import cors_config, security_headers
from consult.word.controller import WordFeedbackController
from consult.word.pages import DraftDocxPageController, WordFeedbackPageController

# Links people open from their email: the path segment after each is a credential.
TOKEN_ROUTES = ["/rsvp/", "/r/", "/unsubscribe/", "/p/", "/poll/", "/q/"]
TOKEN_PREFIXES = [
    STAFF_PREFIX,
    ROUND_LINK_PREFIX,
    RSVP_PREFIX,
    PERSON_LINK_PREFIX,
    POLL_LINK_PREFIX,
    QUESTIONNAIRE_LINK_PREFIX,
    CONFIRMATION_LINK_PREFIX,
]
# Paths outside the bearer-token API: probes, the schema, and those links.
PUBLIC_PATHS = ["^/health$", "^/schema", *(f"^{route}" for route in TOKEN_ROUTES)]

# Litestar refuses larger bodies before the handler runs; the margin (multipart headers) lets a file
# just over the setting's limit reach its handler, which answers with a problem naming the field and
# the limit.
MULTIPART_MARGIN_BYTES = 64 * 1024


def with_upload_limit(controller: type[Controller], max_bytes: int) -> Router:
    return Router(
        path="/", route_handlers=[controller], request_max_body_size=max_bytes + MULTIPART_MARGIN_BYTES
    )


class ConsultRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        """msgspec gives up on very deeply nested JSON with a RecursionError: a malformed body (400)."""
        try:
            return await super().json()
        except RecursionError as exc:
            raise SerializationException("the JSON body is nested too deeply") from exc


def link_routes(*controllers: type[Controller] | Router) -> Router:
    """The routes whose path carries a personal link's token: limited per client address, and their
    unknown tokens count as failed lookups (consult.web.ratelimit)."""
    return Router(path="/", route_handlers=list(controllers), opt=LINK_ROUTE)


def create_app(settings: Settings | None = None) -> Litestar:
    """Without settings (uvicorn's factory) the environment's, which must be fit for production."""
    settings = settings or production_settings()
    sessions = RequestSessions(settings)
    # The lower layers announce, the higher ones listen: wired here, so no import points up.
    event_hooks = EventHooks()
    listen_to_events(event_hooks)
    listen_to_agendas(event_hooks)
    record_changes()
    link_resolvers = {
        ROUND_LINK_PREFIX: resolve_round_token,
        QUESTIONNAIRE_LINK_PREFIX: resolve_respondent_token,
    }
    mask_tokens_in_access_log(TOKEN_PREFIXES, TOKEN_ROUTES)
    limits_store = rate_limit_store(settings)

    @asynccontextmanager
    async def dispose_engine(_: Litestar) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await sessions.engine.dispose()
            await limits_store.__aexit__(None, None, None)

    app = Litestar(
        route_handlers=[
            docs_router(),
            health,
            OrganisationController,
            with_upload_limit(PersonController, settings.uploads.import_max_bytes),
            GroupController,
            ConsultationController,
            EventController,
            InvitationController,
            SchedulingPollController,
            with_upload_limit(DocumentController, settings.uploads.draft_max_bytes),
            RoundController,
            CommentController,
            MinutesController,
            ExportController,
            StatsController,
            with_upload_limit(AttendanceController, settings.uploads.import_max_bytes),
            PersonMailController,
            InboundController,
            AttachmentController,
            PersonDataController,
            with_upload_limit(WordFeedbackController, settings.uploads.draft_max_bytes),
            ConsultationQuestionnaireController,
            QuestionnaireController,
            QuestionnaireResultsController,
            RespondentController,
            QuestionnaireExportController,
            link_routes(
                RsvpController,
                RoundPageController,
                UnsubscribeController,
                PersonalPageController,
                PollPageController,
                with_upload_limit(WordFeedbackPageController, settings.uploads.draft_max_bytes),
                DraftDocxPageController,
                QuestionnairePageController,
            ),
            AuditController,
            StaffUserController,
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "page": Provide(provide_page_params, sync_to_thread=False),
        },
        middleware=[
            *rate_limit_middleware(settings),
            DefineMiddleware(BearerTokenMiddleware, link_resolvers=link_resolvers, exclude=PUBLIC_PATHS),
        ],
        guards=[intake_stays_in_its_lane],
        before_send=[security_headers(settings, no_store_paths=["/api/", *TOKEN_ROUTES])],
        cors_config=cors_config(settings),
        exception_handlers={**for_browsers(EXCEPTION_HANDLERS), TooManyRequestsException: too_many_requests},
        request_class=ConsultRequest,
        state=State(
            {
                "settings": settings,
                "db_sessions": sessions,
                "event_hooks": event_hooks,
                "attendance_of": attendance_by_invitation,
            }
        ),
        stores={STORE_NAME: limits_store},
        lifespan=[dispose_engine],
        openapi_config=openapi_config(),
    )
    describe_api(app)
    return app

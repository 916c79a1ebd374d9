"""The page behind a personal poll link, ``/poll/{token}``: every proposed time in the event's zone
and the reader's, a yes / if need be / no choice for each (radios in a fieldset per slot), posted
as a plain form that answers with a redirect back to the page (post/redirect/get). Answers can be
changed until the poll closes; then the page shows them, and the chosen time once there is one.

A form that leaves a slot out comes back (422) with what was chosen kept and the GOV.UK error
summary naming the slots to answer. The token in the path is the credential.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from consult.errors import Conflict, Invalid, NotFound
from consult.mail.i18n import best_language
from consult.polls.mailing import poll_context
from consult.polls.models import PollAnswerValue, PollInvitee, PollStatus
from consult.polls.service import PollService, accepts_answers
from consult.web.pages import NO_STORE, invalid_link, render_page

_VALUES = {value.value: value for value in PollAnswerValue}


def _state(invitee: PollInvitee) -> str:
    poll = invitee.poll
    if poll.status is PollStatus.DECIDED:
        return "decided"
    return "open" if accepts_answers(poll) else "closed"


def _render(
    invitee: PollInvitee,
    token: str,
    organiser_email: str,
    chosen: dict[str, str],
    *,
    saved: bool = False,
    missing: frozenset[str] = frozenset(),
    status_code: int = 200,
) -> Response[str]:
    person = invitee.person
    language = best_language(person.language.value)
    context = {
        **poll_context(invitee.poll, person.timezone, language),
        "person_name": person.full_name,
        "state": _state(invitee),
        "form_action": f"/poll/{token}",
        "chosen": chosen,
        "missing": missing,
        "saved": saved,
        "organiser_email": organiser_email,
    }
    html = render_page("poll", language, context)
    return Response(html, media_type=MediaType.HTML, status_code=status_code, headers=NO_STORE)


class PollPageController(Controller):
    path = "/poll/{token:str}"
    tags = ["scheduling polls"]

    @get("/", media_type=MediaType.HTML)
    async def show(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        token: str,
        saved: bool = False,
    ) -> Response[str]:
        service = PollService(db_session, state.settings)
        try:
            invitee = await service.by_token(token)
        except NotFound:
            return invalid_link(request)
        answers = {str(slot): value.value for slot, value in (await service.answers_of(invitee)).items()}
        return _render(invitee, token, state.settings.mail.from_address, answers, saved=saved)

    @post("/", status_code=303)
    async def answer(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[Any]:
        service = PollService(db_session, state.settings)
        try:
            invitee = await service.by_token(token)
        except NotFound:
            return invalid_link(request)
        form = await request.form()
        # Only the page's radios count: a slot id with one of the three values. Anything else is
        # ignored, so the slot it names is reported as not answered.
        sent: dict[str, str] = {}
        answers: dict[UUID, PollAnswerValue] = {}
        for key, value in form.items():
            if isinstance(value, str) and value in _VALUES:
                try:
                    answers[UUID(key)] = _VALUES[value]
                except ValueError:
                    continue
                sent[key] = value
        try:
            await service.answer(invitee, answers)
        except Conflict:  # closed or decided since the page was shown: the page says so
            return Redirect(f"/poll/{token}", status_code=303, headers=NO_STORE)
        except Invalid as exc:
            missing = frozenset(error.field for error in exc.errors)
            return _render(
                invitee, token, state.settings.mail.from_address, sent, missing=missing, status_code=422
            )
        return Redirect(f"/poll/{token}?saved=true", status_code=303, headers=NO_STORE)

"""The questionnaire pages: ``/q/{token}`` behind a personal link, and ``/q/open/{public_key}`` for
an open questionnaire. Plain HTML forms that work without JavaScript: one form per page, posted back
to the same address, answered with a redirect (post/redirect/get) or, when something is refused, the
page again with everything as typed, the GOV.UK error summary linking to each question and the
message next to it, in the reader's language.

A personal link's page writes through ``ResponseService`` as the link's person. In mode
per_organisation the colleagues of one organisation edit one response: a save based on a revision
someone else has changed since is refused, and the page then shows what was typed (nothing is lost)
next to what the colleague saved, to be merged and saved again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from consult.audit.recording import Actor, act_as
from consult.crud import get_or_404
from consult.directory.models import Organisation, Person
from consult.errors import ConsultError, NotFound
from consult.mail.i18n import best_language, format_when
from consult.questionnaires.definition import Problem, is_empty, is_shown, questions
from consult.questionnaires.links import resolve_questionnaire_token
from consult.questionnaires.models import (
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireStatus,
    ResponseAttribution,
    ResponseStatus,
)
from consult.questionnaires.schemas import Definition, Question, QuestionKind, ResponseSave
from consult.questionnaires.service import (
    AnswersRefused,
    ConfirmOutcome,
    EmailProblem,
    QuestionnaireService,
    ResponseService,
    StaleRevision,
    takes_answers,
)
from consult.web.pages import NO_STORE, browser_language, invalid_link, render_page

HONEYPOT_FIELD = "website"
EMAIL_FIELD = "email"  # the respondent's address, when an open questionnaire confirms answers by email
_PREFIX = "q."


# --- between answers and form fields ---------------------------------------------------------------


def form_values(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """The fields of the form showing ``answers``: name → value (a list for checkboxes)."""
    values: dict[str, Any] = {}
    for question in questions(definition):
        name, value = _PREFIX + question.key, answers.get(question.key)
        if value is None:
            continue
        if question.kind is QuestionKind.MULTIPLE and isinstance(value, dict):
            values[name] = list(value.get("options") or [])
            values[name + ".other"] = value.get("other") or ""
        elif question.kind is QuestionKind.MATRIX and isinstance(value, dict):
            for row, point in value.items():
                values[f"{name}.{row}"] = str(point)
        else:
            values[name] = _shown_number(value) if isinstance(value, int | float) else str(value)
    return values


def _shown_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _parse_number(text: str) -> Any:
    """A number as typed ("3,5" as well as "3.5"); anything else stays text, refused as not a number."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in cleaned else number


def answers_from_form(definition: Definition, form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers a posted form gives, and the form's fields as typed (to show them again; a NUL,
    which no page field can type, is dropped)."""
    answers: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for question in questions(definition):
        name = _PREFIX + question.key
        if question.kind is QuestionKind.MULTIPLE:
            chosen = [_clean(v) for v in form.getall(name, [])]
            other = _clean(form.get(name + ".other", ""))
            typed[name], typed[name + ".other"] = chosen, other
            answers[question.key] = {"options": chosen, "other": other or None}
        elif question.kind is QuestionKind.MATRIX:
            rows: dict[str, Any] = {}
            for row in question.rows:
                given = _clean(form.get(f"{name}.{row.key}", ""))
                typed[f"{name}.{row.key}"] = given
                if given:
                    rows[row.key] = _parse_number(given)
            answers[question.key] = rows
        else:
            given = _clean(form.get(name, ""))
            typed[name] = given
            if question.kind in (QuestionKind.SCALE, QuestionKind.NUMBER) and given.strip():
                answers[question.key] = _parse_number(given)
            else:
                answers[question.key] = given
    return answers, typed


def _clean(value: Any) -> str:
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _display(question: Question, value: Any, language: str) -> str:
    """An answer as a reader sees it (a colleague's saved answer beside one's own)."""
    labels = {option.key: option.label.get(language) for option in question.options}
    if value is None:
        return "—"
    if question.kind is QuestionKind.CHOICE:
        return labels.get(value, str(value))
    if question.kind is QuestionKind.MULTIPLE and isinstance(value, dict):
        shown = [labels.get(k, k) for k in value.get("options") or []]
        return "; ".join(shown + ([value["other"]] if value.get("other") else [])) or "—"
    if question.kind is QuestionKind.MATRIX and isinstance(value, dict):
        rows = {row.key: row.label.get(language) for row in question.rows}
        return "; ".join(f"{rows.get(k, k)}: {v}" for k, v in value.items()) or "—"
    return _shown_number(value) if isinstance(value, int | float) else str(value)


# --- the page ---------------------------------------------------------------------------------------


def _question_view(
    question: Question,
    definition: Definition,
    answers: dict[str, Any],
    language: str,
    problems: dict[str, Problem],
    theirs: dict[str, str],
) -> dict[str, Any]:
    condition = question.show_if
    note = None
    if condition is not None:
        trigger = next(q for q in questions(definition) if q.key == condition.question)
        labels = {o.key: o.label.get(language) for o in trigger.options}
        note = {
            "question": trigger.text.get(language),
            "options": [labels.get(k, k) for k in condition.options],
        }
    points = []
    if (
        question.min is not None
        and question.max is not None
        and question.kind
        in (
            QuestionKind.SCALE,
            QuestionKind.MATRIX,
        )
    ):
        points = list(range(int(question.min), int(question.max) + 1))
    return {
        "key": question.key,
        "id": "q-" + question.key,
        "name": _PREFIX + question.key,
        "kind": question.kind.value,
        "text": question.text.get(language),
        "help": question.help.get(language) if question.help else None,
        "required": question.required,
        "options": [{"key": o.key, "label": o.label.get(language)} for o in question.options],
        "rows": [{"key": r.key, "label": r.label.get(language)} for r in question.rows],
        "other": question.other,
        "min": None if question.min is None else _shown_number(question.min),
        "max": None if question.max is None else _shown_number(question.max),
        "min_label": question.min_label.get(language) if question.min_label else None,
        "max_label": question.max_label.get(language) if question.max_label else None,
        "points": points,
        "show_if": note,
        # Hidden when the earlier answer rules it out, unless it holds an answer as typed (a refused
        # form loses nothing); a question whose trigger is unanswered shows, with the note saying
        # when it applies, for readers without JavaScript.
        "hidden": condition is not None
        and condition.question in answers
        and not is_shown(question, answers)
        and is_empty(answers.get(question.key)),
        "problem": problem.value if (problem := problems.get(question.key)) else None,
        "theirs": theirs.get(question.key),
    }


def _local_time(value: dt.datetime | None, zone: str, language: str) -> str | None:
    return format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=language) if value else None


async def _page(
    session: AsyncSession,
    state: State,
    *,
    questionnaire: Questionnaire,
    language: str,
    zone: str,
    action: str,
    response: QuestionnaireResponse | None,
    typed: dict[str, Any] | None = None,
    typed_answers: dict[str, Any] | None = None,
    problems: dict[str, Problem] | None = None,
    stale: bool = False,
    extra: dict[str, Any] | None = None,
) -> str:
    definition = await QuestionnaireService(session, state.settings).definition_for(
        questionnaire.id, response
    )
    stored = response.answers if response is not None else {}
    shown_answers = typed_answers if typed_answers is not None else stored
    values = typed if typed is not None else form_values(definition, stored)
    theirs: dict[str, str] = {}
    if stale and typed_answers is not None:
        for question in questions(definition):
            mine, saved = typed_answers.get(question.key), stored.get(question.key)
            if _display(question, mine, language) != _display(question, saved, language):
                theirs[question.key] = _display(question, saved, language)
    problems = problems or {}
    sections: list[dict[str, Any]] = [
        {
            "key": section.key,
            "title": section.title.get(language),
            "intro": section.intro.get(language) if section.intro else None,
            "questions": [
                _question_view(q, definition, shown_answers, language, problems, theirs)
                for q in section.questions
            ],
        }
        for section in definition.sections
    ]
    now = dt.datetime.now(dt.UTC)
    last = await ResponseService(session, state.settings).last_change(response) if response else None
    context = {
        "title": definition.title.get(language),
        "intro": definition.intro.get(language) if definition.intro else None,
        "sections": sections,
        "values": values,
        "errors": [q for s in sections for q in s["questions"] if q["problem"] and not q["hidden"]],
        "action": action,
        "accepts": takes_answers(questionnaire, now),
        "not_yet": questionnaire.opens_at is not None and now < questionnaire.opens_at,
        "has_closed": questionnaire.status is QuestionnaireStatus.CLOSED
        or (questionnaire.closes_at is not None and questionnaire.closes_at <= now),
        "when_open": format_when(questionnaire.opens_at, questionnaire.closes_at, zone, language)
        if questionnaire.opens_at and questionnaire.closes_at
        else None,
        "submitted": response is not None and response.status is ResponseStatus.SUBMITTED,
        "submitted_at": _local_time(response.submitted_at if response else None, zone, language),
        "revision": response.revision if response is not None else 0,
        "attribution": (response.attribution if response else ResponseAttribution.NAMED).value,
        "last_by": last[1] if last else None,
        "last_at": _local_time(last[0].created_at, zone, language) if last else None,
        "stale": stale,
        "organiser_email": state.settings.mail.from_address,
        "personal": False,
        "public": False,
        "person_name": None,
        "organisation_name": None,
        "lang_param": None,
        "honeypot": None,
        "email_confirmation": False,
        "email_field": EMAIL_FIELD,
        "email_value": "",
        "email_problem": None,
        **(extra or {}),
    }
    return render_page("questionnaire", language, context)


def _html(html: str, status: int = 200) -> Response[str]:
    return Response(html, media_type=MediaType.HTML, status_code=status, headers=NO_STORE)


class QuestionnairePageController(Controller):
    path = "/q"
    tags = ["questionnaire links"]

    async def _context(
        self, db_session: AsyncSession, state: State, token: str
    ) -> tuple[Any, Questionnaire, Person, Any] | None:
        invitee = await resolve_questionnaire_token(db_session, token)
        if invitee is None:
            return None
        questionnaire = await QuestionnaireService(db_session, state.settings).get(invitee.questionnaire_id)
        person = await get_or_404(db_session, Person, invitee.person_id, "person")
        respondent = await ResponseService(db_session, state.settings).respondent(invitee, questionnaire)
        return invitee, questionnaire, person, respondent

    async def _personal_page(
        self,
        db_session: AsyncSession,
        state: State,
        token: str,
        status: int = 200,
        **kwargs: Any,
    ) -> Response[str]:
        """The page; read afresh (after a refusal the session was rolled back, its rows expired)."""
        context = await self._context(db_session, state, token)
        assert context is not None  # resolved by the caller moments ago, in this request
        _, questionnaire, person, respondent = context
        response = await ResponseService(db_session, state.settings).find(questionnaire.id, respondent)
        organisation = (
            await db_session.get(Organisation, respondent.organisation_id) if respondent.shared else None
        )
        html = await _page(
            db_session,
            state,
            questionnaire=questionnaire,
            language=best_language(person.language.value),
            zone=person.timezone,
            action=f"/q/{quote(token)}",
            response=response,
            extra={
                "person_name": person.full_name,
                "organisation_name": organisation.name if organisation else None,
                "personal": True,
            },
            **kwargs,
        )
        return _html(html, status)

    @get("/{token:str}", media_type=MediaType.HTML)
    async def show(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str]:
        context = await self._context(db_session, state, token)
        if context is None:
            return invalid_link(request)
        return await self._personal_page(db_session, state, token)

    @post("/{token:str}", status_code=303)
    async def answer(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], token: str
    ) -> Response[str] | Redirect:
        """Save the draft (``action=save``), submit (``submit``) or reopen a submitted answer (``reopen``)."""
        context = await self._context(db_session, state, token)
        if context is None:
            return invalid_link(request)
        invitee, questionnaire, _, respondent = context
        act_as(db_session, Actor.stakeholder(invitee.person_id))
        form = await request.form()
        action = str(form.get("action", "save"))
        revision = _int(form.get("revision"))
        responses = ResponseService(db_session, state.settings)
        if action == "reopen":
            try:
                await responses.reopen(questionnaire, respondent, revision)
            except ConsultError as exc:
                await db_session.rollback()
                stale = isinstance(exc, StaleRevision)
                return await self._personal_page(db_session, state, token, exc.status_code, stale=stale)
            return Redirect(f"/q/{quote(token)}", status_code=303, headers=NO_STORE)
        response = await responses.find(questionnaire.id, respondent)
        definition = await QuestionnaireService(db_session, state.settings).definition_for(
            questionnaire.id, response
        )
        answers, typed = answers_from_form(definition, form)
        attribution = _attribution(form.get("attribution"))
        data = ResponseSave(
            answers=answers, revision=revision, attribution=attribution, submit=action == "submit"
        )
        try:
            await responses.save(questionnaire, respondent, data)
        except AnswersRefused as exc:
            await db_session.rollback()
            return await self._personal_page(
                db_session,
                state,
                token,
                422,
                typed=typed,
                typed_answers=answers,
                problems=exc.checked.problems,
            )
        except StaleRevision:
            await db_session.rollback()
            return await self._personal_page(
                db_session, state, token, 409, typed=typed, typed_answers=answers, stale=True
            )
        except ConsultError as exc:
            await db_session.rollback()
            return await self._personal_page(
                db_session, state, token, exc.status_code, typed=typed, typed_answers=answers
            )
        fragment = "#submitted" if data.submit else "#saved"
        return Redirect(f"/q/{quote(token)}?done={action}{fragment}", status_code=303, headers=NO_STORE)

    # --- mode open: anyone with the public link -------------------------------------------------------

    async def _open(self, db_session: AsyncSession, state: State, public_key: str) -> Questionnaire | None:
        try:
            return await ResponseService(db_session, state.settings).open_questionnaire(public_key)
        except NotFound:
            return None

    async def _open_page(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        questionnaire: Questionnaire,
        status: int = 200,
        *,
        email: str = "",
        email_problem: EmailProblem | None = None,
        **kwargs: Any,
    ) -> Response[str]:
        await db_session.refresh(questionnaire)  # after a refusal's rollback
        language = _lang_param(request)
        html = await _page(
            db_session,
            state,
            questionnaire=questionnaire,
            language=language or browser_language(request),
            zone="UTC",
            action=f"/q/open/{quote(questionnaire.public_key or '')}",
            response=None,
            extra={
                "public": True,
                "honeypot": HONEYPOT_FIELD,
                "lang_param": language,
                "attribution": ResponseAttribution.ANONYMOUS.value,
                "email_confirmation": questionnaire.email_confirmation,
                "email_field": EMAIL_FIELD,
                "email_value": email,
                "email_problem": email_problem.value if email_problem else None,
            },
            **kwargs,
        )
        return _html(html, status)

    @get("/open/{public_key:str}", media_type=MediaType.HTML)
    async def show_open(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], public_key: str
    ) -> Response[str]:
        questionnaire = await self._open(db_session, state, public_key)
        if questionnaire is None:
            return invalid_link(request)
        return await self._open_page(db_session, state, request, questionnaire)

    @post("/open/{public_key:str}", status_code=303)
    async def answer_open(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], public_key: str
    ) -> Response[str] | Redirect:
        """One complete response; a form whose hidden honeypot field was filled (a bot) is thanked
        like anyone and dropped."""
        questionnaire = await self._open(db_session, state, public_key)
        if questionnaire is None:
            return invalid_link(request)
        form = await request.form()
        lang = _lang_param(request)
        query = [("confirm", "1")] if questionnaire.email_confirmation else []
        query += [("lang", lang)] if lang else []
        done = f"/q/open/{quote(public_key)}/thanks" + (f"?{urlencode(query)}" if query else "")
        if str(form.get(HONEYPOT_FIELD, "")).strip():
            return Redirect(done, status_code=303, headers=NO_STORE)
        current = await QuestionnaireService(db_session, state.settings).current_definition(questionnaire.id)
        answers, typed = answers_from_form(current.definition, form)
        email = _clean(form.get(EMAIL_FIELD, ""))[:320]
        try:
            await ResponseService(db_session, state.settings).submit_open(
                questionnaire,
                current,
                answers,
                _attribution(form.get("attribution"), ResponseAttribution.ANONYMOUS),
                email=email,
                language=lang or browser_language(request),
            )
        except AnswersRefused as exc:
            await db_session.rollback()
            return await self._open_page(
                db_session,
                state,
                request,
                questionnaire,
                422,
                typed=typed,
                typed_answers=answers,
                problems=exc.checked.problems,
                email=email,
                email_problem=exc.email_problem,
            )
        except ConsultError as exc:
            await db_session.rollback()
            return await self._open_page(
                db_session,
                state,
                request,
                questionnaire,
                exc.status_code,
                typed=typed,
                typed_answers=answers,
                email=email,
            )
        return Redirect(done, status_code=303, headers=NO_STORE)

    @get("/open/{public_key:str}/thanks", media_type=MediaType.HTML)
    async def thanks_open(
        self, db_session: AsyncSession, state: State, request: Request[Any, Any, Any], public_key: str
    ) -> Response[str]:
        questionnaire = await self._open(db_session, state, public_key)
        if questionnaire is None:
            return invalid_link(request)
        language = _lang_param(request) or browser_language(request)
        current = await QuestionnaireService(db_session, state.settings).current_definition(questionnaire.id)
        title = current.definition.title.get(language)
        # (a bot that filled the honeypot is sent here too, so the page believes the query)
        confirm = request.query_params.get("confirm") == "1"
        return _html(render_page("questionnaire_thanks", language, {"title": title, "confirm": confirm}))

    # --- mode open with email confirmation: the link emailed to the respondent ----------------------
    # A GET only shows the button: mail scanners (Outlook Safe Links and the like) open links in
    # emails before the reader does, so only the POST of the button confirms.

    async def _confirm_page(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        questionnaire: Questionnaire,
        token: str,
        outcome: ConfirmOutcome | None,
        status: int = 200,
    ) -> Response[str]:
        language = _lang_param(request) or browser_language(request)
        current = await QuestionnaireService(db_session, state.settings).current_definition(questionnaire.id)
        lang = _lang_param(request)
        action = f"/q/open/{quote(questionnaire.public_key or '')}/confirm/{quote(token)}" + (
            f"?{urlencode({'lang': lang})}" if lang else ""
        )
        context = {
            "title": current.definition.title.get(language),
            "outcome": outcome.value if outcome else None,
            "action": action,
        }
        return _html(render_page("questionnaire_confirm", language, context), status)

    @get("/open/{public_key:str}/confirm/{token:str}", media_type=MediaType.HTML)
    async def show_confirm(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        public_key: str,
        token: str,
    ) -> Response[str]:
        questionnaire = await self._open(db_session, state, public_key)
        responses = ResponseService(db_session, state.settings)
        row = await responses.confirmation(questionnaire, token) if questionnaire else None
        if questionnaire is None or row is None:
            return invalid_link(request, _lang_param(request))
        outcome = responses.outcome_shown(questionnaire, row)
        return await self._confirm_page(db_session, state, request, questionnaire, token, outcome)

    @post("/open/{public_key:str}/confirm/{token:str}", status_code=200, media_type=MediaType.HTML)
    async def confirm_open(
        self,
        db_session: AsyncSession,
        state: State,
        request: Request[Any, Any, Any],
        public_key: str,
        token: str,
    ) -> Response[str]:
        """Count the answer: it enters the results, replacing an earlier answer confirmed from the
        same address; confirming again changes nothing; after closing, nothing is counted."""
        questionnaire = await self._open(db_session, state, public_key)
        outcome = (
            await ResponseService(db_session, state.settings).confirm(questionnaire, token)
            if questionnaire
            else None
        )
        if questionnaire is None or outcome is None:
            return invalid_link(request, _lang_param(request))
        status = 409 if outcome is ConfirmOutcome.CLOSED else 200
        return await self._confirm_page(db_session, state, request, questionnaire, token, outcome, status)


def _lang_param(request: Request[Any, Any, Any]) -> str | None:
    """The language a public page was asked in (``?lang=``), if any: one of the site's."""
    lang = request.query_params.get("lang")
    return best_language(lang) if lang else None


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _attribution(value: Any, default: ResponseAttribution = ResponseAttribution.NAMED) -> ResponseAttribution:
    try:
        return ResponseAttribution(str(value))
    except ValueError:
        return default

"""Every state of every stakeholder page, fetched from the real server over HTTP in az, ru, en and fr,
and checked for text left in English.

What a person sees or hears of a page is its text and a few attributes (title, aria-label, alt,
placeholder, the value of an input button). A page in az, ru or fr leaks English when one of those
strings is also in the English page of the same state, or is the English source of a catalog message;
what legitimately reads the same is left out: text inside an element whose ``lang`` is not the page's
(the draft, in its own language), data the test itself typed (names, titles, comments, addresses),
numbers, dates and links, and the few messages a catalog deliberately translates as the English.

The round page's addresses are built in one place (``round_url``), so a change of its routes changes
one function. The catalogs themselves (every message translated, not fuzzy, the .pot in sync) are
checked in tests/mail/test_render.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from consult.directory.links import new_person_link
from consult.events.models import Event
from consult.invitations.mailing import new_rsvp_link
from consult.invitations.models import Invitation
from consult.mail.i18n import TRANSLATIONS_DIR
from consult.mail.replies import unsubscribe_token
from consult.settings import get_settings
from consult.web.pages import render_page
from tests.conftest import api_server
from tests.rounds.conftest import ORGANISATION_KINDS, Directory, Draft

TRANSLATED = ("az", "ru", "fr")
LANGUAGES = ("en", *TRANSLATED)
# One reader per language (tests/rounds/conftest.py's directory); Rauf writes what the others read.
READERS = {
    "az": "g.shukurova@migration.example.org",
    "ru": "i.petrova@ngo.example.org",
    "fr": "l.dubois@eeas.example.org",
    "en": "a.gruber@expert.example.org",
}
RAUF = "r.mammadov@migration.example.org"
REASON = "The hall is closed for repairs."
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


# --- what a page shows -------------------------------------------------------------------------

# Elements whose content nobody sees; void elements, which have no end tag.
_HIDDEN = {"style", "script", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SPOKEN = ("title", "aria-label", "alt", "placeholder")
_INPUT_BUTTONS = {"submit", "button", "reset"}


class _Shown(HTMLParser):
    """The strings of a page a reader sees or hears, except those in an element whose ``lang``
    differs from the page's (the page's own is the ``lang`` of ``html``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.language: str | None = None
        self.stack: list[tuple[str, bool]] = []  # (tag, left out: hidden or in another language)
        self.strings: list[str] = []

    def _left_out(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _add(self, text: str | None) -> None:
        folded = " ".join((text or "").split())
        if folded and not self._left_out():
            self.strings.append(folded)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.language = attributes.get("lang")
        lang = attributes.get("lang")
        left_out = self._left_out() or tag in _HIDDEN
        if lang is not None and tag != "html":
            left_out = tag in _HIDDEN or lang != self.language
        if not left_out:
            for name in _SPOKEN:
                self._add(attributes.get(name))
            if tag == "input" and attributes.get("type") in _INPUT_BUTTONS:
                self._add(attributes.get("value"))
        if tag not in _VOID:
            self.stack.append((tag, left_out))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching start tag (HTML lets a few end tags be implied).
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._add(data)


def shown(page: str) -> tuple[str | None, list[str]]:
    """The page's language and the strings a reader of it sees or hears."""
    parser = _Shown()
    parser.feed(page)
    parser.close()
    return parser.language, parser.strings


_PLACEHOLDER = re.compile(r"%\(\w+\)s")
_LETTER = re.compile(r"[^\W\d_]")
_LINKS = re.compile(r"\S+://\S+|\S+@\S+")


def _read_catalog(path: Path) -> list[tuple[str, str]]:
    with path.open("rb") as po_file:
        return [
            (str(message.id), str(message.string or ""))
            for message in read_po(po_file)
            if message.id and isinstance(message.id, str)
        ]


@cache
def english_messages() -> frozenset[str]:
    """The English of every catalog message, cut at its placeholders."""
    return frozenset(
        " ".join(part.split())
        for message_id, _ in _read_catalog(TRANSLATIONS_DIR / "messages.pot")
        for part in _PLACEHOLDER.split(message_id)
        if _LETTER.search(part)
    )


@cache
def same_in(language: str) -> frozenset[str]:
    """Messages ``language``'s catalog translates as the English itself ("Question" in French)."""
    po_path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    return frozenset(message_id for message_id, string in _read_catalog(po_path) if string == message_id)


def _without_data(text: str, data: set[str]) -> str:
    rest = _LINKS.sub(" ", text)
    for datum in sorted(data, key=len, reverse=True):
        rest = rest.replace(datum, " ")
    return rest


def untranslated(page: str, english: str, language: str, data: set[str]) -> list[str]:
    """The strings of ``page`` (in ``language``) that are English, or hold English: a string also in
    the English page of the same state or the English of a catalog message, or a string holding a
    catalog message's English of two words or more (an untranslated label inside a translated
    sentence); data, links and numbers aside."""
    _, english_strings = shown(english)
    english_text = set(english_strings) | english_messages()
    phrases = [phrase for phrase in english_messages() if len(phrase.split()) >= 2]
    _, strings = shown(page)
    found = set()
    for text in strings:
        if text in same_in(language):
            continue
        rest = _without_data(text, data)
        if (text in english_text and _LETTER.search(rest)) or any(phrase in rest for phrase in phrases):
            found.add(text)
    return sorted(found)


# --- the pages, in the four languages -------------------------------------------------------------


@dataclass
class Rendered:
    """Each state's page in each language, and the data the test typed into them."""

    pages: dict[str, dict[str, httpx.Response]] = field(default_factory=dict)
    data: set[str] = field(default_factory=set)

    def add(self, state: str, language: str, response: httpx.Response, status: int = 200) -> None:
        assert response.status_code == status, (state, language, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("text/html"), (state, language)
        self.pages.setdefault(state, {})[language] = response

    def leaks(self) -> dict[str, list[str]]:
        """``state (language)``: its English strings; an empty dict when none is left in English."""
        found = {}
        for state, by_language in self.pages.items():
            assert set(by_language) == set(LANGUAGES), (state, sorted(by_language))
            english = by_language["en"].text
            for language in TRANSLATED:
                page = by_language[language].text
                assert shown(page)[0] == language, f"{state}: the page says it is not in {language}"
                if leaked := untranslated(page, english, language, self.data):
                    found[f"{state} ({language})"] = leaked
        return found


@pytest.fixture
def rendered(directory: Directory) -> Rendered:
    found = Rendered()
    found.data |= {person["full_name"] for person in directory.people.values()}
    found.data |= {person["email"] for person in directory.people.values()}
    found.data |= set(ORGANISATION_KINDS)
    found.data.add(REASON)
    return found


@pytest.fixture
def browser(server: str) -> Iterator[Callable[[str], httpx.Client]]:
    """A client that asks as a browser does, in a language (what pages knowing no reader go by)."""
    clients: list[httpx.Client] = []

    def make(language: str) -> httpx.Client:
        client = httpx.Client(
            base_url=server,
            headers={**HTML, "Accept-Language": f"{language},en;q=0.5"},
            follow_redirects=False,
            timeout=30,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def event_data(event: dict) -> set[str]:
    texts = {event["title"], event["description"], event["location"] or ""}
    for item in event.get("agenda", []):
        texts |= {item["title"], item.get("speaker") or ""}
    return {text for text in texts if text}


def rsvp_path(db, event_id: str, person_id: str) -> str:
    """A fresh RSVP link of the person's invitation to the event, as the emails carry (committed)."""
    invitation = db.scalar(
        select(Invitation)
        .where(Invitation.event_id == UUID(event_id), Invitation.person_id == UUID(person_id))
        .options(selectinload(Invitation.event))
    )
    assert invitation is not None
    token = new_rsvp_link(db, invitation, get_settings())
    db.commit()
    return f"/rsvp/{token}"


def into_the_past(db, event: dict) -> None:
    """Moves the event a week back (the API schedules only future events)."""
    a_week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    db.execute(
        update(Event)
        .where(Event.id == UUID(event["id"]))
        .values(starts_at=a_week_ago, ends_at=a_week_ago + dt.timedelta(hours=6))
    )
    db.commit()


# --- RSVP link -------------------------------------------------------------------------------------


def test_rsvp_page_states(server, api, db, directory: Directory, make_event, browser, rendered: Rendered):
    people = {language: directory.person(email) for language, email in READERS.items()}

    def invite(**event_fields) -> tuple[dict, dict[str, str]]:
        """An event, everyone invited, and each reader's RSVP link (an address on the server)."""
        event = make_event(**event_fields)
        rendered.data |= event_data(event)
        person_ids = [*people.values(), directory.person(RAUF)]
        invited = api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": person_ids})
        assert invited.status_code == 202, invited.text
        return event, {language: rsvp_path(db, event["id"], person) for language, person in people.items()}

    def each(state: str, method: str, links: dict[str, str], status: int = 200, **request) -> None:
        for language, path in links.items():
            response = browser(language).request(method, path, **request)
            rendered.add(state, language, response, status)

    _, open_links = invite()
    each("open, no answer yet", "GET", open_links)
    each(
        "open, an answer chosen in the email",
        "GET",
        {k: v + "?answer=tentative" for k, v in open_links.items()},
    )
    each("a value no button sends", "POST", open_links, 422, data={"response": "maybe-later"})
    for answer in ("tentative", "declined", "accepted"):
        for language, path in open_links.items():
            posted = browser(language).post(path, data={"response": answer})
            assert posted.status_code == 303, posted.text
            assert posted.headers["location"] == f"{path}?recorded=true"
            rendered.add(f"thank you: {answer}", language, browser(language).get(posted.headers["location"]))
        each(f"answered: {answer}", "GET", open_links)

    full_event, full_links = invite(capacity=1)
    rauf_link = rsvp_path(db, full_event["id"], directory.person(RAUF))
    assert browser("az").post(rauf_link, data={"response": "accepted"}).status_code == 303
    each("full: the waiting list explained", "GET", full_links)
    for language, path in full_links.items():
        posted = browser(language).post(path, data={"response": "accepted"})
        assert posted.status_code == 303, posted.text
        rendered.add(
            "thank you: on the waiting list", language, browser(language).get(posted.headers["location"])
        )
    each("on the waiting list", "GET", full_links)

    cancelled, cancelled_links = invite()
    done = api.post(f"/api/v1/events/{cancelled['id']}/cancel", json={"reason": REASON})
    assert done.status_code == 200, done.text
    each("cancelled, with its reason", "GET", cancelled_links)
    # A button pressed on a page opened before the cancellation: back to the page, with the notice.
    for language, path in cancelled_links.items():
        posted = browser(language).post(path, data={"response": "accepted"})
        assert posted.status_code == 303 and posted.headers["location"] == path
    # An API request from a browser (JSON in, HTML accepted) that the state refuses: the 409 page.
    each("refused: the event was cancelled", "POST", cancelled_links, 409, json={"response": "accepted"})

    past, past_links = invite()
    into_the_past(db, past)
    each("past", "GET", past_links)

    uninvited, uninvited_links = invite()
    for person_id in people.values():
        invitation_id = db.scalar(
            select(Invitation.id).where(
                Invitation.event_id == UUID(uninvited["id"]), Invitation.person_id == UUID(person_id)
            )
        )
        withdrawn = api.delete(f"/api/v1/events/{uninvited['id']}/invitations/{invitation_id}")
        assert withdrawn.status_code in (200, 204), withdrawn.text
    each("uninvited", "GET", uninvited_links, 404)

    assert rendered.leaks() == {}


# --- round page ------------------------------------------------------------------------------------


def round_url(token: str) -> str:
    """The round page of a personal round link (the one place that knows its address)."""
    return f"/r/{token}"


def test_round_page_states(
    api,
    db,
    directory: Directory,
    draft: Draft,
    make_round,
    link_for,
    facilitator,
    browser,
    rendered: Rendered,
):
    people = {language: directory.person(email) for language, email in READERS.items()}
    rendered.data |= {draft.document["title"]}
    section = draft.section("1.1.1")
    quote = "one application form"
    assert quote in section["body"]

    def links(round_: dict) -> dict[str, str]:
        rendered.data.add(round_["title"])
        return {
            language: link_for(round_["id"], person_id).headers["Authorization"].removeprefix("Bearer ")
            for language, person_id in people.items()
        }

    def each(state: str, method: str, paths: dict[str, str], status: int = 200, **request) -> None:
        for language, path in paths.items():
            rendered.add(state, language, browser(language).request(method, path, **request), status)

    open_round = make_round()
    tokens = links(open_round)
    rauf = link_for(open_round["id"], directory.person(RAUF))
    comments = f"/api/v1/rounds/{open_round['id']}/comments"

    def write(client: httpx.Client, **body) -> dict:
        rendered.data.add(body["body"])
        if body.get("proposed_text"):
            rendered.data.add(body["proposed_text"])
        posted = client.post(comments, json=body)
        assert posted.status_code == 201, posted.text
        return posted.json()

    official = write(
        rauf,
        body="The State Migration Service supports this procedure.",
        section_key=section["key"],
        quote=quote,
        on_behalf_of_organisation=True,
        attribution="organisation",
    )
    amendment = write(
        rauf,
        body="Sixty days is too long.",
        kind="amendment",
        section_key=section["key"],
        proposed_text="a maximum duration of 30 days",
    )
    write(rauf, body="Who pays for the recognition?", kind="question", attribution="anonymous")
    write(rauf, body="A reply to my own remark.", parent_id=official["id"])
    withdrawn = write(rauf, body="Withdrawn remark.")
    assert rauf.post(f"/api/v1/comments/{withdrawn['id']}/withdraw").status_code == 200
    edited = rauf.patch(f"/api/v1/comments/{amendment['id']}", json={"body": "Sixty days is far too long."})
    assert edited.status_code == 200, edited.text
    rendered.data.add("Sixty days is far too long.")
    rationale = "The procedure keeps 60 days for the first year."
    rendered.data.add(rationale)
    answered = facilitator.put(
        f"/api/v1/comments/{amendment['id']}/response",
        json={"decision": "partially_accepted", "rationale": rationale},
    )
    assert answered.status_code == 200, answered.text
    own = {}
    for language, token in tokens.items():
        mine = httpx.Client(base_url=str(rauf.base_url), headers={"Authorization": f"Bearer {token}"})
        with mine:
            own[language] = write(mine, body=f"My own comment ({language}).", section_key=section["key"])[
                "id"
            ]

    each("open, with comments", "GET", {k: round_url(t) for k, t in tokens.items()})
    refused = {
        "refused: an empty comment": {"body": " \n\t ", "kind": "comment", "attribution": "named"},
        "refused: an amendment without its text, a quote not in the section": {
            "body": "Change this.",
            "kind": "amendment",
            "section_key": section["key"],
            "quote": "not in the section",
            "attribution": "named",
        },
    }
    for state, form in refused.items():
        rendered.data.add(form["body"])  # what was typed comes back as typed
        each(state, "POST", {k: round_url(t) + "/comments" for k, t in tokens.items()}, 422, data=form)
    each(
        "refused: an edit that empties the comment",
        "POST",
        {k: f"{round_url(t)}/comments/{own[k]}" for k, t in tokens.items()},
        422,
        data={"body": "   ", "kind": "comment", "attribution": "named"},
    )
    rendered.data.add("A reply to nothing.")
    each(
        "refused: a reply to a comment that is not there",
        "POST",
        {k: round_url(t) + "/comments" for k, t in tokens.items()},
        422,
        data={"body": "A reply to nothing.", "parent_id": str(UUID(int=1)), "attribution": "named"},
    )
    # Someone else's comment, from a page form: the page again, saying so.
    each(
        "not yours",
        "POST",
        {k: f"{round_url(t)}/comments/{official['id']}/withdraw" for k, t in tokens.items()},
        404,
    )

    closed_round = make_round(title="Closed round on the strategy")
    closed_tokens = links(closed_round)
    closed = facilitator.post(f"/api/v1/rounds/{closed_round['id']}/close")
    assert closed.status_code == 200, closed.text
    each("closed", "GET", {k: round_url(t) for k, t in closed_tokens.items()})
    each(
        "refused: the round closed while writing",
        "POST",
        {k: round_url(t) + "/comments" for k, t in closed_tokens.items()},
        409,
        data={"body": "Too late.", "kind": "comment", "attribution": "named"},
    )
    rendered.data.add("Too late.")

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    future_round = make_round(
        title="Second comment round on the strategy",
        opens_at=later.isoformat(),
        closes_at=(later + dt.timedelta(days=10)).isoformat(),
    )
    each("not open yet", "GET", {k: round_url(t) for k, t in links(future_round).items()})

    assert rendered.leaks() == {}


# --- personal page, unsubscribe, invalid links, errors ------------------------------------------------


def test_personal_page_states(
    api, db, directory: Directory, make_event, make_round, link_for, facilitator, browser, rendered: Rendered
):
    people = {language: directory.person(email) for language, email in READERS.items()}
    page = {
        language: new_person_link(db, UUID(person_id), get_settings()).rsplit("/p/", 1)[1]
        for language, person_id in people.items()
    }
    db.commit()
    each = {language: f"/p/{token}" for language, token in page.items()}
    for language, path in each.items():
        rendered.add("empty", language, browser(language).get(path))

    # The next event (answered "maybe"), a full one (everyone on its waiting list behind Rauf), a
    # cancelled one, and a past one.
    events = [make_event(), make_event(title="Round table on language courses", capacity=1)]
    events.append(make_event(title="Workshop on housing"))
    rauf = directory.person(RAUF)
    for event in events:
        rendered.data |= event_data(event)
        invited = api.post(
            f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [rauf, *people.values()]}
        )
        assert invited.status_code == 202, invited.text
    cancelled = api.post(f"/api/v1/events/{events[2]['id']}/cancel", json={"reason": REASON})
    assert cancelled.status_code == 200, cancelled.text
    for person_id in [rauf, *people.values()]:
        for event, answer in zip(events[:2], ("tentative", "accepted"), strict=True):
            path = rsvp_path(db, event["id"], person_id)
            assert browser("en").post(path, data={"response": answer}).status_code == 303
    past = make_event(title="Past briefing")
    rendered.data |= event_data(past)
    assert (
        api.post(
            f"/api/v1/events/{past['id']}/invitations", json={"person_ids": list(people.values())}
        ).status_code
        == 202
    )
    into_the_past(db, past)

    open_round, closed_round = make_round(), make_round(title="Closed round on the strategy")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    future_round = make_round(
        title="Second comment round on the strategy",
        opens_at=later.isoformat(),
        closes_at=(later + dt.timedelta(days=10)).isoformat(),
    )
    rendered.data |= {open_round["title"], closed_round["title"], future_round["title"]}
    assert facilitator.post(f"/api/v1/rounds/{closed_round['id']}/close").status_code == 200
    for language, person_id in people.items():
        stakeholder = link_for(open_round["id"], person_id)
        for n, answer in enumerate((None, "accepted", "partially_accepted", "not_accepted", "noted")):
            body = f"Comment {n} of the {language} reader."
            rendered.data.add(body)
            posted = stakeholder.post(f"/api/v1/rounds/{open_round['id']}/comments", json={"body": body})
            assert posted.status_code == 201, posted.text
            if answer:
                rationale = "Taken into the next version."
                rendered.data.add(rationale)
                response = facilitator.put(
                    f"/api/v1/comments/{posted.json()['id']}/response",
                    json={"decision": answer, "rationale": rationale},
                )
                assert response.status_code == 200, response.text
    for language, path in each.items():
        rendered.add("with invitations, rounds, comments and answers", language, browser(language).get(path))
    # A round that has not opened yet is not listed as closed.
    english = rendered.pages["with invitations, rounds, comments and answers"]["en"].text
    upcoming = english[english.index(future_round["title"]) :]
    assert "Not open yet:" in upcoming[: upcoming.index("</li>")]

    assert rendered.leaks() == {}


def test_unsubscribe_invalid_links_and_errors(
    server, directory: Directory, make_event, db, api, browser, rendered: Rendered
):
    for language, email in READERS.items():
        path = f"/unsubscribe/{unsubscribe_token(get_settings(), UUID(directory.person(email)))}"
        client = browser(language)
        rendered.add("unsubscribe: asked", language, client.get(path))
        rendered.add("unsubscribe: done", language, client.post(path, data={"List-Unsubscribe": "One-Click"}))
        rendered.add("unsubscribe: done, opened again", language, client.get(path))

    # Pages knowing no reader speak the browser's language.
    unknown = {
        "an invitation link": "/rsvp/rsvp_unknown",
        "a round link": "/r/csr_unknown",
        "an unsubscribe link": "/unsubscribe/0123abcd",
        "a personal page link": "/p/cpp_unknown",
        "a page no link has": "/rsvp/rsvp_unknown/nothing/here",
    }
    for kind, path in unknown.items():
        for language in LANGUAGES:
            rendered.add(f"invalid link: {kind}", language, browser(language).get(path), 404)
    # Each names its kind of link (the check above sees only the language).
    for kind, words in {"a round link": "comment round", "a personal page link": "consultation page"}.items():
        assert words in rendered.pages[f"invalid link: {kind}"]["en"].text, kind

    event = make_event()
    rendered.data |= event_data(event)
    person_id = directory.person(READERS["en"])
    assert (
        api.post(f"/api/v1/events/{event['id']}/invitations", json={"person_ids": [person_id]}).status_code
        == 202
    )
    rsvp = rsvp_path(db, event["id"], person_id)
    personal = {
        language: new_person_link(db, UUID(directory.person(email)), get_settings()).rsplit("/p/", 1)[1]
        for language, email in READERS.items()
    }
    db.commit()
    for language in LANGUAGES:
        client, page = browser(language), f"/p/{personal[language]}"
        rendered.add("error: a method the RSVP page does not have", language, client.put(rsvp), 405)
        broken = client.post(rsvp, content=b"{not json", headers={"Content-Type": "application/json"})
        rendered.add("error: a body that cannot be read", language, broken, 400)
        # A browser never gets problem details, on the personal page's routes either.
        rendered.add("error: a method the personal page does not have", language, client.put(page), 405)
        rendered.add(
            "invalid link: no such page behind a personal link", language, client.get(f"{page}/x"), 404
        )
        not_an_id = client.post(f"{page}/invitations/not-an-id")
        rendered.add("invalid link: not an invitation's id", language, not_an_id, 404)
        # A valid personal link knows its reader: the page is in their language, whatever the
        # browser's, and speaks of what is gone.
        for kind in ("invitations", "rounds"):
            gone = browser("en").post(f"{page}/{kind}/{UUID(int=1)}")
            rendered.add(f"invalid link: someone else's {kind}", language, gone, 404)
    assert (
        "the invitation it belongs to"
        in rendered.pages["invalid link: someone else's invitations"]["en"].text
    )
    assert "comment round" in rendered.pages["invalid link: someone else's rounds"]["en"].text
    assert rendered.leaks() == {}


def test_server_error_and_too_many_requests_pages(database, tmp_path: Path):
    """The 500 page (rendered as the server renders it: no route fails on purpose) and the 429 page
    of a server whose limit of link pages is one a minute."""
    rendered = Rendered()
    for language in LANGUAGES:
        rendered.pages.setdefault("error: the server failed", {})[language] = httpx.Response(
            500, html=render_page("error", language, {"status": 500})
        )
    env = {
        "CONSULT_RATE_LIMIT_LINK_PAGES": "1",
        "CONSULT_CELERY_QUEUE": f"{get_settings().broker.queue}-pages429",
    }
    with api_server(tmp_path, **env) as base_url, httpx.Client(base_url=base_url, headers=HTML) as client:
        assert client.get("/r/csr_unknown").status_code == 404
        for language in LANGUAGES:
            refused = client.get("/r/csr_unknown", headers={"Accept-Language": language})
            rendered.add("too many requests", language, refused, 429)
    assert rendered.leaks() == {}


# --- the check itself ----------------------------------------------------------------------------------


def test_shown_reads_what_people_see_and_hear():
    page = """<!DOCTYPE html><html lang="az"><head><title>Səhifə</title><style>p { color: red }</style></head>
    <body><p>Salam, <strong>dünya</strong></p><img src="x.png" alt="Şəkil"><br>
    <div lang="en"><p>The draft in <em>English</em></p><img alt="English picture"></div>
    <p lang="az">yenə <span lang="en">skip</span> azərbaycanca</p>
    <button type="submit" name="response" value="accepted" aria-label="Qəbul">Qəbul et</button>
    <input type="submit" value="Göndər"><input type="hidden" value="secret"><input placeholder="Ad və soyad"></body></html>"""
    language, strings = shown(page)
    assert language == "az"
    assert strings == [
        "Səhifə",
        "Salam,",
        "dünya",
        "Şəkil",
        "yenə",
        "azərbaycanca",
        "Qəbul",
        "Qəbul et",
        "Göndər",
        "Ad və soyad",
    ]


def test_the_check_finds_english(server, browser):
    """The check can fail: the English invalid-link page, passed off as Azerbaijani, is all English;
    a data string (the test's own) is not."""
    english = browser("en").get("/r/csr_unknown").text
    leaked = untranslated(english, english, "az", data={"This link is no longer valid"})
    assert "Questions? Write to the organisers:" not in leaked  # (no footer: no reader known)
    assert leaked and "This link is no longer valid" not in leaked
    assert any("comment round" in text for text in leaked), leaked
    # An English string the English page does not show is still found, by the catalog.
    assert untranslated(
        "<html lang=az><p>Will you attend?</p></html>", "<html lang=en></html>", "az", set()
    ) == ["Will you attend?"]
    # Nor is an untranslated label inside a translated sentence missed.
    inside = "<html lang=az><p>Cavab: «I will attend».</p></html>"
    assert untranslated(inside, "<html lang=en></html>", "az", set()) == ["Cavab: «I will attend»."]
    # A French translation that is the English word itself is not a leak.
    assert (
        untranslated(
            "<html lang=fr><p>Question</p></html>", "<html lang=en><p>Question</p></html>", "fr", set()
        )
        == []
    )


# --- open questionnaire with email confirmation ----------------------------------------------------


def _definition_texts(value: object) -> set[str]:
    """Every text of a questionnaire's definition, in every language (data the test typed)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {text for item in value.values() for text in _definition_texts(item)}
    if isinstance(value, list):
        return {text for item in value for text in _definition_texts(item)}
    return set()


def test_open_questionnaire_confirmation_page_states(api, db, browser, rendered: Rendered):
    from consult.questionnaires.models import QuestionnaireResponse
    from tests.questionnaires.conftest import COMPLETE, definition, form_of
    from tests.questionnaires.test_open_confirmation import confirmation_link, open_questionnaire, path_of

    consultation = api.post("/api/v1/consultations", json={"title": "Migrant integration strategy"}).json()
    questionnaire = open_questionnaire(api, consultation)
    path = path_of(questionnaire)
    rendered.data |= _definition_texts(definition()) | _definition_texts(COMPLETE) | {"12", "not an address"}

    def latest_response() -> QuestionnaireResponse:
        db.expire_all()
        response = db.scalar(select(QuestionnaireResponse).order_by(QuestionnaireResponse.created_at.desc()))
        assert response is not None
        return response

    closing: dict[str, str] = {}
    for language in LANGUAGES:
        client = browser(language)
        address = f"reader.{language}@example.org"
        rendered.data.add(address)
        rendered.add("open questionnaire: form with the address", language, client.get(path))
        missing = client.post(path, data=form_of(COMPLETE, "submit", 0))
        rendered.add("open questionnaire: address missing", language, missing, 422)
        wrong = client.post(path, data=form_of(COMPLETE, "submit", 0, email="not an address"))
        rendered.add("open questionnaire: address not valid", language, wrong, 422)
        sent = client.post(path, data=form_of(COMPLETE, "submit", 0, email=address))
        assert sent.status_code == 303, sent.text
        rendered.add("open questionnaire: check your inbox", language, client.get(sent.headers["location"]))
        link = confirmation_link(db, questionnaire, latest_response())
        rendered.add("confirmation: asked", language, client.get(link))
        rendered.add("confirmation: confirmed", language, client.post(link))
        rendered.add("confirmation: already confirmed", language, client.post(link))
        assert client.post(path, data=form_of(COMPLETE, "submit", 0, email=address)).status_code == 303
        replacing = confirmation_link(db, questionnaire, latest_response())
        rendered.add("confirmation: replaces the earlier answer", language, client.post(replacing))
        assert (
            client.post(path, data=form_of(COMPLETE, "submit", 0, email=f"late.{address}")).status_code == 303
        )
        rendered.data.add(f"late.{address}")
        closing[language] = confirmation_link(db, questionnaire, latest_response())
        rendered.add("invalid link: a confirmation link", language, client.get(f"{path}/confirm/csc_x"), 404)
    assert api.post(f"/api/v1/questionnaires/{questionnaire['id']}/close").status_code == 200
    for language, link in closing.items():
        rendered.add("confirmation: closed", language, browser(language).get(link))
        rendered.add("confirmation: closed, confirmed anyway", language, browser(language).post(link), 409)
    assert 'id="replaced"' in rendered.pages["confirmation: replaces the earlier answer"]["en"].text
    assert rendered.leaks() == {}

# ruff: noqa: RUF001 - texts in Azerbaijani and Russian
from __future__ import annotations

import re
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from consult.auth.models import Role
from consult.questionnaires.links import new_questionnaire_link
from consult.questionnaires.models import Questionnaire, QuestionnaireInvitee
from consult.settings import get_settings
from tests.rounds.conftest import Directory, directory, from_now

__all__ = ["Directory", "directory", "from_now"]

GULNARA = "g.shukurova@migration.example.org"  # az, State Migration Service
RAUF = "r.mammadov@migration.example.org"  # az, State Migration Service
IRINA = "i.petrova@ngo.example.org"  # ru, Migrant Support NGO
LUC = "l.dubois@eeas.example.org"  # fr, EU Delegation
ANNA = "a.gruber@expert.example.org"  # en, no organisation


def texts(en: str, az: str | None = None, ru: str | None = None, fr: str | None = None) -> dict[str, str]:
    return {"en": en, "az": az or f"{en} (az)", "ru": ru or f"{en} (ru)", "fr": fr or f"{en} (fr)"}


def definition() -> dict:
    """Every kind of question; q-services decides whether q-gaps is shown."""
    return {
        "original_language": "en",
        "title": texts(
            "Capacity and needs assessment",
            "Potensial və ehtiyacların qiymətləndirilməsi",
            "Оценка потенциала и потребностей",
            "Évaluation des capacités et des besoins",
        ),
        "intro": texts("Please answer for your institution."),
        "sections": [
            {
                "key": "s-capacity",
                "title": texts("Capacity", "Potensial", "Потенциал", "Capacités"),
                "questions": [
                    {
                        "key": "q-services",
                        "kind": "choice",
                        "required": True,
                        "text": texts(
                            "Does your institution provide services to migrants?",
                            "Qurumunuz miqrantlara xidmət göstərirmi?",
                            "Оказывает ли ваше учреждение услуги мигрантам?",
                            "Votre institution fournit-elle des services aux migrants ?",
                        ),
                        "options": [
                            {"key": "yes", "label": texts("Yes", "Bəli", "Да", "Oui")},
                            {"key": "no", "label": texts("No", "Xeyr", "Нет", "Non")},
                        ],
                    },
                    {
                        "key": "q-gaps",
                        "kind": "multiple",
                        "required": True,
                        "other": True,
                        "show_if": {"question": "q-services", "options": ["yes"]},
                        "text": texts(
                            "Where are the gaps?",
                            "Boşluqlar haradadır?",
                            "Где пробелы?",
                            "Où sont les lacunes ?",
                        ),
                        "options": [
                            {"key": "staff", "label": texts("Staff", "Kadrlar", "Персонал", "Personnel")},
                            {
                                "key": "funding",
                                "label": texts("Funding", "Maliyyə", "Финансирование", "Financement"),
                            },
                            {"key": "language", "label": texts("Languages", "Dillər", "Языки", "Langues")},
                        ],
                    },
                    {
                        "key": "q-readiness",
                        "kind": "scale",
                        "required": True,
                        "min": 1,
                        "max": 5,
                        "min_label": texts("Not ready", "Hazır deyil", "Не готовы", "Pas prêt"),
                        "max_label": texts(
                            "Fully ready", "Tam hazırdır", "Полностью готовы", "Tout à fait prêt"
                        ),
                        "text": texts(
                            "How ready are you?",
                            "Nə dərəcədə hazırsınız?",
                            "Насколько вы готовы?",
                            "Êtes-vous prêts ?",
                        ),
                    },
                    {
                        "key": "q-staff",
                        "kind": "number",
                        "min": 0,
                        "max": 100000,
                        "text": texts(
                            "How many staff work with migrants?",
                            "Neçə əməkdaş?",
                            "Сколько сотрудников?",
                            "Combien d'agents ?",
                        ),
                    },
                ],
            },
            {
                "key": "s-needs",
                "title": texts("Needs", "Ehtiyaclar", "Потребности", "Besoins"),
                "questions": [
                    {
                        "key": "q-since",
                        "kind": "date",
                        "text": texts("Since when?", "Nə vaxtdan?", "С какого времени?", "Depuis quand ?"),
                    },
                    {
                        "key": "q-contact",
                        "kind": "text",
                        "text": texts(
                            "Contact unit", "Əlaqə bölməsi", "Контактное подразделение", "Service de contact"
                        ),
                    },
                    {
                        "key": "q-needs",
                        "kind": "long_text",
                        "text": texts(
                            "What do you need most?",
                            "Ən çox nəyə ehtiyacınız var?",
                            "Что вам нужнее всего?",
                            "De quoi avez-vous le plus besoin ?",
                        ),
                    },
                    {
                        "key": "q-priorities",
                        "kind": "matrix",
                        "required": True,
                        "min": 1,
                        "max": 3,
                        "min_label": texts("Low", "Aşağı", "Низкий", "Faible"),
                        "max_label": texts("High", "Yüksək", "Высокий", "Élevée"),
                        "text": texts("Priorities", "Prioritetlər", "Приоритеты", "Priorités"),
                        "rows": [
                            {"key": "housing", "label": texts("Housing", "Mənzil", "Жильё", "Logement")},
                            {"key": "jobs", "label": texts("Jobs", "İş", "Работа", "Emploi")},
                        ],
                    },
                ],
            },
        ],
    }


COMPLETE = {
    "q-services": "yes",
    "q-gaps": {"options": ["staff", "language"], "other": "Interpreters"},
    "q-readiness": 4,
    "q-staff": 12,
    "q-since": "2024-05-01",
    "q-contact": "Integration department",
    "q-needs": "Training.",
    "q-priorities": {"housing": 3, "jobs": 2},
}


@pytest.fixture
def staff(client_for) -> httpx.Client:
    return client_for(Role.FACILITATOR)


@pytest.fixture
def consultation(api) -> dict:
    response = api.post("/api/v1/consultations", json={"title": "Migrant integration strategy 2026-2030"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def make_questionnaire(staff, consultation, directory):
    """A questionnaire created and (unless ``send=False``) sent to the directory's organisations and Anna."""

    def make(mode: str = "per_organisation", send: bool = True, **send_overrides) -> dict:
        response = staff.post(
            f"/api/v1/consultations/{consultation['id']}/questionnaires",
            json={"name": "Capacity assessment", "mode": mode, "definition": definition()},
        )
        assert response.status_code == 201, response.text
        questionnaire = response.json()
        if send:
            audience = (
                {}
                if mode == "open"
                else {
                    "organisation_ids": [o["id"] for o in directory.organisations.values()],
                    "person_ids": [directory.person(ANNA)],
                }
            )
            sent = staff.post(
                f"/api/v1/questionnaires/{questionnaire['id']}/send",
                json={"closes_at": from_now(days=10), **audience, **send_overrides},
            )
            assert sent.status_code == 200, sent.text
            questionnaire = staff.get(f"/api/v1/questionnaires/{questionnaire['id']}").json()
        return questionnaire

    return make


@pytest.fixture
def link_for(db, server):
    """A fresh personal link ``/q/{token}`` of a person, as the email carries; returns the token."""

    def make(questionnaire_id: str, person_id: str) -> str:
        db.expire_all()
        questionnaire = db.get(Questionnaire, UUID(questionnaire_id))
        invitee = db.scalar(
            select(QuestionnaireInvitee).where(
                QuestionnaireInvitee.questionnaire_id == UUID(questionnaire_id),
                QuestionnaireInvitee.person_id == UUID(person_id),
            )
        )
        assert questionnaire is not None and invitee is not None
        url = new_questionnaire_link(db, invitee, questionnaire, get_settings())
        db.commit()
        return token_of(url)

    return make


@pytest.fixture
def web(server) -> httpx.Client:
    with httpx.Client(base_url=server, follow_redirects=False, timeout=30.0) as client:
        yield client


def token_of(text: str) -> str:
    match = re.search(r"/q/(csq_[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def revision_of(page: str) -> int:
    match = re.search(r'name="revision" value="(\d+)"', page)
    assert match, page[:3000]
    return int(match.group(1))


def form_of(answers: dict, action: str, revision: int, **extra: str) -> dict[str, list[str]]:
    """The form fields a browser posts for these answers."""
    fields: list[tuple[str, str]] = [("action", action), ("revision", str(revision))]
    for key, value in answers.items():
        name = f"q.{key}"
        if isinstance(value, dict) and "options" in value:
            fields += [(name, option) for option in value["options"]]
            fields.append((f"{name}.other", value.get("other") or ""))
        elif isinstance(value, dict):
            fields += [(f"{name}.{row}", str(point)) for row, point in value.items()]
        else:
            fields.append((name, str(value)))
    fields += list(extra.items())
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form

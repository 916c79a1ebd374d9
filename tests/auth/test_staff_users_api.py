"""Admins manage staff users and their tokens over HTTP: list, issue, revoke, deactivate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from consult.auth.models import Role, StaffToken, StaffUser
from consult.auth.tokens import token_digest
from tests.helpers import problem


@pytest.fixture
def admin(client_for) -> httpx.Client:
    return client_for(Role.ADMIN)


def users_by_email(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in admin.get("/api/v1/staff-users").json()["items"]}


def last_used(db, token: str) -> dt.datetime | None:
    db.rollback()  # a fresh snapshot
    return db.scalar(select(StaffToken.last_used_at).where(StaffToken.token_hash == token_digest(token)))


def test_only_admins_manage_staff(client_for, admin, db) -> None:
    organiser_id = users_by_email(admin)["organiser@example.org"]["id"]
    token_id = str(
        db.scalar(select(StaffToken.id).join(StaffUser).where(StaffUser.email == "organiser@example.org"))
    )
    for role in (Role.ORGANISER, Role.FACILITATOR, Role.INTAKE):
        client = client_for(role)
        problem(client.get("/api/v1/staff-users"), 403)
        problem(client.get(f"/api/v1/staff-users/{organiser_id}/tokens"), 403)
        problem(client.post(f"/api/v1/staff-users/{organiser_id}/tokens", json={}), 403)
        problem(client.post(f"/api/v1/staff-users/{organiser_id}/tokens/{token_id}/revoke"), 403)
        problem(client.post(f"/api/v1/staff-users/{organiser_id}/deactivate"), 403)
    assert users_by_email(admin)["organiser@example.org"]["active"] is True


def test_admins_list_users_and_issue_tokens_shown_once(client_for, admin, db) -> None:
    users = users_by_email(admin)
    assert set(users) == {f"{role.value}@example.org" for role in Role}
    organiser = users["organiser@example.org"]
    assert (organiser["role"], organiser["active"]) == ("organiser", True)
    assert organiser["created_at"]

    issued = admin.post(f"/api/v1/staff-users/{organiser['id']}/tokens", json={"label": "laptop", "days": 7})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    token = body["token"]
    assert token.startswith("cst_")
    assert body["prefix"] == token[:12]
    assert body["label"] == "laptop"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=6, hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    assert client_for(None, token=token).get("/api/v1/organisations").status_code == 200

    listed = admin.get(f"/api/v1/staff-users/{organiser['id']}/tokens").json()
    assert len(listed) == 2  # the fixture's and this one, newest first
    assert listed[0]["id"] == body["id"]
    assert listed[0]["prefix"] == token[:12]
    assert listed[0]["last_used_at"] is not None
    assert all("token" not in t and "token_hash" not in t for t in listed)
    problem(admin.post(f"/api/v1/staff-users/{organiser['id']}/tokens", json={"days": 0}), 422, "days")

    [entry] = admin.get("/api/v1/audit", params={"entity_id": body["id"]}).json()["items"]
    assert (entry["action"], entry["actor_label"]) == ("create", "admin@example.org")
    assert {"token_hash", "prefix", "label"} <= set(entry["fields"])
    assert "token_hash" not in entry["changes"]  # the digest is named, never shown
    assert entry["changes"]["label"] == {"old": None, "new": "laptop"}


def test_last_use_is_written_at_most_once_a_minute(client_for, db) -> None:
    token = client_for(Role.FACILITATOR).headers["Authorization"].split()[1]
    client = client_for(None, token=token)
    assert last_used(db, token) is None
    assert client.get("/api/v1/organisations").status_code == 200  # a GET writes it, in a write of its own
    first = last_used(db, token)
    assert first is not None
    assert client.get("/api/v1/organisations").status_code == 200
    assert last_used(db, token) == first  # within the minute: no second write

    earlier = first - dt.timedelta(minutes=2)
    db.execute(
        text("UPDATE staff_token SET last_used_at = :t WHERE token_hash = :h"),
        {"t": earlier, "h": token_digest(token)},
    )
    db.commit()
    assert client.get("/api/v1/organisations").status_code == 200
    latest = last_used(db, token)
    assert latest is not None and latest > first


def test_a_revoked_token_stops_at_once_and_the_others_go_on(client_for, admin) -> None:
    organiser = users_by_email(admin)["organiser@example.org"]
    url = f"/api/v1/staff-users/{organiser['id']}/tokens"
    spare = admin.post(url, json={"label": "spare"}).json()
    revoked = admin.post(f"{url}/{spare['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    problem(client_for(None, token=spare["token"]).get("/api/v1/organisations"), 401)
    assert client_for(Role.ORGANISER).get("/api/v1/organisations").status_code == 200
    again = admin.post(f"{url}/{spare['id']}/revoke")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    facilitator = users_by_email(admin)["facilitator@example.org"]
    problem(admin.post(f"/api/v1/staff-users/{facilitator['id']}/tokens/{spare['id']}/revoke"), 404)


def test_a_deactivated_user_loses_every_token_at_once(client_for, admin) -> None:
    organiser = users_by_email(admin)["organiser@example.org"]
    url = f"/api/v1/staff-users/{organiser['id']}"
    second = admin.post(f"{url}/tokens", json={"label": "phone"}).json()["token"]
    clients = [client_for(Role.ORGANISER), client_for(None, token=second)]
    assert [c.get("/api/v1/organisations").status_code for c in clients] == [200, 200]

    deactivated = admin.post(f"{url}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    for client in clients:
        problem(client.get("/api/v1/organisations"), 401)
    assert all(t["revoked_at"] for t in admin.get(f"{url}/tokens").json())
    problem(admin.post(f"{url}/tokens", json={}), 409)
    assert admin.post(f"{url}/deactivate").status_code == 200  # again: nothing more to do


def test_the_last_active_admin_stays(admin) -> None:
    me = users_by_email(admin)["admin@example.org"]
    problem(admin.post(f"/api/v1/staff-users/{me['id']}/deactivate"), 409)
    assert admin.get("/api/v1/staff-users").status_code == 200

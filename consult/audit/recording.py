"""Every change is recorded in the transaction that makes it, in one place: listeners on SQLAlchemy's
``Session`` class see each flush (rows added, changed, deleted through the ORM) and each write
statement run through a session (bulk ``update()``/``delete()``/``insert()``), and write
``AuditEntry`` rows on the same connection. A rolled-back change leaves no entry; a committed one
cannot lack its entry.

Who acted comes from the session: a request's principal and client address (``consult.sessions``),
a page that names its person (``act_as``), the intake of incoming mail (``act_as(session, INTAKE)``),
or else the system (workers, the command line). A request that carries no principal and names no one
is recorded as anonymous rather than passed off as the system's.

Not recorded: the audit table itself, and the bookkeeping of work: outbox emails and their delivery,
worker heartbeats, reply notices, and the progress of queued rows (export jobs, incoming messages),
whose creation and deletion are recorded but not their claims and states. Statements run on a
connection rather than through a session are not seen either: that is how the workers write delivery
outcomes in bulk (onto outbox rows and invitations) and how a token's last use is noted. A bulk
statement through a session is one entry without an entity id, naming the columns it sets.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import LargeBinary, event, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from consult.audit.models import ActorKind, AuditEntry
from consult.auth.models import Role
from consult.auth.principals import RespondentPrincipal, StaffPrincipal, StakeholderPrincipal
from consult.claims import Relayed
from consult.db import Base
from consult.sessions import ADDRESS_KEY, PRINCIPAL_KEY, ReadOnlySession

# questionnaire_tally: derived counts, moved by a response's submission or reopening, which is recorded.
_NOT_RECORDED = frozenset(
    {AuditEntry.__tablename__, "outbound_email", "worker_heartbeat", "reply_notice", "questionnaire_tally"}
)
_TIMESTAMPS = frozenset({"id", "created_at", "updated_at"})
# Columns whose values never go into the log, only their names.
_SECRET_COLUMNS = frozenset({"token_hash"})
_ACTOR_KEY = "consult.audit_actor"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: UUID | None = None
    label: str = ""

    @classmethod
    def stakeholder(cls, person_id: UUID) -> Actor:
        return cls(ActorKind.STAKEHOLDER, person_id)


SYSTEM = Actor(ActorKind.SYSTEM)
INTAKE = Actor(ActorKind.INTAKE)
ANONYMOUS = Actor(ActorKind.ANONYMOUS)


def act_as(session: Session | AsyncSession, actor: Actor) -> None:
    """Name who acts in this session: a page's person (its token is in the path, not a bearer), or
    the intake when a worker turns an incoming email into changes."""
    session.info[_ACTOR_KEY] = actor


def _actor(session: Session) -> Actor:
    named: Actor | None = session.info.get(_ACTOR_KEY)
    if named is not None:
        return named
    principal = session.info.get(PRINCIPAL_KEY)
    if isinstance(principal, StaffPrincipal):
        kind = ActorKind.INTAKE if principal.role is Role.INTAKE else ActorKind.STAFF
        return Actor(kind, principal.user_id, principal.email)
    if isinstance(principal, StakeholderPrincipal | RespondentPrincipal):
        return Actor.stakeholder(principal.person_id)
    return ANONYMOUS if PRINCIPAL_KEY in session.info else SYSTEM


@functools.cache
def _queue_tables() -> frozenset[str]:
    """Tables of rows that wait for a worker (consult.claims): their progress is bookkeeping."""
    return frozenset(
        str(mapper.class_.__tablename__)
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Base) and issubclass(mapper.class_, Relayed)
    )


def _recorded(table: str, action: str) -> bool:
    return table not in _NOT_RECORDED and not (action == "update" and table in _queue_tables())


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


def _row_changes(obj: Any, action: str) -> tuple[list[str], dict[str, Any]]:
    """The columns a create set or an update changed, with their values where they may be shown."""
    state = inspect(obj)
    fields: list[str] = []
    values: dict[str, Any] = {}
    for attribute in state.mapper.column_attrs:
        key = attribute.key
        if key in _TIMESTAMPS:
            continue
        if action == "create":
            old, new = None, state.dict.get(key)
            if new is None:
                continue
        else:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
        fields.append(key)
        shown = key not in _SECRET_COLUMNS and not isinstance(attribute.columns[0].type, LargeBinary)
        if shown:
            values[key] = {"old": _plain(old), "new": _plain(new)}
    return fields, values


def _entry(
    actor: Actor,
    address: str | None,
    table: str,
    entity_id: UUID | None,
    action: str,
    fields: list[str],
    values: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "address": address,
        "entity_type": table,
        "entity_id": entity_id,
        "action": action,
        "fields": fields,
        # What stakeholders, the intake and the system write is personal or derived: names only.
        "changes": values if actor.kind is ActorKind.STAFF else None,
    }


def _flushed(session: Session, actor: Actor, objects: Iterable[Any], action: str) -> list[dict[str, Any]]:
    address = session.info.get(ADDRESS_KEY)
    entries = []
    for obj in objects:
        table = inspect(obj).mapper.local_table.name
        if not _recorded(table, action):
            continue
        fields, values = _row_changes(obj, action) if action != "delete" else ([], {})
        if action == "update" and not fields:
            continue  # only timestamps moved, or only relationships (recorded on their own rows)
        entries.append(_entry(actor, address, table, obj.id, action, fields, values))
    return entries


def _record_flush(session: Session, _flush: UOWTransaction) -> None:
    # After the flush's statements, before its history is reset: ids are known, old values too.
    if isinstance(session, ReadOnlySession):
        return
    actor = _actor(session)
    entries = [
        *_flushed(session, actor, session.new, "create"),
        *_flushed(session, actor, session.dirty, "update"),
        *_flushed(session, actor, session.deleted, "delete"),
    ]
    if entries:
        session.connection().execute(insert(AuditEntry), entries)


def _column_names(keys: Iterable[Any]) -> list[str]:
    return sorted({str(getattr(key, "key", key)) for key in keys})


def _record_statement(state: ORMExecuteState) -> None:
    session = state.session
    if not (state.is_insert or state.is_update or state.is_delete) or isinstance(session, ReadOnlySession):
        return
    action = "create" if state.is_insert else "update" if state.is_update else "delete"
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table is None or not _recorded(table, action):
        return
    # The columns set: in the statement's values(), or in the parameters passed with it.
    values = getattr(state.statement, "_values", None) or {}
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    fields = _column_names([*values, *(key for row in rows for key in row)])
    entry = _entry(_actor(session), session.info.get(ADDRESS_KEY), table, None, action, fields, None)
    session.connection().execute(insert(AuditEntry), [entry])


def record_changes() -> None:
    """Record the changes of every session of this process from now on (the app, the workers and
    the command line call this once; calling it again changes nothing)."""
    if not event.contains(Session, "after_flush", _record_flush):
        event.listen(Session, "after_flush", _record_flush)
        event.listen(Session, "do_orm_execute", _record_statement)

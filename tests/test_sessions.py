"""Safe requests (GET, HEAD) read in autocommit mode, so their sessions refuse to write."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from consult.directory.models import Organisation, OrganisationKind
from consult.sessions import ReadOnlySession


def test_a_read_only_session_reads(db_engine, db):
    db.add(Organisation(name="State Migration Service", kind=OrganisationKind.GOVERNMENT))
    db.commit()
    with ReadOnlySession(db_engine) as session:
        assert session.scalars(select(Organisation.name)).all() == ["State Migration Service"]


def test_a_read_only_session_refuses_to_flush_changes(db_engine, db):
    db.add(Organisation(name="State Migration Service", kind=OrganisationKind.GOVERNMENT))
    db.commit()
    with ReadOnlySession(db_engine) as session:
        session.add(Organisation(name="Migrant Support NGO", kind=OrganisationKind.NGO))
        with pytest.raises(RuntimeError, match="must not write"):
            session.flush()
        session.rollback()
        organisation = session.scalars(select(Organisation)).one()
        organisation.name = "Renamed"
        with pytest.raises(RuntimeError, match="must not write"):
            session.flush()


def test_a_read_only_session_refuses_write_statements(db_engine):
    with ReadOnlySession(db_engine) as session, pytest.raises(RuntimeError, match="must not write"):
        session.execute(update(Organisation).values(name="Renamed"))

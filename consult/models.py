"""Imports every domain's models so the metadata (Alembic, tests) sees all tables."""

from consult.auth.models import StaffToken, StaffUser
from consult.db import Base
from consult.directory.models import Organisation, Person, PersonGroup, group_member

__all__ = ["Base", "Organisation", "Person", "PersonGroup", "StaffToken", "StaffUser", "group_member"]
